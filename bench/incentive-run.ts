/**
 * The monthly incentive generation run end to end: a throwaway PostgreSQL seeded with P partners × E experts by
 * bulk SQL, a Temporal dev server (in memory), the real worker (real activities, a synthetic weekends-only
 * calendar) in this process, and one incentiveRunWorkflow for the month before now, awaited to its result
 * (following continue-as-new). Then: the database and Temporal visibility are checked (one incentive and one
 * verification workflow per partner), and the run's continue-as-new chain is read back run by run from history.
 *
 * Expert kinds, cycling over the experts of each partner (expert k is kind k mod 6):
 *   0 qualifies: full-time since 2020, CLOUD_PROFESSIONAL valid 2020–2099 (+ DATA_PROFESSIONAL on odd partners:
 *     the higher rate wins);
 *   1 part-time, with a valid CLOUD_PROFESSIONAL; 2 full-time, CLOUD_PROFESSIONAL expired in 2021;
 *   3 full-time, CLOUD_ASSOCIATE (no rate); 4 full-time, registered on the period's 1st (not before it), CLOUD_EXPERT;
 *   5 deactivated, CLOUD_EXPERT.
 * Every full-time status and certification is seeded as attested by the vendor (only attested facts count), so each
 * kind qualifies or not for the reason above.
 * So every partner is in the run's scope (expert 0 is active and registered long before) and gets one incentive,
 * with one line per kind-0 expert.
 */
import { performance } from 'node:perf_hooks';
import type { WorkflowHandle } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time.js';
import protos from '@temporalio/proto';
import { monthBounds } from '../domain/incentive-rules.js';
import { periodEndedBy } from '../domain/period.js';
import { createPrisma, type PrismaClient } from '../platform/db.js';
import { testCalendar, fixedCalendar } from '../test/support/calendar.js';
import { createWorker } from '../worker/worker.js';
import { BATCHES_PER_RUN, INCENTIVE_RUN_WORKFLOW, incentiveRunWorkflowId, RUN_BATCH_SIZE, SCHEDULE_ZONE } from '../workflows/incentive-run/contract.js';
import type { incentiveRunWorkflow } from '../workflows/incentive-run/workflow.js';
import { IncentivePeriod } from '../workflows/kit/search-attributes.js';
import { startBenchServers, timed } from './servers.js';
import { collectGarbage, fixed, grouped, type Memory, memory, mib, table, type Teardown } from './lib.js';
import type { IncentiveRunOptions } from './options.js';

const TASK_QUEUE = 'bench-incentive-run';
const KINDS = 6;
const PROGRESS_EVERY_MS = 10_000;

type ChainRun = { runId: string; events: number; bytes: number; childrenStarted: number; batches: number };

export type IncentiveRunResult = {
  options: IncentiveRunOptions;
  period: string;
  setupMs: { postgres: number; temporal: number; migrate: number; worker: number; total: number };
  seed: { ms: number; experts: number; certifications: number };
  runMs: number;
  processed: number;
  /** From run start until visibility counted every verification workflow past its first activity. */
  firstActivitiesMs: number | undefined;
  /** Why firstActivitiesMs is missing, when it is. */
  firstActivitiesNote: string | undefined;
  settleMs: number;
  db: {
    incentives: number;
    distinctPartners: number;
    partnersWithout: number;
    lines: number;
    expectedLines: number;
    totalMinor: number;
    expectedTotalMinor: number;
    generatedEvents: number;
    runStatus: string | undefined;
    runFailures: number;
  };
  verificationsStarted: number;
  chain: ChainRun[];
  batchActivity: { count: number; totalMs: number; maxMs: number };
  childStartMs: { totalMs: number; maxMs: number };
  peaks: { dbOps: number; incentiveInserts: number; expertReads: number };
  memBefore: Memory;
  memAfter: Memory;
  memAfterGc: Memory | undefined;
};


/** `promise`, or the abort reason as soon as `signal` fires (the promise itself is left to settle unobserved). */
function untilAborted<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

const sleep = (ms: number, signal?: AbortSignal) => untilAborted(new Promise<void>((r) => setTimeout(r, ms)), signal);

/**
 * The worker's Prisma client, counting operations in flight (waiting for a pool connection included): all of
 * them, incentive INSERTs (one per incentive actually created) and expert reads (one per generation that is not
 * an adoption). The activities are the real ones; only these counters are added around each query.
 */
function countingPrisma(base: PrismaClient) {
  const now = { dbOps: 0, incentiveInserts: 0, expertReads: 0 };
  const peaks = { ...now };
  const client = base.$extends({
    query: {
      async $allOperations({ model, operation, args, query }) {
        const keys: (keyof typeof now)[] = ['dbOps'];
        if (model === 'Incentive' && operation === 'createMany') keys.push('incentiveInserts');
        if (model === 'Expert' && operation === 'findMany') keys.push('expertReads');
        for (const k of keys) peaks[k] = Math.max(peaks[k], ++now[k]);
        try {
          return await query(args);
        } finally {
          for (const k of keys) now[k]--;
        }
      },
    },
  });
  return { prisma: client as unknown as PrismaClient, peaks };
}

/** P partners × E experts and their certifications, two INSERT … SELECT over generate_series. */
async function seed(prisma: PrismaClient, options: IncentiveRunOptions, period: string) {
  const { first } = monthBounds(period);
  const experts = await prisma.$executeRaw`
    INSERT INTO expert (id, partner_id, employee_id, name, full_time, full_time_since, registered_on, active,
                        full_time_attested_since, full_time_attested_at, full_time_attested_by)
    SELECT 'bench-x-' || p || '-' || k,
           'BENCH-R' || lpad(p::text, 6, '0'),
           'E' || lpad(k::text, 3, '0'),
           'Bench Expert ' || p || '-' || k,
           k % 6 <> 1,
           CASE WHEN k % 6 = 1 THEN NULL ELSE date '2020-01-01' END,
           CASE WHEN k % 6 = 4 THEN ${first}::date ELSE date '2020-01-01' END,
           k % 6 <> 5,
           CASE WHEN k % 6 = 1 THEN NULL ELSE date '2020-01-01' END,
           CASE WHEN k % 6 = 1 THEN NULL ELSE now() END,
           CASE WHEN k % 6 = 1 THEN NULL ELSE 'bench-seed' END
    FROM generate_series(1, ${options.partners}::int) AS p, generate_series(0, ${options.experts}::int - 1) AS k`;
  const certifications = await prisma.$executeRaw`
    INSERT INTO expert_certification (expert_id, type, valid_from, valid_to, attested_at, attested_by)
    SELECT 'bench-x-' || p || '-' || k, c.type, date '2020-01-01', c.valid_to, now(), 'bench-seed'
    FROM generate_series(1, ${options.partners}::int) AS p, generate_series(0, ${options.experts}::int - 1) AS k
    CROSS JOIN LATERAL (VALUES
      (CASE k % 6 WHEN 3 THEN 'CLOUD_ASSOCIATE' WHEN 4 THEN 'CLOUD_EXPERT' WHEN 5 THEN 'CLOUD_EXPERT' ELSE 'CLOUD_PROFESSIONAL' END,
       CASE WHEN k % 6 = 2 THEN date '2021-12-31' ELSE date '2099-12-31' END),
      (CASE WHEN k % 6 = 0 AND p % 2 = 1 THEN 'DATA_PROFESSIONAL' END, date '2099-12-31')
    ) AS c(type, valid_to)
    WHERE c.type IS NOT NULL`;
  await prisma.$executeRawUnsafe('ANALYZE expert, expert_certification');
  return { experts, certifications };
}

/** What the seed should produce: kind-0 experts qualify, at 1,200.00 CNY on odd partners, 1,000.00 on even ones. */
function expectedLines({ partners, experts }: IncentiveRunOptions) {
  const perPartner = Math.floor((experts - 1) / KINDS) + 1;
  const odd = Math.ceil(partners / 2);
  return { lines: partners * perPartner, totalMinor: perPartner * (odd * 120_000 + (partners - odd) * 100_000) };
}

/** Every run of the chain, from the first one, following each run's continued-as-new event. */
async function readChain(handle: (runId: string) => WorkflowHandle, firstRunId: string, signal?: AbortSignal) {
  const runs: ChainRun[] = [];
  const batchActivity = { count: 0, totalMs: 0, maxMs: 0 };
  const childStart = { totalMs: 0, maxMs: 0 };
  for (let runId: string | undefined = firstRunId; runId; ) {
    signal?.throwIfAborted();
    const history = await handle(runId).fetchHistory();
    const events = history.events ?? [];
    const scheduled = new Map<string, { type: string; at: number }>();
    let lastBatchDone: number | undefined;
    let childrenStarted = 0;
    let batches = 0;
    let next: string | undefined;
    for (const e of events) {
      const at = tsToMs(e.eventTime);
      if (e.activityTaskScheduledEventAttributes) {
        const type = e.activityTaskScheduledEventAttributes.activityType?.name ?? '';
        scheduled.set(String(e.eventId), { type, at });
        if (type === 'recordIncentiveRunProgress' && lastBatchDone !== undefined) {
          const ms = at - lastBatchDone;
          childStart.totalMs += ms;
          childStart.maxMs = Math.max(childStart.maxMs, ms);
          lastBatchDone = undefined;
        }
      } else if (e.activityTaskCompletedEventAttributes) {
        const s = scheduled.get(String(e.activityTaskCompletedEventAttributes.scheduledEventId));
        if (s?.type === 'generateIncentiveBatch') {
          const ms = at - s.at;
          batches++;
          batchActivity.count++;
          batchActivity.totalMs += ms;
          batchActivity.maxMs = Math.max(batchActivity.maxMs, ms);
          lastBatchDone = at;
        }
      } else if (e.childWorkflowExecutionStartedEventAttributes) childrenStarted++;
      else if (e.workflowExecutionContinuedAsNewEventAttributes) next = e.workflowExecutionContinuedAsNewEventAttributes.newExecutionRunId ?? undefined;
    }
    runs.push({ runId, events: events.length, bytes: protos.temporal.api.history.v1.History.encode(history).finish().length, childrenStarted, batches });
    runId = next;
  }
  return { runs, batchActivity, childStart };
}

export async function runIncentiveRunBench(
  options: IncentiveRunOptions,
  teardown: Teardown,
  log: (line: string) => void = console.error,
  signal?: AbortSignal,
): Promise<IncentiveRunResult> {
  const setupStart = performance.now();
  const { postgres, env, setupMs: servers } = await startBenchServers('incentive run', teardown, log, signal);
  const client = env.client;

  // The seeding and checking connection is not the worker's: its queries do not count against the worker's pool.
  const admin = createPrisma(postgres.url);
  teardown.add('disconnect bench Prisma (incentive run)', () => admin.$disconnect());
  const workerBase = createPrisma(postgres.url, options.poolSize);
  teardown.add('disconnect worker Prisma (incentive run)', () => workerBase.$disconnect());
  const { prisma: workerPrisma, peaks } = countingPrisma(workerBase);

  const calendar = testCalendar(Date.now());
  log('incentive run: bundling workflows and starting the worker…');
  const workerCreated = await timed(() =>
    createWorker({ connection: env.nativeConnection, namespace: env.namespace ?? 'default', taskQueue: TASK_QUEUE, prisma: workerPrisma, calendarFor: fixedCalendar(() => calendar) }),
  );
  const worker = workerCreated.value;
  // Run it at once, even when aborting: Temporal's teardown waits for a created worker to have run and shut down.
  let workerFailure: unknown;
  const running = worker.run().catch((error: unknown) => {
    workerFailure = error;
  });
  teardown.add('shut down worker (incentive run)', async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  });
  signal?.throwIfAborted();
  if (worker.getState() !== 'RUNNING') throw new Error(`worker did not start (state ${worker.getState()}): ${String(workerFailure)}`);
  const setupTotal = performance.now() - setupStart;

  const period = periodEndedBy(new Date(), SCHEDULE_ZONE);
  log(`incentive run: seeding ${grouped(options.partners)} partners × ${options.experts} experts…`);
  const seeded = await timed(() => seed(admin, options, period));
  signal?.throwIfAborted();

  const started = `IncentivePeriod = "${period}" AND WorkflowType = "incentiveWorkflow"`;
  const pastFirstActivity = `${started} AND ProcessDeadline IS NOT NULL`;
  const count = async (query: string) => (await client.workflow.count(query)).count;
  let firstActivitiesNote: string | undefined;
  try {
    await count(pastFirstActivity);
  } catch (error) {
    firstActivitiesNote = `visibility cannot count it: ${(error as Error).message.split('\n')[0]}`;
  }

  collectGarbage();
  const memBefore = memory();
  log(`incentive run: running ${period} (batches of ${RUN_BATCH_SIZE}, continue-as-new every ${BATCHES_PER_RUN} batches)…`);
  const runStart = performance.now();
  const handle = await client.workflow.start<typeof incentiveRunWorkflow>(INCENTIVE_RUN_WORKFLOW, {
    workflowId: incentiveRunWorkflowId(period),
    taskQueue: TASK_QUEUE,
    args: [{ period, requestedBy: 'bench' }],
    typedSearchAttributes: [{ key: IncentivePeriod, value: period }],
  });

  // Progress and the first-activity milestone, sampled while the run goes on and after it.
  let firstActivitiesMs: number | undefined;
  let runDone = false;
  const watch = (async () => {
    let lastLog = performance.now();
    while (!runDone || (firstActivitiesMs === undefined && !firstActivitiesNote)) {
      await sleep(500, signal);
      if (workerFailure) return;
      const past = firstActivitiesNote ? undefined : await count(pastFirstActivity).catch(() => undefined);
      if (past !== undefined && past >= options.partners && firstActivitiesMs === undefined) firstActivitiesMs = performance.now() - runStart;
      if (performance.now() - lastLog >= PROGRESS_EVERY_MS) {
        lastLog = performance.now();
        const incentives = await admin.incentive.count({ where: { period } }).catch(() => Number.NaN);
        const verifications = await count(started).catch(() => Number.NaN);
        log(
          `incentive run: ${fixed((lastLog - runStart) / 1000, 0)} s: ${grouped(incentives)} incentives, ` +
            `${grouped(verifications)} verifications started${past !== undefined ? `, ${grouped(past)} past their first activity` : ''}`,
        );
      }
    }
  })();
  watch.catch(() => {}); // awaited below; an abort surfaces through the main flow

  const result = await untilAborted(handle.result(), signal);
  const runMs = performance.now() - runStart;
  runDone = true;
  if (workerFailure) throw new Error(`worker failed: ${String(workerFailure)}`);

  // Visibility is eventually consistent: the count of started verifications must hold still for 3 polls.
  log('incentive run: done; waiting for visibility to settle…');
  const settleStart = performance.now();
  const settleUntil = settleStart + options.settleSeconds * 1000;
  let verificationsStarted = -1;
  for (let same = 0; same < 3 && performance.now() < settleUntil; ) {
    const n = await count(started);
    same = n === verificationsStarted ? same + 1 : 0;
    verificationsStarted = n;
    if (same < 3) await sleep(500, signal);
  }
  await untilAborted(
    Promise.race([watch, sleep(Math.max(0, settleUntil - performance.now()), signal)]),
    signal,
  );
  if (firstActivitiesMs === undefined && !firstActivitiesNote) {
    firstActivitiesNote = `not every verification workflow was past its first activity ${options.settleSeconds} s after the run (BENCH_RUN_SETTLE_S)`;
    runDone = true;
  }
  const settleMs = performance.now() - settleStart;
  const memAfter = memory();
  const memAfterGc = collectGarbage() ? memory() : undefined;

  log('incentive run: checking the database and reading the continue-as-new chain…');
  const [[agg], [line], generatedEvents, progress] = await Promise.all([
    admin.$queryRaw<[{ incentives: number; distinct: number; without: number }]>`
      SELECT (SELECT count(*)::int FROM incentive WHERE period = ${period}) AS incentives,
             (SELECT count(DISTINCT partner_id)::int FROM incentive WHERE period = ${period}) AS distinct,
             (SELECT count(*)::int FROM (SELECT DISTINCT partner_id FROM expert) p
               WHERE NOT EXISTS (SELECT 1 FROM incentive i WHERE i.partner_id = p.partner_id AND i.period = ${period})) AS without`,
    admin.$queryRaw<[{ lines: number; total: bigint | null }]>`
      SELECT count(*)::int AS lines, sum(l.amount_minor)::bigint AS total
      FROM incentive_line l JOIN incentive i ON i.id = l.incentive_id WHERE i.period = ${period}`,
    admin.incentiveEvent.count({ where: { type: 'GENERATED', incentive: { period } } }),
    admin.incentiveRun.findUnique({ where: { period } }),
  ]);
  const chain = await readChain((runId) => client.workflow.getHandle(handle.workflowId, runId), handle.firstExecutionRunId, signal);
  const expected = expectedLines(options);

  return {
    options,
    period,
    setupMs: { ...servers, worker: workerCreated.ms, total: setupTotal },
    seed: { ms: seeded.ms, ...seeded.value },
    runMs,
    processed: result.processed,
    firstActivitiesMs,
    firstActivitiesNote,
    settleMs,
    db: {
      incentives: agg!.incentives,
      distinctPartners: agg!.distinct,
      partnersWithout: agg!.without,
      lines: line!.lines,
      expectedLines: expected.lines,
      totalMinor: Number(line!.total ?? 0),
      expectedTotalMinor: expected.totalMinor,
      generatedEvents,
      runStatus: progress?.status,
      runFailures: Array.isArray(progress?.failures) ? progress.failures.length : 0,
    },
    verificationsStarted,
    chain: chain.runs,
    batchActivity: chain.batchActivity,
    childStartMs: chain.childStart,
    peaks,
    memBefore,
    memAfter,
    memAfterGc,
  };
}

export function formatIncentiveRunResult(r: IncentiveRunResult): string {
  const { options, setupMs } = r;
  const s = (ms: number) => fixed(ms / 1000, 1);
  const biggest = r.chain.reduce((a, b) => (b.events > a.events ? b : a), r.chain[0]!);
  const largestBytes = Math.max(...r.chain.map((c) => c.bytes));
  const childrenInHistory = r.chain.reduce((n, c) => n + c.childrenStarted, 0);
  const memRow = (label: string, m: Memory | undefined) =>
    m ? [label, mib(m.rss), mib(m.heapUsed), mib(m.heapTotal), mib(m.external)] : [label, 'n/a', 'n/a', 'n/a', 'n/a'];
  const lines = [
    `Monthly incentive generation run, period ${r.period} — ${grouped(options.partners)} partners × ${options.experts} experts, ` +
      `batches of ${RUN_BATCH_SIZE}, continue-as-new every ${BATCHES_PER_RUN} batches, worker DB pool ${options.poolSize}; ` +
      'worker in this process, Temporal dev server and PostgreSQL as child processes',
    `setup: PostgreSQL ${s(setupMs.postgres)} s ∥ Temporal dev server ${s(setupMs.temporal)} s, migrations ${s(setupMs.migrate)} s, ` +
      `worker (bundling) ${s(setupMs.worker)} s; total ${s(setupMs.total)} s`,
    `seeding (bulk SQL, not part of the run): ${grouped(r.seed.experts)} experts + ${grouped(r.seed.certifications)} certifications in ${s(r.seed.ms)} s`,
    '',
    table(
      ['run', 'value'],
      [
        ['wall time, start → result (all runs of the chain)', `${fixed(r.runMs / 1000, 2)} s`],
        ['partners/s', fixed(r.processed / (r.runMs / 1000), 1)],
        ['partners processed (workflow result)', grouped(r.processed)],
        [
          'every verification workflow past its first activity, from run start',
          r.firstActivitiesMs !== undefined ? `${fixed(r.firstActivitiesMs / 1000, 2)} s` : 'n/a',
        ],
        ['generateIncentiveBatch activities: count / total / max', `${r.batchActivity.count} / ${s(r.batchActivity.totalMs)} s / ${s(r.batchActivity.maxMs)} s`],
        ['  share of the wall time in batch generation', `${fixed((100 * r.batchActivity.totalMs) / r.runMs, 0)} %`],
        ['starting a batch\'s children (batch done → progress recorded): total / max', `${s(r.childStartMs.totalMs)} s / ${s(r.childStartMs.maxMs)} s`],
        ['workflow runs in the continue-as-new chain', String(r.chain.length)],
        [
          'largest history of a run: events (run #) / bytes',
          `${grouped(biggest.events)} (#${r.chain.indexOf(biggest) + 1} of ${r.chain.length}) / ${grouped(largestBytes)}`,
        ],
        ['verification workflows started (visibility) / in the chain\'s histories', `${grouped(r.verificationsStarted)} / ${grouped(childrenInHistory)}`],
        ['incentives created at once, max (incentive INSERTs in flight)', String(r.peaks.incentiveInserts)],
        ['fresh generations at once, max (expert reads in flight)', String(r.peaks.expertReads)],
        [`worker DB operations in flight, max (pool ${options.poolSize})`, String(r.peaks.dbOps)],
      ],
    ),
    '',
    'this process (worker + bench client):',
    '',
    table(['memory', 'rss', 'heap used', 'heap total', 'external'], [
      memRow('before the run (after seeding, after GC)', r.memBefore),
      memRow('after the run and settling', r.memAfter),
      memRow('after the run and settling, after GC', r.memAfterGc),
    ]),
    '',
    `database check: ${grouped(r.db.incentives)} incentives for ${r.period} (${grouped(r.db.distinctPartners)} partners, ` +
      `${r.db.partnersWithout} seeded partners without one; expected ${grouped(options.partners)}), ${grouped(r.db.generatedEvents)} GENERATED events, ` +
      `${grouped(r.db.lines)} lines (expected ${grouped(r.db.expectedLines)}), total ${grouped(r.db.totalMinor / 100)} CNY ` +
      `(expected ${grouped(r.db.expectedTotalMinor / 100)}); run row ${r.db.runStatus ?? 'missing'}, ${r.db.runFailures} failures`,
    `settling after the run: ${s(r.settleMs)} s`,
  ];
  if (r.firstActivitiesNote) lines.push(`first activities: ${r.firstActivitiesNote}`);
  return lines.join('\n');
}

/** A run that did not produce exactly one incentive and one verification per partner makes the figures meaningless. */
export function incentiveRunProblems(r: IncentiveRunResult): string[] {
  const p = r.options.partners;
  const problems: string[] = [];
  if (r.processed !== p) problems.push(`the run processed ${r.processed} partners, expected ${p}`);
  if (r.db.incentives !== p) problems.push(`${r.db.incentives} incentives for ${r.period}, expected ${p}`);
  if (r.db.distinctPartners !== r.db.incentives) problems.push(`${r.db.incentives} incentives for only ${r.db.distinctPartners} partners`);
  if (r.db.partnersWithout) problems.push(`${r.db.partnersWithout} seeded partners got no incentive`);
  if (r.db.generatedEvents !== p) problems.push(`${r.db.generatedEvents} GENERATED events, expected ${p}`);
  if (r.db.lines !== r.db.expectedLines || r.db.totalMinor !== r.db.expectedTotalMinor) {
    problems.push(`lines ${r.db.lines} / total ${r.db.totalMinor} minor, expected ${r.db.expectedLines} / ${r.db.expectedTotalMinor}`);
  }
  if (r.db.runStatus !== 'COMPLETED' || r.db.runFailures) problems.push(`run row ${r.db.runStatus ?? 'missing'} with ${r.db.runFailures} failures`);
  if (r.verificationsStarted !== p) problems.push(`${r.verificationsStarted} verification workflows started, expected ${p}`);
  return problems;
}
