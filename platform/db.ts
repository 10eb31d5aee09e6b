/** Prisma 7 over node-postgres (driver adapter: no engine binary), and SQL migrations by node-pg-migrate. */
import path from 'node:path';
import { PrismaPg } from '@prisma/adapter-pg';
import { runner } from 'node-pg-migrate';
import pg from 'pg';
import { PrismaClient } from '../prisma/generated/client.js';
import { projectRoot } from './paths.js';

export type { PrismaClient };

const migrationsDir = path.join(projectRoot, 'prisma', 'migrations');

/**
 * A write refused by a unique index: another request recorded the same thing at the same time. Prisma's model API
 * reports it as P2002; a raw statement ($executeRaw, for tables written in SQL) as PostgreSQL's 23505.
 */
export const isUniqueViolation = (error: unknown) => {
  const e = error as { code?: unknown; meta?: { code?: unknown }; message?: unknown } | null;
  return e?.code === 'P2002' || e?.meta?.code === '23505' || (typeof e?.message === 'string' && e.message.includes('23505'));
};

/**
 * How long an interactive transaction may wait for a pooled connection, and run. Prisma's defaults (2 s, 5 s) made a
 * burst fail: 50 allocations on one balance serialize on its row lock, so the pool is busy for longer than 2 s and the
 * last ones were refused "Unable to start a transaction in the given time" (P2028) — a 500 for money that was never
 * short. A burst queues instead; what still cannot start in 10 s answers 503 (api/kit/dependencies.ts).
 */
export const TRANSACTION_OPTIONS = { maxWait: 10_000, timeout: 15_000 } as const;

export function createPrisma(databaseUrl: string, poolSize = 5): PrismaClient {
  const adapter = new PrismaPg({ connectionString: databaseUrl, max: poolSize });
  return new PrismaClient({ adapter, transactionOptions: TRANSACTION_OPTIONS });
}

/** Applies pending migrations in one transaction; a failing file rolls back all of them. Idempotent. */
export async function migrate(databaseUrl: string, log: (msg: string) => void = () => {}): Promise<string[]> {
  // Our own connection, ended (awaited) before this returns or throws: node-pg-migrate ends one of its own without
  // waiting, so a caller dropping the database right after a failed migration had the closing connection terminated
  // under it — an error no one listened to.
  const client = new pg.Client({ connectionString: databaseUrl });
  client.on('error', (error) => log(`migration connection: ${error.message}`));
  await client.connect();
  try {
    const applied = await runner({
      dbClient: client,
      dir: migrationsDir,
      migrationsTable: 'pgmigrations',
      direction: 'up',
      singleTransaction: true,
      checkOrder: true,
      log,
    });
    return applied.map((m) => m.name);
  } finally {
    await client.end();
  }
}
