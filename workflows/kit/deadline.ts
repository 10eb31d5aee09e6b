/**
 * The deadline a person must meet, as every process waits on it: a reminder before it, an action when it passes
 * (expire, lapse, withdraw), and a recompute when the partner's calendar changes (recomputeDeadline). Workflow code
 * only: bundled into the Temporal sandbox.
 *
 * The waits keep the shapes the recorded histories were made with (test/histories/, replayed command for command):
 * `watchDeadline` loops until the process moves on (opportunity, incentive); `deadlineStep` waits once and returns to
 * the workflow's own loop (path review's window and supplement round); a reviewed application's review SLA and
 * supplement round loop in review-rounds.ts. They differ only at the edges (what a timer that fires as the process
 * moves on does); a new process uses `watchDeadline`, or the rounds when it is a reviewed application.
 */
import type { Duration } from '@temporalio/common';
import { ApplicationFailure, condition, log, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import { type PlannedReminder, planReminders } from '../../domain/reminders.js';
import type { RecomputeRequest } from './recompute.js';
import { DeadlineProvisional, ProcessDeadline, ProcessStatus } from './search-attributes.js';
import { causeOf, provisionalMarkOf, provisionalPayload } from './shared.js';
import type { BusyGuard } from './transitions.js';

/** A working-day deadline as a plan activity counts it: the instant, why (days counted and skipped), its reminder. */
export type PlannedDeadline = { deadline: string; explanation: DeadlineExplanation; reminderAt?: string };

/** The Web UI's view of a process: its status, the deadline it waits on (none: cleared), whether that is provisional. */
export function publishProcess(status: string, deadline: string | undefined, mark: string) {
  upsertSearchAttributes([
    { key: ProcessStatus, value: status },
    { key: ProcessDeadline, value: deadline ? new Date(deadline) : null },
    { key: DeadlineProvisional, value: mark !== '' },
  ]);
}

/** A recomputed deadline on the Web UI (the status did not change): the new instant and whether it is provisional. */
export function publishDeadline(deadline: string, mark: string) {
  upsertSearchAttributes([
    { key: ProcessDeadline, value: new Date(deadline) },
    { key: DeadlineProvisional, value: mark !== '' },
  ]);
}

/**
 * The provisional mark and the reminder of the working-day deadline a process waits on, one at a time (a review's
 * due date, then a supplement deadline). A recompute that moves the deadline plans its reminder again: reminders
 * belong to their deadline (domain/reminders.ts), so the partner hears the new date whatever was sent for the old.
 */
export class PendingDeadline {
  /** provisionalMarkOf the deadline last set: '' when it counts published years only. */
  mark = '';
  /** Its reminder: none when the plan gave no reminderAt (planned before reminders were). */
  reminder: PlannedReminder<{ at: string }> | undefined;

  set(due: PlannedDeadline) {
    this.mark = provisionalMarkOf(due.explanation);
    this.planReminder(due);
  }

  planReminder(due: { deadline: string; reminderAt?: string }) {
    this.reminder = due.reminderAt ? planReminders([{ at: due.reminderAt }], due.deadline, Date.now())[0] : undefined;
  }

  /** Whether a recomputed deadline is worth recording: it moved, or its mark changed (the schedule was published). */
  changes(to: string, from: string, explanation: DeadlineExplanation) {
    return to !== from || provisionalMarkOf(explanation) !== this.mark;
  }

  /** What a message carrying the deadline says of its mark. */
  get payload() {
    return provisionalPayload(this.mark);
  }
}

/** Milliseconds until a deadline's next moment: its reminder while unsent and earlier, else the deadline itself. */
export function untilNext(deadline: string, reminder?: { at: string; sent: boolean }) {
  const next = reminder && !reminder.sent ? Math.min(Date.parse(reminder.at), Date.parse(deadline)) : Date.parse(deadline);
  return Math.max(next - Date.now(), 1);
}

/** The stored calendar version a recomputed deadline was counted with, else the one the calendar change announced. */
export const calendarVersionOf = (explanation: DeadlineExplanation, requests: RecomputeRequest[]) => explanation.calendarVersion ?? requests.at(-1)?.version;

/** The history note of a recomputed deadline: moved (old → new), or the same instant confirmed with its provisional mark. */
export function recomputedNote(n: { deadline: string; start: string; calendar: string; version: number | undefined; from: string; to: string; mark: string }) {
  const withCalendar = `with calendar ${n.calendar}${n.version !== undefined ? ` v${n.version}` : ''}`;
  return n.to !== n.from
    ? `${n.deadline} recomputed from ${n.start} ${withCalendar}: ${n.from} → ${n.to}.`
    : `${n.deadline} confirmed ${withCalendar}: ${n.from}, ${n.mark ? `still provisional (${n.mark})` : 'no longer provisional'}.`;
}

/** A deadline as `watchDeadline` follows it. Each action returns the promise of what it does (an activity, a transition). */
export type WatchedDeadline = {
  /** The process still waits on this deadline (not accepted, verified...). */
  pending: () => boolean;
  deadline: () => string;
  /** The time of its reminder while unsent. */
  reminderAt: () => string | undefined;
  /** recomputeDeadline requests: each wakes the wait. */
  requests: RecomputeRequest[];
  recompute: (requests: RecomputeRequest[]) => Promise<unknown>;
  remind: () => Promise<unknown>;
  passed: () => Promise<unknown>;
};

/**
 * Until the process moves on: the reminder at its time, a recompute when asked before the deadline, `passed` at the
 * (latest) deadline. A recomputed deadline already past passes at once; after the deadline nothing is recomputed.
 */
export async function watchDeadline(w: WatchedDeadline) {
  while (w.pending()) {
    const deadline = Date.parse(w.deadline());
    const reminderAt = w.reminderAt();
    const due = reminderAt !== undefined ? Math.min(Date.parse(reminderAt), deadline) : deadline;
    const woken = await condition(() => !w.pending() || w.requests.length > 0, Math.max(due - Date.now(), 1));
    if (!w.pending()) return;
    if (woken && Date.now() < deadline) await w.recompute(w.requests.splice(0));
    else if (Date.now() >= deadline) await w.passed();
    else if (reminderAt !== undefined && Date.now() >= Date.parse(reminderAt)) await w.remind();
    // else: the timer fired before its time (a reminder already sent): wait again
  }
}

/** A deadline as `deadlineStep` waits on it. */
export type SteppedDeadline<R extends { at: string; sent: boolean }> = {
  pending: () => boolean;
  deadline: () => string;
  /** Its next unsent reminder, read once before the wait. */
  reminder: () => R | undefined;
  /** recomputeDeadline requests: they wake the wait only while `recomputing` (histories from before it do not). */
  requests: RecomputeRequest[];
  recomputing: boolean;
  recompute: (requests: RecomputeRequest[]) => Promise<unknown>;
  /** Sends the reminder and marks it sent. */
  remind: (reminder: R) => Promise<unknown>;
  /** A reminder whose time the deadline overtook still goes out (histories from before recomputation). */
  remindsAfterDeadline?: boolean;
  /** The action in progress (an apply, a supplement) finishes before the passed deadline is acted on. */
  guard?: BusyGuard;
  passed: () => Promise<unknown>;
};

/**
 * One wait of a pending deadline, then one action: the recompute asked for, the reminder due, or `passed` at the
 * deadline. The workflow's loop calls it again while the process waits on the deadline.
 */
export async function deadlineStep<R extends { at: string; sent: boolean }>(d: SteppedDeadline<R>): Promise<unknown> {
  const reminder = d.reminder();
  const woken = await condition(() => !d.pending() || (d.recomputing && d.requests.length > 0), untilNext(d.deadline(), reminder));
  if (!d.pending()) return;
  if (woken) return d.recompute(d.requests.splice(0));
  const passed = Date.now() >= Date.parse(d.deadline());
  if (reminder && (!passed || d.remindsAfterDeadline)) return d.remind(reminder);
  if (!passed) return; // the timer fired for a reminder already sent: wait again
  const guard = d.guard;
  if (guard) await condition(() => !guard.busy);
  if (!d.pending()) return;
  await d.passed();
}

/**
 * A process whose start counts a working-day deadline reaching a year the partner's calendar has no data for cannot
 * start (deadlines fail closed, activities/calendar.ts). Rather than fail, it waits — ProcessStatus WAITING_FOR_CALENDAR
 * in the Web UI — and tries `start` again every `retry` until an operator has added that year; the deadline still
 * counts from the process's own start, so the partner loses no days.
 */
export async function untilCalendarCovers<T>(start: () => Promise<T>, retry: Duration, waiting: { message: string; about: Record<string, unknown> }): Promise<T> {
  for (;;) {
    try {
      return await start();
    } catch (error) {
      const cause = causeOf(error);
      if (!(cause instanceof ApplicationFailure && cause.type === 'CALENDAR_YEAR_NOT_COVERED')) throw error;
      log.warn(waiting.message, { ...waiting.about, reason: cause.message });
      upsertSearchAttributes([{ key: ProcessStatus, value: 'WAITING_FOR_CALENDAR' }]);
      await sleep(retry);
    }
  }
}
