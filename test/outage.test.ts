/**
 * Honest answers under failure: a real PostgreSQL of this test's own is stopped (fast shutdown: sessions terminated,
 * connections refused) while reads and shares arrive every 100 ms, then started again; and the API is pointed at a
 * Temporal that is not there. No answer is a 500: every failure is 503 problem+json with Retry-After naming the
 * dependency; /healthz names it; everything recovers; shares retried with their Idempotency-Key have exactly one
 * effect each.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { createPrisma, migrate } from '../platform/db.js';
import { apiConnectionOptions } from '../platform/temporal.js';
import { JWT_SECRET, tokenFor } from './support/app.js';
import { fixedCalendar, testCalendar } from './support/calendar.js';
import { type OwnPostgres, startOwnPostgres } from '../scripts/postgres.js';
import { useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { oneAtATime } from './support/one-at-a-time.js';

// It starts process trees of its own: not beside another such file (support/one-at-a-time.ts).
oneAtATime();

let postgres: OwnPostgres;
let vendor: string;

// The database first (the app needs its address); stopped last, after the app.
beforeAll(async () => {
  postgres = await startOwnPostgres();
  await migrate(postgres.url);
});
afterAll(async () => {
  await postgres?.stop();
});
const env = useTestEnv({ taskQueue: 'outage', server: 'dev', api: () => ({ databaseUrl: postgres.url }) });
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});
// Running again before the app stops (a test may end with it stopped).
afterAll(async () => {
  await postgres?.resume();
});

type Answer = { at: number; kind: 'read' | 'share' | 'health'; status: number; body: any; headers: Headers };

async function send(kind: Answer['kind'], url: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  const text = await res.text();
  return { at: Date.now(), kind, status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

const shareBody = (partnerId: string) => JSON.stringify({ partnerId, customerName: 'ACME Ltd.', title: 'Migration' });
const share = (key: string, partnerId: string) =>
  send('share', `${env.base}/v1/opportunities`, {
    method: 'POST',
    headers: { authorization: `Bearer ${vendor}`, 'content-type': 'application/json', 'idempotency-key': key },
    body: shareBody(partnerId),
  });

function expectOutageProblem(answer: Answer, dependency: 'database' | 'temporal') {
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(answer.body).toMatchObject({ status: 503, type: 'urn:partnerflow:problem:dependency-unavailable', dependency });
}

describe('outages', () => {
  it('PostgreSQL down under load: 503 with Retry-After (never 500), health names it, recovery, one effect per Idempotency-Key', async () => {
    const answers: Answer[] = [];
    const shares = new Map<string, string>(); // Idempotency-Key → partner
    let running = true;
    const load = (async () => {
      const inFlight: Promise<void>[] = [];
      while (running) {
        const key = randomUUID();
        const partnerId = `P-out-${key.slice(0, 8)}`;
        shares.set(key, partnerId);
        inFlight.push(
          share(key, partnerId).then((a) => void answers.push(a)),
          send('read', `${env.base}/v1/opportunities?limit=5`, { headers: { authorization: `Bearer ${vendor}` } }).then((a) => void answers.push(a)),
          send('health', `${env.base}/healthz`).then((a) => void answers.push(a)),
        );
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      await Promise.all(inFlight);
    })();

    await new Promise((resolve) => setTimeout(resolve, 1500));
    const down = Date.now();
    await postgres.pause();
    await new Promise((resolve) => setTimeout(resolve, 6000));
    await postgres.resume();
    const up = Date.now();
    await eventually(async () => ((await send('health', `${env.base}/healthz`)).status === 200 ? true : undefined), 30_000, 200);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    running = false;
    await load;

    const byStatus = (status: number) => answers.filter((a) => a.status === status);
    console.log(
      `outage: ${answers.length} answers over ${((up - down) / 1000).toFixed(1)} s down; by status:`,
      Object.fromEntries([...new Set(answers.map((a) => a.status))].sort().map((s) => [s, byStatus(s).length])),
    );
    expect(byStatus(500)).toEqual([]);
    expect(answers.every((a) => [200, 201, 503].includes(a.status))).toBe(true);
    const unavailable = byStatus(503);
    expect(unavailable.filter((a) => a.kind === 'read').length).toBeGreaterThan(0);
    expect(unavailable.filter((a) => a.kind === 'share').length).toBeGreaterThan(0);
    for (const answer of unavailable.filter((a) => a.kind !== 'health')) expectOutageProblem(answer, 'database');
    const healthDown = unavailable.filter((a) => a.kind === 'health');
    expect(healthDown.length).toBeGreaterThan(0);
    for (const answer of healthDown) expect(answer.body).toEqual({ status: 'degraded', temporal: 'ok', database: 'unavailable' });
    // After the database came back, reads answer again.
    expect(answers.some((a) => a.kind === 'read' && a.status === 200 && a.at > up)).toBe(true);

    // Every share retried with its key: 201, and exactly one opportunity per key (the first answer's, where there was one).
    const firstIds = new Map(answers.filter((a) => a.kind === 'share' && a.status === 201).map((a) => [a.body.partnerId as string, a.body.id as string]));
    expect(firstIds.size).toBeGreaterThan(0); // shares went through before (and after) the outage
    const retriedIds = new Map<string, string>();
    for (const [key, partnerId] of shares) {
      const retried = await share(key, partnerId);
      expect(retried.status).toBe(201);
      retriedIds.set(partnerId, retried.body.id as string);
    }
    // A key whose first answer was 201 answers the same opportunity again (the others were refused with 503 first).
    expect([...firstIds.keys()].map((partnerId) => retriedIds.get(partnerId))).toEqual([...firstIds.values()]);
    const rows = await env.prisma.opportunity.groupBy({ by: ['partnerId'], where: { partnerId: { startsWith: 'P-out-' } }, _count: true });
    expect(rows).toHaveLength(shares.size);
    expect(rows.every((r) => r._count === 1)).toBe(true);
  }, 120_000);

  it('Temporal unreachable: shares 503 naming temporal, reads still answer, health names it', async () => {
    const prisma = createPrisma(postgres.url);
    const nowhere = new Client({ connection: Connection.lazy(apiConnectionOptions('127.0.0.1:1')) });
    const calendar = testCalendar(Date.now());
    const api = createApp({
      temporal: nowhere,
      prisma,
      taskQueue: 'outage',
      jwtSecret: JWT_SECRET,
      logger: pino({ level: 'silent' }),
      calendarFor: fixedCalendar(() => calendar),
      calendarWarnFrom: '01-01', // every day of the year: the calendar warnings are always on here
    });
    const server = await new Promise<Server>((resolve) => {
      const s = api.listen(0, '127.0.0.1', () => resolve(s));
    });
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      const key = randomUUID();
      const shared = await send('share', `${base}/v1/opportunities`, {
        method: 'POST',
        headers: { authorization: `Bearer ${vendor}`, 'content-type': 'application/json', 'idempotency-key': key },
        body: shareBody('P-no-temporal'),
      });
      expect(shared.status).toBe(503);
      expectOutageProblem(shared, 'temporal');
      expect(await prisma.opportunity.count({ where: { partnerId: 'P-no-temporal' } })).toBe(0);

      const read = await send('read', `${base}/v1/opportunities?limit=1`, { headers: { authorization: `Bearer ${vendor}` } });
      expect(read.status).toBe(200);

      const health = await send('health', `${base}/healthz`);
      expect(health.status).toBe(503);
      // Its warnings too: the seeded CN and SA calendars do not cover next year (CN counts it provisionally).
      expect(health.body).toEqual({
        status: 'degraded',
        temporal: 'unavailable',
        database: 'ok',
        warnings: [expect.stringMatching(/^Calendar CN has no official \d{4} schedule yet: .* counted provisionally/), expect.stringMatching(/^Calendar SA .* refused/)],
      });

      // Temporal back (the real one, same key): the share takes effect once.
      const retried = await share(key, 'P-no-temporal');
      expect(retried.status).toBe(201);
      expect(await prisma.opportunity.count({ where: { partnerId: 'P-no-temporal' } })).toBe(1);
    } finally {
      server.close();
      await prisma.$disconnect();
    }
  }, 60_000);
});
