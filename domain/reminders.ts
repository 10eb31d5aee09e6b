/**
 * Reminders belong to a deadline: each one announces the deadline it was planned for. When a deadline moves, its
 * reminders are planned again from the new deadline — whatever was sent for the old one — so the partner is told
 * the new date. Pure and dependency-free, so workflow code uses it (workflows/incentive/workflow.ts, workflows/path-review/workflow.ts).
 */

/** A reminder planned for a deadline: `sent` once its message went out, or when it is skipped (see planReminders). */
export type PlannedReminder<R extends { at: string }> = R & { sent: boolean };

/**
 * The reminders of a (new) deadline, at `now`. Those still ahead wait for their time. Of those whose time has passed
 * only the latest-due is kept (left unsent, so it goes out at once); the earlier ones are skipped — marked sent
 * without a message: the partner gets one reminder naming the new date, not a burst. Once the deadline itself has
 * passed nothing is sent (the process expires instead).
 */
export function planReminders<R extends { at: string }>(reminders: readonly R[], deadline: string, now: number): PlannedReminder<R>[] {
  const passed = (r: R) => Date.parse(r.at) <= now;
  const latestPassed = Date.parse(deadline) <= now
    ? undefined
    : reminders.filter(passed).reduce<R | undefined>((latest, r) => (!latest || Date.parse(r.at) > Date.parse(latest.at) ? r : latest), undefined);
  return reminders.map((r) => ({ ...r, sent: Date.parse(deadline) <= now || (passed(r) && r !== latestPassed) }));
}
