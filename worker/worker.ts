/** Builds the partnerflow worker from explicit dependencies, so tests and main() share one definition. */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';
import { WORKER_NODE_FLAGS } from '../platform/config.js';
import { projectRoot } from '../platform/paths.js';

/** The workflows' source, bundled at the worker's start (from the build too: platform/paths.ts). */
export const workflowsPath = path.join(projectRoot, 'workflows', 'index.ts');

/** What the worker keeps in memory and how much it runs at once: WORKER_DEFAULTS, overridable one by one. */
export type WorkerTuning = Pick<
  WorkerOptions,
  | 'maxCachedWorkflows'
  | 'reuseV8Context'
  | 'workflowThreadPoolSize'
  | 'maxConcurrentWorkflowTaskExecutions'
  | 'maxConcurrentActivityTaskExecutions'
  | 'maxConcurrentLocalActivityExecutions'
>;

/**
 * The worker's defaults, chosen by measuring `npm run bench` section 5 (bench/scale.ts: 5,000 open opportunities,
 * then their expiry after one clock jump); each one's trade-off is in docs/configuration.md ("The worker's memory").
 * - maxCachedWorkflows: the SDK sizes its cache from the heap limit (2,395 workflows with Node 24's 4 GiB), and each
 *   cached opportunity costs the worker ~230 KiB (1,000 open and idle: 309 MiB with 250 cached, 273 with 100). 100 keeps
 *   every workflow that can be busy at once cached (a workflow task slot or an activity slot each: 40 + 40 + 20 below)
 *   and lets the rest, which wait on timers for days, be evicted. The price is CPU when they wake: an evicted workflow
 *   is replayed from its history.
 * - reuseV8Context: one V8 context for every workflow (the SDK's default, kept explicit): without it each cached
 *   workflow has a context of its own — 1,000 opportunities peaked at 3.5 GiB instead of 0.5.
 * - workflowThreadPoolSize: one workflow thread (the SDK's default with a reused context); a second one would load the
 *   bundle again.
 * - Concurrency 40 workflow tasks (the SDK's), 40 activities, 20 local activities (the SDK's: 100 each), so that at most
 *   100 workflows are busy at once, as many as the cache holds. Fewer workflow task slots starve the workflows of
 *   a burst: at 10 the referee's throughput halved on both sides (bench section 4). Local activities are the processes'
 *   first writes, bound by the database pool (DB_POOL_SIZE, 5) anyway; activities keep more because a webhook POST
 *   holds one for up to WEBHOOK_TIMEOUT_SECONDS, and slow receivers must not hold back the processes' database work.
 */
export const WORKER_DEFAULTS: Required<WorkerTuning> = {
  maxCachedWorkflows: 100,
  reuseV8Context: true,
  workflowThreadPoolSize: 1,
  maxConcurrentWorkflowTaskExecutions: 40,
  maxConcurrentActivityTaskExecutions: 40,
  maxConcurrentLocalActivityExecutions: 20,
};

/** The heap flags the worker's process must be started with, kept in platform/config.ts for whatever starts it. */
export { WORKER_NODE_FLAGS };

const bundlerPath = createRequire(import.meta.url).resolve('@temporalio/worker/lib/workflow/bundler.js');

/**
 * The workflow bundle, built by webpack in a short-lived child process. Built in the worker's own process (what
 * Worker.create does with a workflowsPath) webpack's modules and garbage stayed there: with 1,000 open opportunities
 * the worker held 409 MiB instead of 335, and peaked at 537 instead of 434 (bench section 5). The child gets the
 * worker's NODE_OPTIONS without its heap flags (webpack needs more), and costs the start a second or two.
 */
export function bundleWorkflows(workflowInterceptorModules: readonly string[] = []): Promise<{ code: string }> {
  // The child ends with the worker: its stdin is a pipe from the worker that nothing writes to, so it reads end-of-file
  // when the worker is gone — however it went (SIGKILL included) — and exits instead of bundling on for nobody.
  const script = [
    'const noop = () => {};',
    "process.stdin.on('end', () => process.exit(1)).resume();",
    `require(${JSON.stringify(bundlerPath)})`,
    `  .bundleWorkflowCode({ workflowsPath: ${JSON.stringify(workflowsPath)}, workflowInterceptorModules: ${JSON.stringify(workflowInterceptorModules)}, logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop } })`,
    '  .then(({ code }) => process.stdout.write(code, () => process.exit(0)), (error) => { console.error(error); process.exit(1); });',
  ].join('\n');
  const nodeOptions = (process.env.NODE_OPTIONS ?? '')
    .split(/\s+/)
    .filter((option) => !WORKER_NODE_FLAGS.some((flag) => option.startsWith(flag.slice(0, flag.indexOf('=')))))
    .join(' ');
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['-e', script], { env: { ...process.env, NODE_OPTIONS: nodeOptions }, maxBuffer: 256 * 2 ** 20 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`bundling the workflows failed: ${stderr.trim() || error.message}`));
      else resolve({ code: stdout });
    });
  });
}

export type WorkerDeps = Omit<ActivityDeps, 'temporal'> & {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
  /** Over WORKER_DEFAULTS; a key set to undefined leaves that option to the SDK's own default. */
  tuning?: Partial<WorkerTuning>;
  /**
   * The payload codec (PAYLOAD_CODEC_KEYS, platform/payload-codec.ts): for the workflows' and activities' payloads and
   * for the client the activities start workflows with, so nothing the worker sends is stored in clear.
   */
  dataConverter?: DataConverter;
  /** The worker's interceptors (tracing), as the SDK takes them. */
  interceptors?: WorkerOptions['interceptors'];
} & Pick<WorkerOptions, 'workflowBundle' | 'identity' | 'sinks'>;

export async function createWorker({ connection, namespace, taskQueue, workflowBundle, identity, tuning, dataConverter, interceptors, sinks, ...deps }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    // The workflow interceptor modules (tracing) are bundled with the workflows.
    workflowBundle: workflowBundle ?? (await bundleWorkflows(interceptors?.workflowModules ?? [])),
    ...(identity ? { identity } : {}),
    ...(dataConverter ? { dataConverter } : {}),
    ...(interceptors ? { interceptors } : {}),
    ...(sinks ? { sinks } : {}),
    ...WORKER_DEFAULTS,
    ...tuning,
    // The worker's own connection also serves the activities that start workflows (with the worker's codec).
    activities: createActivities({ ...deps, temporal: new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}), ...(interceptors?.client ? { interceptors: interceptors.client } : {}) }) }),
  });
}
