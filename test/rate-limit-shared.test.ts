/**
 * Rate limits shared by API replicas (RATE_LIMIT_STORE=postgres, api/kit/rate-limit-store.ts): two apps on one
 * database count one caller together — in turn and at once, exactly the limit passes — where the in-memory store lets
 * each replica count alone; and a database that is down makes the route answer 503, not the limiter 500. Each test
 * comes from an address of its own (X-Forwarded-For, trusted here), so the tests' counts do not mix.
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { type AppDeps, createApp } from '../api/app.js';
import { signToken } from '../domain/auth.js';
import { createPrisma } from '../platform/db.js';
import { JWT_SECRET } from './support/app.js';
import { testDatabaseUrl } from './support/database.js';

const prisma = createPrisma(testDatabaseUrl());
const unreachable = createPrisma('postgres://postgres:postgres@127.0.0.1:1/postgres');
const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
const servers: Server[] = [];

async function replica(options: Partial<AppDeps>): Promise<string> {
  const app = createApp({ temporal, prisma, taskQueue: 'rate-limit-shared', jwtSecret: JWT_SECRET, logger: pino({ level: 'silent' }), trustProxy: true, ...options });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

let addresses = 0;
/** An address of this test's own (documentation range 198.51.100.0/24). */
const newAddress = () => `198.51.100.${++addresses}`;
const list = (base: string, from: string, token = 'not.a.token') => fetch(`${base}/v1/opportunities`, { headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': from } });

/** Counts of one test must fall in one window: wait out a window that ends within the next 10 s. */
async function freshWindow() {
  const [row] = await prisma.$queryRaw<{ now: Date }[]>`SELECT clock_timestamp() AS now`;
  const now = row!.now;
  const left = 60_000 - (now.getTime() % 60_000);
  if (left < 10_000) await new Promise((resolve) => setTimeout(resolve, left + 200));
}

afterAll(async () => {
  for (const server of servers) server.close();
  await prisma.$disconnect();
  await unreachable.$disconnect();
});

describe('rate limits shared by replicas', () => {
  it('two replicas count one address together: the sixth request of five allowed is refused, on either replica', async () => {
    const [a, b] = [await replica({ rateLimitStore: 'postgres', rateLimitPerAddressPerMinute: 5 }), await replica({ rateLimitStore: 'postgres', rateLimitPerAddressPerMinute: 5 })];
    await freshWindow();
    const from = newAddress();
    const statuses: number[] = [];
    for (const base of [a, b, a, b, a, b]) statuses.push((await list(base, from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const refused = await list(a, from);
    expect(refused.status).toBe(429);
    // Both replicas say the same reset: the window comes from the database's clock.
    const resetAt = (res: Response) => Math.round(Date.now() / 1000) + Number(res.headers.get('retry-after'));
    expect(Math.abs(resetAt(refused) - resetAt(await list(b, from)))).toBeLessThanOrEqual(1);
    // Another address is not affected.
    expect((await list(b, newAddress())).status).toBe(401);
  });

  it('with the in-memory store each replica counts alone: the same six requests all pass (why the shared store exists)', async () => {
    const [a, b] = [await replica({ rateLimitPerAddressPerMinute: 5 }), await replica({ rateLimitPerAddressPerMinute: 5 })];
    const from = newAddress();
    const statuses: number[] = [];
    for (const base of [a, b, a, b, a, b]) statuses.push((await list(base, from)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 401]);
  });

  it('40 requests at once through two replicas with a limit of 10: exactly 10 pass', async () => {
    const [a, b] = [await replica({ rateLimitStore: 'postgres', rateLimitPerAddressPerMinute: 10 }), await replica({ rateLimitStore: 'postgres', rateLimitPerAddressPerMinute: 10 })];
    await freshWindow();
    const from = newAddress();
    const statuses = await Promise.all(Array.from({ length: 40 }, (_, i) => list(i % 2 ? a : b, from).then((res) => res.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(30);
  });

  it('the per-caller limit is shared too: one sub through two replicas', async () => {
    const [a, b] = [await replica({ rateLimitStore: 'postgres', rateLimitPerMinute: 3 }), await replica({ rateLimitStore: 'postgres', rateLimitPerMinute: 3 })];
    await freshWindow();
    const token = await signToken({ sub: `shared-${Date.now()}`, roles: ['vendor_staff'] }, JWT_SECRET);
    const statuses: number[] = [];
    for (const base of [a, b, a, b]) statuses.push((await list(base, newAddress(), token)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('the database down: the request goes on past the limiter and its route answers 503 naming the database, never 500', async () => {
    const base = await replica({ rateLimitStore: 'postgres', prisma: unreachable });
    const token = await signToken({ sub: 'outage', roles: ['vendor_staff'] }, JWT_SECRET);
    const res = await list(base, newAddress(), token);
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 503, dependency: 'database' });
  });
});
