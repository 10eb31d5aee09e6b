/** Builds the partnerflow worker from explicit dependencies, so tests and main() share one definition. */
import { fileURLToPath } from 'node:url';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type ActivityDeps } from '../activities/index.js';

export const workflowsPath = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

export type WorkerDeps = ActivityDeps & {
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
    activities: createActivities(deps),
  });
}
