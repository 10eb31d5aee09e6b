/**
 * Level raise persistence (workflows/level-raise/workflow.ts). Every activity is idempotent: a retry after a crash finds
 * its own earlier write and does nothing more. Business times come in as arguments (workflow time).
 *
 * The submission decides eligibility in the transaction that records it: the partner's membership of the path is
 * locked, the LEVEL_UP rules (domain/eligibility.ts) are evaluated on the facts as they are then, and a refusal lists
 * every unmet reason; the database keeps one open raise per partner and path (level_raise.open_key, unique). The
 * approval moves the level in the transaction that records it, exactly once: its history row (raise, seq) and its
 * membership change (level_raise_id) are unique, and a level that is no longer the raise's fromLevel refuses it.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CalendarLookup } from '../domain/calendar.js';
import type { Unmet } from '../domain/eligibility.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import { isUniqueViolation, type PrismaClient } from '../platform/db.js';
import { levelUpContextOf, levelUpEligibility } from '../platform/partner-account.js';
import {
  DEFAULT_LEVEL_RAISE_REVIEW_SLA_WORKING_DAYS,
  LEVEL_RAISE_APPROVED_TOPIC,
  LEVEL_RAISE_REJECTED_TOPIC,
  LEVEL_RAISE_REMINDER_WORKING_DAYS,
  LEVEL_RAISE_REVIEW_ESCALATION_TOPIC,
  LEVEL_RAISE_SUBMITTED_TOPIC,
  LEVEL_RAISE_WITHDRAWN_TOPIC,
  type LevelRaiseInput,
  type LevelRaiseStatus,
  type LevelRaiseSubmission,
  levelRaiseOutcomeKey,
  levelRaiseWorkflowId,
  Refusal,
} from '../workflows/level-raise/contract.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import { historyColumns } from './history.js';
import { affectedSubmittedReviews } from './kit/affected-reviews.js';
import { recordOnce, type Tx } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { appendOutbox, appendRecordedDeadlineChange, type OutboxMessage } from './kit/outbox.js';
import { localDate, partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';
import { explanationColumn, instants, json, stateColumns } from './kit/read-model.js';

export type LevelRaiseTransitionRecord = {
  raiseId: string;
  seq: number;
  type: 'APPROVED' | 'REJECTED' | 'WITHDRAWN' | 'REVIEW_ESCALATED' | 'DEADLINE_CHANGED';
  fromStatus: LevelRaiseStatus;
  toStatus: LevelRaiseStatus;
  actor: string;
  at: string;
  note?: string;
  data?: Record<string, unknown>;
  /** Raise columns this transition sets; DEADLINE_CHANGED moves reviewDueAt. */
  columns?: { reviewDueAt?: string; decidedAt?: string; decisionNote?: string; withdrawnAt?: string };
};

/** The outcome each transition announces (its outbox topic); one message of each per raise. */
export const LEVEL_RAISE_OUTCOME_TOPICS: Partial<Record<LevelRaiseTransitionRecord['type'], string>> = {
  APPROVED: LEVEL_RAISE_APPROVED_TOPIC,
  REJECTED: LEVEL_RAISE_REJECTED_TOPIC,
  WITHDRAWN: LEVEL_RAISE_WITHDRAWN_TOPIC,
  REVIEW_ESCALATED: LEVEL_RAISE_REVIEW_ESCALATION_TOPIC,
};

/** `levelRaiseReviewSlaWorkingDays`: the vendor's review SLA for raises submitted from now on (stored with each one). */
export type LevelRaiseActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup; levelRaiseReviewSlaWorkingDays?: number };

/** The refusal of a partner that cannot ask: every unmet reason (code and evidence) in its details. */
const ineligible = (unmet: Unmet[]) =>
  ApplicationFailure.create({ type: Refusal.ineligible, message: `The partner cannot ask for the next level: ${unmet.map((u) => u.code).join(', ')}.`, nonRetryable: true, details: [unmet] });

/** The partner's membership row of the path, locked until the transaction ends (raises and reviews wait for each other). */
async function lockedLevel(tx: Tx, partnerId: string, pathId: string): Promise<string | null> {
  const rows = await tx.$queryRaw<{ level: string }[]>`SELECT level FROM path_membership WHERE partner_id = ${partnerId} AND path_id = ${pathId} FOR UPDATE`;
  return rows[0]?.level ?? null;
}

export function createLevelRaiseActivities({ prisma, calendarFor = databaseCalendarLookup(prisma), levelRaiseReviewSlaWorkingDays = DEFAULT_LEVEL_RAISE_REVIEW_SLA_WORKING_DAYS }: LevelRaiseActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);
  const loadSubmission = async (id: string): Promise<LevelRaiseSubmission | undefined> => {
    const row = await prisma.levelRaise.findUnique({ where: { id } });
    if (!row) return undefined;
    const first = await prisma.levelRaiseEvent.findUniqueOrThrow({ where: { raiseId_seq: { raiseId: id, seq: 1 } } });
    const plan = first.data as { reviewDueAt: string; explanation: LevelRaiseSubmission['explanation']; reminderAt?: string };
    return {
      submittedAt: row.submittedAt.toISOString(),
      reviewSlaWorkingDays: row.reviewSlaWorkingDays,
      reviewDueAt: plan.reviewDueAt,
      explanation: plan.explanation,
      ...(plan.reminderAt ? { reminderAt: plan.reminderAt } : {}),
      seq: 1,
    };
  };

  return {
    /**
     * Counts the review due date from `submittedAt` in the partner's calendar (fails closed), then — in one
     * transaction, the membership locked — checks the LEVEL_UP rules on the local date of the submission, that the
     * level is still `fromLevel`, and records the SUBMITTED raise (seq 1) with its level-raise.submitted message. A
     * retry finds the raise and answers it.
     */
    async submitLevelRaise(input: LevelRaiseInput & { submittedAt: string }): Promise<LevelRaiseSubmission> {
      const existing = await loadSubmission(input.raiseId);
      if (existing) return existing;
      const workingDays = levelRaiseReviewSlaWorkingDays;
      const due = await partner.planWorkingDays({ partnerId: input.partnerId, from: input.submittedAt, workingDays, remindBefore: LEVEL_RAISE_REMINDER_WORKING_DAYS });
      const today = localDate(input.submittedAt, await partner.zoneOf(input.partnerId));
      const at = new Date(input.submittedAt);
      const { raiseId, partnerId, pathId, fromLevel, toLevel } = input;
      try {
        await prisma.$transaction(async (tx) => {
          const level = await lockedLevel(tx, partnerId, pathId);
          // An earlier attempt that committed while this one waited for the lock recorded this very raise: adopt it.
          if (await tx.levelRaise.findUnique({ where: { id: raiseId }, select: { id: true } })) return;
          if (level !== fromLevel) throw invalid(Refusal.levelChanged, `The partner's level on ${pathId} is ${level ?? 'none'}, no longer ${fromLevel ?? 'none'}.`);
          const context = await levelUpContextOf(tx, partnerId, pathId, today);
          if (!context) throw invalid(Refusal.unknownPath, `${pathId} is not a development path.`);
          const { unmet } = await levelUpEligibility(tx, partnerId, context);
          if (unmet.length) throw ineligible(unmet);
          await tx.levelRaise.create({
            data: {
              id: raiseId,
              partnerId,
              pathId,
              fromLevel,
              toLevel,
              status: 'SUBMITTED',
              requestedBy: input.requestedBy,
              submittedAt: at,
              reviewSlaWorkingDays: workingDays,
              reviewDueAt: new Date(due.deadline),
              deadlineExplanation: json(due.explanation),
              lastSeq: 1,
              updatedAt: at,
            },
          });
          const data = { fromLevel, toLevel, today, reviewSlaWorkingDays: workingDays, reviewDueAt: due.deadline, explanation: due.explanation, ...(due.reminderAt ? { reminderAt: due.reminderAt } : {}) };
          await tx.levelRaiseEvent.create({ data: { raiseId, seq: 1, type: 'SUBMITTED', toStatus: 'SUBMITTED', actor: input.requestedBy, at, data: json(data) } });
          await appendOutbox(tx, {
            topic: LEVEL_RAISE_SUBMITTED_TOPIC,
            aggregateId: raiseId,
            dedupeKey: levelRaiseOutcomeKey(LEVEL_RAISE_SUBMITTED_TOPIC, raiseId),
            dueAt: input.submittedAt,
            payload: { raiseId, partnerId, pathId, fromLevel, toLevel, submittedAt: input.submittedAt, reviewDueAt: due.deadline, ...(due.explanation.provisional ? { deadlineProvisional: true } : {}) },
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The same raise recorded concurrently (a retry) is adopted; another open one refuses this one.
        const mine = await loadSubmission(raiseId);
        if (mine) return mine;
        throw invalid(Refusal.alreadyOpen, `Another level raise of ${partnerId} on ${pathId} is under review.`);
      }
      return (await loadSubmission(raiseId))!;
    },

    /** The review due date counted again (recomputeDeadline), with its reminder's instant. */
    async planLevelRaiseDeadline(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return partner.planWorkingDays(a);
    },

    /**
     * The approval, decided and recorded in one transaction: the membership locked and still at the raise's fromLevel
     * (else LEVEL_CHANGED, nothing written), then the level, its membership change (unique per raise), the history row
     * and level-raise.approved. A retry finds its history row and changes nothing.
     */
    async approveLevelRaise(t: LevelRaiseTransitionRecord): Promise<void> {
      await record(t, async (tx, row) => {
        const at = new Date(t.at);
        const level = await lockedLevel(tx, row.partnerId, row.pathId);
        if (level !== row.fromLevel) {
          throw invalid(Refusal.levelChanged, `The partner's level on ${row.pathId} is ${level ?? 'none'} now, no longer ${row.fromLevel ?? 'none'}: the raise to ${row.toLevel} cannot be approved.`);
        }
        const key = { partnerId: row.partnerId, pathId: row.pathId };
        await tx.pathMembershipChange.create({
          data: { ...key, fromLevel: row.fromLevel, toLevel: row.toLevel, reason: 'LEVEL_RAISED', levelRaiseId: row.id, actor: t.actor, at, note: t.note ?? null },
        });
        await tx.pathMembership.upsert({
          where: { partnerId_pathId: key },
          create: { ...key, level: row.toLevel, since: at, updatedAt: at },
          update: { level: row.toLevel, since: at, updatedAt: at },
        });
      });
    },

    /**
     * One transition and its history row in one transaction, with the raise columns it sets and the message it
     * announces: level-raise.rejected / withdrawn / review-escalation, level-raise.deadline-changed when the review due
     * date moved.
     */
    async recordLevelRaiseTransition(t: LevelRaiseTransitionRecord): Promise<void> {
      if (t.type === 'APPROVED') throw invalid(Refusal.invalid, 'An approval is recorded by approveLevelRaise.');
      await record(t, async () => undefined);
    },

    /** Appends one message to the outbox, once per dedupe key (the review reminder). */
    async enqueueLevelRaiseMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };

  /** The history row (once per raise and seq), `first` (the approval's level), the raise's columns and the outcome's message. */
  async function record(t: LevelRaiseTransitionRecord, first: (tx: Tx, row: { id: string; partnerId: string; pathId: string; fromLevel: string | null; toLevel: string }) => Promise<unknown>) {
    const { raiseId } = t;
    await recordOnce(
      prisma,
      (tx) => tx.levelRaiseEvent.createMany({ data: [{ raiseId, ...historyColumns(t) }], skipDuplicates: true }),
      async (tx) => {
        await first(tx, await tx.levelRaise.findUniqueOrThrow({ where: { id: raiseId } }));
        const c = t.columns ?? {};
        const row = await tx.levelRaise.update({
          where: { id: raiseId },
          data: {
            ...stateColumns(t),
            ...(c.reviewDueAt !== undefined ? { reviewDueAt: new Date(c.reviewDueAt) } : {}),
            ...instants(c, 'decidedAt', 'withdrawnAt'),
            ...(c.decisionNote !== undefined ? { decisionNote: c.decisionNote } : {}),
            ...(t.type === 'REVIEW_ESCALATED' ? { reviewEscalatedAt: new Date(t.at) } : {}),
            ...explanationColumn(t.data),
          },
        });
        const about = { raiseId, partnerId: row.partnerId, pathId: row.pathId, fromLevel: row.fromLevel, toLevel: row.toLevel };
        const topic = LEVEL_RAISE_OUTCOME_TOPICS[t.type];
        if (topic) {
          await appendOutbox(tx, {
            topic,
            aggregateId: raiseId,
            dedupeKey: levelRaiseOutcomeKey(topic, raiseId),
            dueAt: t.at,
            payload: { ...about, status: t.toStatus, at: t.at, actor: t.actor, ...(t.note ? { note: t.note } : {}), ...t.data },
          });
        }
        if (t.type === 'DEADLINE_CHANGED') {
          await appendRecordedDeadlineChange(tx, { process: 'level-raise', aggregateId: raiseId, seq: t.seq, partnerId: row.partnerId, at: t.at, ids: { raiseId }, data: t.data });
        }
      },
    );
  }
}

/**
 * Level raises with a pending review due date not yet past (SUBMITTED), whose window — the submission's local date …
 * reviewDueAt's, in the calendar's zone — holds a changed date (for a moved partner: every such raise of that partner).
 * For the calendar change propagation (activities/calendar-change.ts AFFECTED_PROCESSES), keyset by raise id.
 */
export const affectedLevelRaises = (q: AffectedQuery): Promise<AffectedRows> => affectedSubmittedReviews(q, 'level_raise', levelRaiseWorkflowId);
