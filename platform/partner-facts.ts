/**
 * A partner's live facts for rule evaluation (domain/partner-rules.ts, domain/incentive-rules.ts): active experts and
 * active certificates. The one place that turns expert rows into the facts that earn money or rank: an expert's
 * full-time status and each certification count only once the vendor has attested them (api/experts/client.ts,
 * prisma/migrations/0015_expert_attestation.sql); what only the partner asserted is left out. Used by the monthly
 * incentive generation (activities/incentive.ts), certification prerequisites (activities/certification.ts) and path
 * requirements (activities/path-review.ts, api/paths/client.ts).
 */
import type { ExpertFacts } from '../domain/incentive-rules.js';
import type { PartnerFacts } from '../domain/partner-rules.js';
import type { PrismaClient } from './db.js';
import type { Prisma } from '../prisma/generated/client.js';

const fromDateColumn = (d: Date) => d.toISOString().slice(0, 10);

type ExpertRow = Prisma.ExpertGetPayload<{ include: { certifications: true } }>;

/** The facts of one expert that count: unattested full-time status reads as part-time, unattested certifications as absent. */
export function countedExpertFacts(e: ExpertRow): ExpertFacts {
  const since = e.fullTimeSince ? fromDateColumn(e.fullTimeSince) : null;
  // The database keeps the attested date equal to the current one (or the attestation withdrawn); checked again here.
  const fullTime = e.fullTime && since !== null && e.fullTimeAttestedAt !== null && e.fullTimeAttestedSince !== null && fromDateColumn(e.fullTimeAttestedSince) === since;
  return {
    active: e.active,
    fullTime,
    fullTimeSince: fullTime ? since : null,
    registeredOn: fromDateColumn(e.registeredOn),
    certifications: e.certifications
      .filter((c) => c.attestedAt !== null)
      .map((c) => ({ type: c.type, validFrom: fromDateColumn(c.validFrom), validTo: fromDateColumn(c.validTo) })),
  };
}

export async function loadPartnerFacts(prisma: PrismaClient, partnerId: string): Promise<PartnerFacts> {
  const [experts, certificates] = await Promise.all([
    prisma.expert.findMany({ where: { partnerId, active: true }, include: { certifications: true } }),
    prisma.certificate.findMany({ where: { partnerId, status: 'ACTIVE' } }),
  ]);
  return {
    experts: experts.map(countedExpertFacts),
    certificates: certificates.map((c) => ({ type: c.type, category: c.category, validFrom: fromDateColumn(c.validFrom), validTo: fromDateColumn(c.validTo), active: true })),
  };
}
