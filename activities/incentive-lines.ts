/**
 * An incentive's lines (activities/incentive.ts): one per expert of the partner that qualifies for the month, computed
 * when the incentive is generated from what the vendor attested, adjusted when an objection is resolved.
 */
import { qualify } from '../domain/incentive-rules.js';
import type { PrismaClient } from '../platform/db.js';
import { countedExpertFacts } from '../platform/partner-facts.js';
import type { Prisma } from '../prisma/generated/client.js';
import type { IncentiveLine } from '../workflows/incentive/contract.js';
import type { Tx } from './kit/events.js';

/** What the partner is owed in total, in minor units of the lines' one currency. */
export const sum = (lines: readonly IncentiveLine[]) => lines.reduce((total, l) => total + l.amountMinor, 0);

/** A stored line as the workflow and the API know it (amounts as numbers of minor units). */
export const lineOf = (l: Prisma.IncentiveLineGetPayload<object>): IncentiveLine => ({
  expertId: l.expertId,
  employeeId: l.employeeId,
  name: l.name,
  certification: l.certification,
  amountMinor: Number(l.amountMinor),
  currency: l.currency,
});

/** Every active expert of the partner that qualifies for `period`, in employee id order. */
export async function qualifyingLines(prisma: PrismaClient, partnerId: string, period: string): Promise<IncentiveLine[]> {
  const experts = await prisma.expert.findMany({
    where: { partnerId, active: true },
    include: { certifications: true },
    orderBy: [{ employeeId: 'asc' }, { id: 'asc' }],
  });
  const lines: IncentiveLine[] = [];
  for (const e of experts) {
    const q = qualify(countedExpertFacts(e), period); // only what the vendor attested counts
    if (q.qualifies && q.amount && q.certification) {
      lines.push({ expertId: e.id, employeeId: e.employeeId, name: e.name, certification: q.certification, amountMinor: q.amount.minor, currency: q.amount.currency });
    }
  }
  return lines;
}

/** OBJECTION_RESOLVED: the lines after the adjustments replace the stored amounts; lines left out are removed. */
export async function adjustLines(tx: Tx, incentiveId: string, lines: readonly IncentiveLine[]): Promise<void> {
  const kept = lines.map((l) => l.expertId);
  await tx.incentiveLine.deleteMany({ where: { incentiveId, expertId: { notIn: kept } } });
  for (const l of lines) {
    await tx.incentiveLine.update({
      where: { incentiveId_expertId: { incentiveId, expertId: l.expertId } },
      data: { amountMinor: BigInt(l.amountMinor) },
    });
  }
}
