/**
 * The ceiling's side of the referee: a worker on its own task queue with the same worker options as the app's
 * (worker/worker.ts: defaults, nothing tuned), and the same two operations partnerflow's API performs on
 * Temporal — share as update-with-start (as api/opportunity/client.ts does), accept as an update — straight
 * from a Temporal client, with no HTTP, no activities and no database.
 */
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { WithStartWorkflowOperation } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Teardown } from '../lib.js';
import type { Outcome } from '../phase.js';
import { timed } from '../servers.js';
import { CEILING_WORKFLOW, ceilingAccept, type CeilingInput, ceilingShare } from './contract.js';
import { PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { WORKER_DEFAULTS } from '../../worker/worker.js';

const workflowsPath = fileURLToPath(new URL('./workflows.ts', import.meta.url));
/** Far beyond the run: the deadline's timer is armed, as for a fresh opportunity, but never fires. */
const ACCEPT_WITHIN_MS = 10 * 24 * 3600_000;
const REQUEST_TIMEOUT_MS = 30_000;

export async function startCeiling(env: TestWorkflowEnvironment, taskQueue: string, teardown: Teardown, log: (line: string) => void) {
  log('ceiling: bundling its workflow and starting its worker…');
  const namespace = env.namespace ?? 'default';
  const created = await timed(() => Worker.create({ connection: env.nativeConnection, namespace, taskQueue, workflowsPath, ...WORKER_DEFAULTS }));
  const worker = created.value;
  // Run at once, as the app's worker: Temporal's teardown waits for every created worker to shut down.
  let workerFailure: unknown;
  const running = worker.run().catch((error: unknown) => {
    workerFailure = error;
  });
  teardown.add('shut down ceiling worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });

  const client = env.client;
  const runId = randomUUID().slice(0, 8);
  const workflowId = (prefix: string, i: number) => `ceiling-${runId}-${prefix}-${i}`;

  /** Share: update-with-start, answered once the workflow has run its first task. */
  const shareOp = (prefix: string, ids: (string | undefined)[]) => async (i: number): Promise<Outcome> => {
    if (workerFailure) throw new Error(`ceiling worker failed: ${String(workerFailure)}`);
    const id = workflowId(prefix, i);
    // The same 30 s bound as partnerflow's HTTP requests (bench/partnerflow.ts): a stuck call fails, the run goes on.
    const status = await client.withDeadline(Date.now() + REQUEST_TIMEOUT_MS, () => client.workflow.executeUpdateWithStart(ceilingShare, {
      startWorkflowOperation: new WithStartWorkflowOperation(CEILING_WORKFLOW, {
        workflowId: id,
        taskQueue,
        args: [{ acceptWithinMs: ACCEPT_WITHIN_MS } satisfies CeilingInput],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // The same Temporal work as partnerflow's share: its start carries the Web UI's attributes too.
        typedSearchAttributes: [
          { key: PartnerId, value: `P-ceiling-${i % 20}` },
          { key: ProcessStatus, value: 'PENDING_ACCEPTANCE' },
        ],
      }),
    }));
    if (status !== 'PENDING_ACCEPTANCE') return { ok: false, error: `share answered ${status}` };
    ids[i] = id;
    return { ok: true };
  };
  const acceptOp = (ids: (string | undefined)[]) => async (i: number): Promise<Outcome> => {
    const id = ids[i];
    if (!id) return { ok: false, error: 'not shared (share failed)' };
    const status = await client.withDeadline(Date.now() + REQUEST_TIMEOUT_MS, () => client.workflow.getHandle(id).executeUpdate(ceilingAccept));
    return status === 'ACCEPTED' ? { ok: true } : { ok: false, error: `accept answered ${status}` };
  };
  return { shareOp, acceptOp, workerMs: created.ms };
}
