/** Once per `vitest run`: a real PostgreSQL with the migrations applied, and the Temporal binaries. */
import type { TestProject } from 'vitest/node';
import { migrate } from '../../platform/db.js';
import { resolveTemporalCli, resolveTestServer } from '../../scripts/temporal-binaries.js';
import { startTestPostgres } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    temporalCli: string;
    temporalTestServer: string;
  }
}

export default async function setup(project: TestProject) {
  const postgres = await startTestPostgres();
  await migrate(postgres.url);
  project.provide('databaseUrl', postgres.url);
  project.provide('temporalCli', resolveTemporalCli());
  project.provide('temporalTestServer', resolveTestServer());
  return () => postgres.stop();
}
