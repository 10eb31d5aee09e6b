/**
 * The worker as its own OS process (test/support/worker-process.ts), for tests that kill it: started with the run's
 * workflow bundle (global setup: a start without webpack, which takes seconds on a busy 2-core machine), its output
 * kept in `output`, and counted as started once it reports that it polls.
 */
import { inject } from 'vitest';
import { type Child, startTsChild } from '../../scripts/stack.js';
import { waitFor } from './wait.js';

export async function startWorkerProcess(o: { identity: string; databaseUrl: string; temporalAddress: string; taskQueue: string; output: string[]; children: Child[] }): Promise<Child> {
  const child = startTsChild(
    o.identity,
    'test/support/worker-process.ts',
    {
      ...process.env,
      DATABASE_URL: o.databaseUrl,
      TEMPORAL_ADDRESS: o.temporalAddress,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: o.taskQueue,
      WORKER_IDENTITY: o.identity,
      WORKFLOW_BUNDLE_PATH: inject('workflowBundlePath'),
    },
    (line) => o.output.push(line),
  );
  o.children.push(child);
  await waitFor(`${o.identity} to report ready`, () => {
    if (child.process.exitCode !== null) throw new Error(`${o.identity} exited with code ${child.process.exitCode} before it was ready`);
    return o.output.some((line) => line.startsWith(`[${o.identity}] worker ready`));
  }, 60_000);
  return child;
}
