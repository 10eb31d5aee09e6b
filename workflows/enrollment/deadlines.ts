/**
 * The enrollment's partner-facing deadlines (workflow code, bundled into the sandbox): an invitation's expiry
 * (invitationExpiresAt, counted from the invitation) and the confirmation deadline (confirmationDueAt, counted from
 * the approval, or from the request where the program needs no review). Each is a number of working days of the
 * partner's calendar, its reminder to the partner one working day before, an action when it passes, and counted again
 * from its stored start when the partner's calendar changes. The review SLA is the kit's (workflows/kit/review-due.ts).
 */
import { condition } from '@temporalio/workflow';
import { calendarVersionOf, type PendingDeadline, type PlannedDeadline, recomputedNote, watchDeadline } from '../kit/deadline.js';
import { provisionalMarkOf, type RecomputeRequest } from '../kit/shared.js';
import type { BusyGuard } from '../kit/transitions.js';
import { ENROLLMENT_REMINDER_WORKING_DAYS, type EnrollmentSnapshot, type EnrollmentStatus } from './contract.js';

/** Which deadline, by its field in the snapshot (and its column's name in DEADLINE_CHANGED). */
export type PartnerDeadline = 'invitationExpiresAt' | 'confirmationDueAt';

export type PartnerDeadlineWatch = {
  state: EnrollmentSnapshot;
  deadline: PartnerDeadline;
  /** The status the deadline belongs to: once the enrollment leaves it, the watch ends. */
  status: EnrollmentStatus;
  /** The start it counts from and its working days (stored with the enrollment). */
  from: () => string;
  workingDays: () => number;
  pending: PendingDeadline;
  guard: BusyGuard;
  requests: RecomputeRequest[];
  /** The watch ends early (an invitation failed by a joining, awaiting its record). */
  stop?: () => boolean;
  plan: (a: { from: string; workingDays: number; remindBefore: number }) => Promise<PlannedDeadline>;
  /** Appends the partner's reminder for the deadline `dueAt` (an activity; `extra`: the provisional payload). */
  remind: (dueAt: string, reminderAt: string, extra: Record<string, unknown>) => Promise<unknown>;
  /** The deadline passed with the enrollment still in `status` (and no action in progress). */
  passed: () => Promise<unknown>;
  transition: (t: { type: 'DEADLINE_CHANGED'; toStatus: EnrollmentStatus; actor: string; note: string; columns: Partial<Record<PartnerDeadline, string>>; data: Record<string, unknown> }) => Promise<unknown>;
};

/** Until the enrollment leaves `status`: the reminder, the recomputed deadlines, `passed` at the (latest) deadline. */
export async function watchPartnerDeadline(w: PartnerDeadlineWatch) {
  const { state, pending } = w;
  const waiting = () => state.status === w.status && !w.stop?.();
  await watchDeadline({
    pending: waiting,
    deadline: () => state[w.deadline]!,
    reminderAt: () => (pending.reminder && !pending.reminder.sent ? pending.reminder.at : undefined),
    requests: w.requests,
    recompute,
    remind: async () => {
      const reminder = pending.reminder!;
      reminder.sent = true;
      await w.remind(state[w.deadline]!, reminder.at, pending.payload);
    },
    passed: async () => {
      // An action accepted as the deadline passed (an acceptance, a confirmation) goes first.
      await condition(() => !w.guard.busy);
      if (waiting()) await w.passed();
    },
  });

  async function recompute(taken: RecomputeRequest[]) {
    let due;
    try {
      due = await w.plan({ from: w.from(), workingDays: w.workingDays(), remindBefore: ENROLLMENT_REMINDER_WORKING_DAYS });
    } catch {
      return; // a calendar that cannot answer keeps the deadline as it is
    }
    await condition(() => !w.guard.busy);
    const old = state[w.deadline]!;
    if (!waiting() || Date.now() >= Date.parse(old) || !pending.changes(due.deadline, old, due.explanation)) return;
    if (due.deadline !== old) pending.planReminder(due);
    state[w.deadline] = due.deadline;
    pending.mark = provisionalMarkOf(due.explanation);
    const version = calendarVersionOf(due.explanation, taken);
    const { calendar } = due.explanation;
    await w.transition({
      type: 'DEADLINE_CHANGED',
      toStatus: w.status,
      actor: 'system',
      note: recomputedNote({ deadline: w.deadline, start: w.from(), calendar, version, from: old, to: due.deadline, mark: pending.mark }),
      columns: { [w.deadline]: due.deadline },
      data: { deadline: w.deadline, from: old, to: due.deadline, calendar, ...(version !== undefined ? { version } : {}), explanation: due.explanation, reasons: taken.map((x) => x.reason) },
    });
  }
}
