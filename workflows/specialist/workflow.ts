/**
 * One project specialist application (`specialist-<applicationId>`): a partner admin applies for a member on a
 * development path; the vendor reviews it within its SLA.
 *
 *   apply (eligible) ──▶ SUBMITTED ──review APPROVE (every material set)──▶ APPROVED ──cancel──▶ CANCELLED
 *                           │  └──────review REJECT (a reason)──▶ REJECTED
 *                           └──cancel (partner or vendor, a reason)──▶ CANCELLED
 *   SUBMITTED: reviewDueAt is the configured SLA in working days of the partner's calendar from the submission; the
 *   vendor's reviewers are reminded 1 working day before it, and past it the application escalates once (it stays
 *   SUBMITTED). recomputeDeadline (the partner's calendar changed) counts reviewDueAt again from the submission; a move
 *   is recorded (DEADLINE_CHANGED, old → new) and the wait follows it.
 *   REJECTED and CANCELLED end the workflow: the member may apply again (a new application, a new workflow).
 *
 * The eligibility rules (domain/eligibility.ts) are checked by the submission's activity, in the transaction that
 * records the application. Built from the kits: transitions, the reviewed application's guards and materials, the
 * review SLA (review-due.ts, shared with level raises). Messages: workflows/specialist/contract.ts (re-exported).
 */
import { allHandlersFinished, condition, continueAsNew, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createSpecialistActivities, SpecialistTransitionRecord } from '../../activities/specialist.js';
import { PendingDeadline, publishProcess } from '../kit/deadline.js';
import { acceptReviewRecomputes, watchReviewDue } from '../kit/review-due.js';
import { ReviewedApplication } from '../kit/reviewed-application.js';
import { PartnerId, PathId } from '../kit/search-attributes.js';
import { causeOf, now, persistenceActivityOptions, provisionalPayload, type RecomputeRequest, refuse } from '../kit/shared.js';
import { BusyGuard, transitionQueue } from '../kit/transitions.js';
import * as contract from './contract.js';
import { cancel, create, getState, Refusal, review, setMaterial, SPECIALIST_MATERIAL_KINDS } from './contract.js';
import type { SpecialistInput, SpecialistSnapshot } from './contract.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof createSpecialistActivities>>(persistenceActivityOptions);

export async function specialistWorkflow(input: SpecialistInput, carried?: SpecialistSnapshot): Promise<SpecialistSnapshot> {
  const state: SpecialistSnapshot = carried ?? {
    applicationId: input.applicationId,
    partnerId: input.partnerId,
    memberId: input.memberId,
    pathId: input.pathId,
    appliedBy: input.appliedBy,
    status: 'SUBMITTED',
    materials: {},
    reviewEscalated: false,
    seq: 0,
  };
  let createFailure: unknown;
  const app = new ReviewedApplication(new BusyGuard(), {
    partnerId: state.partnerId,
    refusals: Refusal,
    noun: 'application',
    name: 'project specialist application',
    ready: () => state.submittedAt !== undefined,
    notReady: [Refusal.notSubmitted, 'The application is still being submitted; try again.'],
    vendorOnly: 'Only vendor staff review project specialist applications.',
  });
  /** The review due date's provisional mark and its reminder. */
  const pending = new PendingDeadline();
  const requests: RecomputeRequest[] = [];
  const reviewing = () => state.status === 'SUBMITTED';
  const pendingMark = () => (reviewing() ? pending.mark : '');
  const snapshot = (): SpecialistSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(pendingMark()) }));
  const publish = () => publishProcess(state.status, reviewing() ? state.reviewDueAt : undefined, pendingMark());
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ applicationId: state.applicationId }),
    publish,
    persist: (record: SpecialistTransitionRecord) => activities.recordSpecialistTransition(record),
    answer: snapshot,
  });
  const about = () => ({ applicationId: state.applicationId, partnerId: state.partnerId, memberId: state.memberId, pathId: state.pathId });

  // --- messages -------------------------------------------------------------------------------------------------
  setHandler(getState, snapshot);

  setHandler(create, async () => {
    await condition(() => state.submittedAt !== undefined || createFailure !== undefined);
    if (createFailure) throw createFailure;
    return snapshot();
  });

  app.handleSetMaterial(setMaterial, {
    requireEditable: () => {
      if (!reviewing()) refuse(Refusal.notEditable, `The application is ${state.status}: materials can be set while it is SUBMITTED only.`);
    },
    kinds: () => SPECIALIST_MATERIAL_KINDS,
    unknownKind: (kind, kinds) => `kind ${kind} is not a material of a project specialist application; one of: ${kinds.join(', ')}.`,
    uploaded: (materialId) => activities.findSpecialistMaterial({ applicationId: state.applicationId, partnerId: state.partnerId, materialId }),
    current: () => state.materials,
    status: () => state.status,
    transition,
  });

  setHandler(
    review,
    ({ actor, decision, note }) => {
      const at = now();
      Object.assign(state, { decidedAt: at, ...(note ? { decisionNote: note } : {}) });
      const type = decision === 'APPROVE' ? 'APPROVED' : 'REJECTED';
      return transition({ type, toStatus: type, actor: actor.sub, at, ...(note ? { note } : {}), columns: { decidedAt: at, ...(note ? { decisionNote: note } : {}) } });
    },
    {
      validator: ({ actor, decision, note }) => {
        app.requireVendor(actor);
        if (!reviewing()) refuse(Refusal.notInReview, `The application is ${state.status}, not SUBMITTED.`);
        if (!contract.SPECIALIST_DECISIONS.includes(decision)) refuse(Refusal.invalid, `decision must be one of ${contract.SPECIALIST_DECISIONS.join(', ')}.`);
        if (decision === 'REJECT' && !note?.trim()) refuse(Refusal.invalid, 'REJECT: a reason (note) is required.');
        if (decision === 'APPROVE') app.requireAllMaterials(SPECIALIST_MATERIAL_KINDS, state.materials);
      },
    },
  );

  setHandler(
    cancel,
    ({ actor, reason }) => {
      const at = now();
      Object.assign(state, { cancelledAt: at, cancelledBy: actor.sub, cancelReason: reason });
      const by = actor.partnerId !== undefined ? 'PARTNER' : 'VENDOR';
      return transition({ type: 'CANCELLED', toStatus: 'CANCELLED', actor: actor.sub, at, note: reason, columns: { cancelledAt: at, cancelledBy: actor.sub, cancelReason: reason }, data: { by } });
    },
    {
      validator: ({ actor, reason }) => {
        if (actor.partnerId !== undefined) app.requireOwner(actor);
        else app.requireVendor(actor);
        if (state.status !== 'SUBMITTED' && state.status !== 'APPROVED') refuse(Refusal.notCancellable, `The application is ${state.status}: only SUBMITTED or APPROVED can be cancelled.`);
        if (!reason?.trim()) refuse(Refusal.invalid, 'A cancellation needs a reason.');
      },
    },
  );

  const due = {
    state,
    pending,
    guard: app.guard,
    reviewing,
    status: 'SUBMITTED' as const,
    remindBefore: contract.REVIEW_REMINDER_WORKING_DAYS,
    plan: (a: { from: string; workingDays: number; remindBefore: number }) => activities.planSpecialistDeadline({ partnerId: state.partnerId, ...a }),
    remind: (reviewDueAt: string, reminderAt: string, extra: Record<string, unknown>) =>
      activities.enqueueSpecialistMessage({
        topic: contract.SPECIALIST_REVIEW_REMINDER_TOPIC,
        aggregateId: state.applicationId,
        dedupeKey: contract.specialistReminderKey(state.applicationId, reviewDueAt),
        payload: { ...about(), reviewDueAt, workingDaysBefore: contract.REVIEW_REMINDER_WORKING_DAYS, ...extra },
        dueAt: reminderAt,
      }),
    transition,
  };
  // Past reviewDueAt nothing is recomputed: the escalation has been sent for the date the reviewers knew.
  acceptReviewRecomputes(due, requests);

  // --- lifecycle ------------------------------------------------------------------------------------------------
  if (!carried) {
    try {
      const submitted = await activities.submitSpecialistApplication({ ...input, submittedAt: new Date(workflowInfo().startTime).toISOString() });
      pending.set({ deadline: submitted.reviewDueAt, explanation: submitted.explanation, ...(submitted.reminderAt ? { reminderAt: submitted.reminderAt } : {}) });
      Object.assign(state, { submittedAt: submitted.submittedAt, reviewSlaWorkingDays: submitted.reviewSlaWorkingDays, reviewDueAt: submitted.reviewDueAt, seq: submitted.seq });
    } catch (error) {
      createFailure = causeOf(error);
      await condition(allHandlersFinished);
      throw createFailure;
    }
  }
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }, { key: PathId, value: state.pathId }]);
  publish();

  await watchReviewDue(due, requests);
  await condition(() => !reviewing());
  if (state.status === 'APPROVED') {
    // An approved specialist stays until cancelled: the workflow waits, continuing as new when its history grows long.
    await condition(() => state.status !== 'APPROVED' || workflowInfo().continueAsNewSuggested);
    if (state.status === 'APPROVED') {
      await settled();
      await condition(allHandlersFinished);
      return continueAsNew<typeof specialistWorkflow>(input, snapshot());
    }
  }
  await settled();
  await condition(allHandlersFinished);
  return snapshot();
}
