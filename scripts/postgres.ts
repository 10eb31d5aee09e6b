/**
 * A real PostgreSQL for the tests, the cluster (scripts/cluster.ts) and the chaos harness. TEST_DATABASE_URL wins (its public schema is reset); otherwise a
 * throwaway cluster is initialised from the machine's PostgreSQL server binaries in a temp folder. Test files
 * running at the same time each get a database of their test worker's (`workerDatabases`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { waitForPort } from './stack.js';

export type TestPostgres = { url: string; stop: () => Promise<void> };
/** A cluster of the test's own whose server can be stopped and started again on the same data and port (outages). */
export type OwnPostgres = TestPostgres & { pause: () => Promise<void>; resume: () => Promise<void> };

function serverBinDir(): string {
  const base = '/usr/lib/postgresql';
  const versions = existsSync(base) ? readdirSync(base).filter((v) => existsSync(path.join(base, v, 'bin', 'initdb'))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (newest) return path.join(base, newest, 'bin');
  try {
    return execFileSync('pg_config', ['--bindir'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('No PostgreSQL server found for the tests: install it (apt-get install -y postgresql) or set TEST_DATABASE_URL.');
  }
}

function postgresUser(): { uid: number; gid: number } {
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }));
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    throw new Error('Running as root, the tests start PostgreSQL as the postgres user, which does not exist: install postgresql or set TEST_DATABASE_URL.');
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.once('error', reject);
  });
}

/**
 * Until the server takes sessions: it listens a moment before it has finished starting (recovery after a stop, on a busy
 * machine seconds) and refuses sessions meanwhile with 57P03 "the database system is starting up".
 */
async function acceptingSessions(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new pg.Client({ connectionString: url });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      if ((error as { code?: string }).code !== '57P03' || Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

async function resetSchema(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;');
  await client.end();
}

/**
 * One database per test worker on the server `url` names: the first is `url`'s own, the others are created beside
 * it (`<name>_w2`, `<name>_w3`…, dropped first if a previous run left them). Files run one at a time within a worker,
 * as they did in one database before; two workers never see each other's partners, outbox or calendars.
 */
export async function workerDatabases(url: string, workers: number): Promise<string[]> {
  const base = new URL(url);
  const name = decodeURIComponent(base.pathname.slice(1)) || 'postgres';
  const urls = [url];
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    for (let worker = 2; worker <= workers; worker++) {
      const database = `${name}_w${worker}`;
      const quoted = `"${database.replaceAll('"', '""')}"`;
      await admin.query(`DROP DATABASE IF EXISTS ${quoted} WITH (FORCE)`);
      await admin.query(`CREATE DATABASE ${quoted}`);
      const next = new URL(url);
      next.pathname = `/${encodeURIComponent(database)}`;
      urls.push(next.toString());
    }
  } finally {
    await admin.end();
  }
  return urls;
}

export async function startTestPostgres(): Promise<TestPostgres> {
  if (process.env.TEST_DATABASE_URL) {
    await resetSchema(process.env.TEST_DATABASE_URL);
    return { url: process.env.TEST_DATABASE_URL, stop: async () => {} };
  }
  return startOwnPostgres();
}

/** Always a throwaway cluster from the server binaries (TEST_DATABASE_URL is not one a test may stop). */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = serverBinDir();
  const dir = mkdtempSync(path.join(os.tmpdir(), 'partnerflow-pg-'));
  // PostgreSQL refuses to run as root: run it as the postgres user the Debian package creates.
  const user: { uid?: number; gid?: number } = process.getuid?.() === 0 ? postgresUser() : {};
  if (user.uid !== undefined) chownSync(dir, user.uid, user.gid!);
  const dataDir = path.join(dir, 'data');
  // No locale (byte order, messages in English) except the character classes: with the C ctype pg_trgm sees no letters
  // in Chinese text, so enterprise search (0025_enterprise.sql) would find nothing; C.UTF-8 ships with glibc.
  execFileSync(path.join(bin, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-locale', '--lc-ctype=C.UTF-8'], {
    stdio: 'ignore',
    ...user,
  });
  const port = await freePort();
  const launch = async () => {
    const server = spawn(
      path.join(bin, 'postgres'),
      [
        '-D', dataDir, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
        // Throwaway data: durability settings off for speed.
        '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200',
      ],
      { stdio: 'ignore', ...user },
    );
    const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
    await waitForPort(port, '127.0.0.1', 30_000);
    await acceptingSessions(`postgres://postgres@127.0.0.1:${port}/postgres`);
    return {
      stop: async () => {
        server.kill('SIGINT'); // fast shutdown: open sessions are terminated (57P01), new connections refused
        await exited;
      },
    };
  };
  let running: { stop: () => Promise<void> } | undefined = await launch();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    pause: async () => {
      await running?.stop();
      running = undefined;
    },
    resume: async () => {
      running ??= await launch();
    },
    stop: async () => {
      await running?.stop();
      running = undefined;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
