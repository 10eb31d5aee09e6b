/**
 * A grant valid until a date — a certificate today; the agreements and program memberships of issue 17 next:
 * reminders before its end, extensions that move the end later (a renewal), expiry at the end. A long-lived workflow:
 * it continues as new after an extension, and whenever Temporal suggests it. Workflow code only.
 */
import { allHandlersFinished, condition, workflowInfo } from '@temporalio/workflow';

export type ValidityOf<E, R> = {
  /** The grant as the workflow keeps it: its reminders (each sent once) and the instant it expires (its last day's end). */
  validity: { reminders: R[]; expiresAt: string };
  /** Extensions received (a signal) and not applied yet. */
  extensions: E[];
  /** Applies one: whether it moved the end (an activity recounts the times, a transition records it). */
  extend: (extension: E) => Promise<boolean>;
  remind: (reminder: R) => Promise<unknown>;
  expire: () => Promise<unknown>;
  /** The transition queue's tail, persisted before continuing as new. */
  settled: () => Promise<unknown>;
  continueAsNew: () => Promise<never>;
};

/** Until the grant expires: reminders, extensions and expiry; continues as new after an extension. */
export async function validityPhase<E, R extends { at: string; sent: boolean }>(v: ValidityOf<E, R>) {
  const c = v.validity;
  for (;;) {
    if (v.extensions.length || workflowInfo().continueAsNewSuggested) {
      let extended = false;
      while (v.extensions.length) extended = (await v.extend(v.extensions.shift()!)) || extended;
      if (extended || workflowInfo().continueAsNewSuggested) {
        await v.settled();
        await condition(allHandlersFinished);
        if (!v.extensions.length) await v.continueAsNew();
        continue;
      }
    }
    const reminder = c.reminders.find((r) => !r.sent);
    const nextAt = Date.parse(reminder ? reminder.at : c.expiresAt);
    const interrupted = await condition(() => v.extensions.length > 0 || workflowInfo().continueAsNewSuggested, Math.max(nextAt - Date.now(), 1));
    if (interrupted) continue;
    if (reminder) {
      await v.remind(reminder);
      reminder.sent = true;
      continue;
    }
    await v.expire();
    return;
  }
}
