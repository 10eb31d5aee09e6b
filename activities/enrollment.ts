/**
 * Enrollment persistence (workflows/enrollment/workflow.ts): joining a program, becoming a reseller (issue 17
 * section 3). Every activity is idempotent: a retry after a crash finds its own earlier write and does nothing more.
 * Business times come in as arguments (workflow time).
 *
 * The request decides eligibility in the transaction that records it (the program's rules, domain/eligibility.ts, a
 * refusal listing every unmet reason); the database keeps one open enrollment per partner and program
 * (enrollment.open_key, unique). Here: the request, the deadline plans, the transitions the workflow decides and its
 * messages; createEnrollmentActivities assembles them with the rest. The joining, decided and recorded in one
 * transaction (the instruments it voids, the membership fact, the partner's pending invitations it fails):
 * activities/enrollment-joining.ts. Invitations, their acceptance, decline and expiry:
 * activities/enrollment-invitation.ts. The tables are written in SQL: prisma/migrations/0024_enrollment.sql.
 */
import type { CalendarLookup } from '../domain/calendar.js';
import { DEFAULT_ENROLLMENT_DEADLINES, ENROLLMENT_POLICY } from '../domain/enrollment.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { PrismaClient } from '../platform/db.js';
import { programEligibility } from '../platform/partner-account.js';
import {
  ENROLLMENT_APPROVED_TOPIC,
  ENROLLMENT_CONFIRMATION_EXPIRED_TOPIC,
  ENROLLMENT_REJECTED_TOPIC,
  ENROLLMENT_REQUESTED_TOPIC,
  ENROLLMENT_REVIEW_ESCALATION_TOPIC,
  ENROLLMENT_WITHDRAWN_TOPIC,
  type EnrollmentInput,
  type EnrollmentRequest,
  type EnrollmentStatus,
  enrollmentOutcomeKey,
  Refusal,
} from '../workflows/enrollment/contract.js';
import { createInvitationActivities } from './enrollment-invitation.js';
import { createJoiningActivities } from './enrollment-joining.js';
import { type EnrollmentRow, ineligible, isUniqueViolation, loadRecordedRequest, lockPartner, plansOfRequest } from './enrollment-shared.js';
import { invalid } from './kit/failures.js';
import { appendOutbox, appendRecordedDeadlineChange, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';

export type EnrollmentTransitionRecord = {
  enrollmentId: string;
  seq: number;
  type: 'APPROVED' | 'REJECTED' | 'WITHDRAWN' | 'REVIEW_ESCALATED' | 'DEADLINE_CHANGED' | 'CONFIRMATION_EXPIRED' | 'FAILED';
  fromStatus: EnrollmentStatus;
  toStatus: EnrollmentStatus;
  actor: string;
  at: string;
  note?: string;
  data?: Record<string, unknown>;
  /** DEADLINE_CHANGED moves the pending deadline; APPROVED sets the confirmation deadline. */
  columns?: { reviewDueAt?: string; invitationExpiresAt?: string; confirmationDueAt?: string };
};

/**
 * The outcome each transition announces (its outbox topic); one message of each per enrollment. FAILED has none here:
 * the joining that failed the invitation announced it in its own transaction.
 */
export const ENROLLMENT_OUTCOME_TOPICS: Partial<Record<EnrollmentTransitionRecord['type'], string>> = {
  APPROVED: ENROLLMENT_APPROVED_TOPIC,
  REJECTED: ENROLLMENT_REJECTED_TOPIC,
  WITHDRAWN: ENROLLMENT_WITHDRAWN_TOPIC,
  REVIEW_ESCALATED: ENROLLMENT_REVIEW_ESCALATION_TOPIC,
  CONFIRMATION_EXPIRED: ENROLLMENT_CONFIRMATION_EXPIRED_TOPIC,
};

/**
 * The working days of the vendor's review SLA, of an invitation's expiry and of the partner's confirmation, for
 * enrollments started from now on (each enrollment stores its own): the worker's configuration (worker/slas.ts).
 */
export type EnrollmentActivityDeps = {
  prisma: PrismaClient;
  calendarFor?: CalendarLookup;
  enrollmentReviewSlaWorkingDays?: number;
  enrollmentInvitationWorkingDays?: number;
  enrollmentConfirmationWorkingDays?: number;
};

export function createEnrollmentActivities({
  prisma,
  calendarFor = databaseCalendarLookup(prisma),
  enrollmentReviewSlaWorkingDays = DEFAULT_ENROLLMENT_DEADLINES.reviewSlaWorkingDays,
  enrollmentInvitationWorkingDays = DEFAULT_ENROLLMENT_DEADLINES.invitationWorkingDays,
  enrollmentConfirmationWorkingDays = DEFAULT_ENROLLMENT_DEADLINES.confirmationWorkingDays,
}: EnrollmentActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);
  const deadlines = { reviewSlaWorkingDays: enrollmentReviewSlaWorkingDays, invitationWorkingDays: enrollmentInvitationWorkingDays, confirmationWorkingDays: enrollmentConfirmationWorkingDays };
  const loadRequest = (id: string) => loadRecordedRequest(prisma, id);

  return {
    ...createInvitationActivities({ prisma, partner, deadlines }),
    ...createJoiningActivities({ prisma }),

    /**
     * Counts the review due date (where the program needs a review) from `submittedAt` in the partner's calendar (fails
     * closed), then — in one transaction, the partner's account serialized — checks the program's rules and records the
     * enrollment (seq 1) with its enrollment.requested message. A retry finds the enrollment and answers it.
     */
    async requestEnrollment(input: EnrollmentInput & { submittedAt: string }): Promise<EnrollmentRequest> {
      const existing = await loadRequest(input.enrollmentId);
      if (existing) return existing;
      const { enrollmentId, partnerId, program, requestedBy, submittedAt } = input;
      const policy = ENROLLMENT_POLICY[program];
      if (!policy) throw invalid(Refusal.invalid, `${program} is not joined through partnerflow.`);
      const { status, review, confirmation, confirmationWorkingDays } = await plansOfRequest(partner, { partnerId, from: submittedAt, vendorReview: policy.vendorReview, ...deadlines });
      const at = new Date(submittedAt);
      try {
        await prisma.$transaction(async (tx) => {
          await lockPartner(tx, partnerId);
          // An earlier attempt that committed while this one waited for the lock recorded this very enrollment: adopt it
          // (judged again, its own open enrollment would refuse it).
          if ((await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM enrollment WHERE id = ${enrollmentId}::uuid`).length) return;
          const { unmet } = await programEligibility(tx, partnerId, program);
          if (unmet.length) throw ineligible(program, unmet);
          await tx.$executeRaw`
            INSERT INTO enrollment (id, partner_id, program, status, requested_by, requested_at, review_due_at, confirmation_due_at, last_seq, updated_at)
            VALUES (${enrollmentId}::uuid, ${partnerId}, ${program}, ${status}, ${requestedBy}, ${at}, ${review ? new Date(review.reviewDueAt) : null},
                    ${confirmation ? new Date(confirmation.dueAt) : null}, 1, ${at})`;
          const data = JSON.stringify({ program, ...(review ? { review } : {}), ...(confirmation ? { confirmation } : {}), confirmationWorkingDays });
          await tx.$executeRaw`
            INSERT INTO enrollment_event (enrollment_id, seq, type, to_status, actor, at, data)
            VALUES (${enrollmentId}::uuid, 1, 'REQUESTED', ${status}, ${requestedBy}, ${at}, ${data}::jsonb)`;
          await appendOutbox(tx, {
            topic: ENROLLMENT_REQUESTED_TOPIC,
            aggregateId: enrollmentId,
            dedupeKey: enrollmentOutcomeKey(ENROLLMENT_REQUESTED_TOPIC, enrollmentId),
            dueAt: submittedAt,
            payload: {
              enrollmentId,
              partnerId,
              program,
              status,
              submittedAt,
              ...(review ? { reviewDueAt: review.reviewDueAt } : {}),
              ...(confirmation ? { confirmationDueAt: confirmation.dueAt } : {}),
              ...((review ?? confirmation)?.explanation.provisional ? { deadlineProvisional: true } : {}),
            },
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The same enrollment recorded concurrently (a retry) is adopted; another open one refuses this one.
        const mine = await loadRequest(enrollmentId);
        if (mine) return mine;
        throw invalid(Refusal.alreadyOpen, `Another enrollment of ${partnerId} into ${program} is open.`);
      }
      return (await loadRequest(enrollmentId))!;
    },

    /** A pending deadline counted (the confirmation deadline at an approval) or counted again (recomputeDeadline), with its reminder's instant. */
    async planEnrollmentDeadline(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return partner.planWorkingDays(a);
    },

    /**
     * One transition and its history row in one transaction, with the enrollment columns it sets and the message it
     * announces; enrollment.deadline-changed when a pending deadline moved. A DEADLINE_CHANGED leaves the status alone:
     * an invitation the joining of another program failed meanwhile stays FAILED. A retry writes nothing twice.
     */
    async recordEnrollmentTransition(t: EnrollmentTransitionRecord): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const data = t.data ? JSON.stringify(t.data) : null;
        const claimed = await tx.$executeRaw`
          INSERT INTO enrollment_event (enrollment_id, seq, type, from_status, to_status, actor, at, note, data)
          VALUES (${t.enrollmentId}::uuid, ${t.seq}, ${t.type}, ${t.fromStatus}, ${t.toStatus}, ${t.actor}, ${new Date(t.at)}, ${t.note ?? null}, ${data}::jsonb)
          ON CONFLICT (enrollment_id, seq) DO NOTHING`;
        if (claimed === 0) return; // a retry: already recorded
        const instant = (v: string | undefined) => (v !== undefined ? new Date(v) : null);
        const c = t.columns ?? {};
        const keepStatus = t.type === 'DEADLINE_CHANGED';
        const rows = await tx.$queryRaw<EnrollmentRow[]>`
          UPDATE enrollment SET status = CASE WHEN ${keepStatus} THEN status ELSE ${t.toStatus} END, last_seq = ${t.seq}, updated_at = ${new Date(t.at)},
            review_due_at = coalesce(${instant(c.reviewDueAt)}, review_due_at),
            invitation_expires_at = coalesce(${instant(c.invitationExpiresAt)}, invitation_expires_at),
            confirmation_due_at = coalesce(${instant(c.confirmationDueAt)}, confirmation_due_at)
          WHERE id = ${t.enrollmentId}::uuid RETURNING id, partner_id, program, status, requested_at, review_due_at`;
        const row = rows[0]!;
        const topic = ENROLLMENT_OUTCOME_TOPICS[t.type];
        if (topic) {
          await appendOutbox(tx, {
            topic,
            aggregateId: t.enrollmentId,
            dedupeKey: enrollmentOutcomeKey(topic, t.enrollmentId),
            dueAt: t.at,
            payload: { enrollmentId: t.enrollmentId, partnerId: row.partner_id, program: row.program, status: t.toStatus, at: t.at, actor: t.actor, ...(t.note ? { note: t.note } : {}), ...t.data },
          });
        }
        if (t.type === 'DEADLINE_CHANGED') {
          await appendRecordedDeadlineChange(tx, { process: 'enrollment', aggregateId: t.enrollmentId, seq: t.seq, partnerId: row.partner_id, at: t.at, ids: { enrollmentId: t.enrollmentId }, data: t.data });
        }
      });
    },

    /** Appends one message to the outbox, once per dedupe key (the review reminder). */
    async enqueueEnrollmentMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };
}
