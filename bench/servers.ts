/**
 * What every end-to-end benchmark section starts the same way: the SDK runtime (quiet), a throwaway PostgreSQL
 * and a Temporal dev server in parallel, then the migrations — each registered with the Teardown as soon as it
 * exists (PostgreSQL first, so that it stops last).
 */
import { performance } from 'node:perf_hooks';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, makeTelemetryFilterString, Runtime } from '@temporalio/worker';
import { migrate } from '../platform/db.js';
import { resolveTemporalCli } from '../scripts/temporal-binaries.js';
import { startTestPostgres } from '../scripts/postgres.js';
import { SEARCH_ATTRIBUTES } from '../workflows/kit/search-attributes.js';
import type { Teardown } from './lib.js';

export async function timed<T>(run: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const start = performance.now();
  const value = await run();
  return { value, ms: performance.now() - start };
}

export async function startBenchServers(label: string, teardown: Teardown, log: (line: string) => void, signal?: AbortSignal) {
  try {
    // Only warnings and errors from the SDK and its core; must precede anything that creates the Runtime.
    Runtime.install({
      logger: new DefaultLogger('WARN'),
      shutdownSignals: [], // bench/main.ts owns SIGINT/SIGTERM and shuts the worker down in order
      telemetryOptions: { logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) } },
    });
  } catch {
    // Already installed (by an earlier section): keep it.
  }

  log(`${label}: starting PostgreSQL and the Temporal dev server…`);
  const [pgStarted, envStarted] = await Promise.allSettled([
    timed(() => startTestPostgres()),
    timed(() =>
      TestWorkflowEnvironment.createLocal({
        server: {
          executable: { type: 'existing-path', path: resolveTemporalCli() },
          ip: '127.0.0.1',
          searchAttributes: [...SEARCH_ATTRIBUTES],
          extraArgs: ['--sqlite-pragma', 'journal_mode=WAL', '--sqlite-pragma', 'synchronous=NORMAL'],
          log: { format: 'pretty', level: 'error' },
        },
      }),
    ),
  ]);
  if (pgStarted.status === 'fulfilled') teardown.add(`stop PostgreSQL (${label})`, () => pgStarted.value.value.stop());
  if (envStarted.status === 'fulfilled') teardown.add(`tear down Temporal (${label})`, () => envStarted.value.value.teardown());
  if (pgStarted.status === 'rejected') throw pgStarted.reason;
  if (envStarted.status === 'rejected') throw envStarted.reason;
  signal?.throwIfAborted();
  const postgres = pgStarted.value.value;
  const migrated = await timed(() => migrate(postgres.url));
  signal?.throwIfAborted();
  return {
    postgres,
    env: envStarted.value.value,
    setupMs: { postgres: pgStarted.value.ms, temporal: envStarted.value.ms, migrate: migrated.ms },
  };
}
