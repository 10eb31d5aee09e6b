/** The database of this test worker (test/support/global-setup.ts makes one per worker, migrated). */
import { inject } from 'vitest';

/**
 * Files running at the same time are in different workers and so in different databases: a file that compares
 * the whole database before and after (the fuzz test) or changes a shared calendar sees only its own worker's files.
 */
export function testDatabaseUrl(): string {
  const urls = inject('databaseUrls');
  // VITEST_POOL_ID: the worker's number, 1…maxWorkers, stable for the files that worker runs one after another.
  const worker = Number(process.env.VITEST_POOL_ID ?? '1');
  const url = urls[worker - 1];
  if (!url) throw new Error(`no test database for worker ${worker} (the global setup made ${urls.length})`);
  return url;
}
