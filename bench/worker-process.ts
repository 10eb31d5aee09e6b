/**
 * The partnerflow worker as its own OS process, for the scale and incentive-run sections of `npm run bench`
 * (bench/scale.ts, bench/incentive-run.ts): the real createWorker() with the real activities and the worker's own
 * defaults (worker/worker.ts WORKER_DEFAULTS), building its workflow bundle at start as worker/main.ts does (in a child
 * process), so that the memory the benchmark reads from /proc is this worker's alone — not the benchmark's client, its
 * seeding, nor a ceiling worker beside it. A synthetic calendar
 * (weekends only, a wide year range) keeps deadlines independent of today's date and of the CN data's coverage.
 *
 * Reads DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE, TEMPORAL_NAMESPACE (default), DB_POOL_SIZE (as the
 * production worker: 5), WORKFLOW_BUNDLE_PATH (optional: a bundle built beforehand, as the tests' global setup writes
 * it), and BENCH_SCALE_WORKER_OPTIONS: a JSON object of worker options over the defaults (a key set to null leaves
 * that option to the SDK's own default), to measure another setting. Prints `worker ready (…)` once it polls, and
 * `worker memory {json}` (this process's memory, main thread's heap included) on SIGUSR2. SIGINT/SIGTERM drain it.
 */
import { readFileSync } from 'node:fs';
import { getHeapStatistics } from 'node:v8';
import { DefaultLogger, NativeConnection, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { configDefaults } from '../platform/config.js';
import { createPrisma } from '../platform/db.js';
import { fixedCalendar, testCalendar } from '../test/support/calendar.js';
import { createWorker, WORKER_DEFAULTS } from '../worker/worker.js';
import { workerTuningOf } from './options.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`bench worker: ${name} is not set`);
  return value;
}

const databaseUrl = required('DATABASE_URL');
const address = required('TEMPORAL_ADDRESS');
const taskQueue = required('TEMPORAL_TASK_QUEUE');
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const poolSize = Number(process.env.DB_POOL_SIZE ?? configDefaults.DB_POOL_SIZE);
const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
const tuning = workerTuningOf(process.env.BENCH_SCALE_WORKER_OPTIONS);
const unknown = Object.keys(tuning).filter((key) => !(key in WORKER_DEFAULTS));
if (unknown.length) throw new Error(`BENCH_SCALE_WORKER_OPTIONS: unknown option(s) ${unknown.join(', ')}`);

// Only problems reach the benchmark's log; state changes are announced below. The SDK's default shutdown signals include
// SIGUSR2: here that one asks for the memory figures instead.
Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: ['SIGINT', 'SIGTERM', 'SIGQUIT'] });
process.on('SIGUSR2', () => console.log(`worker memory ${JSON.stringify(process.memoryUsage())}`));

const prisma = createPrisma(databaseUrl, poolSize);
const connection = await NativeConnection.connect({ address });
try {
  const worker = await createWorker({
    connection,
    namespace,
    taskQueue,
    prisma,
    calendarFor: fixedCalendar(() => testCalendar(Date.now())),
    tuning,
    ...(bundlePath ? { workflowBundle: JSON.parse(readFileSync(bundlePath, 'utf8')) as WorkflowBundleWithSourceMap } : {}),
  });
  const running = worker.run();
  // run() moves the worker to RUNNING as it starts polling (FAILED if it cannot: `running` rejects then).
  while (worker.getState() === 'INITIALIZED') await new Promise((r) => setTimeout(r, 20));
  const options = worker.options;
  const resolved = {
    maxCachedWorkflows: options.maxCachedWorkflows,
    reuseV8Context: options.reuseV8Context,
    workflowThreadPoolSize: options.workflowThreadPoolSize,
    heapLimitMiB: Math.round(getHeapStatistics().heap_size_limit / 2 ** 20),
  };
  if (worker.getState() === 'RUNNING') console.log(`worker ready (pid ${process.pid}, task queue ${taskQueue}) ${JSON.stringify(resolved)}`);
  await running;
} finally {
  await connection.close();
  await prisma.$disconnect();
  console.log('worker stopped');
}
