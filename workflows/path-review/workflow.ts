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
 *   FAILED / LAPSED: the level the path's rule gives (one lower, or the partner leaves the path). The membership
 *   change is written in the transaction of the final transition, once (PASSED at the same level changes nothing).
 *
 * Messages are defined in workflows/path-review/contract.ts (re-exported here), one contract with the API.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  ApplicationFailure,
  condition,
  log,
  patched,
  proxyActivities,
  setHandler,
  sleep,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { createPathReviewActivities, PathReviewTransitionRecord, PathReviewWindowPlan } from '../../activities/path-review.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import { type PlannedReminder, planReminders } from '../../domain/reminders.js';
import {
  type Actor,
  apply,
  decide,
  getPathReview,
  PATH_REVIEW_DECISIONS,
  type PathReviewInput,
  PathReviewRefusal,
  type PathReviewSnapshot,
  PATH_REVIEW_SUPPLEMENT_REMINDER_TOPIC,
  pathReviewId,
  recomputeDeadline,
  setMaterial,
  submit,
  SUPPLEMENT_REMINDER_WORKING_DAYS,
  SUPPLEMENT_WORKING_DAYS,
  supplement,
  supplementReminderDedupeKey,
  type UnmetRequirement,
  WINDOW_REMINDER_TOPIC,
  windowReminderDedupeKey,
} from './contract.js';
import { DeadlineProvisional, PartnerId, PathId, ProcessDeadline, ProcessStatus, ReviewYear } from '../kit/search-attributes.js';
import { persistenceActivityOptions, provisionalMarkOf, provisionalPayload, type RecomputeRequest, refuse } from '../kit/shared.js';

export * from './contract.js';

/** How often a review that cannot open for lack of calendar data tries again. */
export const CALENDAR_RETRY = '1 hour';
/** Histories recorded before deadline recomputation replay the waits that no signal wakes. */
export const PATH_REVIEW_DEADLINE_RECOMPUTE = 'path-review-deadline-recompute';
/** Before it a moved window kept its sent reminders (the partner was not told the new end). */
export const PATH_REVIEW_REMINDERS_PER_DEADLINE = 'path-review-reminders-per-deadline';
/** Before it the supplement round waited on its deadline alone: no reminder before supplementDeadline. */
export const PATH_REVIEW_SUPPLEMENT_REMINDER = 'path-review-supplement-reminder';

type Transition = Omit<PathReviewTransitionRecord, 'reviewId' | 'seq' | 'fromStatus' | 'at'> & { at?: string };

const activities = proxyActivities<ReturnType<typeof createPathReviewActivities>>(persistenceActivityOptions);

const SHA256 = /^[0-9a-f]{64}$/i;
const now = () => new Date().toISOString(); // workflow time
const causeOf = (error: unknown) => (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : error);
const fail = (type: string, message: string, details?: unknown) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, ...(details !== undefined ? { details: [details] } : {}) });

export async function pathReviewWorkflow(input: PathReviewInput): Promise<PathReviewSnapshot> {
  const state: PathReviewSnapshot = {
    reviewId: pathReviewId(input.pathId, input.partnerId, input.year),
    pathId: input.pathId,
    partnerId: input.partnerId,
    year: input.year,
    level: input.level,
    cycleStartedAt: input.cycleStartedAt,
    reminders: [],
    status: 'OPEN',
    materials: {},
    supplementRound: 0,
    seq: 0,
  };
  /** An update handler is between its validator and its transition (awaiting an activity): others are refused. */
  let busy = false;
  let persisting: Promise<unknown> = Promise.resolve();
  /** The stored start of the supplement deadline: the moment the vendor asked. */
  let supplementRequestedAt: string | undefined;
  /** The supplement deadline's reminder (domain/reminders.ts), planned with it by the activity. */
  let supplementReminder: PlannedReminder<{ at: string }> | undefined;
  const planSupplement = (from: string) =>
    activities.planPathReviewDeadline({ partnerId: state.partnerId, from, workingDays: SUPPLEMENT_WORKING_DAYS, remindBefore: SUPPLEMENT_REMINDER_WORKING_DAYS });
  const planSupplementReminder = (due: { deadline: string; reminderAt?: string }) => {
    supplementReminder = due.reminderAt ? planReminders([{ at: due.reminderAt }], due.deadline, Date.now())[0] : undefined;
  };
  /** When a deadline last moved: a moved deadline already past lapses then, not before it was moved. */
  let deadlineMovedAt = '';
  let recomputes = false;
  const recomputeRequests: RecomputeRequest[] = [];
  const recomputePending = () => recomputes && recomputeRequests.length > 0;
  const beforeSubmission = () => state.status === 'OPEN' || state.status === 'APPLIED';
  /** The provisional mark (provisionalMarkOf) of the deadline last set: windowEndsAt, then supplementDeadline. */
  let provisional = '';
  const pendingMark = () => (beforeSubmission() || state.status === 'SUPPLEMENT_REQUESTED' ? provisional : '');
  const snapshot = (): PathReviewSnapshot => JSON.parse(JSON.stringify({ ...state, ...provisionalPayload(pendingMark()) }));

  const publish = () => {
    const deadline = beforeSubmission() ? state.windowEndsAt : state.status === 'SUPPLEMENT_REQUESTED' ? state.supplementDeadline : undefined;
    upsertSearchAttributes([
      { key: ProcessStatus, value: state.status },
      { key: ProcessDeadline, value: deadline ? new Date(deadline) : null },
      { key: DeadlineProvisional, value: pendingMark() !== '' },
    ]);
  };
  const transition = ({ at, ...record }: Transition) => {
    const full: PathReviewTransitionRecord = { ...record, reviewId: state.reviewId, seq: ++state.seq, fromStatus: state.status, at: at ?? now() };
    state.status = record.toStatus;
    publish();
    const done = persisting.then(() => activities.recordPathReviewTransition(full));
    persisting = done;
    return done.then(snapshot);
  };
  const whileBusy = async <T>(work: () => Promise<T>): Promise<T> => {
    busy = true;
    try {
      return await work();
    } catch (error) {
      throw causeOf(error);
    } finally {
      busy = false;
    }
  };
  /** The outcome: review columns and, when the level changes, the membership change of the same transaction. */
  const conclude = (type: 'PASSED' | 'FAILED' | 'LAPSED', newLevel: string | null, actor: string, at: string, note?: string, data?: Record<string, unknown>) => {
    Object.assign(state, { decidedAt: at, newLevel });
    if (note) state.decisionNote = note;
    const reason = type === 'PASSED' ? 'REVIEW_PASSED' : type === 'FAILED' ? 'REVIEW_FAILED' : 'REVIEW_LAPSED';
    return transition({
      type,
      toStatus: type,
      actor,
      at,
      ...(note ? { note } : {}),
      columns: { decidedAt: at, newLevel, ...(type !== 'LAPSED' ? { decision: state.decision!, ...(note ? { decisionNote: note } : {}) } : {}) },
      data: { fromLevel: state.level, newLevel, ...data },
      ...(newLevel !== state.level ? { membership: { partnerId: state.partnerId, pathId: state.pathId, fromLevel: state.level, toLevel: newLevel, reason } } : {}),
    });
  };

  // --- validators' pieces ---------------------------------------------------------------------------------------
  const requireOpened = () => {
    if (!state.openedAt) refuse(PathReviewRefusal.notOpened, 'The review is still being opened; try again.');
  };
  const requireOwner = (actor: Actor) => {
    requireOpened();
    if (actor.partnerId !== state.partnerId) refuse(PathReviewRefusal.notFound, 'No such path review for this partner.');
    if (busy) refuse(PathReviewRefusal.busy, 'Another action on this review is in progress; try again.');
  };
  const requireVendor = (actor: Actor) => {
    requireOpened();
    if (actor.partnerId !== undefined && actor.partnerId !== state.partnerId) refuse(PathReviewRefusal.notFound, 'No such path review for this partner.');
    if (actor.partnerId !== undefined) refuse(PathReviewRefusal.vendorOnly, 'Only vendor staff decide path reviews.');
    if (busy) refuse(PathReviewRefusal.busy, 'Another action on this review is in progress; try again.');
  };
  const requireWindowOpen = () => {
    if (Date.now() >= Date.parse(state.windowEndsAt!)) refuse(PathReviewRefusal.windowClosed, `The review window closed at ${state.windowEndsAt}.`);
  };
  const requireBeforeSupplementDeadline = () => {
    if (Date.now() >= Date.parse(state.supplementDeadline!)) refuse(PathReviewRefusal.supplementDeadlinePassed, `The supplement deadline ${state.supplementDeadline} has passed.`);
  };

  // --- messages -------------------------------------------------------------------------------------------------
  setHandler(getPathReview, snapshot);

  setHandler(
    apply,
    ({ actor }) =>
      whileBusy(async () => {
        const at = now();
        const { today, results } = await activities.evaluatePathRequirements({ pathId: state.pathId, partnerId: state.partnerId, level: state.level, at });
        const unmet: UnmetRequirement[] = results.filter((r) => !r.met).map(({ description, required, actual }) => ({ description, required, actual }));
        if (unmet.length) {
          const list = unmet.map((u) => `${u.description} (required ${u.required}, actual ${u.actual})`).join('; ');
          throw fail(PathReviewRefusal.requirementsUnmet, `Requirements of ${state.pathId} ${state.level} not met on ${today}: ${list}.`, unmet);
        }
        Object.assign(state, { appliedAt: at, requirements: results });
        return transition({ type: 'APPLIED', toStatus: 'APPLIED', actor: actor.sub, at, columns: { appliedAt: at }, data: { today, requirements: results } });
      }),
    {
      validator: ({ actor }) => {
        requireOwner(actor);
        if (state.status !== 'OPEN') refuse(PathReviewRefusal.notOpen, `The review is ${state.status}, not OPEN.`);
        requireWindowOpen();
      },
    },
  );

  setHandler(
    setMaterial,
    ({ actor, kind, material }) =>
      whileBusy(async () => {
        if (!(await activities.findPathReviewMaterial({ reviewId: state.reviewId, partnerId: state.partnerId, materialId: material.materialId }))) {
          throw fail(PathReviewRefusal.materialNotFound, `Material ${material.materialId} was not uploaded for this review.`);
        }
        const replaced = state.materials[kind]?.materialId;
        state.materials[kind] = { ...material };
        return transition({ type: 'MATERIAL_SET', toStatus: state.status, actor: actor.sub, data: { kind, material, replaced }, material: { kind, materialId: material.materialId } });
      }),
    {
      validator: ({ actor, kind, material }) => {
        requireOwner(actor);
        if (state.status !== 'APPLIED' && state.status !== 'SUPPLEMENT_REQUESTED') {
          refuse(PathReviewRefusal.notEditable, `The review is ${state.status}: materials can be set in APPLIED or SUPPLEMENT_REQUESTED only.`);
        }
        if (state.status === 'APPLIED') requireWindowOpen();
        else requireBeforeSupplementDeadline();
        const kinds = state.terms!.materials;
        if (!kinds.includes(kind)) refuse(PathReviewRefusal.invalid, `kind ${kind} is not a review material of ${state.pathId}; one of: ${kinds.join(', ')}.`);
        const m = material;
        if (!m?.materialId || !m.fileName || !SHA256.test(m.sha256) || !Number.isSafeInteger(m.size) || m.size <= 0 || !m.contentType || !m.uploadedBy || Number.isNaN(Date.parse(m.uploadedAt))) {
          refuse(PathReviewRefusal.invalid, 'material: needs materialId, fileName, a hex SHA-256, a size > 0, contentType, uploadedBy and uploadedAt.');
        }
      },
    },
  );

  setHandler(
    submit,
    ({ actor }) => {
      const at = now();
      state.submittedAt = at;
      return transition({ type: 'SUBMITTED', toStatus: 'SUBMITTED', actor: actor.sub, at, columns: { submittedAt: at } });
    },
    {
      validator: ({ actor }) => {
        requireOwner(actor);
        if (state.status !== 'APPLIED') refuse(PathReviewRefusal.notApplied, `The review is ${state.status}, not APPLIED.`);
        requireWindowOpen();
        const missing = state.terms!.materials.filter((kind) => !state.materials[kind]);
        if (missing.length) throw fail(PathReviewRefusal.materialsMissing, `Materials missing: ${missing.join(', ')}.`, { missing });
      },
    },
  );

  setHandler(
    decide,
    ({ actor, decision, note, newLevel }) =>
      whileBusy(async () => {
        const at = now();
        if (decision !== 'REQUEST_SUPPLEMENT') state.decision = decision;
        if (decision === 'PASS') return conclude('PASSED', newLevel ?? state.level, actor.sub, at, note);
        if (decision === 'FAIL') return conclude('FAILED', state.terms!.levelAfterFailure, actor.sub, at, note);
        const due = await planSupplement(at);
        supplementRequestedAt = at;
        provisional = provisionalMarkOf(due.explanation);
        planSupplementReminder(due);
        Object.assign(state, { decision, supplementDeadline: due.deadline, supplementRound: state.supplementRound + 1, decisionNote: note });
        return transition({
          type: 'SUPPLEMENT_REQUESTED',
          toStatus: 'SUPPLEMENT_REQUESTED',
          actor: actor.sub,
          at,
          note,
          columns: { supplementDeadline: due.deadline, decision, decisionNote: note! },
          data: { supplementRound: state.supplementRound, supplementDeadline: due.deadline, explanation: due.explanation },
        });
      }),
    {
      validator: ({ actor, decision, note, newLevel }) => {
        requireVendor(actor);
        if (state.status !== 'SUBMITTED') refuse(PathReviewRefusal.notSubmitted, `The review is ${state.status}, not SUBMITTED.`);
        if (!(PATH_REVIEW_DECISIONS as readonly string[]).includes(decision)) refuse(PathReviewRefusal.invalid, `decision must be one of ${PATH_REVIEW_DECISIONS.join(', ')}.`);
        if (decision !== 'PASS' && !note?.trim()) refuse(PathReviewRefusal.invalid, `${decision}: a note is required.`);
        if (newLevel !== undefined && decision !== 'PASS') refuse(PathReviewRefusal.invalid, 'newLevel goes with PASS only.');
        const levels = state.terms!.levels;
        if (newLevel !== undefined && !(levels.includes(newLevel) && levels.indexOf(newLevel) >= levels.indexOf(state.level))) {
          refuse(PathReviewRefusal.levelNotAllowed, `A passed review keeps or raises ${state.level}: newLevel must be one of ${levels.slice(levels.indexOf(state.level)).join(', ')}.`);
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
        requireOwner(actor);
        if (state.status !== 'SUPPLEMENT_REQUESTED') refuse(PathReviewRefusal.notSupplementRequested, `The review is ${state.status}, not SUPPLEMENT_REQUESTED.`);
        requireBeforeSupplementDeadline();
      },
    },
  );

  // Only a pending deadline is recomputed: a request in SUBMITTED or after the outcome is dropped.
  setHandler(recomputeDeadline, (request) => {
    if (beforeSubmission() || state.status === 'SUPPLEMENT_REQUESTED') recomputeRequests.push(request);
  });

  // --- lifecycle ------------------------------------------------------------------------------------------------
  upsertSearchAttributes([
    { key: PartnerId, value: state.partnerId },
    { key: PathId, value: state.pathId },
    { key: ReviewYear, value: state.year },
  ]);
  const opened = await openOnceCalendarCovers();
  Object.assign(state, { openedAt: opened.openedAt, terms: opened.terms, windowEndsAt: opened.windowEndsAt, reminders: opened.reminders, seq: opened.seq });
  provisional = provisionalMarkOf(opened.explanation);
  recomputes = patched(PATH_REVIEW_DEADLINE_RECOMPUTE);
  publish();

  for (;;) {
    if (beforeSubmission()) await windowPhase();
    else if (state.status === 'SUBMITTED') await condition(() => state.status !== 'SUBMITTED');
    else if (state.status === 'SUPPLEMENT_REQUESTED') await supplementPhase();
    else break; // PASSED, FAILED, LAPSED
  }
  await persisting;
  await condition(allHandlersFinished);
  return snapshot();

  /**
   * A window reaching a year the partner's calendar has no data for cannot be computed (deadlines fail closed, see
   * activities/calendar.ts). Rather than fail, the review waits — ProcessStatus WAITING_FOR_CALENDAR in the Web UI —
   * and tries again every CALENDAR_RETRY until an operator has added that year; the window still counts from the
   * cycle's start, so the partner loses no days.
   */
  async function openOnceCalendarCovers() {
    for (;;) {
      try {
        return await activities.openPathReview({ ...input, openedAt: now() });
      } catch (error) {
        const cause = error instanceof ActivityFailure ? error.cause : undefined;
        if (!(cause instanceof ApplicationFailure && cause.type === 'CALENDAR_YEAR_NOT_COVERED')) throw error;
        log.warn('path review waits for calendar data', { reviewId: state.reviewId, reason: cause.message });
        upsertSearchAttributes([{ key: ProcessStatus, value: 'WAITING_FOR_CALENDAR' }]);
        await sleep(CALENDAR_RETRY);
      }
    }
  }

  /** Until a submission: reminders before the window closes, deadline recomputations, LAPSED when it closes. */
  async function windowPhase() {
    const reminder = state.reminders.find((r) => !r.sent);
    const nextAt = Date.parse(reminder ? reminder.at : state.windowEndsAt!);
    const woken = await condition(() => !beforeSubmission() || recomputePending(), Math.max(nextAt - Date.now(), 1));
    if (!beforeSubmission()) return;
    if (woken) return recomputeWindow(recomputeRequests.splice(0));
    const closed = Date.now() >= Date.parse(state.windowEndsAt!);
    if (reminder && !(recomputes && closed)) {
      reminder.sent = true;
      return activities.enqueuePathReviewMessage({
        topic: WINDOW_REMINDER_TOPIC,
        aggregateId: state.reviewId,
        dedupeKey: windowReminderDedupeKey(state.reviewId, reminder.days, state.windowEndsAt!),
        payload: { reviewId: state.reviewId, pathId: state.pathId, partnerId: state.partnerId, year: state.year, windowEndsAt: state.windowEndsAt, daysBefore: reminder.days, ...provisionalPayload(provisional) },
        dueAt: reminder.at,
      });
    }
    if (!closed) return; // the timer fired before the window's end: wait again
    await condition(() => !busy); // an apply accepted before the window closed finishes first
    if (!beforeSubmission()) return;
    const at = laterOf(state.windowEndsAt!, deadlineMovedAt);
    await conclude('LAPSED', state.terms!.levelAfterFailure, 'system', at, 'Nothing submitted by the end of the review window.', { windowEndsAt: state.windowEndsAt, ...provisionalPayload(provisional) });
  }

  /** Until the supplement: its reminder, deadline recomputations, LAPSED at the deadline. */
  async function supplementPhase() {
    const deadline = Date.parse(state.supplementDeadline!);
    const reminder = patched(PATH_REVIEW_SUPPLEMENT_REMINDER) && supplementReminder && !supplementReminder.sent ? supplementReminder : undefined;
    const nextAt = reminder ? Math.min(Date.parse(reminder.at), deadline) : deadline;
    const woken = await condition(() => state.status !== 'SUPPLEMENT_REQUESTED' || recomputePending(), Math.max(nextAt - Date.now(), 1));
    if (state.status !== 'SUPPLEMENT_REQUESTED') return;
    if (woken) return recomputeSupplement(recomputeRequests.splice(0));
    if (reminder && Date.now() < deadline) {
      reminder.sent = true;
      return activities.enqueuePathReviewMessage({
        topic: PATH_REVIEW_SUPPLEMENT_REMINDER_TOPIC,
        aggregateId: state.reviewId,
        dedupeKey: supplementReminderDedupeKey(state.reviewId, state.supplementRound, state.supplementDeadline!),
        payload: {
          reviewId: state.reviewId, pathId: state.pathId, partnerId: state.partnerId, year: state.year, supplementRound: state.supplementRound,
          supplementDeadline: state.supplementDeadline, workingDaysBefore: SUPPLEMENT_REMINDER_WORKING_DAYS, ...provisionalPayload(provisional),
        },
        dueAt: reminder.at,
      });
    }
    await condition(() => !busy);
    if (state.status !== 'SUPPLEMENT_REQUESTED') return;
    await conclude('LAPSED', state.terms!.levelAfterFailure, 'system', now(), 'No supplement by the supplement deadline.', {
      supplementDeadline: state.supplementDeadline,
      ...provisionalPayload(provisional),
    });
  }

  /**
   * windowEndsAt and its reminders counted again from cycleStartedAt (an activity reads the calendar). The reminders
   * belong to the new end (domain/reminders.ts), whatever was sent for the old one. Nothing is recorded when the end
   * does not move and its provisional mark is unchanged; an end confirmed by the official schedule (the mark alone
   * changed) is recorded, its reminders kept.
   */
  async function recomputeWindow(requests: RecomputeRequest[]) {
    if (Date.now() >= Date.parse(state.windowEndsAt!)) return; // closed: lapsing, not recomputed
    const plan: PathReviewWindowPlan = await activities.planPathReviewWindow({ partnerId: state.partnerId, cycleStartedAt: state.cycleStartedAt, windowWorkingDays: state.terms!.windowWorkingDays });
    if (!beforeSubmission() || !changes(plan.windowEndsAt, state.windowEndsAt!, plan.explanation)) return;
    const from = state.windowEndsAt!;
    state.windowEndsAt = plan.windowEndsAt;
    if (plan.windowEndsAt !== from) {
      const sent = new Map(state.reminders.filter((r) => r.sent).map((r) => [r.days, r]));
      state.reminders = patched(PATH_REVIEW_REMINDERS_PER_DEADLINE)
        ? planReminders(plan.reminders, plan.windowEndsAt, Date.now())
        : plan.reminders.map((r) => sent.get(r.days) ?? { ...r, sent: false });
    }
    await deadlineChanged('windowEndsAt', from, plan.windowEndsAt, plan.explanation, requests, {
      windowEndsAt: plan.windowEndsAt,
      reminderTimes: state.reminders.map(({ days, at }) => ({ days, at })),
    });
  }

  /** supplementDeadline counted again from the request; a moved one gets its reminder planned again (domain/reminders.ts). */
  async function recomputeSupplement(requests: RecomputeRequest[]) {
    if (!supplementRequestedAt || Date.now() >= Date.parse(state.supplementDeadline!)) return;
    const due = await planSupplement(supplementRequestedAt);
    if (state.status !== 'SUPPLEMENT_REQUESTED' || !changes(due.deadline, state.supplementDeadline!, due.explanation)) return;
    const from = state.supplementDeadline!;
    if (due.deadline !== from) planSupplementReminder(due);
    state.supplementDeadline = due.deadline;
    await deadlineChanged('supplementDeadline', from, due.deadline, due.explanation, requests, { supplementDeadline: due.deadline });
  }

  /** Whether a recomputed deadline is worth recording: it moved, or its provisional mark changed. */
  function changes(to: string, from: string, explanation: DeadlineExplanation) {
    return to !== from || provisionalMarkOf(explanation) !== provisional;
  }

  /** old → new (or the date confirmed) in the review's history, in the transaction that moves the stored column. */
  function deadlineChanged(deadline: 'windowEndsAt' | 'supplementDeadline', from: string, to: string, explanation: DeadlineExplanation, requests: RecomputeRequest[], columns: Transition['columns']) {
    const at = now();
    if (to !== from) deadlineMovedAt = at;
    const mark = (provisional = provisionalMarkOf(explanation));
    const version = explanation.calendarVersion ?? requests.at(-1)?.version;
    const calendar = `${explanation.calendar}${version !== undefined ? ` v${version}` : ''}`;
    const start = deadline === 'windowEndsAt' ? 'cycleStartedAt' : 'the supplement request';
    return transition({
      type: 'DEADLINE_CHANGED',
      toStatus: state.status,
      actor: 'system',
      at,
      note:
        to !== from
          ? `${deadline} recomputed from ${start} with calendar ${calendar}: ${from} → ${to}.`
          : `${deadline} confirmed with calendar ${calendar}: ${from}, ${mark ? `still provisional (${mark})` : 'no longer provisional'}.`,
      columns,
      data: { deadline, from, to, calendar: explanation.calendar, calendarVersion: version, explanation, reasons: requests.map((r) => r.reason) },
    });
  }
}

const laterOf = (a: string, b: string) => (b && Date.parse(b) > Date.parse(a) ? b : a);
