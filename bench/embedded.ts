/**
 * The embedded default database for a benchmark, started as `npm start` starts it when DATABASE_URL is unset:
 * scripts/embedded-db.ts (PGlite, one query at a time) as a child process, here on a free port with its data
 * in a throwaway directory, then migrated.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { migrate } from '../platform/db.js';
import { startTsChild, stopChild, waitForListener } from '../scripts/stack.js';
import type { Teardown } from './lib.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** Starts, waits for and migrates the embedded database; answers its URL. */
export async function startEmbeddedDatabase(teardown: Teardown, log: (line: string) => void): Promise<string> {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'partnerflow-bench-pglite-'));
  teardown.add('remove embedded database data', () => rmSync(dataDir, { recursive: true, force: true }));
  const port = await freePort();
  const db = startTsChild('embedded db', 'scripts/embedded-db.ts', { ...process.env, DATA_DIR: dataDir, EMBEDDED_DB_PORT: String(port) }, log);
  teardown.add('stop embedded database', () => stopChild(db));
  await waitForListener(db, port, '127.0.0.1', 60_000);
  const url = `postgres://postgres:postgres@127.0.0.1:${port}/postgres`;
  await migrate(url);
  return url;
}
