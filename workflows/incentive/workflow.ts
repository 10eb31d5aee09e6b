/**
 * Monthly expert incentive, verification step. For one partner and one month (period 'YYYY-MM') the incentive is
 * generated from the partner's qualifying experts; the partner verifies the list (headcount and total must match)
 * within 14 working days, or objects to lines, which the vendor resolves (adjusting or removing lines, or
 * rejecting the objection) before the partner verifies again. Verification writes the settlement; an incentive
 * not verified by the deadline expires. 3 working days before the deadline a reminder goes to the outbox.
 *
 *   PENDING_VERIFICATION ──verify──▶ VERIFIED (+ settlement, once)
 *        │  ▲
 *   object  resolveObjection (adjust / remove lines, or reject the objection; the deadline does not move)
 *        ▼  │
 *      OBJECTED
 *   PENDING_VERIFICATION | OBJECTED ──verificationDeadline──▶ EXPIRED
 *   PENDING_VERIFICATION | OBJECTED ──recomputeDeadline (calendar changed)──▶ same status, DEADLINE_CHANGED if it moved
 *
 * Choice: the deadline also expires an OBJECTED incentive. An objection does not stop the clock — the vendor has
 * to resolve it in time for the partner to verify; otherwise nothing is settled, exactly as for a partner who
 * never answered. This keeps one fixed, explainable deadline per incentive.
 *
 * Messages are defined here so the API's client module (next step) shares one contract with the workflow.
 */
import { allHandlersFinished, condition, patched, proxyActivities, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { createIncentiveActivities, IncentiveTransitionRecord, VerificationPlan } from '../../activities/incentive.js';
import { planReminders } from '../../domain/reminders.js';
import { calendarVersionOf, publishDeadline, recomputedNote, watchDeadline } from '../kit/deadline.js';
import { persistenceActivities } from '../kit/persistence.js';
import { requireBefore, SHA256 } from '../kit/reviewed-application.js';
import { ProcessStatus } from '../kit/search-attributes.js';
import { persistenceActivityOptions, provisionalMarkOf, provisionalPayload, type RecomputeRequest, recomputeDeadline, refuse } from '../kit/shared.js';
import { transitionQueue } from '../kit/transitions.js';

export * from './contract.js';
import { type Actor, type Adjustment, generatedSearchAttributes, getIncentive, INCENTIVE_OPEN_STATUSES, type IncentiveInput, type IncentiveLine, Refusal } from './contract.js';
import { incentiveId, type IncentiveSnapshot, type IncentiveStatus, type Material, object, type ObjectedLine, resolveObjection, verify } from './contract.js';

/** Histories recorded before deadline recomputation replay the two fixed timers (reminder, then deadline). */
export const INCENTIVE_DEADLINE_RECOMPUTE = 'incentive-deadline-recompute';
/** Histories recorded before it keep a sent reminder when the deadline moves (no reminder for the new date). */
export const INCENTIVE_REMINDER_PER_DEADLINE = 'incentive-reminder-per-deadline';

type Activities = ReturnType<typeof createIncentiveActivities>;
// Transitions and the reminder's message: regular activities, written once the workflow has decided them durably
// (workflows/kit/persistence.ts says why); tests read the reminder's input from history.
const durable = proxyActivities<Activities>(persistenceActivityOptions);

const sum = (lines: readonly IncentiveLine[]) => lines.reduce((total, l) => total + l.amountMinor, 0);
const isOpen = (status: IncentiveStatus) => (INCENTIVE_OPEN_STATUSES as readonly string[]).includes(status);

export async function incentiveWorkflow(input: IncentiveInput): Promise<IncentiveSnapshot> {
  // Generation (the first write, from durable inputs) and the deadline plans (reads): local activities
  // (workflows/kit/persistence.ts). Issue 16's run profile: the generation as a regular activity cost the Temporal
  // server an activity task and a second workflow task per partner, the largest share of a monthly run's CPU.
  // A workflow the run hands its stored incentive (input.generated) was started after every patch below existed, so it
  // asks none of them: each patch marker also upserts TemporalChangeVersion, a visibility write per workflow that 10,000
  // starts pay for. Started with its search attributes too, such a verification is one workflow task (the deadline's
  // timer) until its partner acts; its persistence activities are decided at its first recompute, once for the run.
  const handed = input.generated !== undefined;
  let persistence: { local: boolean; activities: Activities } | undefined;
  const persistenceOf = () => (persistence ??= persistenceActivities<Activities>());
  const state: IncentiveSnapshot = {
    incentiveId: incentiveId(input.partnerId, input.period),
    partnerId: input.partnerId,
    period: input.period,
    status: 'PENDING_VERIFICATION',
    reminderSent: false,
    currency: '',
    headcount: 0,
    totalMinor: 0,
    lines: [],
    seq: 0,
  };
  const recomputeRequests: RecomputeRequest[] = [];
  let provisional = ''; // the verification deadline's provisional mark (provisionalMarkOf)
  const snapshot = (): IncentiveSnapshot => ({ ...state, lines: state.lines.map((l) => ({ ...l })), ...provisionalPayload(provisional) });

  // Persisted one at a time, in workflow order (workflows/kit/transitions.ts), so the database replays the workflow exactly.
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ incentiveId: state.incentiveId }),
    publish: () => upsertSearchAttributes([{ key: ProcessStatus, value: state.status }]),
    persist: (record: IncentiveTransitionRecord) => durable.recordIncentiveTransition(record),
    answer: snapshot,
  });

  const requireGenerated = () => {
    if (!state.generatedAt) refuse(Refusal.notGenerated, 'The incentive is still being generated.');
  };
  const requireOwner = (actor: Actor) => {
    if (actor.partnerId !== state.partnerId) refuse(Refusal.notFound, 'No such incentive for this partner.');
  };
  const requireBeforeDeadline = () =>
    requireBefore(state.verificationDeadline, Refusal.deadlinePassed, `The verification deadline ${state.verificationDeadline} has passed.`);
  const requirePending = () => {
    requireGenerated();
    if (state.status !== 'PENDING_VERIFICATION') refuse(Refusal.notPending, `The incentive is ${state.status}, not pending verification.`);
    requireBeforeDeadline();
  };
  const requireKnownLines = (expertIds: string[], what: string) => {
    if (expertIds.length === 0) refuse(Refusal.invalid, `${what}: name at least one line.`);
    if (new Set(expertIds).size !== expertIds.length) refuse(Refusal.invalid, `${what}: a line is named twice.`);
    const unknown = expertIds.filter((id) => !state.lines.some((l) => l.expertId === id));
    if (unknown.length) refuse(Refusal.invalid, `${what}: no line for expert ${unknown.join(', ')}.`);
  };

  setHandler(getIncentive, snapshot);
  setHandler(recomputeDeadline, (request) => void recomputeRequests.push(request));

  setHandler(
    verify,
    ({ actor, headcount, totalMinor, materials }) =>
      transition({
        type: 'VERIFIED',
        toStatus: 'VERIFIED',
        actor: actor.sub,
        data: { headcount, totalMinor, materials },
        settlement: { partnerId: state.partnerId, period: state.period, amountMinor: state.totalMinor, currency: state.currency },
      }),
    {
      validator: ({ actor, headcount, totalMinor, materials }) => {
        requireOwner(actor);
        requirePending();
        const differences = [
          ...(headcount !== state.headcount ? [`headcount ${headcount} ≠ list ${state.headcount}`] : []),
          ...(totalMinor !== state.totalMinor ? [`total ${totalMinor} ≠ list ${state.totalMinor}`] : []),
        ];
        if (differences.length) refuse(Refusal.listMismatch, differences.join('; '));
        const bad = materials.findIndex((m: Material) => !m.fileName || !SHA256.test(m.sha256) || !Number.isSafeInteger(m.size) || m.size < 0);
        if (bad >= 0) refuse(Refusal.invalid, `materials[${bad}]: needs a file name, a hex SHA-256 and a size.`);
      },
    },
  );

  setHandler(
    object,
    ({ actor, lines }) => {
      state.objection = lines.map((l: ObjectedLine) => ({ ...l }));
      return transition({ type: 'OBJECTED', toStatus: 'OBJECTED', actor: actor.sub, data: { lines } });
    },
    {
      validator: ({ actor, lines }) => {
        requireOwner(actor);
        requirePending();
        requireKnownLines(lines.map((l: ObjectedLine) => l.expertId), 'objection');
        if (lines.some((l: ObjectedLine) => !l.reason?.trim())) refuse(Refusal.invalid, 'objection: every line needs a reason.');
      },
    },
  );

  setHandler(
    resolveObjection,
    ({ actor, adjustments, rejectObjection, note }) => {
      const objection = state.objection;
      state.objection = undefined;
      if (rejectObjection) {
        return transition({ type: 'OBJECTION_REJECTED', toStatus: 'PENDING_VERIFICATION', actor: actor.sub, note, data: { objection } });
      }
      const before = state.lines.map((l) => ({ expertId: l.expertId, amountMinor: l.amountMinor }));
      for (const a of adjustments!) {
        if ('remove' in a) state.lines = state.lines.filter((l) => l.expertId !== a.expertId);
        else state.lines = state.lines.map((l) => (l.expertId === a.expertId ? { ...l, amountMinor: a.amountMinor } : l));
      }
      state.headcount = state.lines.length;
      state.totalMinor = sum(state.lines);
      return transition({
        type: 'OBJECTION_RESOLVED',
        toStatus: 'PENDING_VERIFICATION',
        actor: actor.sub,
        note,
        data: { objection, adjustments, before, headcount: state.headcount, totalMinor: state.totalMinor },
        lines: state.lines.map((l) => ({ ...l })),
      });
    },
    {
      validator: ({ actor, adjustments, rejectObjection, note }) => {
        if (actor.partnerId !== undefined) refuse(Refusal.vendorOnly, 'Only vendor staff resolve objections.');
        requireGenerated();
        if (state.status !== 'OBJECTED') refuse(Refusal.notObjected, `The incentive is ${state.status}, not OBJECTED.`);
        requireBeforeDeadline();
        if (!note?.trim()) refuse(Refusal.invalid, 'resolution: a note is required.');
        if (rejectObjection) {
          if (adjustments?.length) refuse(Refusal.invalid, 'resolution: either adjustments or rejectObjection, not both.');
          return;
        }
        requireKnownLines((adjustments ?? []).map((a: Adjustment) => a.expertId), 'resolution');
        for (const a of adjustments!) {
          if ('remove' in a ? a.remove !== true : !Number.isSafeInteger(a.amountMinor) || a.amountMinor < 0) {
            refuse(Refusal.invalid, `resolution: expert ${a.expertId} needs amountMinor ≥ 0 (integer) or remove: true.`);
          }
        }
      },
    },
  );

  // Generation, or the stored incentive the monthly run handed over with the input, adopted as it is.
  const generated = input.generated ?? (await generate());
  Object.assign(state, {
    status: generated.status,
    generatedAt: generated.generatedAt,
    verificationDeadline: generated.verificationDeadline,
    reminderAt: generated.reminderAt,
    currency: generated.currency,
    lines: generated.lines,
    headcount: generated.lines.length,
    totalMinor: sum(generated.lines),
    seq: generated.seq,
  });
  provisional = provisionalMarkOf(generated.explanation);
  // Started by the run with these very attributes (contract.ts generatedSearchAttributes): nothing to publish.
  if (!handed) upsertSearchAttributes(generatedSearchAttributes(input.partnerId, input.period, generated));
  const expire = () =>
    // Also from OBJECTED: see the choice documented at the top of this file.
    transition({
      type: 'EXPIRED',
      toStatus: 'EXPIRED',
      actor: 'system',
      reasonCode: 'VERIFICATION_DEADLINE_PASSED',
      note: 'Not verified within the verification deadline: nothing is settled for this period.',
      ...(state.objection ? { data: { openObjection: state.objection } } : {}),
    });
  const remind = async () => {
    await durable.enqueueIncentiveReminder({
      incentiveId: state.incentiveId,
      partnerId: state.partnerId,
      period: state.period,
      verificationDeadline: state.verificationDeadline!,
      dueAt: state.reminderAt!,
      ...provisionalPayload(provisional),
    });
    state.reminderSent = true;
  };

  if (isOpen(state.status) && (handed || patched(INCENTIVE_DEADLINE_RECOMPUTE))) {
    // Until verified: the reminder, deadline recomputations and expiry at the (latest) deadline.
    await watchDeadline({
      pending: () => isOpen(state.status),
      deadline: () => state.verificationDeadline!,
      reminderAt: () => (state.reminderSent ? undefined : state.reminderAt!),
      requests: recomputeRequests,
      recompute,
      remind,
      passed: expire,
    });
  } else {
    const deadlineMs = Date.parse(generated.verificationDeadline);
    const reminderMs = Date.parse(generated.reminderAt);
    if (isOpen(state.status)) {
      const closed = await condition(() => !isOpen(state.status), Math.max(reminderMs - Date.now(), 1));
      if (!closed && Date.now() < deadlineMs) await remind();
    }
    if (isOpen(state.status)) {
      const decided = await condition(() => !isOpen(state.status), Math.max(deadlineMs - Date.now(), 1));
      if (!decided) await expire();
    }
  }

  await settled();
  await condition(allHandlersFinished);
  return snapshot();

  /** Generates the incentive, or adopts the stored one (a retry, a second start for the same partner and month). */
  async function generate() {
    const { local, activities } = persistenceOf();
    // Local, it counts from the workflow's start: the same instant in a retried first task (a write a lost task left is
    // adopted anyway: generateIncentive creates only what is missing).
    const generatedAt = (local ? workflowInfo().startTime : new Date()).toISOString();
    return activities.generateIncentive({ partnerId: input.partnerId, period: input.period, generatedAt });
  }

  /**
   * The reminder belongs to the deadline (domain/reminders.ts): a moved deadline plans it again, sent or not. An
   * unchanged date whose provisional mark changed (the official schedule was published) is recorded too — the stored
   * explanation and the Web UI stop saying provisional — but its reminder stands.
   */
  async function recompute(requests: RecomputeRequest[]) {
    const plan: VerificationPlan = await persistenceOf().activities.planVerificationDeadline({ partnerId: state.partnerId, generatedAt: state.generatedAt! });
    const mark = provisionalMarkOf(plan.explanation);
    if (!isOpen(state.status) || (plan.verificationDeadline === state.verificationDeadline && mark === provisional)) return;
    const from = state.verificationDeadline!;
    const moved = plan.verificationDeadline !== from;
    state.verificationDeadline = plan.verificationDeadline;
    provisional = mark;
    if (moved && (handed || patched(INCENTIVE_REMINDER_PER_DEADLINE))) {
      const [reminder] = planReminders([{ at: plan.reminderAt }], plan.verificationDeadline, Date.now());
      Object.assign(state, { reminderAt: reminder!.at, reminderSent: reminder!.sent });
    } else if (moved && !state.reminderSent) state.reminderAt = plan.reminderAt;
    publishDeadline(plan.verificationDeadline, mark);
    const version = calendarVersionOf(plan.explanation, requests);
    const note = recomputedNote({ deadline: 'Verification deadline', start: 'generatedAt', calendar: plan.calendar, version, from, to: plan.verificationDeadline, mark });
    await transition({
      type: 'DEADLINE_CHANGED',
      toStatus: state.status,
      actor: 'system',
      reasonCode: 'CALENDAR_CHANGED',
      note,
      data: { from, to: plan.verificationDeadline, reminderAt: state.reminderAt, calendar: plan.calendar, calendarVersion: version ?? null, zone: plan.zone, explanation: plan.explanation, reasons: requests.map((r) => r.reason) },
      replanned: { ...plan, reminderAt: state.reminderAt! },
    });
  }
}
