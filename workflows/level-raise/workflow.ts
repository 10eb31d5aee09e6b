/**
 * One level raise (`level-raise-<raiseId>`, 提升等级): a partner asks for the next level of a development path; the
 * vendor reviews it within its SLA.
 *
 *   request (every requirement met) ──▶ SUBMITTED ──review APPROVE (level unchanged meanwhile)──▶ APPROVED (the level moves, once)
 *                                          │  ├──review REJECT (a reason)──▶ REJECTED
 *                                          │  └──withdraw (the partner)──▶ WITHDRAWN
 *   SUBMITTED: reviewDueAt is the configured SLA in working days of the partner's calendar from the submission; the
 *   vendor's reviewers are reminded 1 working day before it, and past it the raise escalates once (it stays
 *   SUBMITTED). recomputeDeadline (the partner's calendar changed) counts reviewDueAt again (workflows/kit/review-due.ts).
 *
 * The LEVEL_UP rules (domain/eligibility.ts) are checked by the submission's activity, in the transaction that records
 * the raise. The approval is decided by its activity in one transaction — the partner's level still the one the raise
 * started from, then the level, its membership change (unique per raise) and the approval's history row — so a retried
 * activity or a second approval changes nothing, and a level a path review moved meanwhile refuses the approval
 * (LEVEL_CHANGED) without recording anything. Messages: workflows/level-raise/contract.ts (re-exported).
 */
import { allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createLevelRaiseActivities, LevelRaiseTransitionRecord } from '../../activities/level-raise.js';
import { PendingDeadline, publishProcess } from '../kit/deadline.js';
import { ReviewedApplication } from '../kit/reviewed-application.js';
import { acceptReviewRecomputes, watchReviewDue } from '../kit/review-due.js';
import { PartnerId, PathId } from '../kit/search-attributes.js';
import { causeOf, now, persistenceActivityOptions, provisionalPayload, type RecomputeRequest, refuse } from '../kit/shared.js';
import { BusyGuard, transitionQueue } from '../kit/transitions.js';
import { create, getState, LEVEL_RAISE_DECISIONS, LEVEL_RAISE_REMINDER_WORKING_DAYS, LEVEL_RAISE_REVIEW_REMINDER_TOPIC, levelRaiseReminderKey, Refusal, review, withdraw } from './contract.js';
import type { LevelRaiseInput, LevelRaiseSnapshot } from './contract.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof createLevelRaiseActivities>>(persistenceActivityOptions);

export async function levelRaiseWorkflow(input: LevelRaiseInput): Promise<LevelRaiseSnapshot> {
  const state: LevelRaiseSnapshot = { ...input, status: 'SUBMITTED', reviewEscalated: false, seq: 0 };
  let createFailure: unknown;
  const app = new ReviewedApplication(new BusyGuard(), {
    partnerId: state.partnerId,
    refusals: Refusal,
    noun: 'level raise',
    name: 'level raise',
    ready: () => state.submittedAt !== undefined,
    notReady: [Refusal.notSubmitted, 'The level raise is still being submitted; try again.'],
    vendorOnly: 'Only vendor staff review level raises.',
  });
  const pending = new PendingDeadline();
  const requests: RecomputeRequest[] = [];
  const reviewing = () => state.status === 'SUBMITTED';
  const pendingMark = () => (reviewing() ? pending.mark : '');
  const snapshot = (): LevelRaiseSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(pendingMark()) }));
  const publish = () => publishProcess(state.status, reviewing() ? state.reviewDueAt : undefined, pendingMark());
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ raiseId: state.raiseId }),
    publish,
    persist: (record: LevelRaiseTransitionRecord) => activities.recordLevelRaiseTransition(record),
    answer: snapshot,
  });
  const about = () => ({ raiseId: state.raiseId, partnerId: state.partnerId, pathId: state.pathId, fromLevel: state.fromLevel, toLevel: state.toLevel });

  // --- messages -------------------------------------------------------------------------------------------------
  setHandler(getState, snapshot);

  setHandler(create, async () => {
    await condition(() => state.submittedAt !== undefined || createFailure !== undefined);
    if (createFailure) throw createFailure;
    return snapshot();
  });

  setHandler(
    review,
    ({ actor, decision, note }) =>
      app.guard.run(async () => {
        const at = now();
        const columns = { decidedAt: at, ...(note ? { decisionNote: note } : {}) };
        if (decision === 'REJECT') {
          Object.assign(state, columns);
          return transition({ type: 'REJECTED', toStatus: 'REJECTED', actor: actor.sub, at, note: note!, columns });
        }
        // The approval's number follows every transition recorded before it; its activity decides and records it at
        // once (the level, the membership change, the history row), or refuses with nothing written.
        await settled();
        const record: LevelRaiseTransitionRecord = {
          raiseId: state.raiseId,
          seq: state.seq + 1,
          type: 'APPROVED',
          fromStatus: 'SUBMITTED',
          toStatus: 'APPROVED',
          actor: actor.sub,
          at,
          ...(note ? { note } : {}),
          columns,
          data: { fromLevel: state.fromLevel, toLevel: state.toLevel },
        };
        await activities.approveLevelRaise(record);
        Object.assign(state, columns, { seq: record.seq, status: 'APPROVED' });
        publish();
        return snapshot();
      }),
    {
      validator: ({ actor, decision, note }) => {
        app.requireVendor(actor);
        if (!reviewing()) refuse(Refusal.notInReview, `The level raise is ${state.status}, not SUBMITTED.`);
        if (!(LEVEL_RAISE_DECISIONS as readonly string[]).includes(decision)) refuse(Refusal.invalid, `decision must be one of ${LEVEL_RAISE_DECISIONS.join(', ')}.`);
        if (decision === 'REJECT' && !note?.trim()) refuse(Refusal.invalid, 'REJECT: a reason (note) is required.');
      },
    },
  );

  setHandler(
    withdraw,
    ({ actor, reason }) => {
      const at = now();
      state.withdrawnAt = at;
      return transition({ type: 'WITHDRAWN', toStatus: 'WITHDRAWN', actor: actor.sub, at, ...(reason ? { note: reason } : {}), columns: { withdrawnAt: at } });
    },
    {
      validator: ({ actor }) => {
        app.requireOwner(actor);
        if (!reviewing()) refuse(Refusal.notInReview, `The level raise is ${state.status}: only a SUBMITTED raise can be withdrawn.`);
      },
    },
  );

  const due = {
    state,
    pending,
    guard: app.guard,
    reviewing,
    status: 'SUBMITTED' as const,
    remindBefore: LEVEL_RAISE_REMINDER_WORKING_DAYS,
    plan: (a: { from: string; workingDays: number; remindBefore: number }) => activities.planLevelRaiseDeadline({ partnerId: state.partnerId, ...a }),
    remind: (reviewDueAt: string, reminderAt: string, extra: Record<string, unknown>) =>
      activities.enqueueLevelRaiseMessage({
        topic: LEVEL_RAISE_REVIEW_REMINDER_TOPIC,
        aggregateId: state.raiseId,
        dedupeKey: levelRaiseReminderKey(state.raiseId, reviewDueAt),
        payload: { ...about(), reviewDueAt, workingDaysBefore: LEVEL_RAISE_REMINDER_WORKING_DAYS, ...extra },
        dueAt: reminderAt,
      }),
    transition,
  };
  acceptReviewRecomputes(due, requests);

  // --- lifecycle ------------------------------------------------------------------------------------------------
  try {
    const submitted = await activities.submitLevelRaise({ ...input, submittedAt: new Date(workflowInfo().startTime).toISOString() });
    pending.set({ deadline: submitted.reviewDueAt, explanation: submitted.explanation, ...(submitted.reminderAt ? { reminderAt: submitted.reminderAt } : {}) });
    Object.assign(state, { submittedAt: submitted.submittedAt, reviewSlaWorkingDays: submitted.reviewSlaWorkingDays, reviewDueAt: submitted.reviewDueAt, seq: submitted.seq });
  } catch (error) {
    createFailure = causeOf(error);
    await condition(allHandlersFinished);
    throw createFailure;
  }
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }, { key: PathId, value: state.pathId }]);
  publish();

  await watchReviewDue(due, requests);
  await condition(() => !reviewing());
  await settled();
  await condition(allHandlersFinished);
  return snapshot();
}
