/** Builds the partnerflow worker from explicit dependencies, so tests and main() share one definition. */
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type WorkerDeps = Omit<ActivityDeps, 'temporal'> & {
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
} & Pick<WorkerOptions, 'workflowBundle' | 'identity' | 'maxCachedWorkflows'>;

export async function createWorker({ connection, namespace, taskQueue, workflowBundle, identity, maxCachedWorkflows, ...deps }: WorkerDeps): Promise<Worker> {
  return Worker.create({
    connection,
    namespace,
    taskQueue,
    ...(workflowBundle ? { workflowBundle } : { workflowsPath }),
    ...(identity ? { identity } : {}),
    ...(maxCachedWorkflows !== undefined ? { maxCachedWorkflows } : {}),
    // The worker's own connection also serves the activities that start workflows.
    activities: createActivities({ ...deps, temporal: new Client({ connection, namespace }) }),
  });
}
