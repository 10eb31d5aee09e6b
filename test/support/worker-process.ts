/**
 * The partnerflow worker as its own OS process, for tests that kill it (test/crash.test.ts): the real
 * createWorker() with the real activities on PostgreSQL, and a synthetic calendar so the test does not
 * depend on today's date. Reads DATABASE_URL, TEMPORAL_ADDRESS, TEMPORAL_TASK_QUEUE (and optionally
 * TEMPORAL_NAMESPACE, WORKER_IDENTITY, and WORKFLOW_BUNDLE_PATH: the test run's workflow bundle, instead of bundling
 * again); prints `worker ready` once it polls. SIGINT/SIGTERM drain it.
 */
import { readFileSync } from 'node:fs';
import { DefaultLogger, NativeConnection, Runtime, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createPrisma } from '../../platform/db.js';
import { createWorker } from '../../worker/worker.js';
import { fixedCalendar, testCalendar } from './calendar.js';

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`worker-process: ${name} is not set`);
  return value;
}

const databaseUrl = required('DATABASE_URL');
const address = required('TEMPORAL_ADDRESS');
const taskQueue = required('TEMPORAL_TASK_QUEUE');
const namespace = process.env.TEMPORAL_NAMESPACE ?? 'default';
const identity = process.env.WORKER_IDENTITY;
const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;

// Only problems reach the test's output; state changes are announced below.
Runtime.install({ logger: new DefaultLogger('WARN') });

const prisma = createPrisma(databaseUrl);
const connection = await NativeConnection.connect({ address });
try {
  const worker = await createWorker({
    connection,
    namespace,
    taskQueue,
    prisma,
    calendarFor: fixedCalendar(() => testCalendar(Date.now())),
    ...(identity ? { identity } : {}),
    ...(bundlePath ? { workflowBundle: JSON.parse(readFileSync(bundlePath, 'utf8')) as WorkflowBundleWithSourceMap } : {}),
  });
  const running = worker.run();
  // run() moves the worker to RUNNING as it starts polling (FAILED if it cannot: `running` rejects then).
  while (worker.getState() === 'INITIALIZED') await new Promise((r) => setTimeout(r, 20));
  if (worker.getState() === 'RUNNING') console.log(`worker ready (pid ${process.pid}, task queue ${taskQueue})`);
  await running;
} finally {
  await connection.close();
  await prisma.$disconnect();
  console.log('worker stopped');
}
