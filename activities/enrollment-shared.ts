/**
 * What the enrollment's activities share (activities/enrollment.ts, activities/enrollment-invitation.ts,
 * activities/enrollment-joining.ts): the partner's lock, the refusal of a partner that cannot join, a unique index's
 * refusal, the first history row as the workflow reads it back, and the deadline plans (working days of the partner's
 * calendar, from an instant the workflow gives).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Unmet } from '../domain/eligibility.js';
import type { PrismaClient } from '../platform/db.js';
import { ENROLLMENT_REMINDER_WORKING_DAYS, type EnrollmentRequest, type EnrollmentStatus, type PlannedEnrollmentDeadline, Refusal } from '../workflows/enrollment/contract.js';
import type { Tx } from './kit/events.js';
import type { partnerCalendar } from './kit/partner-calendar.js';

/** The refusal of a partner that cannot join: every unmet reason (code and evidence) in its details. */
export const ineligible = (program: string, unmet: Unmet[]) =>
  ApplicationFailure.create({ type: Refusal.ineligible, message: `The partner cannot join ${program}: ${unmet.map((u) => u.code).join(', ')}.`, nonRetryable: true, details: [unmet] });

/**
 * Requests, acceptances, joinings and the failing of invitations of one partner wait for each other: the account they
 * decide on, and the partner's open invitations, cannot move between them.
 */
export const lockPartner = (tx: Tx, partnerId: string) => tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${`enrollment/${partnerId}`}))`;

export { isUniqueViolation } from '../platform/db.js';

export type EnrollmentRow = { id: string; partner_id: string; program: string; status: EnrollmentStatus; requested_at: Date; review_due_at: Date | null };

/** The deadlines a history row's data carries (the request, the invitation, its acceptance). */
export type RecordedPlans = Pick<EnrollmentRequest, 'review' | 'invitation' | 'confirmation' | 'confirmationWorkingDays'>;

/** The request the history row `seq` recorded (seq 1: the request or the invitation; an acceptance later), if any. */
export async function loadRecordedRequest(prisma: PrismaClient | Tx, id: string, seq = 1): Promise<EnrollmentRequest | undefined> {
  const rows = await prisma.$queryRaw<{ data: RecordedPlans & Record<string, unknown>; at: Date; to_status: string }[]>`
    SELECT data, at, to_status FROM enrollment_event WHERE enrollment_id = ${id}::uuid AND seq = ${seq}`;
  const row = rows[0];
  if (!row) return undefined;
  const { review, invitation, confirmation, confirmationWorkingDays } = row.data;
  return {
    confirmationWorkingDays,
    submittedAt: row.at.toISOString(),
    status: row.to_status as EnrollmentRequest['status'],
    ...(review ? { review } : {}),
    ...(invitation ? { invitation } : {}),
    ...(confirmation ? { confirmation } : {}),
    seq,
  };
}

/** A working-day deadline from `from` with its reminder, as a history row stores it. */
export async function planDeadline(partner: ReturnType<typeof partnerCalendar>, partnerId: string, from: string, workingDays: number): Promise<PlannedEnrollmentDeadline> {
  const plan = await partner.planWorkingDays({ partnerId, from, workingDays, remindBefore: ENROLLMENT_REMINDER_WORKING_DAYS });
  return { workingDays, from, dueAt: plan.deadline, explanation: plan.explanation, ...(plan.reminderAt ? { reminderAt: plan.reminderAt } : {}) };
}

/** The review (where the program needs one) or else the confirmation deadline of a request made at `from`. */
export async function plansOfRequest(
  partner: ReturnType<typeof partnerCalendar>,
  a: { partnerId: string; from: string; vendorReview: boolean; reviewSlaWorkingDays: number; confirmationWorkingDays: number },
): Promise<Pick<EnrollmentRequest, 'status' | 'review' | 'confirmation' | 'confirmationWorkingDays'>> {
  const confirmationWorkingDays = a.confirmationWorkingDays;
  if (a.vendorReview) {
    const due = await planDeadline(partner, a.partnerId, a.from, a.reviewSlaWorkingDays);
    const review = { slaWorkingDays: a.reviewSlaWorkingDays, reviewDueAt: due.dueAt, explanation: due.explanation, ...(due.reminderAt ? { reminderAt: due.reminderAt } : {}) };
    return { status: 'IN_REVIEW', review, confirmationWorkingDays };
  }
  return { status: 'AWAITING_CONFIRMATION', confirmation: await planDeadline(partner, a.partnerId, a.from, confirmationWorkingDays), confirmationWorkingDays };
}
