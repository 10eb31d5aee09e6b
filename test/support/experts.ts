/** Experts straight through Prisma, for workflow tests that need a partner's registry without the API. */
import { randomUUID } from 'node:crypto';
import { createExpertsClient } from '../../api/experts/client.js';
import type { PrismaClient } from '../../platform/db.js';

const day = (s: string) => new Date(`${s}T00:00:00Z`);
const local = (d: Date) => d.toISOString().slice(0, 10);

/**
 * One active expert holding `certification` (valid 2020–2099). Full-time since 2020 unless `fullTime: false`;
 * registered on `registeredOn` (2020-01-01). As the partner asserted it: nothing attested, so it counts nowhere
 * until attestExpert(); then it qualifies for any later month when the certification has a rate.
 */
export async function insertExpert(
  prisma: PrismaClient,
  partnerId: string,
  { employeeId = 'E1', certification = 'CLOUD_PROFESSIONAL', fullTime = true, registeredOn = '2020-01-01' } = {},
): Promise<string> {
  const id = randomUUID();
  await prisma.expert.create({
    data: {
      id,
      partnerId,
      employeeId,
      name: `Expert ${employeeId}`,
      fullTime,
      fullTimeSince: fullTime ? day('2020-01-01') : null,
      registeredOn: day(registeredOn),
      certifications: { create: [{ type: certification, validFrom: day('2020-01-01'), validTo: day('2099-12-31') }] },
    },
  });
  return id;
}

/**
 * The vendor attests everything the expert holds now (its full-time status, every certification), through the same
 * code as POST /v1/partners/:partnerId/experts/:expertId/attestation. Answers the expert id, so that
 * `await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId))` is an expert that counts.
 */
export async function attestExpert(prisma: PrismaClient, partnerId: string, expertId: string, attester = 'test-vendor-attester'): Promise<string> {
  const expert = await prisma.expert.findUniqueOrThrow({ where: { id: expertId }, include: { certifications: true } });
  const certifications = expert.certifications.map((c) => ({ type: c.type, validFrom: local(c.validFrom), validTo: local(c.validTo) }));
  await createExpertsClient({ prisma }).attestExpert({ sub: attester, roles: ['vendor_ecosystem_manager'] }, partnerId, expertId, {
    ...(expert.fullTimeSince ? { fullTimeSince: local(expert.fullTimeSince) } : {}),
    ...(certifications.length ? { certifications } : {}),
  });
  return expertId;
}
