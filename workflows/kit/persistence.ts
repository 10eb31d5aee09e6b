/**
 * Where a process's persistence activities run: the short, idempotent database reads and writes of its transitions
 * (record a transition, plan a deadline, record the share). Workflow code only: bundled into the Temporal sandbox.
 *
 * Since LOCAL_PERSISTENCE they run as **local activities**: in the worker that runs the workflow task, their results
 * recorded as markers when that task completes. Issue 16's profile: a regular activity costs the Temporal server an
 * activity task (scheduled, started, completed) and the workflow a second workflow task — on a 2-core machine about
 * 13 ms of server CPU and two round trips per transition, more than the bare workflow's whole accept. A local activity
 * keeps an accept to one workflow task, as the bare workflow's.
 *
 * Why durability holds (docs/architecture.md, "Local activities"):
 * - A worker that dies before the task completes loses the markers; the task times out and another worker replays
 *   and runs the activity again. Every persistence activity is idempotent on (process id, seq), so a write that had
 *   reached the database is found, not doubled.
 * - A database that is down: the activity retries in the worker (same policy as before: 1 s doubling to 1 min, for
 *   ever); past `localRetryThreshold` the SDK waits on a durable timer between attempts, so an outage of any length
 *   leaves the workflow waiting, not failed.
 * - What the Web UI shows changes: a local activity appears as a marker, not an activity with attempts; a stuck
 *   write shows as a workflow task retried (and in the worker's log), not as a pending activity.
 * Activities that call elsewhere or may take long (webhooks, starting workflows, material lookups) stay regular, and
 * so do a process's rare messages (reminders): off the hot path, they keep the activity's own record in the history.
 *
 * Histories recorded before LOCAL_PERSISTENCE replay with the regular activities they were made with.
 */
import { patched, proxyActivities, proxyLocalActivities, type UntypedActivities } from '@temporalio/workflow';
import { persistenceActivityOptions } from './shared.js';

/** Workflows started before it persisted through regular activities. */
export const LOCAL_PERSISTENCE = 'local-persistence';

/**
 * The process's persistence activities, local for workflows started since LOCAL_PERSISTENCE. Call once, at the start
 * of the workflow function (patched() is decided where it is first called, and must be the same for the whole run).
 */
export function persistenceActivities<A extends UntypedActivities>(): A {
  if (!patched(LOCAL_PERSISTENCE)) return proxyActivities<A>(persistenceActivityOptions) as unknown as A;
  return proxyLocalActivities<A>({
    startToCloseTimeout: persistenceActivityOptions.startToCloseTimeout!,
    retry: persistenceActivityOptions.retry!,
    // Retries up to here run inside the workflow task; later ones wait on a timer (no workflow task held open).
    localRetryThreshold: '10 seconds',
  }) as unknown as A;
}
