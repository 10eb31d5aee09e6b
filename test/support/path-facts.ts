/**
 * A partner's development-path facts straight through Prisma, for the tests of the processes that judge them (level
 * raises, path reviews): a level on a path, active certificates, attested experts.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../platform/db.js';
import { attestExpert, insertExpert } from './experts.js';

const day = (s: string) => new Date(`${s}T00:00:00Z`);

/** The partner on `pathId` at `level` since `at`. */
export async function joinPath(prisma: PrismaClient, partnerId: string, pathId: string, level: string, at = new Date()) {
  await prisma.pathMembership.create({ data: { partnerId, pathId, level, since: at, updatedAt: at } });
}

/** An ACTIVE certificate (valid 2020–2099) and the approved application it came from: a software one, or ROLE_CONSULTING. */
export async function insertPathCertificate(prisma: PrismaClient, partnerId: string, type: 'ADVANCED_CLOUD_SOFTWARE' | 'ROLE_CONSULTING' = 'ADVANCED_CLOUD_SOFTWARE') {
  const id = randomUUID();
  const at = new Date();
  const category = type === 'ROLE_CONSULTING' ? 'ROLE' : type;
  const solutionName = type === 'ROLE_CONSULTING' ? null : `Solution ${id.slice(0, 4)}`;
  await prisma.certificationApplication.create({
    data: { id, partnerId, type, category, appliesTo: solutionName ? 'SOLUTION' : 'PARTNER', solutionName, status: 'APPROVED', terms: {}, createdBy: 'seed', createdAt: at, lastSeq: 1, updatedAt: at },
  });
  await prisma.certificate.create({
    data: { number: `PF-LR-${id}`, applicationId: id, partnerId, type, category, labels: [], scope: solutionName ?? 'partner', validFrom: day('2020-01-01'), validTo: day('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
}

/**
 * What SOFTWARE's levels need: CERTIFIED 1 software certificate and 2 full-time experts; ADVANCED 2 certificates and 3
 * CLOUD_PROFESSIONAL experts. Adds what `level` needs beyond what `from` already had (experts E1…, attested).
 */
export async function qualifySoftware(prisma: PrismaClient, partnerId: string, level: 'CERTIFIED' | 'ADVANCED', from: 'NONE' | 'CERTIFIED' = 'NONE') {
  const experts = { NONE: 0, CERTIFIED: 2 }[from];
  const certificates = { NONE: 0, CERTIFIED: 1 }[from];
  const [needExperts, needCertificates] = level === 'CERTIFIED' ? [2, 1] : [3, 2];
  for (let i = experts; i < needExperts; i++) await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: `E${i + 1}` }));
  for (let i = certificates; i < needCertificates; i++) await insertPathCertificate(prisma, partnerId);
}
