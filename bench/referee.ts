/**
 * The referee (issue 16): partnerflow's share → accept through the HTTP API against the ceiling — the smallest
 * bare-Temporal workflow of the opportunity's shape (bench/ceiling/) — on the SAME Temporal dev server, in one
 * run, first on the embedded default database (PGlite), then on a real PostgreSQL. For each database the n
 * processes per side are split into rounds and the sides take turns (alternating who goes first), so the
 * machine's noise hits both. Each round of a side: its share phase, then its accept phase, concurrency C.
 * Figures only: partnerflow's throughput and latencies count only beside the ceiling's.
 */
import { performance } from 'node:perf_hooks';
import { addCpu, cpuBetween, type CpuSnapshot, cpuSnapshot, emptyCpu } from './cpu.js';
import { startCeiling } from './ceiling/ceiling.js';
import { startEmbeddedDatabase } from './embedded.js';
import { Teardown } from './lib.js';
import type { RefereeOptions } from './options.js';
import { startPartnerflow } from './partnerflow.js';
import { type Outcome, type PhaseResult, runPhase } from './phase.js';
import { startBenchServers, timed } from './servers.js';

const CEILING_QUEUE = 'referee-ceiling';

export type DatabaseKind = 'embedded (PGlite)' | 'PostgreSQL';
export type SideName = 'ceiling' | 'partnerflow';
type Ops = { shareOp: (prefix: string, ids: (string | undefined)[]) => (i: number) => Promise<Outcome>; acceptOp: (ids: (string | undefined)[]) => (i: number) => Promise<Outcome> };

/** One side on one database: every round's phases, in order. */
export type SideRun = { side: SideName; shares: PhaseResult[]; accepts: PhaseResult[]; cpu: { share: CpuSnapshot; accept: CpuSnapshot } };
export type DatabaseRun = {
  database: DatabaseKind;
  ceiling: SideRun;
  partnerflow: SideRun;
  /** Opportunities ACCEPTED in partnerflow's database at the end, and how many there should be. */
  acceptedInDb: number;
  expectedAcceptedInDb: number;
};
export type RefereeResult = { options: RefereeOptions; setupMs: { servers: number; embedded: number; ceilingWorker: number }; runs: DatabaseRun[] };

/** Sizes of the rounds: n split as evenly as possible. */
const roundSizes = (n: number, rounds: number) => Array.from({ length: rounds }, (_, r) => Math.floor((n * (r + 1)) / rounds) - Math.floor((n * r) / rounds));

async function warmUp(name: string, tag: string, ops: Ops, count: number, concurrency: number, signal?: AbortSignal) {
  const ids: (string | undefined)[] = [];
  for (const phase of [
    await runPhase(`${name} warm-up share`, count, concurrency, ops.shareOp(`${tag}-warmup`, ids), signal),
    await runPhase(`${name} warm-up accept`, count, concurrency, ops.acceptOp(ids), signal),
  ]) {
    if (phase.errors) throw new Error(`${phase.name} failed ${phase.errors}×: ${phase.errorSamples.join(' | ')}`);
  }
}

/** The interleaved rounds on one database: both sides already running. */
async function interleave(options: RefereeOptions, sides: Record<SideName, Ops>, tag: string, log: (line: string) => void, signal?: AbortSignal) {
  const runs: Record<SideName, SideRun> = {
    ceiling: { side: 'ceiling', shares: [], accepts: [], cpu: { share: emptyCpu(), accept: emptyCpu() } },
    partnerflow: { side: 'partnerflow', shares: [], accepts: [], cpu: { share: emptyCpu(), accept: emptyCpu() } },
  };
  const sizes = roundSizes(options.n, options.rounds);
  for (const [round, size] of sizes.entries()) {
    const order: SideName[] = round % 2 === 0 ? ['ceiling', 'partnerflow'] : ['partnerflow', 'ceiling'];
    log(`referee (${tag}): round ${round + 1}/${sizes.length}, ${size} processes per side, ${order.join(' then ')}…`);
    for (const side of order) {
      const ids: (string | undefined)[] = [];
      const run = runs[side];
      const beforeShare = cpuSnapshot();
      run.shares.push(await runPhase('share', size, options.concurrency, sides[side].shareOp(`${tag}-r${round}`, ids), signal));
      const beforeAccept = cpuSnapshot();
      run.accepts.push(await runPhase('accept', size, options.concurrency, sides[side].acceptOp(ids), signal));
      const after = cpuSnapshot();
      run.cpu = { share: addCpu(run.cpu.share, cpuBetween(beforeShare, beforeAccept)), accept: addCpu(run.cpu.accept, cpuBetween(beforeAccept, after)) };
    }
  }
  return runs;
}

export async function runRefereeBench(
  options: RefereeOptions,
  teardown: Teardown,
  log: (line: string) => void = console.error,
  signal?: AbortSignal,
): Promise<RefereeResult> {
  const started = performance.now();
  // One Temporal dev server for the whole section: both sides and both databases share it.
  const { postgres, env } = await startBenchServers('referee', teardown, log, signal);
  const serversMs = performance.now() - started;
  const ceiling = await startCeiling(env, CEILING_QUEUE, teardown, log);
  log('referee: starting the embedded database (scripts/embedded-db.ts)…');
  const embedded = await timed(() => startEmbeddedDatabase(teardown, log));
  signal?.throwIfAborted();

  const runs: DatabaseRun[] = [];
  const databases: [DatabaseKind, string, string][] = [
    ['embedded (PGlite)', embedded.value, 'embedded'],
    ['PostgreSQL', postgres.url, 'postgres'],
  ];
  for (const [database, databaseUrl, tag] of databases) {
    // partnerflow's worker and app on this database stop before the next database's start.
    const own = new Teardown(log);
    teardown.add(`partnerflow on ${database}`, () => own.runAll());
    const partnerflow = await startPartnerflow(
      { databaseUrl, env, taskQueue: `referee-${tag}`, partners: options.partners, label: `referee (${tag})` },
      own,
      log,
      signal,
    );
    if (options.warmup > 0) {
      log(`referee (${tag}): warm-up, ${options.warmup} processes per side (not measured)…`);
      await warmUp('ceiling', tag, ceiling, options.warmup, options.concurrency, signal);
      await warmUp('partnerflow', tag, partnerflow, options.warmup, options.concurrency, signal);
    }
    const sides = await interleave(options, { ceiling, partnerflow }, tag, log, signal);
    const acceptedInDb = await partnerflow.workerPrisma.opportunity.count({ where: { status: 'ACCEPTED' } });
    const accepted = sides.partnerflow.accepts.reduce((sum, p) => sum + p.ok, 0);
    runs.push({ database, ...sides, acceptedInDb, expectedAcceptedInDb: options.warmup + accepted });
    await own.runAll();
  }
  return { options, setupMs: { servers: serversMs, embedded: embedded.ms, ceilingWorker: ceiling.workerMs }, runs };
}
