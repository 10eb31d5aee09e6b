/** Temporal test environments on the pip-installed servers, and the worker the app runs, built for tests. */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { inject } from 'vitest';
import { testDatabaseUrl } from './database.js';
import { registerSearchAttributes } from '../../platform/temporal.js';
import type { CalendarLookup } from '../../domain/calendar.js';
import { createPrisma } from '../../platform/db.js';
import { createWorker } from '../../worker/worker.js';
import {
  CertificationType,
  DeadlineProvisional,
  IncentivePeriod,
  PartnerId,
  PathId,
  ProcessDeadline,
  ProcessStatus,
  ReviewYear,
} from '../../workflows/kit/search-attributes.js';

export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: inject('temporalTestServer') } },
  });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

let bundle: WorkflowBundleWithSourceMap | undefined;
/** The run's workflow bundle, made once by the global setup (bundling takes seconds), read once per test file. */
export const workflowBundle = async () => (bundle ??= JSON.parse(readFileSync(inject('workflowBundlePath'), 'utf8')) as WorkflowBundleWithSourceMap);

const noop = () => {};
export const quietLogger = { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop };

/**
 * A real Temporal dev server (in-memory), with the app's search attributes — or, under `npm run test:cluster`
 * (TEST_TEMPORAL_ADDRESS), the real Temporal server of the cluster (scripts/cluster/cluster.ts), already prepared.
 */
export async function devServerEnv(): Promise<TestWorkflowEnvironment> {
  const cluster = process.env.TEST_TEMPORAL_ADDRESS;
  if (cluster) return TestWorkflowEnvironment.createFromExistingServer({ address: cluster, namespace: 'default' });
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: inject('temporalCli') },
      ip: '127.0.0.1',
      searchAttributes: [PartnerId, ProcessStatus, ProcessDeadline, IncentivePeriod, CertificationType, PathId, ReviewYear, DeadlineProvisional],
      extraArgs: ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'],
      log: { format: 'pretty', level: 'warn' },
    },
  });
}

/**
 * The app's worker (real activities, real PostgreSQL) running on a test environment, for a test file's
 * lifetime: `stop()` drains it and closes the database pool.
 */
export async function startTestWorker(env: TestWorkflowEnvironment, taskQueue: string, calendarFor: CalendarLookup) {
  const prisma = createPrisma(testDatabaseUrl());
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue,
    prisma,
    calendarFor,
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  return {
    prisma,
    async stop() {
      worker.shutdown();
      await running;
      await prisma.$disconnect();
    },
  };
}
