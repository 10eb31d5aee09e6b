/**
 * The opportunity process end to end through the real HTTP API: a throwaway PostgreSQL, a Temporal dev
 * server (in memory), the real worker and the real Express app in this process. N opportunities are
 * shared (POST /v1/opportunities) with C requests in flight, then each is accepted by its partner
 * (POST /v1/opportunities/:id/accept), C in flight. Latencies are client-side, fetch to full body.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { performance } from 'node:perf_hooks';
import pino from 'pino';
import { createApp } from '../api/app.js';
import { signToken } from '../domain/auth.js';
import { createPrisma } from '../platform/db.js';
import { fixedCalendar, testCalendar } from '../test/support/calendar.js';
import { createWorker } from '../worker/worker.js';
import type { OpportunityOptions } from './options.js';
import { startBenchServers, timed } from './servers.js';
import { collectGarbage, fixed, type Memory, memory, mib, percentile, table, type Teardown } from './lib.js';

const JWT_SECRET = `bench-${randomUUID()}-secret-0123456789`;
const TASK_QUEUE = 'bench';
const REQUEST_TIMEOUT_MS = 30_000;
/** Distinct errors kept per phase, for the report. */
const MAX_ERROR_SAMPLES = 3;

export type PhaseResult = {
  name: string;
  attempted: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  wallMs: number;
  /** Successful operations per second of wall time for the whole phase. */
  throughput: number;
  latency: { p50: number; p95: number; p99: number; max: number; mean: number };
};

export type OpportunityResult = {
  options: OpportunityOptions;
  setupMs: { postgres: number; temporal: number; migrate: number; worker: number; total: number };
  share: PhaseResult;
  accept: PhaseResult;
  memBefore: Memory;
  memAfter: Memory;
  memAfterGc: Memory | undefined;
  acceptedInDb: number;
  expectedAcceptedInDb: number;
};

type Outcome = { ok: true } | { ok: false; error: string };


/** Runs op(0..count-1) with at most `concurrency` in flight; records each one's latency. */
async function runPhase(
  name: string,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<Outcome>,
  signal?: AbortSignal,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const errorSamples = new Set<string>();
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      signal?.throwIfAborted();
      const t0 = performance.now();
      let outcome: Outcome;
      try {
        outcome = await op(i);
      } catch (error) {
        outcome = { ok: false, error: (error as Error).message };
      }
      if (outcome.ok) latencies.push(performance.now() - t0);
      else {
        errors++;
        if (errorSamples.size < MAX_ERROR_SAMPLES) errorSamples.add(outcome.error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const wallMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    name,
    attempted: count,
    ok: latencies.length,
    errors,
    errorSamples: [...errorSamples],
    wallMs,
    throughput: latencies.length / (wallMs / 1000),
    latency: {
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      p99: percentile(latencies, 99),
      max: latencies.at(-1) ?? Number.NaN,
      mean: latencies.length ? latencies.reduce((a, b) => a + b, 0) / latencies.length : Number.NaN,
    },
  };
}

export async function runOpportunityBench(
  options: OpportunityOptions,
  teardown: Teardown,
  log: (line: string) => void = console.error,
  signal?: AbortSignal,
): Promise<OpportunityResult> {
  const setupStart = performance.now();
  const { postgres, env, setupMs: servers } = await startBenchServers('opportunity', teardown, log, signal);

  // API and worker are separate processes in production, each with its own pool (DB_POOL_SIZE, default 5).
  const apiPrisma = createPrisma(postgres.url);
  teardown.add('disconnect API Prisma', () => apiPrisma.$disconnect());
  const workerPrisma = createPrisma(postgres.url);
  teardown.add('disconnect worker Prisma', () => workerPrisma.$disconnect());

  // Weekends only, wide year range: deadlines never depend on today's date or the CN data's coverage.
  const calendar = testCalendar(Date.now());
  const calendarFor = fixedCalendar(() => calendar);

  log('opportunity: bundling workflows and starting the worker…');
  const namespace = env.namespace ?? 'default';
  const workerCreated = await timed(() =>
    createWorker({ connection: env.nativeConnection, namespace, taskQueue: TASK_QUEUE, prisma: workerPrisma, calendarFor }),
  );
  const worker = workerCreated.value;
  // Run it at once, even when aborting: a created worker holds the connection, which Temporal's teardown
  // refuses to close (so it would not stop the server) until the worker has run and shut down.
  let workerFailure: unknown;
  const running = worker.run().catch((error: unknown) => {
    workerFailure = error;
  });
  teardown.add('shut down worker', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  signal?.throwIfAborted();
  if (worker.getState() !== 'RUNNING') throw new Error(`worker did not start (state ${worker.getState()}): ${String(workerFailure)}`);

  const app = createApp({
    temporal: env.client,
    prisma: apiPrisma,
    taskQueue: TASK_QUEUE,
    jwtSecret: JWT_SECRET,
    logger: pino({ level: 'silent' }),
    calendarFor,
  });
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
    s.once('error', reject);
  });
  teardown.add('close HTTP server', () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const setupTotal = performance.now() - setupStart;

  // Tokens are signed up front: the benchmark measures the API, not the token issuer.
  const vendor = await signToken({ sub: 'bench-vendor', roles: ['vendor_staff'] }, JWT_SECRET);
  const partnerIds = Array.from({ length: options.partners }, (_, i) => `BENCH-P${String(i + 1).padStart(3, '0')}`);
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

  if (options.warmup > 0) {
    log(`opportunity: warm-up (${options.warmup} shared + accepted, not measured)…`);
    const warmIds: (string | undefined)[] = [];
    for (const phase of [
      await runPhase('warm-up share', options.warmup, options.concurrency, shareOp('warmup', warmIds), signal),
      await runPhase('warm-up accept', options.warmup, options.concurrency, acceptOp(warmIds), signal),
    ]) {
      if (phase.errors) throw new Error(`${phase.name} failed ${phase.errors}×: ${phase.errorSamples.join(' | ')}`);
    }
  }

  collectGarbage();
  const memBefore = memory();
  log(`opportunity: measuring ${options.n} shares, then ${options.n} accepts, concurrency ${options.concurrency}…`);
  const ids: (string | undefined)[] = new Array(options.n);
  const share = await runPhase('share', options.n, options.concurrency, shareOp('run', ids), signal);
  const accept = await runPhase('accept', options.n, options.concurrency, acceptOp(ids), signal);
  const memAfter = memory();
  const memAfterGc = collectGarbage() ? memory() : undefined;

  const acceptedInDb = await workerPrisma.opportunity.count({ where: { status: 'ACCEPTED' } });
  return {
    options,
    setupMs: { ...servers, worker: workerCreated.ms, total: setupTotal },
    share,
    accept,
    memBefore,
    memAfter,
    memAfterGc,
    acceptedInDb,
    expectedAcceptedInDb: options.warmup + accept.ok,
  };
}

export function formatOpportunityResult(r: OpportunityResult): string {
  const { options, setupMs } = r;
  const ms = (v: number) => fixed(v, 1);
  const phases = [r.share, r.accept];
  const memRow = (label: string, m: Memory | undefined) =>
    m ? [label, mib(m.rss), mib(m.heapUsed), mib(m.heapTotal), mib(m.external)] : [label, 'n/a', 'n/a', 'n/a', 'n/a'];
  const lines = [
    `Opportunity process end to end over HTTP — N=${options.n}, concurrency ${options.concurrency}, ${options.partners} partners, ` +
      `warm-up ${options.warmup} (not measured); Express + worker in this process, Temporal dev server and PostgreSQL as child processes`,
    `setup: PostgreSQL ${fixed(setupMs.postgres / 1000, 1)} s ∥ Temporal dev server ${fixed(setupMs.temporal / 1000, 1)} s, ` +
      `migrations ${fixed(setupMs.migrate / 1000, 1)} s, worker (bundling) ${fixed(setupMs.worker / 1000, 1)} s; total ${fixed(setupMs.total / 1000, 1)} s`,
    '',
    table(
      ['phase', 'ok', 'errors', 'wall s', 'ops/s', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'mean ms'],
      phases.map((p) => [
        `${p.name === 'share' ? 'share  POST /v1/opportunities' : 'accept POST /v1/opportunities/:id/accept'}`,
        `${p.ok}/${p.attempted}`,
        String(p.errors),
        fixed(p.wallMs / 1000, 2),
        fixed(p.throughput, 1),
        ms(p.latency.p50),
        ms(p.latency.p95),
        ms(p.latency.p99),
        ms(p.latency.max),
        ms(p.latency.mean),
      ]),
    ),
    '',
    'this process (API + worker + client):',
    '',
    table(['memory', 'rss', 'heap used', 'heap total', 'external'], [
      memRow('before (after warm-up, after GC)', r.memBefore),
      memRow('after both phases', r.memAfter),
      memRow('after both phases, after GC', r.memAfterGc),
    ]),
    '',
    `database check: ${r.acceptedInDb} opportunities ACCEPTED (expected ${r.expectedAcceptedInDb} = warm-up + accepted)`,
  ];
  for (const p of phases) for (const e of p.errorSamples) lines.push(`${p.name} error sample: ${e}`);
  return lines.join('\n');
}

/** Failed requests make the figures meaningless: run.ts reports them and exits 1. */
export function opportunityProblems(r: OpportunityResult): string[] {
  const problems = [r.share, r.accept].filter((p) => p.errors > 0).map((p) => `${p.errors} ${p.name} request(s) failed`);
  if (r.acceptedInDb !== r.expectedAcceptedInDb) problems.push(`database holds ${r.acceptedInDb} ACCEPTED opportunities, expected ${r.expectedAcceptedInDb}`);
  return problems;
}
