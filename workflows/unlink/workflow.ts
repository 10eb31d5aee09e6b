/**
 * One unlink request (`unlink-<unlinkId>`, 解除关联): the partner or the customer asks to end their association; the
 * other side may object until the objection deadline; silence approves and the unlink executes.
 *
 *   request (nothing refuses it, the preview's hash still true) ──▶ OBJECTION_WINDOW
 *   OBJECTION_WINDOW ──the other side objects before the deadline──▶ OBJECTED
 *   OBJECTION_WINDOW ──objectionDeadline, silence──▶ UNLINKED (association ended, unspent reclaimed)
 *                                               └──▶ REFUSED_AT_EXECUTION (a reason appeared meanwhile)
 *
 * The deadline is objectionDays calendar days after the request at the same local time in the partner's zone (counted
 * by the request's activity); the objecting side is reminded one calendar day before. At the deadline, to the
 * millisecond, one activity decides and records the outcome in one transaction (activities/unlink.ts executeUnlink):
 * an objection racing it is judged by workflow time — before the deadline it is accepted and the execution waits for
 * it; at or after, it is refused. Messages: workflows/unlink/contract.ts.
 */
import { allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { announcingUnlinkActivities } from '../../activities/unlink.js';
import { publishProcess } from '../kit/deadline.js';
import { PartnerId } from '../kit/search-attributes.js';
import { causeOf, now, persistenceActivityOptions, refuse } from '../kit/shared.js';
import { BusyGuard } from '../kit/transitions.js';
import { create, getState, object, Refusal, UNLINK_OBJECTION_REMINDER_TOPIC, UNLINK_REMINDER_DAYS, unlinkMessageKey } from './contract.js';
import type { UnlinkInput, UnlinkSnapshot } from './contract.js';

export * from './contract.js';

const activities = proxyActivities<ReturnType<typeof announcingUnlinkActivities>>(persistenceActivityOptions);

export async function unlinkWorkflow(input: UnlinkInput): Promise<UnlinkSnapshot> {
  const state: UnlinkSnapshot = { ...input, status: 'OBJECTION_WINDOW', reminded: false, seq: 0 };
  let createFailure: unknown;
  const guard = new BusyGuard();
  const open = () => state.status === 'OBJECTION_WINDOW';
  const snapshot = (): UnlinkSnapshot => JSON.parse(JSON.stringify(state));
  const publish = () => publishProcess(state.status, open() ? state.objectionDeadline : undefined, '');
  const objectingSide = state.requestedSide === 'PARTNER' ? 'CUSTOMER' : 'PARTNER';

  setHandler(getState, snapshot);

  setHandler(create, async () => {
    await condition(() => state.requestedAt !== undefined || createFailure !== undefined);
    if (createFailure) throw createFailure;
    return snapshot();
  });

  setHandler(
    object,
    ({ actor, reason }) =>
      guard.run(async () => {
        const at = now();
        const seq = state.seq + 1;
        await activities.recordUnlinkObjection({ unlinkId: state.unlinkId, seq, actor: actor.sub, side: actor.side, at, ...(reason ? { reason } : {}) });
        Object.assign(state, { status: 'OBJECTED', objectedAt: at, objectedBy: actor.sub, seq });
        publish();
        return snapshot();
      }),
    {
      validator: ({ actor }) => {
        // Another partner's or another customer's unlink is not found, exactly like a missing one.
        if (actor.side === 'PARTNER' && actor.partnerId !== state.partnerId) refuse(Refusal.notFound, `No unlink ${state.unlinkId}.`);
        if (actor.side === 'CUSTOMER' && actor.customerId !== state.customerId) refuse(Refusal.notFound, `No unlink ${state.unlinkId}.`);
        if (!state.requestedAt || guard.busy) refuse(Refusal.busy, 'Another action on this unlink is in progress; try again.');
        if (actor.side === state.requestedSide) refuse(Refusal.ownRequest, `The ${state.requestedSide.toLowerCase()} asked for this unlink: only the ${objectingSide.toLowerCase()} may object.`);
        if (!open()) refuse(Refusal.notInWindow, `The unlink is ${state.status}: there is nothing to object to.`);
        if (Date.now() >= Date.parse(state.objectionDeadline!)) refuse(Refusal.notInWindow, `The objection window ended at ${state.objectionDeadline}.`);
      },
    },
  );

  try {
    const r = await activities.recordUnlinkRequest({ ...input, requestedAt: new Date(workflowInfo().startTime).toISOString() });
    Object.assign(state, { requestedAt: r.requestedAt, objectionDays: r.objectionDays, objectionDeadline: r.objectionDeadline, reminderAt: r.reminderAt, seq: r.seq });
  } catch (error) {
    createFailure = causeOf(error);
    await condition(allHandlersFinished);
    throw createFailure;
  }
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }]);
  publish();

  while (open()) {
    const moments = [Date.parse(state.objectionDeadline!)];
    if (!state.reminded) moments.push(Date.parse(state.reminderAt!));
    const woken = await condition(() => !open(), Math.max(Math.min(...moments) - Date.now(), 1));
    if (woken) break;
    // An objection accepted as the moment came goes first.
    await condition(() => !guard.busy);
    if (!open()) break;
    const t = Date.now();
    if (t >= Date.parse(state.objectionDeadline!)) {
      // The unlink takes effect at the deadline itself (the timer fires at it, or a moment after): that is its instant.
      const executed = await activities.executeUnlink({ unlinkId: state.unlinkId, seq: state.seq + 1, at: state.objectionDeadline! });
      Object.assign(state, { status: executed.status, executedAt: executed.executedAt, seq: executed.seq });
      publish();
    } else if (!state.reminded && t >= Date.parse(state.reminderAt!)) {
      state.reminded = true;
      await activities.enqueueUnlinkMessage({
        topic: UNLINK_OBJECTION_REMINDER_TOPIC,
        aggregateId: state.unlinkId,
        dedupeKey: unlinkMessageKey(UNLINK_OBJECTION_REMINDER_TOPIC, state.unlinkId),
        payload: { unlinkId: state.unlinkId, partnerId: state.partnerId, customerId: state.customerId, to: objectingSide, objectionDeadline: state.objectionDeadline, daysBefore: UNLINK_REMINDER_DAYS },
        dueAt: state.reminderAt!,
      });
    }
  }
  await condition(allHandlersFinished);
  return snapshot();
}
