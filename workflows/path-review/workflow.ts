/**
 * One partner's annual review of one development path (`path-review-<pathId>-<partnerId>-<year>`), started by the
 * path's review cycle (workflows/path-review-cycle/workflow.ts).
 *
 *   OPEN ──apply (every requirement met)──▶ APPLIED ──submit (every material set)──▶ SUBMITTED
 *     │                                      │                                      │ decide PASS ──▶ PASSED (kept or raised)
 *     └──────── windowEndsAt, nothing submitted ──▶ LAPSED                         │ decide FAIL ──▶ FAILED
 *                                                                                  ▼ ▲ supplement
 *                              REQUEST_SUPPLEMENT ──▶ SUPPLEMENT_REQUESTED ──supplementDeadline──▶ LAPSED
 *   OPEN / APPLIED: reminders (outbox) 10 and 3 working days before windowEndsAt. SUPPLEMENT_REQUESTED: a reminder 2
 *   working days before supplementDeadline. LAPSED (either deadline passed) is announced by the activity (path-review.lapsed).
 *   recomputeDeadline (the partner's calendar changed): the pending windowEndsAt (from cycleStartedAt, its reminders
 *   planned again for the new end) or supplementDeadline (from the request) is counted again; a move is recorded as DEADLINE_CHANGED.
 *   PASSED raising the level: only to a level whose requirements are met now (else REQUIREMENTS_UNMET, still SUBMITTED).
 *   FAILED / LAPSED: the level the path's rule gives (one lower, or the partner leaves the path). The membership
 *   change is written in the transaction of the final transition, once (PASSED at the same level changes nothing).
 *
 * Built from the kits (workflows/kit/: transitions, reviewed-application's guards and materials, deadline steps for the
 * window and the supplement). Messages are defined in workflows/path-review/contract.ts (re-exported here).
 */
import { allHandlersFinished, condition, patched, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createPathReviewActivities, PathReviewTransitionRecord, PathReviewWindowPlan } from '../../activities/path-review.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import { planReminders } from '../../domain/reminders.js';
import { calendarVersionOf, deadlineStep, PendingDeadline, publishProcess, recomputedNote, type SteppedDeadline, untilCalendarCovers } from '../kit/deadline.js';
import { requireBefore, ReviewedApplication } from '../kit/reviewed-application.js';
import { PartnerId, PathId, ReviewYear } from '../kit/search-attributes.js';
import { now, persistenceActivityOptions, provisionalMarkOf, provisionalPayload, type RecomputeRequest, refuse } from '../kit/shared.js';
import { BusyGuard, type TransitionOf, transitionQueue } from '../kit/transitions.js';
import { apply, decide, getPathReview, PATH_REVIEW_DECISIONS, type PathReviewInput, Refusal as Refusal, type PathReviewSnapshot } from './contract.js';
import { PATH_REVIEW_SUPPLEMENT_REMINDER_TOPIC, pathReviewId, recomputeDeadline, setMaterial, submit, supplement } from './contract.js';
import { SUPPLEMENT_REMINDER_WORKING_DAYS, SUPPLEMENT_WORKING_DAYS, supplementReminderDedupeKey, WINDOW_REMINDER_TOPIC, windowReminderDedupeKey } from './contract.js';

export * from './contract.js';

/** How often a review that cannot open for lack of calendar data tries again. */
export const CALENDAR_RETRY = '1 hour';
/** Histories recorded before deadline recomputation replay the waits that no signal wakes. */
export const PATH_REVIEW_DEADLINE_RECOMPUTE = 'path-review-deadline-recompute';
/** Before it a moved window kept its sent reminders (the partner was not told the new end). */
export const PATH_REVIEW_REMINDERS_PER_DEADLINE = 'path-review-reminders-per-deadline';
/** Before it the supplement round waited on its deadline alone: no reminder before supplementDeadline. */
export const PATH_REVIEW_SUPPLEMENT_REMINDER = 'path-review-supplement-reminder';
/** Before it a PASS with a higher newLevel was not checked against that level's requirements. */
export const PATH_REVIEW_PASS_LEVEL_REQUIREMENTS = 'path-review-pass-level-requirements';

const activities = proxyActivities<ReturnType<typeof createPathReviewActivities>>(persistenceActivityOptions);

export async function pathReviewWorkflow(input: PathReviewInput): Promise<PathReviewSnapshot> {
  const { pathId, partnerId, year, level, cycleStartedAt } = input;
  const reviewId = pathReviewId(pathId, partnerId, year);
  const state: PathReviewSnapshot = { reviewId, pathId, partnerId, year, level, cycleStartedAt, reminders: [], status: 'OPEN', materials: {}, supplementRound: 0, seq: 0 };
  const app = new ReviewedApplication(new BusyGuard(), {
    partnerId: state.partnerId,
    refusals: Refusal,
    noun: 'review',
    name: 'path review',
    ready: () => state.openedAt !== undefined,
    notReady: [Refusal.notOpened, 'The review is still being opened; try again.'],
    vendorOnly: 'Only vendor staff decide path reviews.',
  });
  /** The stored start of the supplement deadline: the moment the vendor asked. */
  let supplementRequestedAt: string | undefined;
  const planSupplement = (from: string) =>
    activities.planPathReviewDeadline({ partnerId: state.partnerId, from, workingDays: SUPPLEMENT_WORKING_DAYS, remindBefore: SUPPLEMENT_REMINDER_WORKING_DAYS });
  /** When a deadline last moved: a moved deadline already past lapses then, not before it was moved. */
  let deadlineMovedAt = '';
  let recomputes = false;
  const recomputeRequests: RecomputeRequest[] = [];
  const beforeSubmission = () => state.status === 'OPEN' || state.status === 'APPLIED';
  const supplementRequested = () => state.status === 'SUPPLEMENT_REQUESTED';
  /** The mark of the deadline last set (windowEndsAt, then supplementDeadline) and the supplement deadline's reminder. */
  const pending = new PendingDeadline();
  const pendingMark = () => (beforeSubmission() || supplementRequested() ? pending.mark : '');
  const snapshot = (): PathReviewSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(pendingMark()) }));
  const publish = () => publishProcess(state.status, beforeSubmission() ? state.windowEndsAt : supplementRequested() ? state.supplementDeadline : undefined, pendingMark());
  const { transition, settled } = transitionQueue(state, {
    id: () => ({ reviewId: state.reviewId }),
    publish,
    persist: (record: PathReviewTransitionRecord) => activities.recordPathReviewTransition(record),
    answer: snapshot,
  });
  /** The outcome: review columns and, when the level changes, the membership change of the same transaction. */
  const conclude = (type: 'PASSED' | 'FAILED' | 'LAPSED', newLevel: string | null, actor: string, at: string, note?: string, data?: Record<string, unknown>) => {
    Object.assign(state, { decidedAt: at, newLevel });
    if (note) state.decisionNote = note;
    const reason = type === 'PASSED' ? 'REVIEW_PASSED' : type === 'FAILED' ? 'REVIEW_FAILED' : 'REVIEW_LAPSED';
    const columns = { decidedAt: at, newLevel, ...(type !== 'LAPSED' ? { decision: state.decision!, ...(note ? { decisionNote: note } : {}) } : {}) };
    const membership = { partnerId: state.partnerId, pathId: state.pathId, fromLevel: state.level, toLevel: newLevel, reason } as const;
    const changed = newLevel !== state.level ? { membership } : {};
    return transition({ type, toStatus: type, actor, at, ...(note ? { note } : {}), columns, data: { fromLevel: state.level, newLevel, ...data }, ...changed });
  };

  const requireWindowOpen = () => requireBefore(state.windowEndsAt, Refusal.windowClosed, `The review window closed at ${state.windowEndsAt}.`);

  // --- messages -------------------------------------------------------------------------------------------------
  setHandler(getPathReview, snapshot);

  setHandler(
    apply,
    ({ actor }) =>
      app.guard.run(async () => {
        const at = now();
        const { today, results } = await activities.evaluatePathRequirements({ pathId: state.pathId, partnerId: state.partnerId, level: state.level, at });
        app.requireAllMet(results, Refusal.requirementsUnmet, (list) => `Requirements of ${state.pathId} ${state.level} not met on ${today}: ${list}.`);
        Object.assign(state, { appliedAt: at, requirements: results });
        return transition({ type: 'APPLIED', toStatus: 'APPLIED', actor: actor.sub, at, columns: { appliedAt: at }, data: { today, requirements: results } });
      }),
    {
      validator: ({ actor }) => {
        app.requireOwner(actor);
        if (state.status !== 'OPEN') refuse(Refusal.notOpen, `The review is ${state.status}, not OPEN.`);
        requireWindowOpen();
      },
    },
  );

  app.handleSetMaterial(setMaterial, {
    requireEditable: () => {
      if (state.status !== 'APPLIED' && state.status !== 'SUPPLEMENT_REQUESTED') {
        refuse(Refusal.notEditable, `The review is ${state.status}: materials can be set in APPLIED or SUPPLEMENT_REQUESTED only.`);
      }
      if (state.status === 'APPLIED') requireWindowOpen();
      else app.requireBeforeSupplementDeadline(state.supplementDeadline);
    },
    kinds: () => state.terms!.materials,
    unknownKind: (kind, kinds) => `kind ${kind} is not a review material of ${state.pathId}; one of: ${kinds.join(', ')}.`,
    uploaded: (materialId) => activities.findPathReviewMaterial({ reviewId: state.reviewId, partnerId: state.partnerId, materialId }),
    current: () => state.materials,
    status: () => state.status,
    transition,
  });

  setHandler(
    submit,
    ({ actor }) => {
      const at = now();
      state.submittedAt = at;
      return transition({ type: 'SUBMITTED', toStatus: 'SUBMITTED', actor: actor.sub, at, columns: { submittedAt: at } });
    },
    {
      validator: ({ actor }) => {
        app.requireOwner(actor);
        if (state.status !== 'APPLIED') refuse(Refusal.notApplied, `The review is ${state.status}, not APPLIED.`);
        requireWindowOpen();
        app.requireAllMaterials(state.terms!.materials, state.materials);
      },
    },
  );

  setHandler(
    decide,
    ({ actor, decision, note, newLevel }) =>
      app.guard.run(async () => {
        const at = now();
        // A raise is passed only to a level whose requirements are met, evaluated as apply evaluates its level;
        // histories recorded before this check decided without it.
        if (decision === 'PASS' && newLevel !== undefined && newLevel !== state.level && patched(PATH_REVIEW_PASS_LEVEL_REQUIREMENTS)) {
          const { today, results } = await activities.evaluatePathRequirements({ pathId: state.pathId, partnerId: state.partnerId, level: newLevel, at });
          app.requireAllMet(results, Refusal.requirementsUnmet, (list) => `Requirements of ${state.pathId} ${newLevel} not met on ${today}: ${list}.`);
        }
        if (decision !== 'REQUEST_SUPPLEMENT') state.decision = decision;
        if (decision === 'PASS') return conclude('PASSED', newLevel ?? state.level, actor.sub, at, note);
        if (decision === 'FAIL') return conclude('FAILED', state.terms!.levelAfterFailure, actor.sub, at, note);
        const due = await planSupplement(at);
        supplementRequestedAt = at;
        pending.set(due);
        Object.assign(state, { decision, supplementDeadline: due.deadline, supplementRound: state.supplementRound + 1, decisionNote: note });
        const columns = { supplementDeadline: due.deadline, decision, decisionNote: note! };
        const data = { supplementRound: state.supplementRound, supplementDeadline: due.deadline, explanation: due.explanation };
        return transition({ type: 'SUPPLEMENT_REQUESTED', toStatus: 'SUPPLEMENT_REQUESTED', actor: actor.sub, at, note, columns, data });
      }),
    {
      validator: ({ actor, decision, note, newLevel }) => {
        app.requireVendor(actor);
        if (state.status !== 'SUBMITTED') refuse(Refusal.notSubmitted, `The review is ${state.status}, not SUBMITTED.`);
        if (!(PATH_REVIEW_DECISIONS as readonly string[]).includes(decision)) refuse(Refusal.invalid, `decision must be one of ${PATH_REVIEW_DECISIONS.join(', ')}.`);
        if (decision !== 'PASS' && !note?.trim()) refuse(Refusal.invalid, `${decision}: a note is required.`);
        if (newLevel !== undefined && decision !== 'PASS') refuse(Refusal.invalid, 'newLevel goes with PASS only.');
        const levels = state.terms!.levels;
        if (newLevel !== undefined && !(levels.includes(newLevel) && levels.indexOf(newLevel) >= levels.indexOf(state.level))) {
          refuse(Refusal.levelNotAllowed, `A passed review keeps or raises ${state.level}: newLevel must be one of ${levels.slice(levels.indexOf(state.level)).join(', ')}.`);
        }
      },
    },
  );

  setHandler(
    supplement,
    ({ actor, note }) => {
      const at = now();
      delete state.supplementDeadline;
      return transition({ type: 'SUPPLEMENTED', toStatus: 'SUBMITTED', actor: actor.sub, at, ...(note ? { note } : {}), columns: { supplementDeadline: null }, data: { supplementRound: state.supplementRound } });
    },
    {
      validator: ({ actor }) => {
        app.requireOwner(actor);
        if (state.status !== 'SUPPLEMENT_REQUESTED') refuse(Refusal.notSupplementRequested, `The review is ${state.status}, not SUPPLEMENT_REQUESTED.`);
        app.requireBeforeSupplementDeadline(state.supplementDeadline);
      },
    },
  );

  // Only a pending deadline is recomputed: a request in SUBMITTED or after the outcome is dropped.
  setHandler(recomputeDeadline, (request) => {
    if (beforeSubmission() || state.status === 'SUPPLEMENT_REQUESTED') recomputeRequests.push(request);
  });

  // --- lifecycle ------------------------------------------------------------------------------------------------
  upsertSearchAttributes([{ key: PartnerId, value: state.partnerId }, { key: PathId, value: state.pathId }, { key: ReviewYear, value: state.year }]);
  // A window that cannot be counted yet (no calendar data for its year) waits and tries again: the partner loses no days.
  const waiting = { message: 'path review waits for calendar data', about: { reviewId: state.reviewId } };
  const opened = await untilCalendarCovers(() => activities.openPathReview({ ...input, openedAt: now() }), CALENDAR_RETRY, waiting);
  Object.assign(state, { openedAt: opened.openedAt, terms: opened.terms, windowEndsAt: opened.windowEndsAt, reminders: opened.reminders, seq: opened.seq });
  pending.mark = provisionalMarkOf(opened.explanation);
  recomputes = patched(PATH_REVIEW_DEADLINE_RECOMPUTE);
  publish();

  for (;;) {
    if (beforeSubmission()) await windowPhase();
    else if (state.status === 'SUBMITTED') await condition(() => state.status !== 'SUBMITTED');
    else if (supplementRequested()) await supplementPhase();
    else break; // PASSED, FAILED, LAPSED
  }
  await settled();
  await condition(allHandlersFinished);
  return snapshot();

  /** A reminder, once, to the outbox: which review, the deadline it announces and whether that is provisional. */
  function sendReminder(reminder: { at: string; sent: boolean }, topic: string, dedupeKey: string, about: Record<string, unknown>) {
    reminder.sent = true;
    const payload = { reviewId: state.reviewId, pathId: state.pathId, partnerId: state.partnerId, year: state.year, ...about, ...pending.payload };
    return activities.enqueuePathReviewMessage({ topic, aggregateId: state.reviewId, dedupeKey, payload, dueAt: reminder.at });
  }

  /** A wait of the pending deadline: woken by a recompute request (once recomputation is patched in); acts once it is idle. */
  function step<R extends { at: string; sent: boolean }>(d: Omit<SteppedDeadline<R>, 'requests' | 'recomputing' | 'guard'>) {
    return deadlineStep({ ...d, requests: recomputeRequests, recomputing: recomputes, guard: app.guard });
  }

  /** Until a submission: reminders before the window closes, deadline recomputations, LAPSED when it closes. */
  function windowPhase() {
    return step({
      pending: beforeSubmission,
      deadline: () => state.windowEndsAt!,
      reminder: () => state.reminders.find((r) => !r.sent),
      recompute: recomputeWindow,
      remind: (r) => sendReminder(r, WINDOW_REMINDER_TOPIC, windowReminderDedupeKey(reviewId, r.days, state.windowEndsAt!), { windowEndsAt: state.windowEndsAt, daysBefore: r.days }),
      // Before recomputation a reminder still went out once the window had closed.
      remindsAfterDeadline: !recomputes,
      passed: () => {
        const at = laterOf(state.windowEndsAt!, deadlineMovedAt); // a window moved after it had passed lapses when it moved
        return conclude('LAPSED', state.terms!.levelAfterFailure, 'system', at, 'Nothing submitted by the end of the review window.', { windowEndsAt: state.windowEndsAt, ...pending.payload });
      },
    });
  }

  /** Until the supplement: its reminder, deadline recomputations, LAPSED at the deadline. */
  function supplementPhase() {
    return step({
      pending: supplementRequested,
      deadline: () => state.supplementDeadline!,
      reminder: () => (patched(PATH_REVIEW_SUPPLEMENT_REMINDER) && pending.reminder && !pending.reminder.sent ? pending.reminder : undefined),
      recompute: recomputeSupplement,
      remind: (r) => {
        const about = { supplementRound: state.supplementRound, supplementDeadline: state.supplementDeadline, workingDaysBefore: SUPPLEMENT_REMINDER_WORKING_DAYS };
        return sendReminder(r, PATH_REVIEW_SUPPLEMENT_REMINDER_TOPIC, supplementReminderDedupeKey(reviewId, state.supplementRound, state.supplementDeadline!), about);
      },
      passed: () =>
        conclude('LAPSED', state.terms!.levelAfterFailure, 'system', now(), 'No supplement by the supplement deadline.', { supplementDeadline: state.supplementDeadline, ...pending.payload }),
    });
  }

  /**
   * windowEndsAt and its reminders counted again from cycleStartedAt (an activity reads the calendar). The reminders belong
   * to the new end (domain/reminders.ts), whatever was sent for the old one. An unmoved end is recorded only when its
   * provisional mark changed (confirmed by the official schedule), its reminders kept.
   */
  async function recomputeWindow(requests: RecomputeRequest[]) {
    if (Date.now() >= Date.parse(state.windowEndsAt!)) return; // closed: lapsing, not recomputed
    const plan: PathReviewWindowPlan = await activities.planPathReviewWindow({ partnerId: state.partnerId, cycleStartedAt: state.cycleStartedAt, windowWorkingDays: state.terms!.windowWorkingDays });
    if (!beforeSubmission() || !pending.changes(plan.windowEndsAt, state.windowEndsAt!, plan.explanation)) return;
    const from = state.windowEndsAt!;
    state.windowEndsAt = plan.windowEndsAt;
    if (plan.windowEndsAt !== from) {
      const sent = new Map(state.reminders.filter((r) => r.sent).map((r) => [r.days, r]));
      state.reminders = patched(PATH_REVIEW_REMINDERS_PER_DEADLINE)
        ? planReminders(plan.reminders, plan.windowEndsAt, Date.now())
        : plan.reminders.map((r) => sent.get(r.days) ?? { ...r, sent: false });
    }
    const columns = { windowEndsAt: plan.windowEndsAt, reminderTimes: state.reminders.map(({ days, at }) => ({ days, at })) };
    await deadlineChanged('windowEndsAt', from, plan.windowEndsAt, plan.explanation, requests, columns);
  }

  /** supplementDeadline counted again from the request; a moved one gets its reminder planned again (domain/reminders.ts). */
  async function recomputeSupplement(requests: RecomputeRequest[]) {
    if (!supplementRequestedAt || Date.now() >= Date.parse(state.supplementDeadline!)) return;
    const due = await planSupplement(supplementRequestedAt);
    if (!supplementRequested() || !pending.changes(due.deadline, state.supplementDeadline!, due.explanation)) return;
    const from = state.supplementDeadline!;
    if (due.deadline !== from) pending.planReminder(due);
    state.supplementDeadline = due.deadline;
    await deadlineChanged('supplementDeadline', from, due.deadline, due.explanation, requests, { supplementDeadline: due.deadline });
  }

  /** old → new (or the date confirmed) in the review's history, in the transaction that moves the stored column. */
  function deadlineChanged(deadline: 'windowEndsAt' | 'supplementDeadline', from: string, to: string, explanation: DeadlineExplanation, requests: RecomputeRequest[], columns: TransitionOf<PathReviewTransitionRecord, 'reviewId'>['columns']) {
    const at = now();
    if (to !== from) deadlineMovedAt = at;
    pending.mark = provisionalMarkOf(explanation);
    const version = calendarVersionOf(explanation, requests);
    const start = deadline === 'windowEndsAt' ? 'cycleStartedAt' : 'the supplement request';
    const note = recomputedNote({ deadline, start, calendar: explanation.calendar, version, from, to, mark: pending.mark });
    const data = { deadline, from, to, calendar: explanation.calendar, calendarVersion: version, explanation, reasons: requests.map((r) => r.reason) };
    return transition({ type: 'DEADLINE_CHANGED', toStatus: state.status, actor: 'system', at, note, columns, data });
  }
}

const laterOf = (a: string, b: string) => (b && Date.parse(b) > Date.parse(a) ? b : a);
