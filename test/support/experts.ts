/** Experts straight through Prisma, for workflow tests that need a partner's registry without the API. */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../platform/db.js';

const day = (s: string) => new Date(`${s}T00:00:00Z`);

/**
 * One active expert holding `certification` (valid 2020–2099). Full-time since 2020 unless `fullTime: false`;
 * registered on `registeredOn` (2020-01-01): qualifies for any later month when the certification has a rate.
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
