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
import { type Client, WorkflowExecutionAlreadyStartedError, type WorkflowStartOptions } from '@temporalio/client';
import type { SearchAttributePair } from '@temporalio/common';

export type ProcessStart = {
  workflowType: string;
  workflowId: string;
  args: unknown[];
  searchAttributes: SearchAttributePair[];
};

export type ProcessStartResult = { started: number; alreadyStarted: number };

/** Starts at a time: enough to hide round-trips, few enough not to crowd interactive requests. */
const CONCURRENCY = 10;

/**
 * Starts each process on the calling activity's task queue, unless its id has ever been used: REJECT_DUPLICATE, so a
 * retried batch (or a second run) never starts a partner's process twice, even one that has already finished.
 * Heartbeats per start, so a lost worker is noticed within the heartbeat timeout.
 */
export async function startProcesses(client: Client, starts: ProcessStart[]): Promise<ProcessStartResult> {
  const { taskQueue } = Context.current().info;
  let started = 0;
  let alreadyStarted = 0;
  let next = 0;
  const startOne = async (start: ProcessStart) => {
    const options: WorkflowStartOptions = {
      workflowId: start.workflowId,
      taskQueue,
      args: start.args,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: start.searchAttributes,
    };
    try {
      await client.workflow.start(start.workflowType, options);
      started++;
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
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, starts.length) }, lane));
  return { started, alreadyStarted };
}
