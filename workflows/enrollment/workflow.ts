/**
 * One enrollment (`enrollment-<enrollmentId>`, joining a program; 成为云经销商): a partner asks to join a program (or
 * the vendor invites it and it accepts), the vendor reviews it where the program needs one, and the partner joins — the
 * conditions checked again at that moment.
 *
 *   invite (vendor) ──▶ INVITED ──accept (every condition met)──▶ IN_REVIEW or AWAITING_CONFIRMATION, as a request
 *                         ├──decline──▶ DECLINED     ├──past invitationExpiresAt──▶ EXPIRED
 *                         └──the partner joined another program──▶ FAILED
 *   request (every condition met) ──▶ IN_REVIEW ──review APPROVE──▶ AWAITING_CONFIRMATION ──confirm {instrumentsHash}──▶ JOINED
 *        (no review: AWAITING_CONFIRMATION)  │  ├──review REJECT (a reason)──▶ REJECTED        │  │     └─(conditions unmet)─▶ REFUSED_AT_JOINING
 *                                            │  │                                              │  └─past confirmationDueAt──▶ EXPIRED
 *                                            └──┴──withdraw (the partner)──▶ WITHDRAWN ◀────────┘
 *   Every deadline is a configured number of working days of the partner's calendar, reminded 1 working day before,
 *   and counted again from its stored start when the calendar changes (recomputeDeadline): INVITED's
 *   invitationExpiresAt from the invitation (the partner reminded; expiry after), IN_REVIEW's reviewDueAt from the
 *   request or the acceptance (the reviewers reminded; one escalation after, it stays IN_REVIEW;
 *   workflows/kit/review-due.ts), AWAITING_CONFIRMATION's confirmationDueAt from the approval, or the request without
 *   review (the partner reminded; after it the approval lapses: EXPIRED) — workflows/enrollment/deadlines.ts.
 *
 * An invitation's acceptance, decline and expiry are decided by one activity under the partner's lock
 * (activities/enrollment-invitation.ts): the joining of another program fails the partner's pending invitations in its
 * own transaction and signals them (invitationFailed); a decision that finds its invitation FAILED records FAILED.
 *
 * The joining is decided by its activity in one transaction (activities/enrollment-joining.ts): the program's rules
 * checked again (unmet: REFUSED_AT_JOINING with every reason), for the reseller program the unused instruments
 * compared with the list the partner confirmed (another list: the confirmation is refused VOIDED_INSTRUMENTS_CHANGED,
 * nothing written, the enrollment still awaiting it) and each voided once.
 *
 * This file holds the state, the transition queue, the invitation's decision and the lifecycle (the request or
 * invitation recorded, then one phase per open status, each waiting on its deadline). The message handlers and their
 * validators: workflows/enrollment/handlers.ts; the messages: workflows/enrollment/contract.ts.
 */
import { allHandlersFinished, condition, proxyActivities, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createEnrollmentActivities, EnrollmentTransitionRecord } from '../../activities/enrollment.js';
import type { InvitationDecision } from '../../activities/enrollment-invitation.js';
import { PendingDeadline, publishProcess } from '../kit/deadline.js';
import { ReviewedApplication } from '../kit/reviewed-application.js';
import { type ReviewDueState, watchReviewDue } from '../kit/review-due.js';
import { PartnerId } from '../kit/search-attributes.js';
import { causeOf, now, persistenceActivityOptions, provisionalPayload, type RecomputeRequest } from '../kit/shared.js';
import { BusyGuard, transitionQueue } from '../kit/transitions.js';
import {
  confirmationReminderKey,
  ENROLLMENT_CONFIRMATION_REMINDER_TOPIC,
  ENROLLMENT_INVITATION_REMINDER_TOPIC,
  ENROLLMENT_OPEN_STATUSES,
  ENROLLMENT_REMINDER_WORKING_DAYS,
  ENROLLMENT_REVIEW_REMINDER_TOPIC,
  enrollmentReminderKey,
  invitationReminderKey,
  Refusal,
} from './contract.js';
import type { EnrollmentInput, EnrollmentRequest, EnrollmentSnapshot, EnrollmentStatus, InvitationFailure } from './contract.js';
import { watchPartnerDeadline } from './deadlines.js';
import { type EnrollmentRun, handleEnrollmentMessages } from './handlers.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof createEnrollmentActivities>>(persistenceActivityOptions);

export async function enrollmentWorkflow(input: EnrollmentInput): Promise<EnrollmentSnapshot> {
  const { invitation, ...about0 } = input;
  const state: EnrollmentSnapshot = { ...about0, status: invitation ? 'INVITED' : 'IN_REVIEW', reviewEscalated: false, seq: 0, ...(invitation ? { invited: true as const } : {}) };
  const run: EnrollmentRun = { requested: false };
  const app = new ReviewedApplication(new BusyGuard(), {
    partnerId: state.partnerId,
    refusals: Refusal,
    noun: 'enrollment',
    name: 'enrollment',
    ready: () => run.requested,
    notReady: [Refusal.notRequested, 'The enrollment is still being requested; try again.'],
    vendorOnly: 'Only vendor staff review enrollments.',
  });
  const pending = new PendingDeadline();
  const requests: RecomputeRequest[] = [];
  const open = () => (ENROLLMENT_OPEN_STATUSES as readonly string[]).includes(state.status);
  /** The deadline the enrollment waits on in its status. */
  const deadlineOf = (): string | undefined =>
    state.status === 'INVITED' ? state.invitationExpiresAt : state.status === 'IN_REVIEW' ? state.reviewDueAt : state.status === 'AWAITING_CONFIRMATION' ? state.confirmationDueAt : undefined;
  const pendingMark = () => (open() ? pending.mark : '');
  const snapshot = (): EnrollmentSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(pendingMark()) }));
  const publish = () => publishProcess(state.status, deadlineOf(), pendingMark());
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ enrollmentId: state.enrollmentId }),
    publish,
    persist: (record: EnrollmentTransitionRecord) => activities.recordEnrollmentTransition(record),
    answer: snapshot,
  });
  const about = () => ({ enrollmentId: state.enrollmentId, partnerId: state.partnerId, program: state.program });

  /** The deadline a recorded request (or invitation, or acceptance) set, and its status. */
  function enter(r: EnrollmentRequest) {
    if (r.invitation) {
      Object.assign(state, { invitationWorkingDays: r.invitation.workingDays, invitationExpiresAt: r.invitation.dueAt });
      pending.set({ deadline: r.invitation.dueAt, explanation: r.invitation.explanation, ...(r.invitation.reminderAt ? { reminderAt: r.invitation.reminderAt } : {}) });
    }
    if (r.review) {
      Object.assign(state, { reviewSlaWorkingDays: r.review.slaWorkingDays, reviewDueAt: r.review.reviewDueAt });
      pending.set({ deadline: r.review.reviewDueAt, explanation: r.review.explanation, ...(r.review.reminderAt ? { reminderAt: r.review.reminderAt } : {}) });
    }
    if (r.confirmation) {
      Object.assign(state, { confirmationWorkingDays: r.confirmation.workingDays, confirmationFrom: r.confirmation.from, confirmationDueAt: r.confirmation.dueAt });
      pending.set({ deadline: r.confirmation.dueAt, explanation: r.confirmation.explanation, ...(r.confirmation.reminderAt ? { reminderAt: r.confirmation.reminderAt } : {}) });
    }
    Object.assign(state, { status: r.status, seq: r.seq, confirmationWorkingDays: r.confirmationWorkingDays });
  }

  /** The joining of another program failed the invitation (decided in its transaction): recorded, the workflow ends. */
  const recordFailed = (f: InvitationFailure) => {
    state.failure = f;
    return transition({ type: 'FAILED', toStatus: 'FAILED', actor: 'system', note: f.reason, data: { ...f } });
  };

  /** An invitation's decision under the partner's lock; a FAILED invitation is recorded as such and refuses the action. */
  async function settle(type: InvitationDecision['type'], actor: string, note?: string) {
    await settled();
    const at = now();
    const seq = state.seq + 1;
    const outcome = await activities.settleInvitation({ enrollmentId: state.enrollmentId, seq, type, actor, at, ...(note ? { note } : {}) });
    if (outcome.status === 'FAILED') {
      await recordFailed(outcome.failure);
      return outcome;
    }
    if (outcome.request) {
      state.acceptedAt = at;
      enter(outcome.request);
    } else {
      Object.assign(state, { seq, status: type === 'DECLINED' ? 'DECLINED' : 'EXPIRED' }, type === 'DECLINED' ? { declinedAt: at } : { expiredAt: at });
    }
    publish();
    return outcome;
  }

  // --- messages (workflows/enrollment/handlers.ts) --------------------------------------------------------------
  handleEnrollmentMessages({ state, run, app, pending, requests, activities, transition, settled, publish, snapshot, deadlineOf, settle });

  const plan = (a: { from: string; workingDays: number; remindBefore: number }) => activities.planEnrollmentDeadline({ partnerId: state.partnerId, ...a });
  const message = (topic: string, dedupeKey: string, dueAt: string, payload: Record<string, unknown>) =>
    activities.enqueueEnrollmentMessage({ topic, aggregateId: state.enrollmentId, dedupeKey, payload: { ...about(), ...payload, workingDaysBefore: ENROLLMENT_REMINDER_WORKING_DAYS }, dueAt });
  // The review SLA counts from the request, or from an invitation's acceptance.
  const reviewState: ReviewDueState = {
    get submittedAt() {
      return state.acceptedAt ?? state.submittedAt;
    },
    get reviewSlaWorkingDays() {
      return state.reviewSlaWorkingDays;
    },
    get reviewDueAt() {
      return state.reviewDueAt;
    },
    set reviewDueAt(v) {
      state.reviewDueAt = v;
    },
    get reviewEscalated() {
      return state.reviewEscalated;
    },
    set reviewEscalated(v) {
      state.reviewEscalated = v;
    },
  };
  const partnerDeadline = { state, pending, guard: app.guard, requests, plan, transition };

  // --- lifecycle ------------------------------------------------------------------------------------------------
  try {
    const startedAt = new Date(workflowInfo().startTime).toISOString();
    const recorded = invitation
      ? await activities.inviteEnrollment({ ...input, invitedAt: startedAt })
      : await activities.requestEnrollment({ ...input, submittedAt: startedAt });
    state.submittedAt = recorded.submittedAt;
    enter(recorded);
    run.requested = true;
  } catch (error) {
    run.createFailure = causeOf(error);
    await condition(allHandlersFinished);
    throw run.createFailure;
  }
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }]);
  publish();

  if (state.status === 'INVITED') {
    await watchPartnerDeadline({
      ...partnerDeadline,
      deadline: 'invitationExpiresAt',
      status: 'INVITED',
      from: () => state.submittedAt!,
      workingDays: () => state.invitationWorkingDays!,
      stop: () => run.failedBy !== undefined,
      remind: (dueAt, reminderAt, extra) => message(ENROLLMENT_INVITATION_REMINDER_TOPIC, invitationReminderKey(state.enrollmentId, dueAt), reminderAt, { invitationExpiresAt: dueAt, ...extra }),
      passed: () => settle('INVITATION_EXPIRED', 'system'),
    });
    if (run.failedBy) {
      await condition(() => !app.guard.busy);
      if (state.status === 'INVITED') await recordFailed(run.failedBy);
    }
  }
  if (state.status === 'IN_REVIEW') {
    await watchReviewDue(
      {
        state: reviewState,
        pending,
        guard: app.guard,
        reviewing: () => state.status === 'IN_REVIEW',
        status: 'IN_REVIEW' as EnrollmentStatus,
        remindBefore: ENROLLMENT_REMINDER_WORKING_DAYS,
        plan,
        remind: (reviewDueAt, reminderAt, extra) =>
          activities.enqueueEnrollmentMessage({
            topic: ENROLLMENT_REVIEW_REMINDER_TOPIC,
            aggregateId: state.enrollmentId,
            dedupeKey: enrollmentReminderKey(state.enrollmentId, reviewDueAt),
            payload: { ...about(), reviewDueAt, workingDaysBefore: ENROLLMENT_REMINDER_WORKING_DAYS, ...extra },
            dueAt: reminderAt,
          }),
        transition,
      },
      requests,
    );
    await condition(() => state.status !== 'IN_REVIEW' && !app.guard.busy);
  }
  if (state.status === 'AWAITING_CONFIRMATION') {
    await watchPartnerDeadline({
      ...partnerDeadline,
      deadline: 'confirmationDueAt',
      status: 'AWAITING_CONFIRMATION',
      from: () => state.confirmationFrom!,
      workingDays: () => state.confirmationWorkingDays!,
      remind: (dueAt, reminderAt, extra) => message(ENROLLMENT_CONFIRMATION_REMINDER_TOPIC, confirmationReminderKey(state.enrollmentId, dueAt), reminderAt, { confirmationDueAt: dueAt, ...extra }),
      passed: () => {
        state.expiredAt = now();
        return transition({ type: 'CONFIRMATION_EXPIRED', toStatus: 'EXPIRED', actor: 'system', data: { confirmationDueAt: state.confirmationDueAt, ...pending.payload } });
      },
    });
  }
  await condition(() => !open());
  await settled();
  await condition(allHandlersFinished);
  return snapshot();
}
