/**
 * Monthly incentive persistence (workflows/incentive/workflow.ts). Every activity is idempotent: a retry after a crash
 * (worker, database) finds its own earlier write and does nothing more. Business times come in as arguments
 * (workflow time).
 */
import { historyColumns } from './history.js';
import type { CalendarLookup } from '../domain/calendar.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { PrismaClient } from '../platform/db.js';
import { type GeneratedIncentive, type IncentiveLine, type IncentiveStatus, incentiveId, incentiveWorkflowId } from '../workflows/incentive/contract.js';
import { failClosed } from './calendar.js';
import { appendDeadlineChanged } from './deadline-changed.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import { adjustLines, generateIncentives, storedIncentives, sum } from './incentive-lines.js';
import { recordOnce } from './kit/events.js';
import { appendOutbox } from './kit/outbox.js';
import { json, stateColumns } from './kit/read-model.js';

import { planVerificationDeadline, type VerificationPlan } from '../domain/verification-deadline.js';
export type { VerificationPlan };
import { INCENTIVE_EXPIRED_TOPIC, INCENTIVE_REMINDER_TOPIC as REMINDER_TOPIC, INCENTIVE_VERIFIED_TOPIC } from '../domain/events.js';

/** One reminder per incentive and verification deadline (domain/reminders.ts): a moved deadline is announced again. */
export const reminderDedupeKey = (id: string, verificationDeadline: string) => `incentive-reminder-${id}-${verificationDeadline}`;
/** Outcomes announced to webhooks (domain/events.ts), appended with the transition; one per incentive. */
export const OUTCOME_TOPICS: Partial<Record<IncentiveStatus, string>> = { VERIFIED: INCENTIVE_VERIFIED_TOPIC, EXPIRED: INCENTIVE_EXPIRED_TOPIC };
export const outcomeDedupeKey = (id: string, status: IncentiveStatus) => `incentive-${status.toLowerCase()}-${id}`;

/** The incentive as persisted, what the workflow adopts: defined with the workflow's input (workflows/incentive/contract.ts). */
export type { GeneratedIncentive };

export type IncentiveTransitionRecord = {
  incentiveId: string;
  seq: number;
  type: 'VERIFIED' | 'OBJECTED' | 'OBJECTION_RESOLVED' | 'OBJECTION_REJECTED' | 'EXPIRED' | 'DEADLINE_CHANGED';
  fromStatus: IncentiveStatus;
  toStatus: IncentiveStatus;
  actor: string;
  at: string;
  reasonCode?: string;
  note?: string;
  data?: Record<string, unknown>;
  /** OBJECTION_RESOLVED: the lines after the adjustments (replace the stored amounts; missing lines are removed). */
  lines?: IncentiveLine[];
  /** VERIFIED: the settlement, written in the same transaction as the transition. */
  settlement?: { partnerId: string; period: string; amountMinor: number; currency: string };
  /** DEADLINE_CHANGED: the recomputed plan (reminderAt: the one in force), moved onto the row with the history entry. */
  replanned?: VerificationPlan;
};

/** The reminder's message: which incentive, the deadline it announces, and whether that deadline is provisional. */
export type IncentiveReminder = {
  incentiveId: string;
  partnerId: string;
  period: string;
  verificationDeadline: string;
  dueAt: string;
  deadlineProvisional?: true;
  provisionalYears?: number[];
};

/**
 * The calendar change's query for incentives (AFFECTED_PROCESSES): pending ones (PENDING_VERIFICATION or OBJECTED,
 * deadline not yet past) of partners counting in the changed calendar whose window (generatedAt … verificationDeadline,
 * local dates in the row's zone) holds a changed date; every pending one of a moved partner. Keyset on the id.
 */
export async function affectedIncentives(q: AffectedQuery): Promise<AffectedRows> {
  const rows = q.partnerId
    ? await q.prisma.$queryRaw<{ id: string; partnerId: string; period: string }[]>`
        SELECT id, partner_id AS "partnerId", period FROM incentive
        WHERE partner_id = ${q.partnerId} AND status IN ('PENDING_VERIFICATION', 'OBJECTED') AND verification_deadline > ${q.now} AND id > ${q.after}
        ORDER BY id LIMIT ${q.limit}`
    : await q.prisma.$queryRaw<{ id: string; partnerId: string; period: string }[]>`
        SELECT i.id, i.partner_id AS "partnerId", i.period FROM incentive i LEFT JOIN partner_calendar pc ON pc.partner_id = i.partner_id
        WHERE i.status IN ('PENDING_VERIFICATION', 'OBJECTED') AND i.verification_deadline > ${q.now}
          AND COALESCE(pc.calendar_name, ${q.defaultCalendar}) = ${q.calendar}
          AND (${q.everyDate} OR EXISTS (
            SELECT 1 FROM unnest(${q.dates}::date[]) AS d
            WHERE d BETWEEN (i.generated_at AT TIME ZONE i.zone)::date AND (i.verification_deadline AT TIME ZONE i.zone)::date))
          AND i.id > ${q.after}
        ORDER BY i.id LIMIT ${q.limit}`;
  return rows.map((r) => ({ workflowId: incentiveWorkflowId(r.partnerId, r.period), key: r.id }));
}

export type IncentiveActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup };

/** DEADLINE_CHANGED: the recomputed plan replaces the stored deadline, reminder, explanation and calendar. */
const replannedColumns = (p: VerificationPlan) => ({
  verificationDeadline: new Date(p.verificationDeadline),
  reminderAt: new Date(p.reminderAt),
  deadlineExplanation: json(p.explanation),
  calendar: p.calendar,
  zone: p.zone,
});

export function createIncentiveActivities({ prisma, calendarFor = databaseCalendarLookup(prisma) }: IncentiveActivityDeps) {
  const load = async (id: string): Promise<GeneratedIncentive | undefined> => (await storedIncentives(prisma, [id])).get(id);

  return {
    /**
     * Computes the lines (every active expert of the partner that qualifies for the period), plans the deadline
     * and the reminder from `generatedAt` in the partner's calendar, and persists incentive + lines + GENERATED
     * at once. When the incentive already exists (a retry, or a second start for the same partner and period)
     * it creates nothing and answers the stored incentive, whatever the experts look like now.
     */
    async generateIncentive({ partnerId, period, generatedAt }: { partnerId: string; period: string; generatedAt: string }): Promise<GeneratedIncentive> {
      const id = incentiveId(partnerId, period);
      const existing = await load(id);
      if (existing) return existing;
      const [failed] = await generateIncentives({ prisma, calendarFor }, { partnerIds: [partnerId], period, generatedAt });
      if (failed) throw failed.failure;
      return (await load(id))!; // generated here, or concurrently: the first one stands, and this start adopts it
    },

    /** The plan for the stored `generatedAt` with the partner's calendar as it is now (deadline recomputation). */
    async planVerificationDeadline({ partnerId, generatedAt }: { partnerId: string; generatedAt: string }): Promise<VerificationPlan> {
      const { calendar } = await calendarFor(partnerId);
      return failClosed(() => planVerificationDeadline(new Date(generatedAt), calendar));
    },

    /**
     * One transition with its history row; DEADLINE_CHANGED also moves the stored deadline and, when it moved, tells
     * the partner (incentive.deadline-changed), in the same transaction.
     */
    async recordIncentiveTransition(t: IncentiveTransitionRecord): Promise<void> {
      const at = new Date(t.at);
      const { incentiveId } = t;
      await recordOnce(
        prisma,
        (tx) => tx.incentiveEvent.createMany({ data: [{ incentiveId, ...historyColumns(t), reasonCode: t.reasonCode ?? null }], skipDuplicates: true }),
        async (tx) => {
          if (t.lines) await adjustLines(tx, incentiveId, t.lines);
          const row = await tx.incentive.update({
            where: { id: incentiveId },
            data: {
              ...stateColumns(t),
              ...(t.lines ? { headcount: t.lines.length, totalMinor: BigInt(sum(t.lines)) } : {}),
              ...(t.replanned ? replannedColumns(t.replanned) : {}),
            },
          });
          if (t.replanned) {
            const { from, reasons } = t.data as { from: string; reasons?: string[] };
            const { verificationDeadline: to, explanation } = t.replanned;
            const ids = { incentiveId, period: row.period };
            await appendDeadlineChanged(tx, { process: 'incentive', aggregateId: incentiveId, seq: t.seq, partnerId: row.partnerId, deadline: 'verificationDeadline', from, to, explanation, reasons, at: t.at, ids });
          }
          const topic = OUTCOME_TOPICS[t.toStatus];
          if (topic) {
            // The outcome event, in the transaction of the transition: a failed transition emits nothing.
            const payload = { incentiveId, partnerId: row.partnerId, period: row.period, status: t.toStatus, at: t.at };
            await appendOutbox(tx, { topic, aggregateId: incentiveId, dedupeKey: outcomeDedupeKey(incentiveId, t.toStatus), payload, dueAt: t.at });
          }
          if (t.settlement) {
            // Exactly once: incentive_id is unique, and this runs only with the (unique) VERIFIED event.
            await tx.settlement.createMany({
              data: [{ incentiveId, ...t.settlement, amountMinor: BigInt(t.settlement.amountMinor), settledAt: at }],
              skipDuplicates: true,
            });
          }
        },
      );
    },

    /**
     * Appends the reminder to the outbox once per deadline it announces; activities/index.ts announces it to the relay.
     * A provisional deadline says so (workflows/kit/shared.ts provisionalPayload).
     */
    async enqueueIncentiveReminder(r: IncentiveReminder): Promise<void> {
      const { incentiveId, partnerId, period, verificationDeadline, deadlineProvisional, provisionalYears } = r;
      await appendOutbox(prisma, {
        topic: REMINDER_TOPIC,
        aggregateId: incentiveId,
        dedupeKey: reminderDedupeKey(incentiveId, verificationDeadline),
        payload: { incentiveId, partnerId, period, verificationDeadline, ...(deadlineProvisional ? { deadlineProvisional, provisionalYears } : {}) },
        dueAt: r.dueAt,
      });
    },
  };
}
