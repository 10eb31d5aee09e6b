/**
 * Once per `vitest run`: a real PostgreSQL with the migrations applied, the Temporal binaries, and the workflow code
 * bundled once (webpack takes seconds; every test file's workers share the bundle instead of making their own).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../platform/db.js';
import { resolveTemporalCli, resolveTestServer } from '../../scripts/temporal-binaries.js';
import { workflowsPath } from '../../worker/worker.js';
import { startTestPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalCli: string;
    temporalTestServer: string;
    /** A JSON file holding the workflow bundle (WorkflowBundleWithSourceMap) of this run's sources. */
    workflowBundlePath: string;
  }
}

export default async function setup(project: TestProject) {
  const postgres = await startTestPostgres();
  await migrate(postgres.url);
  project.provide('databaseUrl', postgres.url);
  project.provide('temporalCli', resolveTemporalCli());
  project.provide('temporalTestServer', resolveTestServer());
  const noop = () => {};
  const bundle = await bundleWorkflowCode({ workflowsPath, logger: { log: noop, trace: noop, debug: noop, info: noop, warn: noop, error: noop } });
  const dir = mkdtempSync(path.join(os.tmpdir(), 'partnerflow-bundle-'));
  const bundlePath = path.join(dir, 'workflow-bundle.json');
  writeFileSync(bundlePath, JSON.stringify(bundle));
  project.provide('workflowBundlePath', bundlePath);
  return async () => {
    rmSync(dir, { recursive: true, force: true });
    await postgres.stop();
  };
}
