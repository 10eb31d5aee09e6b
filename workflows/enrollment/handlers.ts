/**
 * The enrollment's message handlers (workflow code, bundled into the sandbox), registered by the workflow
 * (workflows/enrollment/workflow.ts) before its first await: the state query, `create` (answered once the request or
 * the invitation is recorded), the vendor's review, the partner's confirmation — the joining, which its activity
 * decides (activities/enrollment-joining.ts) — and withdrawal, the partner's answer to an invitation, the signal of
 * the joining that failed it, and recomputeDeadline. Each update's validator refuses a call before anything enters
 * history. The state, the transition queue and the deadlines they act on are the workflow's; the messages themselves
 * are defined in workflows/enrollment/contract.ts.
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { createEnrollmentActivities, EnrollmentTransitionRecord } from '../../activities/enrollment.js';
import type { InvitationDecision } from '../../activities/enrollment-invitation.js';
import type { PendingDeadline } from '../kit/deadline.js';
import type { ReviewedApplication } from '../kit/reviewed-application.js';
import { fail, now, type RecomputeRequest, recomputeDeadline, refuse } from '../kit/shared.js';
import type { TransitionOf } from '../kit/transitions.js';
import {
  accept,
  confirm,
  create,
  decline,
  ENROLLMENT_DECISIONS,
  ENROLLMENT_REMINDER_WORKING_DAYS,
  getState,
  invitationFailed,
  Refusal,
  review,
  withdraw,
} from './contract.js';
import type { Actor, EnrollmentSnapshot, InvitationFailure, InvitationOutcome } from './contract.js';

/**
 * What the handlers and the workflow's lifecycle both see beside the snapshot: whether the request (or invitation) is
 * recorded, or why recording it failed, and the joining that failed the invitation (signalled, recorded by the
 * lifecycle once no action is in progress).
 */
export type EnrollmentRun = { requested: boolean; createFailure?: unknown; failedBy?: InvitationFailure };

/** The workflow's pieces the handlers act on. */
export type EnrollmentHandling = {
  state: EnrollmentSnapshot;
  run: EnrollmentRun;
  app: ReviewedApplication;
  pending: PendingDeadline;
  /** The recomputeDeadline requests taken, for the phase waiting on the pending deadline. */
  requests: RecomputeRequest[];
  activities: Pick<ReturnType<typeof createEnrollmentActivities>, 'planEnrollmentDeadline' | 'joinEnrollment'>;
  transition: (t: TransitionOf<EnrollmentTransitionRecord, 'enrollmentId'>) => Promise<EnrollmentSnapshot>;
  settled: () => Promise<unknown>;
  publish: () => void;
  snapshot: () => EnrollmentSnapshot;
  /** The deadline the enrollment waits on in its status. */
  deadlineOf: () => string | undefined;
  /** An invitation's decision under the partner's lock (the workflow's; its expiry decides the same way). */
  settle: (type: InvitationDecision['type'], actor: string, note?: string) => Promise<InvitationOutcome>;
};

export function handleEnrollmentMessages(w: EnrollmentHandling) {
  const { state, run, app, pending, requests, activities, transition, settled, publish, snapshot } = w;

  setHandler(getState, snapshot);

  setHandler(create, async () => {
    await condition(() => run.requested || run.createFailure !== undefined);
    if (run.createFailure) throw run.createFailure;
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
      const outcome = await w.settle(type, a.actor.sub, a.reason);
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
    if (state.status === 'INVITED') run.failedBy ??= f;
  });

  // One recomputeDeadline for the three deadlines: taken while the pending one is not yet past (after it the partner
  // or the reviewers were told of the date they knew); the phase waiting on it counts it again.
  setHandler(recomputeDeadline, (request) => {
    const deadline = w.deadlineOf();
    if (!deadline || Date.now() >= Date.parse(deadline) || (state.status === 'IN_REVIEW' && state.reviewEscalated)) return;
    requests.push({ ...request });
  });
}
