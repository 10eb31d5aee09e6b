/**
 * The review SLA of an application submitted as it is created (project specialists, level raises): one review due
 * date counted from the submission in working days of the partner's calendar, the reviewers reminded before it, one
 * escalation past it (the application stays under review), and the due date counted again when the partner's calendar
 * changes. Workflow code only (bundled into the sandbox); the process keeps its own state, messages and activities.
 */
import { condition, setHandler } from '@temporalio/workflow';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import { calendarVersionOf, type PendingDeadline, recomputedNote, watchDeadline } from './deadline.js';
import { recomputeDeadline } from './recompute.js';
import { provisionalMarkOf, type RecomputeRequest } from './shared.js';
import type { BusyGuard } from './transitions.js';

/** The application's fields the SLA reads and moves. */
export type ReviewDueState = { submittedAt?: string; reviewSlaWorkingDays?: number; reviewDueAt?: string; reviewEscalated: boolean };

export type ReviewDue<S extends string> = {
  state: ReviewDueState;
  /** The due date's provisional mark and reminder. */
  pending: PendingDeadline;
  /** The action guard: the escalation and a recomputed date wait for an action in progress (a decision goes first). */
  guard: BusyGuard;
  /** Whether the application is still under review, and the status its SLA transitions keep. */
  reviewing: () => boolean;
  status: S;
  remindBefore: number;
  /** Counts `workingDays` from `from` again in the partner's calendar (an activity). */
  plan: (a: { from: string; workingDays: number; remindBefore: number }) => Promise<{ deadline: string; explanation: DeadlineExplanation; reminderAt?: string }>;
  /** Appends the reviewers' reminder for the due date `reviewDueAt` (an activity; `extra`: the provisional payload). */
  remind: (reviewDueAt: string, reminderAt: string, extra: Record<string, unknown>) => Promise<unknown>;
  /** Records a transition of the process (REVIEW_ESCALATED, DEADLINE_CHANGED). */
  transition: (t: { type: 'REVIEW_ESCALATED' | 'DEADLINE_CHANGED'; toStatus: S; actor: string; note?: string; columns?: { reviewDueAt: string }; data: Record<string, unknown> }) => Promise<unknown>;
};

/**
 * Takes recomputeDeadline requests while the due date is pending and not yet past (past it the escalation has been
 * sent for the date the reviewers knew); call once, before the first await of the workflow.
 */
export function acceptReviewRecomputes(r: Pick<ReviewDue<string>, 'state' | 'reviewing'>, requests: RecomputeRequest[]) {
  setHandler(recomputeDeadline, (request) => {
    if (r.reviewing() && !r.state.reviewEscalated && Date.now() < Date.parse(r.state.reviewDueAt!)) requests.push({ ...request });
  });
}

/** Until the application leaves review or escalates: the reminder, the recomputed due dates, the one escalation. */
export async function watchReviewDue<S extends string>(r: ReviewDue<S>, requests: RecomputeRequest[]) {
  const { state, pending } = r;
  if (!r.reviewing() || state.reviewEscalated) return;
  await watchDeadline({
    pending: () => r.reviewing() && !state.reviewEscalated,
    deadline: () => state.reviewDueAt!,
    reminderAt: () => (pending.reminder && !pending.reminder.sent ? pending.reminder.at : undefined),
    requests,
    recompute,
    remind: async () => {
      const reminder = pending.reminder!;
      reminder.sent = true;
      await r.remind(state.reviewDueAt!, reminder.at, pending.payload);
    },
    passed: async () => {
      // A decision accepted as the deadline passed goes first.
      await condition(() => !r.guard.busy);
      if (!r.reviewing()) return;
      state.reviewEscalated = true;
      await r.transition({ type: 'REVIEW_ESCALATED', toStatus: r.status, actor: 'system', data: { reviewDueAt: state.reviewDueAt, ...pending.payload } });
    },
  });

  /** reviewDueAt counted again from the submission with the partner's calendar as it is now; a change is recorded. */
  async function recompute(taken: RecomputeRequest[]) {
    let due;
    try {
      due = await r.plan({ from: state.submittedAt!, workingDays: state.reviewSlaWorkingDays!, remindBefore: r.remindBefore });
    } catch {
      return; // a calendar that cannot answer keeps the deadline as it is
    }
    // An action in progress (an approval deciding in its activity) goes first: its number precedes this one.
    await condition(() => !r.guard.busy);
    const old = state.reviewDueAt!;
    if (!r.reviewing() || state.reviewEscalated || !pending.changes(due.deadline, old, due.explanation)) return;
    if (due.deadline !== old) pending.planReminder(due);
    state.reviewDueAt = due.deadline;
    pending.mark = provisionalMarkOf(due.explanation);
    const version = calendarVersionOf(due.explanation, taken);
    const { calendar } = due.explanation;
    await r.transition({
      type: 'DEADLINE_CHANGED',
      toStatus: r.status,
      actor: 'system',
      note: recomputedNote({ deadline: 'reviewDueAt', start: state.submittedAt!, calendar, version, from: old, to: due.deadline, mark: pending.mark }),
      columns: { reviewDueAt: due.deadline },
      data: { deadline: 'reviewDueAt', from: old, to: due.deadline, calendar, ...(version !== undefined ? { version } : {}), explanation: due.explanation, reasons: taken.map((x) => x.reason) },
    });
  }
}
