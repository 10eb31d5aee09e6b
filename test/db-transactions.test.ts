/**
 * Interactive transactions in a burst (platform/db.ts TRANSACTION_OPTIONS): more transactions than the pool has
 * connections, each holding its connection for a while, all complete — they queue for a connection rather than fail.
 * With Prisma's default 2 s wait, 20 transactions of 300 ms on 2 connections (3 s of work) refused the last ones with
 * P2028 "Unable to start a transaction in the given time", which the funds test's 50 racing allocations met on a loaded
 * machine as 500s.
 */
import { afterAll, expect, it } from 'vitest';
import { createPrisma } from '../platform/db.js';
import { testDatabaseUrl } from './support/database.js';

const prisma = createPrisma(testDatabaseUrl(), 2);
afterAll(() => prisma.$disconnect());

it('20 transactions of 300 ms on a pool of 2 connections all complete, queued for a connection', async () => {
  const results = await Promise.allSettled(
    Array.from({ length: 20 }, (_, i) =>
      prisma.$transaction(async (tx) => {
        await tx.$queryRaw`SELECT pg_sleep(0.3)::text AS slept`;
        return i;
      }),
    ),
  );
  const refused = results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).message).slice(0, 120)] : []));
  expect(refused).toEqual([]);
}, 30_000);
