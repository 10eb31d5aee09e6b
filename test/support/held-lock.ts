/**
 * Two attempts of one activity made to meet at its lock, for the retry-race tests (test/activity-retries.test.ts): a
 * third connection takes the lock the activity takes, in an open transaction, and lets go only once every attempt is
 * waiting on it. The attempts then go through one after the other, each seeing what the one before it committed —
 * the interleaving of a first attempt that ran past its timeout while its transaction was open and the retry Temporal
 * started meanwhile, every time rather than now and then.
 */
import pg from 'pg';
import type { PrismaClient } from '../../platform/db.js';
import { testDatabaseUrl } from './database.js';

/** The statement that takes the activity's lock (a row's FOR UPDATE, or a transaction-scoped advisory lock), and its parameters. */
export type Lock = { sql: string; params: unknown[] };

// Below Prisma's interactive transaction timeout (5 s): an attempt waiting longer fails on its own.
const WAIT_LIMIT_MS = 4_000;

/**
 * How many sessions wait, directly or not, on `holderPid`: a row lock's second waiter waits on the first one (which holds
 * the tuple's lock), not on the holder.
 */
async function waitingBehind(prisma: PrismaClient, holderPid: number): Promise<number> {
  const rows = await prisma.$queryRaw<{ pid: number; blockers: number[] }[]>`
    SELECT pid, pg_blocking_pids(pid) AS blockers FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`;
  const behind = new Set([holderPid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const r of rows) {
      if (!behind.has(r.pid) && r.blockers.some((b) => behind.has(b))) {
        behind.add(r.pid);
        grew = true;
      }
    }
  }
  return behind.size - 1;
}

/**
 * Starts every attempt while `lock` is held, releases it once all of them wait on it (PostgreSQL says so:
 * pg_blocking_pids), and answers how each attempt settled. `prisma` observes the waits from a connection of its own.
 */
export async function raceAtHeldLock<T>(prisma: PrismaClient, lock: Lock, attempts: (() => Promise<T>)[]): Promise<PromiseSettledResult<T>[]> {
  const holder = new pg.Client({ connectionString: testDatabaseUrl() });
  await holder.connect();
  try {
    await holder.query('BEGIN');
    await holder.query(lock.sql, lock.params);
    const { rows } = await holder.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
    const holderPid = rows[0]!.pid;
    let settledEarly = 0;
    const running = attempts.map((attempt) => attempt().finally(() => settledEarly++));
    const outcomes = Promise.allSettled(running);
    const started = Date.now();
    for (;;) {
      const waiting = await waitingBehind(prisma, holderPid);
      if (waiting >= attempts.length) break;
      // An attempt that ended without waiting never took this lock: the test holds the wrong one, or the activity changed.
      if (settledEarly > 0 || Date.now() - started > WAIT_LIMIT_MS) {
        await holder.query('ROLLBACK');
        const settled = await outcomes;
        throw new Error(`only ${waiting} of ${attempts.length} attempts waited on the held lock (${lock.sql}); they settled as ${JSON.stringify(settled.map((s) => s.status))}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await holder.query('ROLLBACK');
    return await outcomes;
  } finally {
    await holder.end();
  }
}
