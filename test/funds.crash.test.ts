/**
 * An allocation interrupted by an API crash lands once or not at all (issue 18 section 4): the API runs as its own OS
 * process on the real PostgreSQL and is SIGKILLed in the middle of a request, then started again and the request
 * retried with the same Idempotency-Key — exactly one transfer, whatever the moment of the kill.
 *
 * - **Before the commit**: the test holds the partner's ledger lock, so the API's transaction is provably waiting inside
 *   PostgreSQL when it is killed; its backend then rolls back (nothing, not even the key's reservation, remains), and the
 *   retry records the allocation once.
 * - **As its commit lands**: the API is killed the moment the transfer is visible in the database — its answer may or
 *   may not have left (the test prints which; nothing the test can hold delays the answer without delaying the commit
 *   too); the retry with the same key answers that transfer and records nothing more.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountClient } from '../api/account/client.js';
import { createPrisma, type PrismaClient } from '../platform/db.js';
import { type Child, startTsChild, waitForPort } from '../scripts/stack.js';
import { JWT_SECRET, tokenFor } from './support/app.js';
import { testDatabaseUrl } from './support/database.js';
import { associate, cny, newCustomer, newPartner } from './support/funds.js';
import { oneAtATime } from './support/one-at-a-time.js';
import { freePorts } from './support/stack.js';

// It starts API processes of its own: not beside another such file.
oneAtATime();

let prisma: PrismaClient;
let lock: pg.Client;
let blackHole: Server;
const sockets = new Set<Socket>();
let temporalAddress: string;
const children: Child[] = [];
const output: string[] = [];

beforeAll(async () => {
  prisma = createPrisma(testDatabaseUrl());
  lock = new pg.Client({ connectionString: testDatabaseUrl() });
  await lock.connect();
  // Accepts and never answers: the API's Temporal calls hang (its answer never depends on them otherwise).
  blackHole = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
  });
  const port = await new Promise<number>((resolve) => blackHole.listen(0, '127.0.0.1', () => resolve((blackHole.address() as { port: number }).port)));
  temporalAddress = `127.0.0.1:${port}`;
});

afterAll(async () => {
  for (const child of children) if (child.process.exitCode === null && child.process.signalCode === null) kill(child);
  await Promise.all(children.map((c) => c.exited));
  for (const s of sockets) s.destroy();
  await new Promise((r) => blackHole?.close(r));
  await lock?.end();
  await prisma?.$disconnect();
});

function kill(child: Child): void {
  try {
    process.kill(-child.process.pid!, 'SIGKILL');
  } catch {
    child.process.kill('SIGKILL');
  }
}

async function startApi(): Promise<{ child: Child; base: string }> {
  const [port] = await freePorts(1);
  const child = startTsChild('api', 'api/main.ts', {
    PATH: process.env.PATH ?? '',
    DATABASE_URL: testDatabaseUrl(),
    PORT: String(port),
    AUTH_JWT_SECRET: JWT_SECRET,
    TEMPORAL_ADDRESS: temporalAddress,
    LOG_LEVEL: 'warn',
  }, (line) => output.push(line));
  children.push(child);
  await waitForPort(port!, '127.0.0.1', 60_000, child);
  return { child, base: `http://127.0.0.1:${port}` };
}

async function fundedPartner() {
  const partnerId = newPartner();
  const customerId = newCustomer();
  await createAccountClient({ prisma }).feedLedger({ sub: 'billing-system', roles: ['vendor_system'] }, partnerId, {
    source: 'billing',
    entries: [{ kind: 'RECHARGE', key: randomUUID(), amount: cny(1_000), occurredAt: '2026-03-01T09:00:00+08:00' }],
  }, randomUUID());
  await associate(prisma, partnerId, customerId);
  return { partnerId, customerId };
}

const allocation = async (base: string, partnerId: string, customerId: string, idempotencyKey: string) =>
  fetch(`${base}/v1/partners/${partnerId}/customers/${customerId}/allocations`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${await tokenFor(['partner_finance'], partnerId)}`, 'Content-Type': 'application/json', 'Idempotency-Key': idempotencyKey },
    body: JSON.stringify({ amount: cny(300) }),
  });
const allocations = (partnerId: string) => prisma.ledgerTransfer.count({ where: { partnerId, kind: 'ALLOCATION' } });

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      const { rows } = await lock.query(`SELECT pid, datname, state, wait_event_type, wait_event, left(query, 120) AS query FROM pg_stat_activity WHERE backend_type = 'client backend'`);
      throw new Error(`timed out waiting for ${what}\n${JSON.stringify(rows, null, 1)}\n${output.slice(-20).join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('an allocation interrupted by an API crash lands once or not at all', () => {
  it('killed before its commit: nothing recorded; the retry with the same key records it once', async () => {
    const { partnerId, customerId } = await fundedPartner();
    const first = await startApi();
    const key = randomUUID();
    // A first request warms the API (its pool, its caches), as a running API is.
    const warm = await fetch(`${first.base}/v1/partners/${partnerId}/customers/${customerId}/funds`, { headers: { Authorization: `Bearer ${await tokenFor(['partner_finance'], partnerId)}` } });
    expect(warm.status, await warm.text()).toBe(200);
    await lock.query('BEGIN');
    await lock.query(`SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, [`ledger ${partnerId}`]);
    const lost = allocation(first.base, partnerId, customerId, key).catch((e: Error) => e);
    // The API's transaction waits for the ledger lock inside PostgreSQL.
    let waiting: number | undefined;
    await until('the allocation to wait for the ledger lock', async () => {
      if (!(await Promise.race([lost.then(() => true), new Promise((r) => setTimeout(() => r(false), 1))]))) void 0;
      else throw new Error(`the allocation answered: ${String(await lost.then((r) => (r instanceof Error ? r.message : r.status)))}\n${output.join('\n')}`);
      const { rows } = await lock.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND wait_event = 'advisory' AND pid <> pg_backend_pid()`);
      waiting = rows[0]?.pid;
      return waiting !== undefined;
    });
    kill(first.child);
    await first.child.exited;
    expect(await lost).toBeInstanceOf(Error); // the connection died with the API
    await lock.query('ROLLBACK');
    // The orphaned backend gets the lock, finds its client gone and rolls back.
    await until('the killed API’s backend to end', async () => (await lock.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND state = $2', [waiting, 'active'])).rowCount === 0);
    await until('the killed API’s sessions to close', async () => (await lock.query('SELECT 1 FROM pg_stat_activity WHERE pid = $1', [waiting])).rowCount === 0, 60_000).catch(() => undefined);
    expect(await allocations(partnerId)).toBe(0);
    expect(await prisma.idempotencyKey.count({ where: { key } })).toBe(0);

    const second = await startApi();
    const retried = await allocation(second.base, partnerId, customerId, key);
    expect(retried.status, await retried.clone().text()).toBe(201);
    const again = await allocation(second.base, partnerId, customerId, key);
    expect(((await again.json()) as { id: string }).id).toBe(((await retried.json()) as { id: string }).id);
    expect(await allocations(partnerId)).toBe(1);
    kill(second.child);
    await second.child.exited;
  }, 120_000);

  it('killed as its commit lands: the retry answers that transfer and records nothing more', async () => {
    const { partnerId, customerId } = await fundedPartner();
    const first = await startApi();
    const key = randomUUID();
    const warm = await fetch(`${first.base}/v1/partners/${partnerId}/customers/${customerId}/funds`, { headers: { Authorization: `Bearer ${await tokenFor(['partner_finance'], partnerId)}` } });
    expect(warm.status).toBe(200);
    const lost = allocation(first.base, partnerId, customerId, key).catch((e: Error) => e);
    // Killed as soon as the transfer is committed.
    await until('the allocation to commit', async () => (await allocations(partnerId)) === 1);
    kill(first.child);
    await first.child.exited;
    const answer = await lost;
    console.log(`killed as the commit landed: the first answer ${answer instanceof Error ? 'was lost' : `had left (${answer.status})`}`);
    const [committed] = await prisma.ledgerTransfer.findMany({ where: { partnerId, kind: 'ALLOCATION' } });

    const second = await startApi();
    const retried = await allocation(second.base, partnerId, customerId, key);
    expect(retried.status, await retried.clone().text()).toBe(201);
    expect(((await retried.json()) as { id: string }).id).toBe(committed!.id);
    expect(await allocations(partnerId)).toBe(1);
    kill(second.child);
    await second.child.exited;
  }, 120_000);
});
