/**
 * Starting many long-lived process workflows from one activity (the incentive run's verifications, the path review
 * cycle's reviews).
 *
 * Why not child workflows: these processes are independent of the run that creates them (ABANDON, weeks long), so
 * the parent → child link bought only a Web UI link, at about two history events per partner in the parent and one
 * command round-trip each. Started here instead, a batch costs the run one activity; the processes are found by
 * their search attributes (IncentivePeriod, PathId + ReviewYear). It also keeps the time-skipping test server
 * usable: there, a child that completes after its parent has closed leaks a time-skipping lock
 * (TestWorkflowMutableStateImpl "notify parent" is never unlocked when the parent is gone), and every clock advance
 * after it then waits in real time.
 */
import { Context } from '@temporalio/activity';
import {
  type Client,
  type InternalConnectionLike,
  InternalConnectionLikeSymbol,
  WorkflowExecutionAlreadyStartedError,
  type WorkflowStartOptions,
} from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';

export type ProcessStart = {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  searchAttributes: SearchAttributePair[];
};

/** `eagerlyStarted`: of those started, how many the server handed their first workflow task with the start. */
export type ProcessStartResult = { started: number; alreadyStarted: number; eagerlyStarted: number };

/**
 * Starts at a time: enough to hide round-trips, few enough not to crowd interactive requests. Issue 16 raised it from
 * 10: a start is a round trip to the server of tens of milliseconds on a busy cluster, and the monthly run starts a
 * hundred per batch on its critical path; on one 2-core machine the server's CPU bounds it either way.
 */
export const START_CONCURRENCY = 25;

/**
 * Eager start: the server answers the start with the new workflow's first workflow task, which this worker runs at
 * once — no trip through the task queue's matching (issue 16's run profile: a start and its first task were the
 * Temporal server's largest cost per partner). Only a client on the worker's own NativeConnection can take the task
 * (worker/worker.ts builds the activities' client so); the SDK core asks for it only while this worker has a free
 * workflow slot, and the server falls back to the task queue otherwise. Another client (tests' activity
 * environments) starts the ordinary way.
 */
const canStartEagerly = (client: Client) => Boolean((client.connection as InternalConnectionLike)[InternalConnectionLikeSymbol]?.supportsEagerStart);

/**
 * Starts each process on the calling activity's task queue, unless its id has ever been used: REJECT_DUPLICATE, so a
 * retried batch (or a second run) never starts a partner's process twice, even one that has already finished.
 * Heartbeats per start, so a lost worker is noticed within the heartbeat timeout.
 */
export async function startProcesses(client: Client, starts: ProcessStart[]): Promise<ProcessStartResult> {
  const { taskQueue } = Context.current().info;
  const requestEagerStart = canStartEagerly(client);
  let started = 0;
  let alreadyStarted = 0;
  let eagerlyStarted = 0;
  let next = 0;
  const startOne = async (start: ProcessStart) => {
    const options: WorkflowStartOptions = {
      workflowId: start.workflowId,
      taskQueue,
      args: start.args,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: start.searchAttributes,
      ...(requestEagerStart ? { requestEagerStart } : {}),
    };
    try {
      const handle = await client.workflow.start(start.workflowType, options);
      started++;
      if (handle.eagerlyStarted) eagerlyStarted++;
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      alreadyStarted++;
    }
  };
  const lane = async () => {
    while (next < starts.length) {
      const start = starts[next++]!;
      await startOne(start);
      Context.current().heartbeat(started + alreadyStarted);
    }
  };
  await Promise.all(Array.from({ length: Math.min(START_CONCURRENCY, starts.length) }, lane));
  return { started, alreadyStarted, eagerlyStarted };
}
