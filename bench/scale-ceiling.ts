/**
 * The expiry's ceiling in the scale section (bench/scale.ts): n bare workflows of the opportunity's shape
 * (bench/ceiling/workflows.ts `ceilingOpportunity`: started with a plain start, it waits on its accept deadline's timer
 * and returns 'EXPIRED'; no activities, no database), their deadline as far from their start as an opportunity's, on
 * the same time-skipping server, then one clock jump past every deadline — timed until the last one has returned.
 * Its worker runs in the benchmark's process (not the measured worker's), with the same worker options as the
 * measured worker, and counts starts and completions through a sink (bench/scale-ceiling-interceptors.ts).
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type InjectedSinks, Worker } from '@temporalio/worker';
import { CEILING_WORKFLOW, type CeilingInput } from './ceiling/contract.js';
import { type Teardown } from './lib.js';
import { type PhaseResult, runPhase } from './phase.js';
import type { ScaleCeilingSinks } from './scale-ceiling-interceptors.js';
import { closedExecutions, JUMP_MARGIN_MS, jumpAndWait, type Jump, until } from './scale-server.js';
import { PartnerId, ProcessStatus } from '../workflows/kit/search-attributes.js';
import type { WorkerTuning } from '../worker/worker.js';

const workflowsPath = fileURLToPath(new URL('./ceiling/workflows.ts', import.meta.url));
const interceptorsPath = fileURLToPath(new URL('./scale-ceiling-interceptors.ts', import.meta.url));
/** The ceiling's one stage after the jump: every workflow has returned. */
export const RETURNED = 'returned';

export type CeilingRun = {
  start: PhaseResult;
  /** From the first start until every ceiling workflow had run its first task (its timer armed). */
  armedMs: number;
  /** The bench process's RSS with its ceiling worker idle, then with the n ceiling workflows open (cached as the options allow). */
  benchRss: { before: number; open: number };
  jump: Jump;
  /** What the workflows returned, counted by result; and how many the server lists as closed and completed. */
  results: Record<string, number>;
  closedCompleted: number;
};

type Setup = { env: TestWorkflowEnvironment; n: number; concurrency: number; acceptWithinMs: number; tuning: Partial<WorkerTuning>; timeoutMs: number };

export async function runCeiling(
  { env, n, concurrency, acceptWithinMs, tuning, timeoutMs }: Setup,
  teardown: Teardown,
  log: (line: string) => void,
  signal?: AbortSignal,
): Promise<CeilingRun> {
  const namespace = env.namespace ?? 'default';
  const taskQueue = `scale-ceiling-${randomUUID().slice(0, 8)}`;
  const armed = new Set<string>();
  const results = new Map<string, string>();
  const sinks: InjectedSinks<ScaleCeilingSinks> = {
    scaleCeiling: {
      armed: { fn: (_info, workflowId) => void armed.add(workflowId) },
      closed: { fn: (_info, workflowId, result) => void results.set(workflowId, result) },
    },
  };
  log('scale: bundling the ceiling workflow and starting its worker (in this process)…');
  const { WORKER_DEFAULTS } = await import('../worker/worker.js');
  const worker = await Worker.create({
    connection: env.nativeConnection,
    namespace,
    taskQueue,
    workflowsPath,
    interceptors: { workflowModules: [interceptorsPath] },
    sinks,
    ...WORKER_DEFAULTS,
    ...tuning,
  });
  let workerFailure: unknown;
  const running = worker.run().catch((error: unknown) => {
    workerFailure = error;
  });
  const shutdown = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  teardown.add('shut down the scale ceiling worker', shutdown);
  const failed = () => {
    if (workerFailure) throw new Error(`ceiling worker failed: ${String(workerFailure)}`);
  };
  const benchBefore = process.memoryUsage().rss;

  log(`scale: starting ${n} ceiling workflows (${concurrency} at a time)…`);
  const runId = randomUUID().slice(0, 8);
  const started = performance.now();
  const start = await runPhase(
    'ceiling start',
    n,
    concurrency,
    async (i) => {
      failed();
      await env.client.workflow.start(CEILING_WORKFLOW, {
        workflowId: `scale-ceiling-${runId}-${i}`,
        taskQueue,
        args: [{ acceptWithinMs } satisfies CeilingInput],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // As an opportunity's start: the Web UI's attributes.
        typedSearchAttributes: [
          { key: PartnerId, value: `P-ceiling-${i % 20}` },
          { key: ProcessStatus, value: 'PENDING_ACCEPTANCE' },
        ],
      });
      return { ok: true };
    },
    signal,
  );
  // Every deadline is at most this far ahead: each workflow started before now, its timer acceptWithinMs long.
  const lastDeadline = (await env.currentTimeMs()) + acceptWithinMs;
  await until('every ceiling workflow to arm its timer', () => (failed(), armed.size >= start.ok), timeoutMs, log, () => `${armed.size}/${start.ok} armed`, signal);
  const armedMs = performance.now() - started;
  const benchOpen = process.memoryUsage().rss;

  const jump = await jumpAndWait(
    env,
    lastDeadline + JUMP_MARGIN_MS,
    [{ name: RETURNED, done: () => (failed(), results.size >= start.ok), progress: () => `${results.size}/${start.ok} ceiling workflows returned`, everyMs: 20 }],
    timeoutMs,
    log,
    signal,
  );
  const closed = await closedExecutions(env, CEILING_WORKFLOW);
  await shutdown();
  const byResult: Record<string, number> = {};
  for (const result of results.values()) byResult[result] = (byResult[result] ?? 0) + 1;
  return {
    start,
    armedMs,
    benchRss: { before: benchBefore, open: benchOpen },
    jump,
    results: byResult,
    closedCompleted: closed.filter((e) => e.completed).length,
  };
}
