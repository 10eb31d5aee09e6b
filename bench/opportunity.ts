/**
 * The opportunity process end to end through the real HTTP API: a throwaway PostgreSQL, a Temporal dev
 * server (in memory), the real worker and the real Express app in this process. N opportunities are
 * shared (POST /v1/opportunities) with C requests in flight, then each is accepted by its partner
 * (POST /v1/opportunities/:id/accept), C in flight. Latencies are client-side, fetch to full body.
 */
import { performance } from 'node:perf_hooks';
import type { OpportunityOptions } from './options.js';
import { startPartnerflow } from './partnerflow.js';
import { type PhaseResult, runPhase } from './phase.js';
import { startBenchServers } from './servers.js';
import { collectGarbage, fixed, type Memory, memory, mib, table, type Teardown } from './lib.js';


const TASK_QUEUE = 'bench';

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

export async function runOpportunityBench(
  options: OpportunityOptions,
  teardown: Teardown,
  log: (line: string) => void = console.error,
  signal?: AbortSignal,
): Promise<OpportunityResult> {
  const setupStart = performance.now();
  const { postgres, env, setupMs: servers } = await startBenchServers('opportunity', teardown, log, signal);

  const { shareOp, acceptOp, workerPrisma, workerMs } = await startPartnerflow(
    { databaseUrl: postgres.url, env, taskQueue: TASK_QUEUE, partners: options.partners, label: 'opportunity' },
    teardown,
    log,
    signal,
  );
  const setupTotal = performance.now() - setupStart;

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
    setupMs: { ...servers, worker: workerMs, total: setupTotal },
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
