/**
 * Liveness and readiness as an orchestrator probes them, on the API process an operator runs (api/main.ts): its
 * database and Temporal are reached through TCP forwarders this file opens and closes, so they are unreachable first
 * and come back later. /livez answers 200 throughout (no dependency is checked); /readyz answers 503 with Retry-After
 * naming what is down, then 200 once both answer; a replica shutting down answers /readyz 503 shutting-down.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { createPrisma } from '../platform/db.js';
import { type Child, startTsChild, stopChild, waitForPort } from '../scripts/stack.js';
import { testDatabaseUrl } from './support/database.js';
import { freePorts } from './support/stack.js';
import { timeSkippingEnv } from './support/temporal.js';
import { eventually } from './support/wait.js';

/** A TCP forwarder from a local port to `target`, opened and closed at will (the dependency behind it stays up). */
class Forwarder {
  #server: Server | undefined;
  readonly #sockets = new Set<Socket>();
  constructor(
    readonly port: number,
    readonly target: { host: string; port: number },
  ) {}
  open(): Promise<void> {
    this.#server = createServer((client) => {
      const upstream = connect(this.target);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.once('close', () => this.#sockets.delete(socket));
        socket.on('error', () => (client.destroy(), upstream.destroy()));
      }
      client.pipe(upstream).pipe(client);
    });
    return new Promise((resolve) => this.#server!.listen(this.port, '127.0.0.1', () => resolve()));
  }
  close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => (this.#server ? this.#server.close(() => resolve()) : resolve()));
  }
}

let temporal: TestWorkflowEnvironment | undefined;
let api: Child | undefined;
const forwarders: Forwarder[] = [];
const output: string[] = [];
let base = '';
let database: Forwarder;
let temporalForwarder: Forwarder;

beforeAll(async () => {
  temporal = await timeSkippingEnv();
  const [apiPort, databasePort, temporalPort] = (await freePorts(3)) as [number, number, number];
  const databaseUrl = new URL(testDatabaseUrl());
  database = new Forwarder(databasePort, { host: databaseUrl.hostname, port: Number(databaseUrl.port || 5432) });
  const [temporalHost, temporalTargetPort] = temporal.address.split(':') as [string, string];
  temporalForwarder = new Forwarder(temporalPort, { host: temporalHost, port: Number(temporalTargetPort) });
  forwarders.push(database, temporalForwarder);
  databaseUrl.port = String(databasePort);
  api = startTsChild(
    'api',
    'api/main.ts',
    { ...process.env, DATABASE_URL: databaseUrl.toString(), TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, PORT: String(apiPort), LOG_LEVEL: 'silent' },
    (line) => output.push(line),
  );
  await waitForPort(apiPort, '127.0.0.1', 60_000, api);
  base = `http://127.0.0.1:${apiPort}`;
}, 120_000);

afterAll(async () => {
  const failures: unknown[] = [];
  for (const step of [async () => api && stopChild(api), ...forwarders.map((f) => () => f.close()), async () => temporal?.teardown()]) {
    await step().catch((error: unknown) => failures.push(error));
  }
  if (failures.length) throw new AggregateError(failures, 'health probes test cleanup failed');
});

const probe = async (path: string) => {
  const res = await fetch(`${base}${path}`);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as Record<string, unknown> };
};

describe('liveness and readiness', () => {
  it('/livez is 200 while the database and Temporal are down; /readyz is 503 naming them, then 200 once they answer', async () => {
    expect(await probe('/livez')).toEqual({ status: 200, retryAfter: null, body: { status: 'ok' } });
    expect(await probe('/readyz')).toEqual({ status: 503, retryAfter: '5', body: { status: 'unavailable', temporal: 'unavailable', database: 'unavailable' } });

    await database.open();
    const databaseBack = await eventually(async () => {
      const answer = await probe('/readyz');
      return answer.body.database === 'ok' ? answer : undefined;
    }, 30_000, 200);
    expect(databaseBack).toEqual({ status: 503, retryAfter: '5', body: { status: 'unavailable', temporal: 'unavailable', database: 'ok' } });
    expect((await probe('/livez')).status).toBe(200);

    await temporalForwarder.open();
    const ready = await eventually(async () => {
      const answer = await probe('/readyz');
      return answer.status === 200 ? answer : undefined;
    }, 60_000, 250);
    expect(ready).toEqual({ status: 200, retryAfter: null, body: { status: 'ready', temporal: 'ok', database: 'ok' } });

    // The database goes away again: not ready, still alive.
    await database.close();
    const gone = await eventually(async () => {
      const answer = await probe('/readyz');
      return answer.status === 503 ? answer : undefined;
    }, 30_000, 200);
    expect(gone.body).toEqual({ status: 'unavailable', temporal: 'ok', database: 'unavailable' });
    expect(await probe('/livez')).toEqual({ status: 200, retryAfter: null, body: { status: 'ok' } });
  }, 120_000);

  it('a replica shutting down answers /readyz 503 shutting-down with Retry-After', async () => {
    const prisma = createPrisma(testDatabaseUrl());
    const connection = Connection.lazy({ address: temporal!.address });
    const app = createApp({ temporal: new Client({ connection }), prisma, taskQueue: 'health-probes', jwtSecret: 'x'.repeat(32), logger: pino({ level: 'silent' }), draining: () => true });
    const server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s as unknown as Server));
    });
    try {
      const res = await fetch(`http://127.0.0.1:${(server.address() as { port: number }).port}/readyz`);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('1');
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 503, type: 'urn:partnerflow:problem:shutting-down' });
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await Promise.allSettled([connection.close(), prisma.$disconnect()]);
    }
  });
});
