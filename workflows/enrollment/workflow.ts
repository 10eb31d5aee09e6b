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
 * The joining is decided by its activity in one transaction (activities/enrollment.ts): the program's rules checked
 * again (unmet: REFUSED_AT_JOINING with every reason), for the reseller program the unused instruments compared with
 * the list the partner confirmed (another list: the confirmation is refused VOIDED_INSTRUMENTS_CHANGED, nothing
 * written, the enrollment still awaiting it) and each voided once. Messages: workflows/enrollment/contract.ts.
 */
import { allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createEnrollmentActivities, EnrollmentTransitionRecord } from '../../activities/enrollment.js';
import type { InvitationDecision } from '../../activities/enrollment-invitation.js';
import { PendingDeadline, publishProcess } from '../kit/deadline.js';
import { ReviewedApplication } from '../kit/reviewed-application.js';
import { type ReviewDueState, watchReviewDue } from '../kit/review-due.js';
import { PartnerId } from '../kit/search-attributes.js';
import { causeOf, fail, now, persistenceActivityOptions, provisionalPayload, type RecomputeRequest, recomputeDeadline, refuse } from '../kit/shared.js';
import { BusyGuard, transitionQueue } from '../kit/transitions.js';
import {
  accept,
  confirm,
  confirmationReminderKey,
  create,
  decline,
  ENROLLMENT_CONFIRMATION_REMINDER_TOPIC,
  ENROLLMENT_DECISIONS,
  ENROLLMENT_INVITATION_REMINDER_TOPIC,
  ENROLLMENT_OPEN_STATUSES,
  ENROLLMENT_REMINDER_WORKING_DAYS,
  ENROLLMENT_REVIEW_REMINDER_TOPIC,
  enrollmentReminderKey,
  getState,
  invitationFailed,
  invitationReminderKey,
  Refusal,
  review,
  withdraw,
} from './contract.js';
import type { Actor, EnrollmentInput, EnrollmentRequest, EnrollmentSnapshot, EnrollmentStatus, InvitationFailure } from './contract.js';
import { watchPartnerDeadline } from './deadlines.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof createEnrollmentActivities>>(persistenceActivityOptions);

export async function enrollmentWorkflow(input: EnrollmentInput): Promise<EnrollmentSnapshot> {
  const { invitation, ...about0 } = input;
  const state: EnrollmentSnapshot = { ...about0, status: invitation ? 'INVITED' : 'IN_REVIEW', reviewEscalated: false, seq: 0, ...(invitation ? { invited: true as const } : {}) };
  let createFailure: unknown;
  let requested = false;
  let failedBy: InvitationFailure | undefined;
  const app = new ReviewedApplication(new BusyGuard(), {
    partnerId: state.partnerId,
    refusals: Refusal,
    noun: 'enrollment',
    name: 'enrollment',
    ready: () => requested,
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

  // --- messages -------------------------------------------------------------------------------------------------
  setHandler(getState, snapshot);

  setHandler(create, async () => {
    await condition(() => requested || createFailure !== undefined);
    if (createFailure) throw createFailure;
    return snapshot();
  });

  setHandler(
    review,
    ({ actor, decision, note }) => {
      const at = now();
      state.decidedAt = at;
      if (note) state.decisionNote = note;
      if (decision === 'REJECT') return transition({ type: 'REJECTED', toStatus: 'REJECTED', actor: actor.sub, at, note: note! });
      // The approval starts the partner's confirmation deadline, counted from it (an activity reads the calendar).
      return app.guard.run(async () => {
        const due = await activities.planEnrollmentDeadline({ partnerId: state.partnerId, from: at, workingDays: state.confirmationWorkingDays!, remindBefore: ENROLLMENT_REMINDER_WORKING_DAYS });
        Object.assign(state, { confirmationFrom: at, confirmationDueAt: due.deadline });
        pending.set(due);
        const confirmation = { workingDays: state.confirmationWorkingDays, from: at, dueAt: due.deadline, explanation: due.explanation, ...(due.reminderAt ? { reminderAt: due.reminderAt } : {}) };
        return transition({ type: 'APPROVED', toStatus: 'AWAITING_CONFIRMATION', actor: actor.sub, at, ...(note ? { note } : {}), columns: { confirmationDueAt: due.deadline }, data: { confirmationDueAt: due.deadline, confirmation } });
      });
    },
    {
      validator: ({ actor, decision, note }) => {
        app.requireVendor(actor);
        if (state.status !== 'IN_REVIEW') refuse(Refusal.notInReview, `The enrollment is ${state.status}, not IN_REVIEW.`);
        if (!(ENROLLMENT_DECISIONS as readonly string[]).includes(decision)) refuse(Refusal.invalid, `decision must be one of ${ENROLLMENT_DECISIONS.join(', ')}.`);
        if (decision === 'REJECT' && !note?.trim()) refuse(Refusal.invalid, 'REJECT: a reason (note) is required.');
      },
    },
  );

  setHandler(
    confirm,
    ({ actor, instrumentsHash }) =>
      app.guard.run(async () => {
        // The joining's number follows every transition recorded before it; its activity decides and records it at
        // once, or refuses (the instrument list changed) with nothing written.
        await settled();
        const at = now();
        const seq = state.seq + 1;
        const outcome = await activities.joinEnrollment({ enrollmentId: state.enrollmentId, seq, actor: actor.sub, at, instrumentsHash });
        if (outcome.status === 'JOINED') Object.assign(state, { status: 'JOINED', joinedAt: at, voided: outcome.voided, seq });
        else Object.assign(state, { status: 'REFUSED_AT_JOINING', refusal: outcome.unmet, seq });
        publish();
        return snapshot();
      }),
    {
      validator: ({ actor, instrumentsHash }) => {
        app.requireOwner(actor);
        if (state.status !== 'AWAITING_CONFIRMATION') refuse(Refusal.notAwaitingConfirmation, `The enrollment is ${state.status}, not AWAITING_CONFIRMATION.`);
        if (Date.now() >= Date.parse(state.confirmationDueAt!)) refuse(Refusal.confirmationDeadlinePassed, `The confirmation deadline ${state.confirmationDueAt} has passed.`);
        if (typeof instrumentsHash !== 'string') refuse(Refusal.invalid, 'instrumentsHash is required.');
      },
    },
  );

  setHandler(
    withdraw,
    ({ actor, reason }) => {
      const at = now();
      state.withdrawnAt = at;
      return transition({ type: 'WITHDRAWN', toStatus: 'WITHDRAWN', actor: actor.sub, at, ...(reason ? { note: reason } : {}) });
    },
    {
      validator: ({ actor }) => {
        app.requireOwner(actor);
        if (state.status !== 'IN_REVIEW' && state.status !== 'AWAITING_CONFIRMATION') {
          refuse(Refusal.notOpen, state.status === 'INVITED' ? 'The enrollment is an invitation: decline it instead.' : `The enrollment is ${state.status}: only an open enrollment can be withdrawn.`);
        }
      },
    },
  );

  /** The partner's answer to an invitation, valid while INVITED and before it expires. */
  const invitationAnswer = (type: 'ACCEPTED' | 'DECLINED') => (a: { actor: Actor; reason?: string }) =>
    app.guard.run(async () => {
      const outcome = await settle(type, a.actor.sub, a.reason);
      if (outcome.status === 'FAILED') throw fail(Refusal.invitationFailed, `The invitation failed: the partner ${outcome.failure.reason}.`, outcome.failure);
      return snapshot();
    });
  const invitationValidator = ({ actor }: { actor: Actor }) => {
    app.requireOwner(actor);
    if (state.status !== 'INVITED') refuse(Refusal.notInvited, `The enrollment is ${state.status}, not INVITED.`);
    if (Date.now() >= Date.parse(state.invitationExpiresAt!)) refuse(Refusal.invitationExpired, `The invitation expired at ${state.invitationExpiresAt}.`);
  };
  setHandler(accept, invitationAnswer('ACCEPTED'), { validator: invitationValidator });
  setHandler(decline, invitationAnswer('DECLINED'), { validator: invitationValidator });

  setHandler(invitationFailed, (f) => {
    if (state.status === 'INVITED') failedBy ??= f;
  });

  // One recomputeDeadline for the three deadlines: taken while the pending one is not yet past (after it the partner
  // or the reviewers were told of the date they knew); the phase waiting on it counts it again.
  setHandler(recomputeDeadline, (request) => {
    const deadline = deadlineOf();
    if (!deadline || Date.now() >= Date.parse(deadline) || (state.status === 'IN_REVIEW' && state.reviewEscalated)) return;
    requests.push({ ...request });
  });

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
    requested = true;
  } catch (error) {
    createFailure = causeOf(error);
    await condition(allHandlersFinished);
    throw createFailure;
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
      stop: () => failedBy !== undefined,
      remind: (dueAt, reminderAt, extra) => message(ENROLLMENT_INVITATION_REMINDER_TOPIC, invitationReminderKey(state.enrollmentId, dueAt), reminderAt, { invitationExpiresAt: dueAt, ...extra }),
      passed: () => settle('INVITATION_EXPIRED', 'system'),
    });
    if (failedBy) {
      await condition(() => !app.guard.busy);
      if (state.status === 'INVITED') await recordFailed(failedBy);
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
