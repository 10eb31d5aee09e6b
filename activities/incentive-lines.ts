/**
 * An incentive's generation and its lines (activities/incentive.ts): one line per expert of the partner that qualifies
 * for the month, computed when the incentive is generated from what the vendor attested, adjusted when an objection is
 * resolved. Generation is written for many partners at once (a run's batch) or for one (a verification's first step).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CalendarLookup, DeadlineExplanation } from '../domain/calendar.js';
import { incentiveRules, monthBounds, qualify } from '../domain/incentive-rules.js';
import { planVerificationDeadline, type VerificationPlan } from '../domain/verification-deadline.js';
import type { PrismaClient } from '../platform/db.js';
import { countedExpertFacts } from '../platform/partner-facts.js';
import type { Prisma } from '../prisma/generated/client.js';
import { type GeneratedIncentive, type IncentiveLine, type IncentiveStatus, incentiveId } from '../workflows/incentive/contract.js';
import { failClosed } from './calendar.js';
import type { Tx } from './kit/events.js';
import { json } from './kit/read-model.js';

const DEFAULT_CURRENCY = incentiveRules.rates[0]?.currency ?? 'CNY';

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

/**
 * Every active expert of each partner that qualifies for `period`, in employee id order: one read for all the partners
 * (a run's batch generates a hundred at once). Every partner asked for has an entry, empty when none qualifies.
 */
export async function qualifyingLinesOf(prisma: PrismaClient, partnerIds: readonly string[], period: string): Promise<Map<string, IncentiveLine[]>> {
  const experts = await prisma.expert.findMany({
    where: { partnerId: { in: [...partnerIds] }, active: true },
    include: { certifications: true },
    orderBy: [{ partnerId: 'asc' }, { employeeId: 'asc' }, { id: 'asc' }],
  });
  const lines = new Map(partnerIds.map((partnerId) => [partnerId, [] as IncentiveLine[]]));
  for (const e of experts) {
    const q = qualify(countedExpertFacts(e), period); // only what the vendor attested counts
    if (q.qualifies && q.amount && q.certification) {
      lines.get(e.partnerId)!.push({ expertId: e.id, employeeId: e.employeeId, name: e.name, certification: q.certification, amountMinor: q.amount.minor, currency: q.amount.currency });
    }
  }
  return lines;
}

/** The stored incentives among `ids` (one read for all of them), as the verification workflow adopts them. */
export async function storedIncentives(prisma: PrismaClient, ids: readonly string[]): Promise<Map<string, GeneratedIncentive>> {
  const rows = await prisma.incentive.findMany({ where: { id: { in: [...ids] } }, include: { lines: { orderBy: [{ employeeId: 'asc' }, { expertId: 'asc' }] } } });
  return new Map(
    rows.map((row) => [
      row.id,
      {
        incentiveId: row.id,
        status: row.status as IncentiveStatus,
        generatedAt: row.generatedAt.toISOString(),
        verificationDeadline: row.verificationDeadline.toISOString(),
        reminderAt: row.reminderAt.toISOString(),
        explanation: row.deadlineExplanation as unknown as DeadlineExplanation,
        currency: row.currency,
        lines: row.lines.map(lineOf),
        seq: row.lastSeq,
      },
    ]),
  );
}

/** A partner that cannot be generated for a reason retrying will not fix, and that reason (non-retryable). */
export type GenerationFailure = { partnerId: string; failure: ApplicationFailure };

/**
 * Generates the incentives of `partnerIds` that are not stored yet, all from `generatedAt`: each partner's lines (its
 * active experts that qualify), its deadline and reminder planned in its calendar, and incentive + lines + GENERATED
 * written for all of them in one transaction — three INSERTs however many partners, where one at a time cost a
 * transaction and a dozen round trips each (issue 16: the run's batches). A partner whose incentive exists already, or
 * was generated concurrently (the first one stands: the incentive INSERT skips it and nothing more is written for it),
 * keeps the stored one. A partner that cannot be generated for a reason a retry will not fix (an invalid period, a
 * calendar without data for the deadline's year) is returned with its failure and the others are written; anything
 * else (the database is down) throws, and a retry adopts what was written.
 */
export async function generateIncentives(
  { prisma, calendarFor }: { prisma: PrismaClient; calendarFor: CalendarLookup },
  { partnerIds, period, generatedAt }: { partnerIds: readonly string[]; period: string; generatedAt: string },
): Promise<GenerationFailure[]> {
  const stored = await prisma.incentive.findMany({ where: { id: { in: partnerIds.map((p) => incentiveId(p, period)) } }, select: { partnerId: true } });
  const adopted = new Set(stored.map((r) => r.partnerId));
  const fresh = partnerIds.filter((p) => !adopted.has(p));
  if (fresh.length === 0) return [];
  try {
    monthBounds(period);
  } catch (error) {
    const failure = ApplicationFailure.nonRetryable(String((error as Error).message), 'INVALID_PERIOD');
    return fresh.map((partnerId) => ({ partnerId, failure }));
  }
  const at = new Date(generatedAt);
  const failures: GenerationFailure[] = [];
  const planned = (
    await Promise.all(
      fresh.map(async (partnerId) => {
        const { calendar } = await calendarFor(partnerId);
        try {
          return [{ partnerId, plan: failClosed(() => planVerificationDeadline(at, calendar)) }];
        } catch (error) {
          if (!(error instanceof ApplicationFailure && error.nonRetryable)) throw error;
          failures.push({ partnerId, failure: error });
          return [];
        }
      }),
    )
  ).flat();
  if (planned.length === 0) return failures;
  const lines = await qualifyingLinesOf(prisma, planned.map((p) => p.partnerId), period);
  await prisma.$transaction(async (tx) => {
    const created = await tx.incentive.createManyAndReturn({
      data: planned.map(({ partnerId, plan }) => incentiveColumns(partnerId, period, at, plan, lines.get(partnerId)!)),
      skipDuplicates: true,
      select: { id: true, partnerId: true },
    });
    // Only what this transaction created: a concurrent generation's incentive has its own lines and event.
    await tx.incentiveLine.createMany({
      data: created.flatMap(({ id, partnerId }) => lines.get(partnerId)!.map((l) => ({ ...l, incentiveId: id, amountMinor: BigInt(l.amountMinor) }))),
    });
    const plans = new Map(planned.map((p) => [p.partnerId, p.plan]));
    await tx.incentiveEvent.createMany({ data: created.map(({ id, partnerId }) => generatedEvent(id, at, plans.get(partnerId)!, lines.get(partnerId)!)) });
  });
  return failures;
}

const incentiveColumns = (partnerId: string, period: string, at: Date, plan: VerificationPlan, lines: IncentiveLine[]) => ({
  id: incentiveId(partnerId, period),
  partnerId,
  period,
  status: 'PENDING_VERIFICATION',
  generatedAt: at,
  verificationDeadline: new Date(plan.verificationDeadline),
  reminderAt: new Date(plan.reminderAt),
  deadlineExplanation: json(plan.explanation),
  calendar: plan.calendar,
  zone: plan.zone,
  headcount: lines.length,
  totalMinor: BigInt(sum(lines)),
  currency: lines[0]?.currency ?? DEFAULT_CURRENCY,
  lastSeq: 1,
  updatedAt: at,
});

const generatedEvent = (incentiveId: string, at: Date, plan: VerificationPlan, lines: IncentiveLine[]) => ({
  incentiveId,
  seq: 1,
  type: 'GENERATED',
  toStatus: 'PENDING_VERIFICATION',
  actor: 'system',
  at,
  data: {
    verificationDeadline: plan.verificationDeadline,
    reminderAt: plan.reminderAt,
    calendar: plan.calendar,
    headcount: lines.length,
    totalMinor: sum(lines),
    rulesVersion: incentiveRules.version,
  },
});

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
