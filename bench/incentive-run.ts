/**
 * The monthly incentive generation run end to end: a throwaway PostgreSQL seeded with P partners × E experts by
 * bulk SQL, a Temporal dev server (in memory), the real worker (real activities, a synthetic weekends-only
 * calendar) in a process of its own as the scale section runs it (bench/worker-process.ts, built, with the worker's
 * heap flags and defaults), and one incentiveRunWorkflow for the month before now, awaited to its result (following
 * continue-as-new). The worker's memory is read from /proc (issue 16: ≤ 300 MB during the run at 10,000 partners), so
 * it is the worker's alone, not the seeding's nor the client's. Then: the database and Temporal visibility are
 * checked (one incentive and one verification workflow per partner), and the run's continue-as-new chain is read
 * back run by run from history.
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
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { periodEndedBy } from '../domain/period.js';
import { createPrisma } from '../platform/db.js';
import { BATCHES_PER_RUN, INCENTIVE_RUN_WORKFLOW, incentiveRunWorkflowId, RUN_BATCH_SIZE, SCHEDULE_ZONE } from '../workflows/incentive-run/contract.js';
import type { incentiveRunWorkflow } from '../workflows/incentive-run/workflow.js';
import { IncentivePeriod } from '../workflows/kit/search-attributes.js';
import { type CpuSnapshot, cpuBetween, cpuSnapshot } from './cpu.js';
import {
  type ActivityTimes,
  type ChainRun,
  expectedLines,
  readChain,
  seed,
  sleep,
  untilAborted,
  untilFirstTasksDone,
  verificationIds,
} from './incentive-run-seed.js';
import { startBenchServers, timed } from './servers.js';
import { collectGarbage, fixed, grouped, type Memory, memory, type ProcessMemory, type Teardown } from './lib.js';
import type { IncentiveRunOptions } from './options.js';
import { describeMemory, MemoryWatch } from './scale-memory.js';
import { startWorkerProcess } from './scale-processes.js';
import { type WorkerCpu, workerCpuBetween, workerCpuSnapshot } from './worker-cpu.js';

const TASK_QUEUE = 'bench-incentive-run';
const PROGRESS_EVERY_MS = 10_000;

/** A process's memory over the run: before it (after seeding), at its result (peak since the start), settled (peak since the result). */
export type RunMemory = { before: ProcessMemory; run: ProcessMemory; settled: ProcessMemory };


export type IncentiveRunResult = {
  options: IncentiveRunOptions;
  period: string;
  /** worker: from its start until it polls (dist/ built, its workflow bundle built in a child process). */
  setupMs: { postgres: number; temporal: number; migrate: number; worker: number; total: number };
  /** The worker process: its options as it resolved them (worker-process.ts prints them), its NODE_OPTIONS, its log. */
  worker: { options: string; nodeOptions: string; log: { shown: string[]; more: number } };
  seed: { ms: number; experts: number; certifications: number };
  runMs: number;
  processed: number;
  /**
   * From run start until every verification workflow was seen past its first workflow task (describe, after the run):
   * an upper bound, it ends with the pass that found the last one done.
   */
  firstTasksMs: number | undefined;
  /** Why firstTasksMs is missing, when it is. */
  firstTasksNote: string | undefined;
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
  /** Every activity type of the run's chain (the verifications' own activities are not in it). */
  activities: Map<string, ActivityTimes>;
  /** What the run's startVerifications answered, summed: started, already started, started eagerly. */
  starts: { started: number; alreadyStarted: number; eagerlyStarted: number };
  /** The run's own workflow tasks over the chain: how long they waited in the task queue, how long they took. */
  workflowTasks: { count: number; queuedMs: number; workedMs: number; minMs: number; localActivities: number };
  /**
   * CPU from run start to result, and from result until settled: per process kind (bench/cpu.ts: the worker process
   * is a child, counted in its 'other'), and the worker process's own by thread kind (bench/worker-cpu.ts).
   */
  cpu: { run: CpuSnapshot; settle: CpuSnapshot };
  workerCpu: { run: WorkerCpu; settle: WorkerCpu };
  cpuCount: number;
  /** RSS from /proc, peaks from VmHWM: the worker process's (issue 16's bound), and this process's (client, seeding). */
  workerMemory: RunMemory;
  benchMemory: RunMemory;
  /** The worker's own view once settled (process.memoryUsage(): its main thread's heap, not the workflow thread's). */
  workerHeap: { heapUsed: number; external: number; arrayBuffers: number } | undefined;
  /** This process's heap, before the run and after settling (before and after a GC). */
  memBefore: Memory;
  memAfter: Memory;
  memAfterGc: Memory | undefined;
};


export async function runIncentiveRunBench(
  options: IncentiveRunOptions,
  teardown: Teardown,
  log: (line: string) => void = console.error,
  signal?: AbortSignal,
): Promise<IncentiveRunResult> {
  const setupStart = performance.now();
  const { postgres, env, setupMs: servers } = await startBenchServers('incentive run', teardown, log, signal);
  const client = env.client;

  // The seeding and checking connection is the benchmark's: the worker process has its own pool (options.poolSize).
  const admin = createPrisma(postgres.url);
  teardown.add('disconnect bench Prisma (incentive run)', () => admin.$disconnect());

  // As section 5 starts it: built, WORKER_NODE_FLAGS, WORKER_DEFAULTS, a weekends-only calendar (worker-process.ts).
  const workerStarted = await timed(() =>
    startWorkerProcess(postgres.url, env.address, TASK_QUEUE, { workerOptions: undefined, workerNodeOptions: undefined }, teardown, log, {
      name: 'incentive run',
      env: { DB_POOL_SIZE: String(options.poolSize), TEMPORAL_NAMESPACE: env.namespace ?? 'default' },
    }),
  );
  const worker = workerStarted.value;
  const watch = new MemoryWatch([
    { name: 'worker', pids: () => [worker.pid] },
    { name: 'bench process', pids: () => [process.pid] },
  ]);
  teardown.add('stop watching memory (incentive run)', () => watch.stop());
  signal?.throwIfAborted();
  const setupTotal = performance.now() - setupStart;

  const period = periodEndedBy(new Date(), SCHEDULE_ZONE);
  log(`incentive run: seeding ${grouped(options.partners)} partners × ${options.experts} experts…`);
  const seeded = await timed(() => seed(admin, options, period));
  signal?.throwIfAborted();

  const started = `IncentivePeriod = "${period}" AND WorkflowType = "incentiveWorkflow"`;
  const count = async (query: string) => (await client.workflow.count(query)).count;

  collectGarbage();
  const memBefore = memory();
  watch.mark();
  const before = watch.read();
  log(`incentive run: before the run — ${describeMemory(before)}`);
  log(`incentive run: running ${period} (batches of ${RUN_BATCH_SIZE}, continue-as-new every ${BATCHES_PER_RUN} batches)…`);
  const cpuStart = cpuSnapshot();
  const workerCpuStart = workerCpuSnapshot(worker.pid);
  const runStart = performance.now();
  const handle = await client.workflow.start<typeof incentiveRunWorkflow>(INCENTIVE_RUN_WORKFLOW, {
    workflowId: incentiveRunWorkflowId(period),
    taskQueue: TASK_QUEUE,
    args: [{ period, requestedBy: 'bench' }],
    typedSearchAttributes: [{ key: IncentivePeriod, value: period }],
  });

  // Progress, logged while the run goes on (rarely: a visibility count is work for the server being measured); and
  // the worker process watched, since the run cannot end once it has exited.
  let runDone = false;
  const progressLog = (async () => {
    for (let lastLog = performance.now(); !runDone; ) {
      await sleep(500, signal);
      if (runDone) break;
      worker.failed();
      if (performance.now() - lastLog < PROGRESS_EVERY_MS) continue;
      lastLog = performance.now();
      const incentives = await admin.incentive.count({ where: { period } }).catch(() => Number.NaN);
      const verifications = await count(started).catch(() => Number.NaN);
      log(
        `incentive run: ${fixed((lastLog - runStart) / 1000, 0)} s: ${grouped(incentives)} incentives, ${grouped(verifications)} verifications started — ` +
          describeMemory(watch.read()),
      );
    }
  })();
  const workerExited = progressLog.then(() => new Promise<never>(() => {}));

  const result = await untilAborted(Promise.race([handle.result(), workerExited]), signal);
  const runMs = performance.now() - runStart;
  const cpuRunEnd = cpuSnapshot();
  const workerCpuRunEnd = workerCpuSnapshot(worker.pid);
  runDone = true;
  const atResult = watch.read();
  watch.mark();
  log(`incentive run: at the result — ${describeMemory(atResult)}`);

  // Visibility is eventually consistent: the count of started verifications must hold still for 3 polls.
  log('incentive run: done; waiting for visibility to settle and every verification\'s first workflow task…');
  const settleStart = performance.now();
  const settleUntil = settleStart + options.settleSeconds * 1000;
  let verificationsStarted = -1;
  for (let same = 0; same < 3 && performance.now() < settleUntil; ) {
    const n = await count(started);
    same = n === verificationsStarted ? same + 1 : 0;
    verificationsStarted = n;
    if (same < 3) await sleep(500, signal);
  }
  const firstTasks = await untilFirstTasksDone(client, verificationIds(options, period), settleUntil, signal);
  const firstTasksMs = firstTasks.doneAt !== undefined ? firstTasks.doneAt - runStart : undefined;
  const firstTasksNote =
    firstTasks.doneAt === undefined
      ? `${grouped(firstTasks.pending)} verification workflows not past their first workflow task ${options.settleSeconds} s after the run (BENCH_RUN_SETTLE_S)`
      : undefined;
  const settleMs = performance.now() - settleStart;
  const cpu = { run: cpuBetween(cpuStart, cpuRunEnd), settle: cpuBetween(cpuRunEnd, cpuSnapshot()) };
  const workerCpu = { run: workerCpuBetween(workerCpuStart, workerCpuRunEnd), settle: workerCpuBetween(workerCpuRunEnd, workerCpuSnapshot(worker.pid)) };
  worker.failed();
  const settled = watch.read();
  watch.stop();
  log(`incentive run: settled — ${describeMemory(settled)}`);
  const workerHeap = await worker.heap();
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
    setupMs: { ...servers, worker: workerStarted.ms, total: setupTotal },
    worker: { options: worker.resolvedOptions, nodeOptions: worker.nodeOptions, log: worker.logLines() },
    seed: { ms: seeded.ms, ...seeded.value },
    runMs,
    processed: result.processed,
    firstTasksMs,
    firstTasksNote,
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
    activities: chain.activities,
    starts: chain.starts,
    workflowTasks: chain.workflowTasks,
    cpu,
    workerCpu,
    cpuCount: os.availableParallelism(),
    workerMemory: { before: before.worker!, run: atResult.worker!, settled: settled.worker! },
    benchMemory: { before: before['bench process']!, run: atResult['bench process']!, settled: settled['bench process']! },
    workerHeap,
    memBefore,
    memAfter,
    memAfterGc,
  };
}

