/**
 * partnerflow as a benchmark drives it: the real worker and the real Express app in this process, on a given
 * database and Temporal server, and the two timed operations of the opportunity process over HTTP — share
 * (POST /v1/opportunities, by the vendor) and accept (POST /v1/opportunities/:id/accept, by the partner).
 * Used by the opportunity section (bench/opportunity.ts) and the referee (bench/referee.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { createApp } from '../api/app.js';
import { signToken } from '../domain/auth.js';
import { createPrisma } from '../platform/db.js';
import { fixedCalendar, testCalendar } from '../test/support/calendar.js';
import { createWorker } from '../worker/worker.js';
import type { Teardown } from './lib.js';
import type { Outcome } from './phase.js';
import { timed } from './servers.js';

const JWT_SECRET = `bench-${randomUUID()}-secret-0123456789`;
const REQUEST_TIMEOUT_MS = 30_000;

export type PartnerflowSetup = {
  databaseUrl: string;
  env: TestWorkflowEnvironment;
  taskQueue: string;
  /** Partners the opportunities are shared with, round robin. */
  partners: number;
  /** Names this harness in logs and teardown steps. */
  label: string;
};

export async function startPartnerflow(
  { databaseUrl, env, taskQueue, partners, label }: PartnerflowSetup,
  teardown: Teardown,
  log: (line: string) => void,
  signal?: AbortSignal,
) {
  // API and worker are separate processes in production, each with its own pool (DB_POOL_SIZE, default 5).
  const apiPrisma = createPrisma(databaseUrl);
  teardown.add(`disconnect API Prisma (${label})`, () => apiPrisma.$disconnect());
  const workerPrisma = createPrisma(databaseUrl);
  teardown.add(`disconnect worker Prisma (${label})`, () => workerPrisma.$disconnect());

  // Weekends only, wide year range: deadlines never depend on today's date or the CN data's coverage.
  const calendar = testCalendar(Date.now());
  const calendarFor = fixedCalendar(() => calendar);

  log(`${label}: bundling workflows and starting the worker…`);
  const namespace = env.namespace ?? 'default';
  const workerCreated = await timed(() =>
    createWorker({ connection: env.nativeConnection, namespace, taskQueue, prisma: workerPrisma, calendarFor }),
  );
  const worker = workerCreated.value;
  // Run it at once, even when aborting: a created worker holds the connection, which Temporal's teardown
  // refuses to close (so it would not stop the server) until the worker has run and shut down.
  let workerFailure: unknown;
  const running = worker.run().catch((error: unknown) => {
    workerFailure = error;
  });
  teardown.add(`shut down worker (${label})`, async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  signal?.throwIfAborted();
  if (worker.getState() !== 'RUNNING') throw new Error(`worker did not start (state ${worker.getState()}): ${String(workerFailure)}`);

  const app = createApp({
    temporal: env.client,
    prisma: apiPrisma,
    taskQueue,
    jwtSecret: JWT_SECRET,
    logger: pino({ level: 'silent' }),
    calendarFor,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  teardown.add(`close HTTP server (${label})`, () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  // Tokens are signed up front: the benchmark measures the API, not the token issuer.
  const vendor = await signToken({ sub: 'bench-vendor', roles: ['vendor_staff'] }, JWT_SECRET);
  const partnerIds = Array.from({ length: partners }, (_, i) => `BENCH-P${String(i + 1).padStart(3, '0')}`);
  const partnerTokens = await Promise.all(
    partnerIds.map((partnerId) => signToken({ sub: `${partnerId}-admin`, roles: ['partner_admin'], partnerId }, JWT_SECRET)),
  );
  const runId = randomUUID().slice(0, 8);

  const post = async (path: string, token: string, expected: number, body?: unknown, headers: Record<string, string> = {}) => {
    if (workerFailure) throw new Error(`worker failed: ${String(workerFailure)}`);
    const res = await fetch(base + path, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(REQUEST_TIMEOUT_MS)]) : AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    if (res.status !== expected) throw new Error(`POST ${path.replace(/[0-9a-f-]{36}/, ':id')} → ${res.status} ${text.slice(0, 200)}`);
    return JSON.parse(text) as { id: string; status: string; partnerId: string };
  };

  /** One share + accept pipeline over `count` opportunities; ids[i] is set when share i succeeded. */
  const shareOp = (prefix: string, ids: (string | undefined)[]) => async (i: number): Promise<Outcome> => {
    const partnerId = partnerIds[i % partnerIds.length]!;
    const view = await post(
      '/v1/opportunities',
      vendor,
      201,
      { partnerId, customerName: `Bench Customer ${i}`, title: `Benchmark opportunity ${i}`, estimatedAmount: { currency: 'CNY', minor: 100_000 + i } },
      { 'Idempotency-Key': `${runId}-${prefix}-${i}` },
    );
    if (view.status !== 'PENDING_ACCEPTANCE' || view.partnerId !== partnerId) return { ok: false, error: `share answered ${view.status}/${view.partnerId}` };
    ids[i] = view.id;
    return { ok: true };
  };
  const acceptOp = (ids: (string | undefined)[]) => async (i: number): Promise<Outcome> => {
    const id = ids[i];
    if (!id) return { ok: false, error: 'not shared (share failed)' };
    const view = await post(`/v1/opportunities/${id}/accept`, partnerTokens[i % partnerIds.length]!, 200);
    return view.status === 'ACCEPTED' ? { ok: true } : { ok: false, error: `accept answered ${view.status}` };
  };

  return { shareOp, acceptOp, workerPrisma, workerMs: workerCreated.ms };
}
