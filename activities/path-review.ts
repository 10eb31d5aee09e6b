/**
 * Annual development-path review persistence (workflows/path-review/workflow.ts). Every activity is idempotent: a retry after
 * a crash finds its own earlier write and does nothing more. Business times come in as arguments (workflow time).
 * The outcome's membership change (activities/path-memberships.ts) is written in the transaction of the final
 * transition, once: that transition's event row (review_id, seq) and the change row (review_id) are both unique. What
 * path review shares with certification (materials, deadlines, history, outbox): activities/kit/.
 */
import type { BusinessCalendar, CalendarLookup, DeadlineExplanation } from '../domain/calendar.js';
import { evaluateRequirements, levelAfterFailure, pathById } from '../domain/development-paths.js';
import type { PrismaClient } from '../platform/db.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import { Prisma } from '../prisma/generated/client.js';
import {
  lapsedDedupeKey,
  PATH_REVIEW_LAPSED_TOPIC,
  PATH_REVIEW_MATERIAL_OWNER,
  type PathReviewDecision,
  Refusal,
  type PathReviewStatus,
  type PathReviewTerms,
  pathReviewId,
  type PathReviewInput,
  pathReviewWorkflowId,
  type RequirementItem,
  WINDOW_REMINDER_DAYS,
  type WindowReminder,
} from '../workflows/path-review/contract.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import { failClosed } from './calendar.js';
import { historyColumns } from './history.js';
import { recordOnce } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { currentMaterial, isOwnMaterial, type MaterialSet } from './kit/materials.js';
import { appendOutbox, appendRecordedDeadlineChange, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';
import { explanationColumn, instants, json, stateColumns } from './kit/read-model.js';
import { applyMembershipChange, type MembershipChange } from './path-memberships.js';

export type PathReviewTransitionRecord = {
  reviewId: string;
  seq: number;
  type: 'APPLIED' | 'MATERIAL_SET' | 'SUBMITTED' | 'SUPPLEMENT_REQUESTED' | 'SUPPLEMENTED' | 'PASSED' | 'FAILED' | 'LAPSED' | 'DEADLINE_CHANGED';
  fromStatus: PathReviewStatus;
  toStatus: PathReviewStatus;
  actor: string;
  at: string;
  note?: string;
  data?: Record<string, unknown>;
  /** Review columns this transition sets (null clears). */
  columns?: {
    appliedAt?: string;
    submittedAt?: string;
    supplementDeadline?: string | null;
    decidedAt?: string;
    decision?: PathReviewDecision;
    decisionNote?: string;
    newLevel?: string | null;
    /** DEADLINE_CHANGED of the window: its new end and reminder instants. */
    windowEndsAt?: string;
    reminderTimes?: { days: number; at: string }[];
  };
  /** MATERIAL_SET: the current material of this kind. */
  material?: MaterialSet;
  /** PASSED (level raised), FAILED, LAPSED: the membership change, written in the same transaction. */
  membership?: MembershipChange;
};

/** The window's end and its reminder instants, counted from the cycle's start in the partner's calendar. */
export type PathReviewWindowPlan = { windowEndsAt: string; reminders: { days: number; at: string }[]; explanation: DeadlineExplanation };

/**
 * Pure: cycleStartedAt + windowWorkingDays working days, and the reminders 10 and 3 working days before it (window − N
 * working days from the same start); reminders the window is too short for are left out. Fails closed.
 */
export function planPathReviewWindow(calendar: BusinessCalendar, cycleStartedAt: string, windowWorkingDays: number): PathReviewWindowPlan {
  const from = new Date(cycleStartedAt);
  const window = failClosed(() => calendar.addWorkingDays(from, windowWorkingDays));
  const reminders = WINDOW_REMINDER_DAYS.filter((days) => windowWorkingDays > days).map((days) => ({
    days,
    at: failClosed(() => calendar.addWorkingDays(from, windowWorkingDays - days)).deadline.toISOString(),
  }));
  return { windowEndsAt: window.deadline.toISOString(), reminders, explanation: window.explanation };
}

/** The opened review; `explanation`: how windowEndsAt was counted at the opening (absent for reviews opened before it was returned). */
export type OpenedPathReview = { openedAt: string; terms: PathReviewTerms; windowEndsAt: string; reminders: WindowReminder[]; seq: number; explanation?: DeadlineExplanation };

export type PathReviewActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup };

export function createPathReviewActivities({ prisma, calendarFor = databaseCalendarLookup(prisma) }: PathReviewActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);
  const loadOpened = async (id: string): Promise<OpenedPathReview | undefined> => {
    const row = await prisma.pathReview.findUnique({ where: { id }, include: { events: { where: { type: 'OPENED' } } } });
    if (!row) return undefined;
    const reminders = (row.reminderTimes as { days: number; at: string }[]).map((r) => ({ ...r, sent: false }));
    const explanation = (row.events[0]?.data as { explanation?: DeadlineExplanation } | null)?.explanation;
    return {
      openedAt: row.openedAt.toISOString(),
      terms: row.terms as PathReviewTerms,
      windowEndsAt: row.windowEndsAt.toISOString(),
      reminders,
      seq: row.lastSeq,
      ...(explanation ? { explanation } : {}),
    };
  };

  return {
    /**
     * Opens the review: copies the path's terms, computes the window's end (cycleStartedAt + the path's window
     * working days in the partner's calendar; fails closed) and the reminder instants (10 and 3 working days
     * before it, i.e. window − N working days counted from the same start), and persists OPEN with OPENED (seq 1).
     * An existing review (a retry) is adopted. Reminders the window is too short for are left out.
     */
    async openPathReview(input: PathReviewInput & { openedAt: string }): Promise<OpenedPathReview> {
      const id = pathReviewId(input.pathId, input.partnerId, input.year);
      const existing = await loadOpened(id);
      if (existing) return existing;
      const path = pathById(input.pathId);
      if (!path) throw invalid(Refusal.invalid, `${input.pathId} is not a development path.`);
      if (!path.levels.some((l) => l.level === input.level)) throw invalid(Refusal.invalid, `${input.pathId} has no level ${input.level}.`);
      const terms: PathReviewTerms = {
        pathName: path.name,
        materials: [...path.review.materials],
        windowWorkingDays: path.review.windowWorkingDays,
        levels: path.levels.map((l) => l.level),
        levelAfterFailure: levelAfterFailure(path, input.level),
      };
      const { calendar } = await calendarFor(input.partnerId);
      const { windowEndsAt, reminders, explanation } = planPathReviewWindow(calendar, input.cycleStartedAt, terms.windowWorkingDays);
      const at = new Date(input.openedAt);
      // Opened concurrently: the first one stands, and this start adopts it.
      await recordOnce(
        prisma,
        (tx) =>
          tx.pathReview.createMany({
            data: [
              {
                id,
                pathId: input.pathId,
                partnerId: input.partnerId,
                year: input.year,
                level: input.level,
                status: 'OPEN',
                terms: json(terms),
                cycleStartedAt: new Date(input.cycleStartedAt),
                openedAt: at,
                windowEndsAt: new Date(windowEndsAt),
                reminderTimes: reminders,
                deadlineExplanation: json(explanation),
                lastSeq: 1,
                updatedAt: at,
              },
            ],
            skipDuplicates: true,
          }),
        (tx) =>
          tx.pathReviewEvent.create({
            data: { reviewId: id, seq: 1, type: 'OPENED', toStatus: 'OPEN', actor: 'system', at, data: json({ terms, windowEndsAt, explanation, reminders }) },
          }),
      );
      return (await loadOpened(id))!;
    },

    /** Every requirement item of `level` on the path, met or not, against the partner's live facts on the local date of `at`. */
    async evaluatePathRequirements({ pathId, partnerId, level, at }: { pathId: string; partnerId: string; level: string; at: string }): Promise<{ today: string; results: RequirementItem[] }> {
      const path = pathById(pathId);
      if (!path) throw invalid(Refusal.invalid, `${pathId} is no longer a development path.`);
      const { today, facts } = await partner.factsOn(partnerId, at);
      return { today, results: evaluateRequirements(path, level, facts, today).map(({ description, required, actual, met }) => ({ description, required, actual, met })) };
    },

    /** Whether `materialId` is an upload of this review (owner) and partner. */
    async findPathReviewMaterial({ reviewId, partnerId, materialId }: { reviewId: string; partnerId: string; materialId: string }): Promise<boolean> {
      return isOwnMaterial(prisma, { ownerKind: PATH_REVIEW_MATERIAL_OWNER, ownerId: reviewId, partnerId, materialId });
    },

    /**
     * `workingDays` working days from `from` in the partner's calendar (fails closed), and given `remindBefore`, its
     * reminder's instant that many working days before it.
     */
    async planPathReviewDeadline(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return partner.planWorkingDays(a);
    },

    /** The window planned again from the cycle's start with the partner's calendar as it is now (deadline recomputation). */
    async planPathReviewWindow({ partnerId, cycleStartedAt, windowWorkingDays }: { partnerId: string; cycleStartedAt: string; windowWorkingDays: number }): Promise<PathReviewWindowPlan> {
      const { calendar } = await calendarFor(partnerId);
      return planPathReviewWindow(calendar, cycleStartedAt, windowWorkingDays);
    },

    /**
     * One transition and its history row in one transaction, with the review columns it sets (DEADLINE_CHANGED: the
     * moved windowEndsAt and reminder times, or supplementDeadline, and path-review.deadline-changed when it moved) and,
     * for an outcome, the membership change; LAPSED also tells which deadline passed (path-review.lapsed). A transition
     * whose data explains a deadline (SUPPLEMENT_REQUESTED, DEADLINE_CHANGED) set the pending one: its explanation is
     * the row's deadlineExplanation.
     */
    async recordPathReviewTransition(t: PathReviewTransitionRecord): Promise<void> {
      const at = new Date(t.at);
      const { reviewId } = t;
      await recordOnce(
        prisma,
        (tx) => tx.pathReviewEvent.createMany({ data: [{ reviewId, ...historyColumns(t) }], skipDuplicates: true }),
        async (tx) => {
          const c = t.columns ?? {};
          const row = await tx.pathReview.update({
            where: { id: reviewId },
            data: {
              ...stateColumns(t),
              ...instants(c, 'appliedAt', 'submittedAt', 'supplementDeadline', 'decidedAt'),
              decision: c.decision,
              decisionNote: c.decisionNote,
              newLevel: c.newLevel,
              ...(c.windowEndsAt ? { windowEndsAt: new Date(c.windowEndsAt) } : {}),
              ...(c.reminderTimes ? { reminderTimes: c.reminderTimes } : {}),
              ...explanationColumn(t.data),
            },
          });
          if (t.type === 'LAPSED') {
            const { fromLevel: _, newLevel, ...passed } = t.data as { fromLevel: string; newLevel: string | null; windowEndsAt?: string; supplementDeadline?: string };
            const deadline = passed.supplementDeadline ? 'supplementDeadline' : 'windowEndsAt';
            await appendOutbox(tx, {
              topic: PATH_REVIEW_LAPSED_TOPIC,
              aggregateId: reviewId,
              dedupeKey: lapsedDedupeKey(reviewId),
              dueAt: t.at,
              payload: { reviewId, pathId: row.pathId, partnerId: row.partnerId, year: row.year, deadline, ...passed, fromLevel: row.level, newLevel, lapsedAt: t.at },
            });
          }
          if (t.type === 'DEADLINE_CHANGED') {
            const ids = { reviewId, pathId: row.pathId };
            await appendRecordedDeadlineChange(tx, { process: 'path-review', aggregateId: reviewId, seq: t.seq, partnerId: row.partnerId, at: t.at, ids, data: t.data });
          }
          if (t.material) {
            await tx.pathReviewMaterial.upsert({ where: { reviewId_kind: { reviewId, kind: t.material.kind } }, ...currentMaterial({ reviewId }, t.material, at) });
          }
          if (t.membership) await applyMembershipChange(tx, t.membership, { reviewId, actor: t.actor, at, note: t.note ?? null });
        },
      );
    },

    /** Appends one message to the outbox, once per dedupe key (window reminders). */
    async enqueuePathReviewMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };
}

/**
 * The calendar change's query (activities/calendar-change.ts AFFECTED_PROCESSES): reviews with a pending deadline not
 * yet past — OPEN/APPLIED: the window cycleStartedAt … windowEndsAt; SUPPLEMENT_REQUESTED: the request …
 * supplementDeadline — of partners counting in the changed calendar, whose local dates (in the calendar's current
 * zone; a zone change is everyDate) hold a changed date. For a moved partner, all its pending deadlines.
 */
export async function affectedPathReviews(q: AffectedQuery): Promise<AffectedRows> {
  const pending = Prisma.sql`((r.status IN ('OPEN', 'APPLIED') AND r.window_ends_at > ${q.now}) OR (r.status = 'SUPPLEMENT_REQUESTED' AND r.supplement_deadline > ${q.now}))`;
  const rows = q.partnerId
    ? await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT r.id FROM path_review r
        WHERE r.partner_id = ${q.partnerId} AND ${pending} AND r.id > ${q.after}
        ORDER BY r.id LIMIT ${q.limit}`
    : await q.prisma.$queryRaw<{ id: string }[]>`
        WITH cal AS (SELECT zone FROM calendar_version WHERE calendar_name = ${q.calendar} ORDER BY version DESC LIMIT 1)
        SELECT r.id FROM path_review r CROSS JOIN cal LEFT JOIN partner_calendar pc ON pc.partner_id = r.partner_id
        WHERE ${pending} AND COALESCE(pc.calendar_name, ${q.defaultCalendar}) = ${q.calendar}
          AND (${q.everyDate} OR EXISTS (
            SELECT 1 FROM unnest(${q.dates}::date[]) AS d
            WHERE d BETWEEN (CASE WHEN r.status = 'SUPPLEMENT_REQUESTED'
                                  THEN (SELECT max(e.at) FROM path_review_event e WHERE e.review_id = r.id AND e.type = 'SUPPLEMENT_REQUESTED')
                                  ELSE r.cycle_started_at END AT TIME ZONE cal.zone)::date
                        AND (CASE WHEN r.status = 'SUPPLEMENT_REQUESTED' THEN r.supplement_deadline ELSE r.window_ends_at END AT TIME ZONE cal.zone)::date))
          AND r.id > ${q.after}
        ORDER BY r.id LIMIT ${q.limit}`;
  return rows.map((r) => ({ workflowId: pathReviewWorkflowId(r.id), key: r.id }));
}
