/**
 * Annual development-path review persistence (workflows/path-review.ts). Every activity is idempotent: a retry after
 * a crash finds its own earlier write and does nothing more. Business times come in as arguments (workflow time).
 * The outcome's membership change is written in the transaction of the final transition, once: that transition's
 * event row (review_id, seq) and the change row (review_id) are both unique.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CalendarLookup, DeadlineExplanation } from '../domain/calendar.js';
import { evaluateRequirements, levelAfterFailure, pathById } from '../domain/development-paths.js';
import type { PrismaClient } from '../platform/db.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { Prisma } from '../prisma/generated/client.js';
import {
  PATH_REVIEW_MATERIAL_OWNER,
  type PathReviewDecision,
  PathReviewRefusal,
  type PathReviewStatus,
  type PathReviewTerms,
  pathReviewId,
  type PathReviewInput,
  type RequirementItem,
  WINDOW_REMINDER_DAYS,
  type WindowReminder,
} from '../workflows/path-review-contract.js';
import { failClosed } from './calendar.js';
import { localDate } from './certification-dates.js';
import { historyColumns } from './history.js';
import { loadPartnerFacts } from './partner-facts.js';

export type PathReviewTransitionRecord = {
  reviewId: string;
  seq: number;
  type: 'APPLIED' | 'MATERIAL_SET' | 'SUBMITTED' | 'SUPPLEMENT_REQUESTED' | 'SUPPLEMENTED' | 'PASSED' | 'FAILED' | 'LAPSED';
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
  };
  /** MATERIAL_SET: the current material of this kind. */
  material?: { kind: string; materialId: string };
  /** PASSED (level raised), FAILED, LAPSED: the membership change, written in the same transaction. */
  membership?: { partnerId: string; pathId: string; fromLevel: string; toLevel: string | null; reason: 'REVIEW_PASSED' | 'REVIEW_FAILED' | 'REVIEW_LAPSED' };
};

export type OpenedPathReview = { openedAt: string; terms: PathReviewTerms; windowEndsAt: string; reminders: WindowReminder[]; seq: number };

export type PathReviewActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup };

const invalid = (type: string, message: string) => ApplicationFailure.nonRetryable(message, type);
const instant = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v));

export function createPathReviewActivities({ prisma, calendarFor = databaseCalendarLookup(prisma) }: PathReviewActivityDeps) {
  const loadOpened = async (id: string): Promise<OpenedPathReview | undefined> => {
    const row = await prisma.pathReview.findUnique({ where: { id } });
    if (!row) return undefined;
    const reminders = (row.reminderTimes as { days: number; at: string }[]).map((r) => ({ ...r, sent: false }));
    return { openedAt: row.openedAt.toISOString(), terms: row.terms as PathReviewTerms, windowEndsAt: row.windowEndsAt.toISOString(), reminders, seq: row.lastSeq };
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
      if (!path) throw invalid(PathReviewRefusal.invalid, `${input.pathId} is not a development path.`);
      if (!path.levels.some((l) => l.level === input.level)) throw invalid(PathReviewRefusal.invalid, `${input.pathId} has no level ${input.level}.`);
      const terms: PathReviewTerms = {
        pathName: path.name,
        materials: [...path.review.materials],
        windowWorkingDays: path.review.windowWorkingDays,
        levels: path.levels.map((l) => l.level),
        levelAfterFailure: levelAfterFailure(path, input.level),
      };
      const { calendar } = await calendarFor(input.partnerId);
      const from = new Date(input.cycleStartedAt);
      const window = failClosed(() => calendar.addWorkingDays(from, terms.windowWorkingDays));
      const reminders = WINDOW_REMINDER_DAYS.filter((days) => terms.windowWorkingDays > days).map((days) => ({
        days,
        at: failClosed(() => calendar.addWorkingDays(from, terms.windowWorkingDays - days)).deadline.toISOString(),
      }));
      const at = new Date(input.openedAt);
      await prisma.$transaction(async (tx) => {
        const created = await tx.pathReview.createMany({
          data: [
            {
              id,
              pathId: input.pathId,
              partnerId: input.partnerId,
              year: input.year,
              level: input.level,
              status: 'OPEN',
              terms: terms as unknown as Prisma.InputJsonValue,
              cycleStartedAt: from,
              openedAt: at,
              windowEndsAt: window.deadline,
              reminderTimes: reminders,
              lastSeq: 1,
              updatedAt: at,
            },
          ],
          skipDuplicates: true,
        });
        if (created.count === 0) return; // opened concurrently: the first one stands
        await tx.pathReviewEvent.create({
          data: {
            reviewId: id,
            seq: 1,
            type: 'OPENED',
            toStatus: 'OPEN',
            actor: 'system',
            at,
            data: { terms, windowEndsAt: window.deadline.toISOString(), explanation: window.explanation, reminders } as unknown as Prisma.InputJsonValue,
          },
        });
      });
      return (await loadOpened(id))!;
    },

    /** Every requirement item of `level` on the path, met or not, against the partner's live facts on the local date of `at`. */
    async evaluatePathRequirements({ pathId, partnerId, level, at }: { pathId: string; partnerId: string; level: string; at: string }): Promise<{ today: string; results: RequirementItem[] }> {
      const path = pathById(pathId);
      if (!path) throw invalid(PathReviewRefusal.invalid, `${pathId} is no longer a development path.`);
      const today = localDate(at, (await calendarFor(partnerId)).calendar.zone);
      const facts = await loadPartnerFacts(prisma, partnerId);
      return { today, results: evaluateRequirements(path, level, facts, today).map(({ description, required, actual, met }) => ({ description, required, actual, met })) };
    },

    /** Whether `materialId` is an upload of this review (owner) and partner. */
    async findPathReviewMaterial({ reviewId, partnerId, materialId }: { reviewId: string; partnerId: string; materialId: string }): Promise<boolean> {
      const row = await prisma.material.findFirst({ where: { id: materialId, ownerKind: PATH_REVIEW_MATERIAL_OWNER, ownerId: reviewId, partnerId }, select: { id: true } });
      return row !== null;
    },

    /** `workingDays` working days from `from` in the partner's calendar (fails closed). */
    async planPathReviewDeadline({ partnerId, from, workingDays }: { partnerId: string; from: string; workingDays: number }): Promise<{ deadline: string; explanation: DeadlineExplanation }> {
      const { calendar } = await calendarFor(partnerId);
      const { deadline, explanation } = failClosed(() => calendar.addWorkingDays(new Date(from), workingDays));
      return { deadline: deadline.toISOString(), explanation };
    },

    async recordPathReviewTransition(t: PathReviewTransitionRecord): Promise<void> {
      const at = new Date(t.at);
      await prisma.$transaction(async (tx) => {
        const inserted = await tx.pathReviewEvent.createMany({ data: [{ reviewId: t.reviewId, ...historyColumns(t) }], skipDuplicates: true });
        if (inserted.count === 0) return; // a retry: already recorded
        const c = t.columns ?? {};
        await tx.pathReview.update({
          where: { id: t.reviewId },
          data: {
            status: t.toStatus,
            lastSeq: t.seq,
            updatedAt: at,
            appliedAt: instant(c.appliedAt),
            submittedAt: instant(c.submittedAt),
            supplementDeadline: instant(c.supplementDeadline),
            decidedAt: instant(c.decidedAt),
            decision: c.decision,
            decisionNote: c.decisionNote,
            newLevel: c.newLevel,
          },
        });
        if (t.material) {
          const key = { reviewId: t.reviewId, kind: t.material.kind };
          await tx.pathReviewMaterial.upsert({
            where: { reviewId_kind: key },
            create: { ...key, materialId: t.material.materialId, setAt: at },
            update: { materialId: t.material.materialId, setAt: at },
          });
        }
        const m = t.membership;
        if (m) {
          // Exactly once per review: review_id is unique among the changes.
          const change = await tx.pathMembershipChange.createMany({
            data: [{ partnerId: m.partnerId, pathId: m.pathId, fromLevel: m.fromLevel, toLevel: m.toLevel, reason: m.reason, reviewId: t.reviewId, actor: t.actor, at, note: t.note ?? null }],
            skipDuplicates: true,
          });
          if (change.count === 0) return;
          const key = { partnerId: m.partnerId, pathId: m.pathId };
          if (m.toLevel === null) await tx.pathMembership.deleteMany({ where: key });
          else {
            await tx.pathMembership.upsert({
              where: { partnerId_pathId: key },
              create: { ...key, level: m.toLevel, since: at, updatedAt: at },
              update: { level: m.toLevel, since: at, updatedAt: at },
            });
          }
        }
      });
    },

    /** Appends one message to the outbox, once per dedupe key (window reminders). */
    async enqueuePathReviewMessage(m: { topic: string; aggregateId: string; dedupeKey: string; payload: Record<string, unknown>; dueAt: string }): Promise<void> {
      await prisma.outbox.createMany({
        data: [{ topic: m.topic, aggregateId: m.aggregateId, dedupeKey: m.dedupeKey, payload: m.payload as Prisma.InputJsonValue, dueAt: new Date(m.dueAt) }],
        skipDuplicates: true,
      });
    },
  };
}
