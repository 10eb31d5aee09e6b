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

/**
 * A database of the test file's own beside its worker's, migrated, and a function that drops it. For tests whose
 * pages show everything of a kind — the reviewer queue lists every waiting item, the inbox every agreement in force
 * — and which the files before them in the same worker would otherwise crowd (their items stay waiting: their
 * workflows ended with their own Temporal servers).
 */
export async function ownDatabase(purpose: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const [{ default: pg }, { migrate }] = await Promise.all([import('pg'), import('../../platform/db.js')]);
  const workerUrl = new URL(testDatabaseUrl());
  const database = `${decodeURIComponent(workerUrl.pathname.slice(1))}_${purpose.replace(/[^a-z0-9]/gi, '_')}_${process.pid}_${Date.now()}`.slice(0, 63);
  const quoted = `"${database.replaceAll('"', '""')}"`;
  const admin = async (sql: string) => {
    const client = new pg.Client({ connectionString: workerUrl.toString() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE ${quoted}`);
  const url = new URL(workerUrl);
  url.pathname = `/${encodeURIComponent(database)}`;
  await migrate(url.toString());
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`) };
}
