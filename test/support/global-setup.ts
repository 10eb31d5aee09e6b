/**
 * Once per `vitest run`: a real PostgreSQL with one migrated database per test worker, the Temporal binaries, and
 * the workflow code bundled once (webpack takes seconds; every test file's workers share the bundle instead of making
 * their own). Its teardown stops the PostgreSQL it started; each file stops its own Temporal servers, and whatever
 * server of this run is still alive then is killed and named (support/leftovers.ts).
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../platform/db.js';
import { buildEntries } from '../../scripts/stack.js';
import { resolveTemporalCli, resolveTestServer } from '../../scripts/temporal-binaries.js';
import { workflowsPath } from '../../worker/worker.js';
import { killLeftovers, RUN_MARKER } from './leftovers.js';
import { lockPath } from './one-at-a-time.js';
import { startTestPostgres, workerDatabases } from '../../scripts/postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** One database per test worker, index = VITEST_POOL_ID - 1: read it through testDatabaseUrl() (support/database.ts). */
    databaseUrls: string[];
    temporalCli: string;
    temporalTestServer: string;
    /** A JSON file holding the workflow bundle (WorkflowBundleWithSourceMap) of this run's sources. */
    workflowBundlePath: string;
  }
}

const noop = () => {};

async function bundleOnce(): Promise<{ dir: string; bundlePath: string }> {
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'partnerflow-bundle-'));
  const bundlePath = path.join(dir, 'workflow-bundle.json');
  writeFileSync(bundlePath, JSON.stringify(bundle));
  return { dir, bundlePath };
}

export default async function setup(project: TestProject) {
  // Inherited by every process the run starts (workers, their servers, the PostgreSQL below): found at the end.
  const run = randomUUID();
  process.env[RUN_MARKER] = run;
  // The database and the bundle do not need each other: prepared side by side.
  const [postgres, { dir, bundlePath }] = await Promise.all([startTestPostgres(), bundleOnce()]);
  try {
    // What the stacks the tests start run (scripts/start.ts with START_BUILD=0): built once here, from this run's sources.
    buildEntries({ typeErrors: 'warn' });
    const urls = await workerDatabases(postgres.url, project.config.maxWorkers);
    await Promise.all(urls.map((url) => migrate(url)));
    project.provide('databaseUrls', urls);
  } catch (error) {
    await postgres.stop();
    throw error;
  }
  project.provide('temporalCli', resolveTemporalCli());
  project.provide('temporalTestServer', resolveTestServer());
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(lockPath(run), { recursive: true, force: true });
    await postgres.stop();
    const left = killLeftovers(run);
    if (left.length) console.warn(`test run: ${left.length} server process(es) outlived their test file, killed now:\n  ${left.join('\n  ')}`);
  };
}
