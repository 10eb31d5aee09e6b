/**
 * Scale (issue 16, points 3 and 5): n open opportunities waiting on their accept deadlines — the worker's memory
 * with all of them open — then their expiry after ONE clock jump past every deadline, beside its ceiling.
 *
 * On one time-skipping test server (bench/scale-server.ts): first the ceiling (bench/scale-ceiling.ts: n bare
 * workflows of the opportunity's shape on a worker in this process, one jump, timed until the last has returned);
 * then the clock is moved to the same weekday and hour one week after the ceiling's start, so that an opportunity's
 * deadline is exactly as far from its share as the ceiling's timer; then n opportunities, started by a plain
 * workflow start each (no HTTP: the referee measures that path), on the real worker in a process of its own
 * (bench/worker-process.ts) on the embedded database or PostgreSQL; once all n are PENDING_ACCEPTANCE in the
 * database, every process's memory; then one jump past the last deadline, timed until all n are EXPIRED in the
 * database and all n workflows closed. The ceiling runs first, on a fresh server, so it is not slowed by the
 * opportunities' closed workflows and relay work: the ratio errs against partnerflow. Then the checks.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { planAcceptDeadline } from '../domain/accept-deadline.js';
import { ACCEPT_REMINDER_TOPIC, OPPORTUNITY_EXPIRED_TOPIC } from '../domain/events.js';
import { createPrisma } from '../platform/db.js';
import { testCalendar } from '../test/support/calendar.js';
import { OPPORTUNITY_WORKFLOW, type OpportunityInput, opportunityWorkflowId } from '../workflows/opportunity/contract.js';
import { PartnerId, ProcessStatus } from '../workflows/kit/search-attributes.js';
import { WORKER_DEFAULTS } from '../worker/worker.js';
import type { ProcessMemory, Teardown } from './lib.js';
import { type ScaleOptions, workerTuningOf } from './options.js';
import { type PhaseResult, runPhase } from './phase.js';
import { type CeilingRun, runCeiling } from './scale-ceiling.js';
import { describeMemory, descendantsNamed, MemoryWatch } from './scale-memory.js';
import { startDatabase, startWorkerProcess } from './scale-processes.js';
import { closedExecutions, describeAll, JUMP_MARGIN_MS, jumpAndWait, type Jump, startTimeSkippingServer, until } from './scale-server.js';
import { timed } from './servers.js';

const DAY = 24 * 3600_000;
/** The jump's stages for the opportunities (Jump.stageMs keys). */
export const EXPIRED_IN_DB = 'expired in the database';
export const CLOSED = 'workflows closed';
/** How long the expiry's database work may stand still before the wait is given up (stallWatch). */
const STALL_MS = 180_000;

export type Memories = Record<'worker' | 'database' | 'Temporal test server' | 'bench process', ProcessMemory>;
export type ScaleChecks = {
  expiredRows: number;
  /** EXPIRED events with seq 2 (SHARED is 1), all events, rows whose last seq is 2. */
  expiredEvents: number;
  events: number;
  lastSeq2: number;
  /** Opportunity workflows the server lists as closed and completed. */
  closedCompleted: number;
  /** Opportunities whose workflow, described, is not completed with the row's status as its ProcessStatus. */
  dbMismatches: number;
  /** Outbox messages of the reminder and of the expiry, and those their relay workflows have fanned out. */
  reminders: number;
  expiryMessages: number;
  relayed: number;
};
export type ScaleResult = {
  options: ScaleOptions;
  database: 'embedded (PGlite)' | 'PostgreSQL';
  /** The measured worker's options as it resolved them (worker-process.ts prints them), and its NODE_OPTIONS. */
  workerOptions: string;
  workerNodeOptions: string;
  setupMs: { server: number; database: number; worker: number };
  acceptWithinMs: { ceiling: number; opportunities: number };
  ceiling: CeilingRun;
  /** The worker's RSS peak while starting (its bundle is built in a child process: not counted), and once ready. */
  workerStart: ProcessMemory;
  start: PhaseResult;
  /** From the first start until all n were PENDING_ACCEPTANCE in the database. */
  sharedMs: number;
  /** Each process as the last opportunity was shared (peaks since the worker was ready), and after settleSeconds idle. */
  open: Memories;
  settled: Memories;
  /** The worker's own view once settled (process.memoryUsage(): the main thread's heap, not the workflow thread's). */
  workerHeap: { heapUsed: number; external: number; arrayBuffers: number } | undefined;
  expiry: Jump;
  /** Peaks from the jump until it returned (relay workflows included), and each process after it. */
  expiryPeak: Memories;
  checks: ScaleChecks;
  workerLog: { shown: string[]; more: number };
};

export async function runScaleBench(options: ScaleOptions, teardown: Teardown, log: (line: string) => void, signal?: AbortSignal): Promise<ScaleResult> {
  const { n, concurrency } = options;
  const tuning = workerTuningOf(options.workerOptions);
  const unknown = Object.keys(tuning).filter((key) => !(key in WORKER_DEFAULTS));
  if (unknown.length) throw new Error(`BENCH_SCALE_WORKER_OPTIONS: unknown option(s) ${unknown.join(', ')} (known: ${Object.keys(WORKER_DEFAULTS).join(', ')})`);
  const timeoutMs = options.timeoutSeconds * 1000;

  const server = await timed(() => startTimeSkippingServer(teardown, log));
  const env = server.value;
  log(`scale: starting the ${options.database} database…`);
  const database = await timed(() => startDatabase(options.database, teardown, log));
  const prisma = createPrisma(database.value.url, 2);
  teardown.add('disconnect the scale section Prisma', () => prisma.$disconnect());
  signal?.throwIfAborted();

  // The ceiling first (see above); its deadline as far from its start as an opportunity's from its share.
  const ceilingStart = await env.currentTimeMs();
  const calendar = testCalendar(Date.now());
  const acceptWithinMs = Date.parse(planAcceptDeadline(new Date(ceilingStart), calendar).acceptDeadline) - ceilingStart;
  const ceiling = await runCeiling({ env, n, concurrency, acceptWithinMs, tuning, timeoutMs }, teardown, log, signal);
  // Same weekday and hour as the ceiling's start: the same distance to the deadline in a weekends-only calendar.
  const afterCeiling = await env.currentTimeMs();
  await env.sleep(ceilingStart + Math.max(1, Math.ceil((afterCeiling - ceilingStart) / (7 * DAY))) * 7 * DAY - afterCeiling);

  const taskQueue = `scale-${randomUUID().slice(0, 8)}`;
  const workerRun = await timed(() => startWorkerProcess(database.value.url, env.address, taskQueue, options, teardown, log));
  const worker = workerRun.value;
  const watch = new MemoryWatch([
    { name: 'worker', pids: () => [worker.pid] },
    { name: 'database', pids: database.value.pids },
    { name: 'Temporal test server', pids: descendantsNamed('temporal') },
    { name: 'bench process', pids: () => [process.pid] },
  ]);
  teardown.add('stop watching memory', () => watch.stop());
  const workerStart = watch.read().worker!;
  watch.mark();

  log(`scale: starting ${n} opportunities (${concurrency} at a time)…`);
  const runId = randomUUID().slice(0, 8);
  const started = performance.now();
  const start = await runPhase(
    'opportunity start',
    n,
    concurrency,
    async (i) => {
      worker.failed();
      const opportunityId = randomUUID();
      const partnerId = `SCALE-P${String(i % 200).padStart(3, '0')}`;
      const input: OpportunityInput = { opportunityId, partnerId, customerName: `Scale Customer ${i}`, title: `Scale ${runId} ${i}`, estimatedAmount: { currency: 'CNY', minor: 100_000 + i }, sharedBy: 'bench-vendor' };
      await env.client.workflow.start(OPPORTUNITY_WORKFLOW, {
        workflowId: opportunityWorkflowId(opportunityId),
        taskQueue,
        args: [input],
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        // As the API's share (api/opportunity/client.ts): the Web UI's attributes from the start.
        typedSearchAttributes: [
          { key: PartnerId, value: partnerId },
          { key: ProcessStatus, value: 'PENDING_ACCEPTANCE' },
        ],
      });
      return { ok: true };
    },
    signal,
  );
  let pending = 0;
  const allPending = async () => (worker.failed(), (pending = await prisma.opportunity.count({ where: { status: 'PENDING_ACCEPTANCE' } })) >= start.ok);
  await until('every opportunity to be PENDING_ACCEPTANCE in the database', allPending, timeoutMs, log, () => `${pending}/${start.ok} shared`, signal, 250);
  const sharedMs = performance.now() - started;
  const open = watch.read() as Memories;
  log(`scale: ${n} shared — ${describeMemory(open)}`);
  // Waiting on their timers: nothing runs, the heaps' garbage is collected and freed pages go back (V8's memory reducer).
  log(`scale: ${n} open; idle for ${options.settleSeconds} s…`);
  await new Promise((r) => setTimeout(r, options.settleSeconds * 1000));
  signal?.throwIfAborted();
  worker.failed();
  const settled = watch.read() as Memories;
  log(`scale: ${n} open, idle ${options.settleSeconds} s — ${describeMemory(settled)}`);
  const workerHeap = await worker.heap();

  const deadlines = await prisma.opportunity.aggregate({ _max: { acceptDeadline: true } });
  const [one] = await prisma.opportunity.findMany({ take: 1, select: { sharedAt: true, acceptDeadline: true } });
  watch.mark();
  let expired = 0;
  let closed = 0;
  const stall = stallWatch();
  const expiry = await jumpAndWait(
    env,
    deadlines._max.acceptDeadline!.getTime() + JUMP_MARGIN_MS,
    [
      {
        name: EXPIRED_IN_DB,
        done: async () => {
          worker.failed();
          const [row] = await prisma.$queryRaw<{ expired: number; outbox: number; relayed: number }[]>`
            SELECT (SELECT count(*)::int FROM opportunity WHERE status = 'EXPIRED') AS expired,
                   (SELECT count(*)::int FROM outbox) AS outbox, (SELECT count(delivered_at)::int FROM outbox) AS relayed`;
          expired = row!.expired;
          stall.saw(row!.expired + row!.outbox + row!.relayed);
          return expired >= start.ok;
        },
        progress: () => `${expired}/${start.ok} expired in the database`,
        everyMs: 250,
        stalled: stall.stalled,
      },
      {
        name: CLOSED,
        done: async () => (closed = (await closedExecutions(env, OPPORTUNITY_WORKFLOW)).filter((e) => e.completed).length) >= start.ok,
        progress: () => `${closed}/${start.ok} opportunity workflows closed`,
        everyMs: 500,
      },
    ],
    timeoutMs,
    log,
    signal,
  );
  const expiryPeak = watch.read() as Memories;
  log(`scale: after the expiry — ${describeMemory(expiryPeak)}`);
  log('scale: checking the database against the workflows…');
  const checks = await checkExpiry(prisma, env, concurrency, signal);
  return {
    options,
    database: options.database === 'embedded' ? 'embedded (PGlite)' : 'PostgreSQL',
    workerOptions: worker.resolvedOptions,
    workerNodeOptions: worker.nodeOptions,
    setupMs: { server: server.ms, database: database.ms, worker: workerRun.ms },
    acceptWithinMs: { ceiling: acceptWithinMs, opportunities: one ? one.acceptDeadline.getTime() - one.sharedAt.getTime() : Number.NaN },
    ceiling,
    workerStart,
    start,
    sharedMs,
    open,
    settled,
    workerHeap,
    expiry,
    expiryPeak,
    checks,
    workerLog: worker.logLines(),
  };
}

/**
 * Whether the expiry's database work has stopped moving (expiries, outbox messages, relays: one sum) for STALL_MS —
 * what the time-skipping server does when it strands a workflow task (sdk-java#3088): its clock can then no longer
 * skip to the remaining deadlines, and waiting longer only holds the machine.
 */
function stallWatch() {
  let last = -1;
  let since = performance.now();
  return {
    saw(progress: number) {
      if (progress !== last) [last, since] = [progress, performance.now()];
    },
    stalled: () => (performance.now() - since > STALL_MS ? `nothing moved in the database for ${STALL_MS / 1000} s (a stranded workflow task on the test server?)` : undefined),
  };
}

/** The database after the expiry, against the server: none lost, nothing twice, each row as its workflow says. */
async function checkExpiry(prisma: ReturnType<typeof createPrisma>, env: TestWorkflowEnvironment, concurrency: number, signal?: AbortSignal): Promise<ScaleChecks> {
  const rows = await prisma.opportunity.findMany({ select: { id: true, status: true } });
  const closed = await closedExecutions(env, OPPORTUNITY_WORKFLOW);
  const described = await describeAll(env, closed.map((e) => e.workflowId), concurrency, signal);
  const agrees = (r: { id: string; status: string }) => {
    const workflow = described.get(opportunityWorkflowId(r.id));
    return workflow?.completed === true && workflow.processStatus === r.status;
  };
  return {
    expiredRows: rows.filter((r) => r.status === 'EXPIRED').length,
    expiredEvents: await prisma.opportunityEvent.count({ where: { type: 'EXPIRED', seq: 2 } }),
    events: await prisma.opportunityEvent.count(),
    lastSeq2: await prisma.opportunity.count({ where: { lastSeq: 2 } }),
    closedCompleted: closed.filter((e) => e.completed).length,
    // Every row against its workflow, and every listed workflow with a row.
    dbMismatches: rows.filter((r) => !agrees(r)).length + Math.max(0, closed.length - rows.length),
    reminders: await prisma.outbox.count({ where: { topic: ACCEPT_REMINDER_TOPIC } }),
    expiryMessages: await prisma.outbox.count({ where: { topic: OPPORTUNITY_EXPIRED_TOPIC } }),
    relayed: await prisma.outbox.count({ where: { deliveredAt: { not: null } } }),
  };
}
