/**
 * One enrollment (`enrollment-<enrollmentId>`, joining a program; 成为云经销商): a partner asks to join a program, the
 * vendor reviews it where the program needs one, and the partner joins — the conditions checked again at that moment.
 *
 *   request (every condition met) ──▶ IN_REVIEW ──review APPROVE──▶ AWAITING_CONFIRMATION ──confirm {instrumentsHash}──▶ JOINED
 *        (no review: AWAITING_CONFIRMATION)  │  ├──review REJECT (a reason)──▶ REJECTED        │        └─(conditions unmet)─▶ REFUSED_AT_JOINING
 *                                            └──┴──withdraw (the partner, while open)──▶ WITHDRAWN ◀─┘
 *   IN_REVIEW: reviewDueAt is the configured SLA in working days of the partner's calendar from the request; the
 *   vendor's reviewers are reminded 1 working day before it, and past it the enrollment escalates once (it stays
 *   IN_REVIEW). recomputeDeadline (the partner's calendar changed) counts reviewDueAt again (workflows/kit/review-due.ts).
 *
 * The joining is decided by its activity in one transaction (activities/enrollment.ts): the program's rules checked
 * again (unmet: REFUSED_AT_JOINING with every reason), for the reseller program the unused instruments compared with
 * the list the partner confirmed (another list: the confirmation is refused VOIDED_INSTRUMENTS_CHANGED, nothing
 * written, the enrollment still awaiting it) and each voided once. Messages: workflows/enrollment/contract.ts.
 */
import { allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createEnrollmentActivities, EnrollmentTransitionRecord } from '../../activities/enrollment.js';
import { PendingDeadline, publishProcess } from '../kit/deadline.js';
import { ReviewedApplication } from '../kit/reviewed-application.js';
import { acceptReviewRecomputes, watchReviewDue } from '../kit/review-due.js';
import { PartnerId } from '../kit/search-attributes.js';
import { causeOf, now, persistenceActivityOptions, provisionalPayload, type RecomputeRequest, refuse } from '../kit/shared.js';
import { BusyGuard, transitionQueue } from '../kit/transitions.js';
import { confirm, create, ENROLLMENT_DECISIONS, ENROLLMENT_OPEN_STATUSES, ENROLLMENT_REMINDER_WORKING_DAYS, ENROLLMENT_REVIEW_REMINDER_TOPIC, enrollmentReminderKey, getState, Refusal, review, withdraw } from './contract.js';
import type { EnrollmentInput, EnrollmentSnapshot } from './contract.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof createEnrollmentActivities>>(persistenceActivityOptions);

export async function enrollmentWorkflow(input: EnrollmentInput): Promise<EnrollmentSnapshot> {
  const state: EnrollmentSnapshot = { ...input, status: 'IN_REVIEW', reviewEscalated: false, seq: 0 };
  let createFailure: unknown;
  let requested = false;
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
  const reviewing = () => state.status === 'IN_REVIEW';
  const open = () => (ENROLLMENT_OPEN_STATUSES as readonly string[]).includes(state.status);
  const pendingMark = () => (reviewing() ? pending.mark : '');
  const snapshot = (): EnrollmentSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(pendingMark()) }));
  const publish = () => publishProcess(state.status, reviewing() ? state.reviewDueAt : undefined, pendingMark());
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ enrollmentId: state.enrollmentId }),
    publish,
    persist: (record: EnrollmentTransitionRecord) => activities.recordEnrollmentTransition(record),
    answer: snapshot,
  });
  const about = () => ({ enrollmentId: state.enrollmentId, partnerId: state.partnerId, program: state.program });

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
      return transition({ type: 'APPROVED', toStatus: 'AWAITING_CONFIRMATION', actor: actor.sub, at, ...(note ? { note } : {}) });
    },
    {
      validator: ({ actor, decision, note }) => {
        app.requireVendor(actor);
        if (!reviewing()) refuse(Refusal.notInReview, `The enrollment is ${state.status}, not IN_REVIEW.`);
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
        if (!open()) refuse(Refusal.notOpen, `The enrollment is ${state.status}: only an open enrollment can be withdrawn.`);
      },
    },
  );

  const due = {
    state,
    pending,
    guard: app.guard,
    reviewing,
    status: 'IN_REVIEW' as const,
    remindBefore: ENROLLMENT_REMINDER_WORKING_DAYS,
    plan: (a: { from: string; workingDays: number; remindBefore: number }) => activities.planEnrollmentDeadline({ partnerId: state.partnerId, ...a }),
    remind: (reviewDueAt: string, reminderAt: string, extra: Record<string, unknown>) =>
      activities.enqueueEnrollmentMessage({
        topic: ENROLLMENT_REVIEW_REMINDER_TOPIC,
        aggregateId: state.enrollmentId,
        dedupeKey: enrollmentReminderKey(state.enrollmentId, reviewDueAt),
        payload: { ...about(), reviewDueAt, workingDaysBefore: ENROLLMENT_REMINDER_WORKING_DAYS, ...extra },
        dueAt: reminderAt,
      }),
    transition,
  };
  acceptReviewRecomputes(due, requests);

  // --- lifecycle ------------------------------------------------------------------------------------------------
  try {
    const recorded = await activities.requestEnrollment({ ...input, submittedAt: new Date(workflowInfo().startTime).toISOString() });
    if (recorded.review) {
      const r = recorded.review;
      pending.set({ deadline: r.reviewDueAt, explanation: r.explanation, ...(r.reminderAt ? { reminderAt: r.reminderAt } : {}) });
      Object.assign(state, { reviewSlaWorkingDays: r.slaWorkingDays, reviewDueAt: r.reviewDueAt });
    }
    Object.assign(state, { submittedAt: recorded.submittedAt, status: recorded.status, seq: recorded.seq });
    requested = true;
  } catch (error) {
    createFailure = causeOf(error);
    await condition(allHandlersFinished);
    throw createFailure;
  }
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }]);
  publish();

  await watchReviewDue(due, requests);
  await condition(() => !open());
  await settled();
  await condition(allHandlersFinished);
  return snapshot();
}
