/**
 * Where a process's persistence activities run: the short, idempotent database reads and writes of its transitions
 * (record a transition, plan a deadline, record the share). Workflow code only: bundled into the Temporal sandbox.
 *
 * Since LOCAL_PERSISTENCE the reads (deadline plans) and a new process's first write run as **local activities**: in
 * the worker that runs the workflow task, their results recorded as markers when that task completes. Issue 16's
 * profile: a regular activity costs the Temporal server an activity task (scheduled, started, completed) and the
 * workflow another workflow task — on a 2-core machine about 6 ms of server CPU and two round trips each; a share made
 * of a plan and a write took three workflow tasks where the bare workflow takes one.
 *
 * When a local activity may write (docs/architecture.md, "Local activities"):
 * - It runs before its workflow task is durable. A worker that dies before the task completes leaves the write behind;
 *   the task times out, another worker replays it and runs the activity again. A write is safe only if that retry
 *   makes the same write: its inputs must be durable (the workflow's input, its start time), never a decision the
 *   retried task could make differently — an update can be refused on the retry (the deadline passed meanwhile) or
 *   lose its turn to another (a reject before the accept), and the history tables are append-only: a stray ACCEPTED
 *   could not be taken back. So transitions decided by updates, timers or signals stay regular activities, written
 *   once the workflow has decided them durably, claimed once by (id, seq).
 * - The share qualifies: the opportunity's input and its start time (sharedAt) are durable; its plan reads the
 *   partner's calendar, which could differ only if the calendar were edited between a lost first task and its retry
 *   (the retried share then updates the row's deadline; its SHARED history row keeps the first one's).
 * - A local activity tells the outside world nothing (no outbox message).
 * - A database that is down: the activity retries in the worker (same policy as before: 1 s doubling to 1 min, for
 *   ever); past `localRetryThreshold` the SDK waits on a durable timer between attempts, so an outage of any length
 *   leaves the workflow waiting, not failed.
 * - What the Web UI shows changes: a local activity appears as a marker, not an activity with attempts; a stuck
 *   write shows as a workflow task retried (and in the worker's log), not as a pending activity.
 *
 * Histories recorded before LOCAL_PERSISTENCE replay with the regular activities they were made with.
 */
import { patched, proxyActivities, proxyLocalActivities, type UntypedActivities } from '@temporalio/workflow';
import { persistenceActivityOptions } from './shared.js';

/** Workflows started before it persisted through regular activities. */
export const LOCAL_PERSISTENCE = 'local-persistence';

/**
 * The process's persistence activities, local for workflows started since LOCAL_PERSISTENCE (`local` says which). Call
 * once per run, before the first persistence activity, at the same point of the workflow's code every time (patched()
 * is decided where it is first called, and must be the same for the whole run).
 */
export function persistenceActivities<A extends UntypedActivities>(): { local: boolean; activities: A } {
  if (!patched(LOCAL_PERSISTENCE)) return { local: false, activities: proxyActivities<A>(persistenceActivityOptions) as unknown as A };
  const activities = proxyLocalActivities<A>({
    startToCloseTimeout: persistenceActivityOptions.startToCloseTimeout!,
    retry: persistenceActivityOptions.retry!,
    // Retries up to here run inside the workflow task; later ones wait on a timer (no workflow task held open).
    localRetryThreshold: '10 seconds',
  }) as unknown as A;
  return { local: true, activities };
}
