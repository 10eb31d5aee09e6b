/**
 * HO-shared opportunity acceptance. The vendor shares an opportunity with one partner, which must accept
 * or reject it before acceptDeadline (3 working days in its calendar); otherwise it expires: auto-rejected
 * and reclaimed by the vendor. After acceptance the partner posts progress updates until it closes it.
 *
 * Its messages, id and types are in workflows/opportunity/contract.ts (re-exported here).
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  patched,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AcceptPlan, createOpportunityActivities, TransitionRecord } from '../../activities/opportunity.js';
import { ACCEPT_REMINDER_TOPIC } from '../../domain/events.js';
import { publishDeadline, recomputedNote, watchDeadline } from '../kit/deadline.js';
import { DeadlineProvisional, PartnerId, ProcessDeadline, ProcessStatus } from '../kit/search-attributes.js';
import { persistenceActivities } from '../kit/persistence.js';
import { causeOf, persistenceActivityOptions, provisionalMarkOf, provisionalPayload, type RecomputeRequest, recomputeDeadline, refuse } from '../kit/shared.js';
import { transitionQueue } from '../kit/transitions.js';

export * from './contract.js';
import { type Actor, getState, type OpportunityInput, type OpportunitySnapshot, share, accept, reject, postUpdate, close, Refusal } from './contract.js';

type Activities = ReturnType<typeof createOpportunityActivities>;
const durable = proxyActivities<Activities>(persistenceActivityOptions);

/** Carried across continue-as-new so a long-lived accepted opportunity keeps its state and sequence. */
type Carried = { snapshot: OpportunitySnapshot };

/** Histories recorded before the accept reminder and deadline recomputation replay the single-timer wait. */
export const ACCEPT_REMINDER_AND_RECOMPUTE = 'accept-reminder-and-recompute';
/** Before it a deadline that moved while its reminder time stayed put was not announced again. */
export const OPPORTUNITY_REMINDER_PER_DEADLINE = 'opportunity-reminder-per-deadline';

export async function opportunityWorkflow(input: OpportunityInput, carried?: Carried): Promise<OpportunitySnapshot> {
  // The plans (reads) and the share's write: local activities (workflows/kit/persistence.ts). Transitions and the
  // reminder: regular activities, decided durably before they are written (the history tables are append-only).
  const { local, activities } = persistenceActivities<Activities>();
  const state: OpportunitySnapshot = carried?.snapshot ?? {
    opportunityId: input.opportunityId,
    partnerId: input.partnerId,
    status: 'PENDING_ACCEPTANCE',
    seq: 0,
  };
  let shareFailure: ApplicationFailure | undefined;
  let reminderAt: string | undefined;
  let reminded = false;
  let provisional = ''; // the accept deadline's provisional mark (provisionalMarkOf)
  const recomputeRequests: RecomputeRequest[] = [];
  // Persisted one at a time, in workflow order (workflows/kit/transitions.ts), so the database replays the workflow exactly.
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ opportunityId: state.opportunityId }),
    publish: () => upsertSearchAttributes([{ key: ProcessStatus, value: state.status }]),
    persist: (record: TransitionRecord) => durable.recordTransition(record),
    answer: () => ({ ...state }),
  });

  const requireOwner = (actor: Actor) => {
    if (actor.partnerId !== state.partnerId) refuse(Refusal.notFound, 'No such opportunity for this partner.');
  };
  const requirePending = () => {
    if (!state.sharedAt) refuse(Refusal.notShared, 'The opportunity is still being shared.');
    if (state.status !== 'PENDING_ACCEPTANCE') refuse(Refusal.notPending, `The opportunity is ${state.status}, not pending acceptance.`);
    if (Date.now() >= Date.parse(state.acceptDeadline!)) {
      refuse(Refusal.deadlinePassed, `The accept deadline ${state.acceptDeadline} has passed.`);
    }
  };
  const requireAccepted = () => {
    if (state.status !== 'ACCEPTED') refuse(Refusal.notAccepted, `The opportunity is ${state.status}, not ACCEPTED.`);
  };

  setHandler(getState, () => ({ ...state }));
  setHandler(recomputeDeadline, (request) => void recomputeRequests.push(request));
  setHandler(share, async () => {
    await condition(() => state.sharedAt !== undefined || shareFailure !== undefined);
    if (shareFailure) throw shareFailure;
    return { ...state };
  });
  setHandler(accept, ({ actor }) => transition({ type: 'ACCEPTED', toStatus: 'ACCEPTED', actor: actor.sub }), {
    validator: ({ actor }) => (requireOwner(actor), requirePending()),
  });
  setHandler(
    reject,
    ({ actor, reasonCode, note }) => transition({ type: 'REJECTED', toStatus: 'REJECTED', actor: actor.sub, reasonCode, note }),
    { validator: ({ actor }) => (requireOwner(actor), requirePending()) },
  );
  setHandler(
    postUpdate,
    ({ actor, stage, note }) => transition({ type: 'UPDATE_POSTED', toStatus: 'ACCEPTED', actor: actor.sub, note, data: { stage } }),
    { validator: ({ actor }) => (requireOwner(actor), requireAccepted()) },
  );
  setHandler(
    close,
    ({ actor, outcome, note }) => transition({ type: 'CLOSED', toStatus: outcome, actor: actor.sub, reasonCode: outcome, note }),
    { validator: ({ actor }) => (requireOwner(actor), requireAccepted()) },
  );

  if (!carried) {
    // With local persistence the share counts from the workflow's start (the vendor's request), the same instant in a
    // retried first task: a write a lost task left is the write the retry makes.
    const sharedAt = (local ? workflowInfo().startTime : new Date()).toISOString();
    try {
      // Local: one activity plans and writes (one activation of the workflow fewer); before it, two regular ones.
      const plan = local ? await activities.shareOpportunity({ ...input, sharedAt }) : await activities.planAcceptDeadline({ partnerId: input.partnerId, sharedAt });
      if (!local) await activities.recordShared({ ...input, sharedAt, ...plan });
      Object.assign(state, { sharedAt, acceptDeadline: plan.acceptDeadline, seq: 1 });
      reminderAt = plan.reminderAt;
      provisional = provisionalMarkOf(plan.explanation);
      upsertSearchAttributes([
        { key: PartnerId, value: input.partnerId },
        { key: ProcessStatus, value: state.status },
        { key: ProcessDeadline, value: new Date(plan.acceptDeadline) },
        { key: DeadlineProvisional, value: provisional !== '' },
      ]);
    } catch (error) {
      // A calendar that cannot answer (fails closed): nothing was shared; tell the caller why and stop.
      const cause = causeOf(error);
      shareFailure = cause instanceof ApplicationFailure ? cause : ApplicationFailure.create({ type: Refusal.notShared, message: String(error), nonRetryable: true });
      await condition(allHandlersFinished);
      throw shareFailure;
    }
  }

  const expire = () =>
    transition({
      type: 'EXPIRED',
      toStatus: 'EXPIRED',
      actor: 'system',
      reasonCode: 'ACCEPT_DEADLINE_PASSED',
      note: 'Not accepted within the accept deadline: auto-rejected and reclaimed by the vendor.',
      data: { reclaimed: true },
    });

  if (state.status === 'PENDING_ACCEPTANCE' && patched(ACCEPT_REMINDER_AND_RECOMPUTE)) {
    // Until accepted or rejected: the reminder, deadline recomputations, and expiry at the (latest) deadline.
    await watchDeadline({
      pending: () => state.status === 'PENDING_ACCEPTANCE',
      deadline: () => state.acceptDeadline!,
      reminderAt: () => (reminderAt && !reminded ? reminderAt : undefined),
      requests: recomputeRequests,
      recompute,
      remind: () => {
        reminded = true;
        return durable.enqueueOpportunityMessage({
          topic: ACCEPT_REMINDER_TOPIC,
          opportunityId: state.opportunityId,
          partnerId: state.partnerId,
          // One reminder per deadline: a moved deadline reminds again.
          dedupeKey: `${ACCEPT_REMINDER_TOPIC}-${state.opportunityId}-${state.acceptDeadline}`,
          dueAt: reminderAt!,
          payload: { acceptDeadline: state.acceptDeadline, reminderAt, ...provisionalPayload(provisional) },
        });
      },
      passed: expire,
    });
  } else if (state.status === 'PENDING_ACCEPTANCE') {
    const msLeft = Date.parse(state.acceptDeadline!) - Date.now();
    const decided = await condition(() => state.status !== 'PENDING_ACCEPTANCE', Math.max(msLeft, 1));
    if (!decided) await expire();
  }

  while (state.status === 'ACCEPTED') {
    await condition(() => state.status !== 'ACCEPTED' || workflowInfo().continueAsNewSuggested);
    if (state.status === 'ACCEPTED') {
      await condition(allHandlersFinished);
      await settled();
      await continueAsNew<typeof opportunityWorkflow>(input, { snapshot: state });
    }
  }

  await settled();
  await condition(allHandlersFinished);
  return { ...state };

  async function recompute(requests: RecomputeRequest[]) {
    const plan: AcceptPlan = await activities.planAcceptDeadline({ partnerId: state.partnerId, sharedAt: state.sharedAt! });
    const mark = provisionalMarkOf(plan.explanation);
    // Unchanged date and mark: nothing to record. A mark that changed alone (the official schedule was published and
    // confirmed the date) is still recorded, so the stored explanation and the Web UI stop saying provisional.
    if (state.status !== 'PENDING_ACCEPTANCE' || (plan.acceptDeadline === state.acceptDeadline && mark === provisional)) return;
    const from = state.acceptDeadline!;
    const moved = plan.acceptDeadline !== from;
    state.acceptDeadline = plan.acceptDeadline;
    provisional = mark;
    // The reminder belongs to the deadline (domain/reminders.ts): one already sent is sent again for the new date.
    if (moved && (reminderAt !== plan.reminderAt || (reminded && patched(OPPORTUNITY_REMINDER_PER_DEADLINE)))) [reminderAt, reminded] = [plan.reminderAt, false];
    publishDeadline(plan.acceptDeadline, mark);
    const note = recomputedNote({ deadline: 'Accept deadline', start: 'sharedAt', calendar: plan.calendar, version: requests.at(-1)?.version, from, to: plan.acceptDeadline, mark });
    await transition({
      type: 'DEADLINE_CHANGED',
      toStatus: 'PENDING_ACCEPTANCE',
      actor: 'system',
      reasonCode: 'CALENDAR_CHANGED',
      note,
      data: { from, to: plan.acceptDeadline, calendar: plan.calendar, zone: plan.zone, explanation: plan.explanation, reasons: requests.map((r) => r.reason) },
    });
  }
}
