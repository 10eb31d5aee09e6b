/** The referee's table and ratios (bench/referee.ts), and what makes its figures invalid. */
import { COMPONENTS, type CpuSnapshot } from './cpu.js';
import { fixed, table } from './lib.js';
import { latencyOf, type PhaseResult } from './phase.js';
import type { RefereeResult, SideRun } from './referee.js';

/** One side on one database, all rounds together. */
export type SideFigures = {
  processes: number;
  errors: number;
  /** Processes whose share and accept both completed, per second of the side's own phase wall time. */
  throughput: number;
  share: ReturnType<typeof latencyOf>;
  accept: ReturnType<typeof latencyOf>;
  errorSamples: string[];
};

const merged = (phases: PhaseResult[]) => latencyOf(phases.flatMap((p) => p.samples).sort((a, b) => a - b));

export function sideFigures({ shares, accepts }: SideRun): SideFigures {
  const processes = accepts.reduce((sum, p) => sum + p.ok, 0);
  const wallMs = [...shares, ...accepts].reduce((sum, p) => sum + p.wallMs, 0);
  const phases = [...shares, ...accepts];
  return {
    processes,
    // Processes that failed at share or at accept, each counted once (an accept after a failed share fails too).
    errors: shares.reduce((sum, p) => sum + p.attempted, 0) - processes,
    throughput: processes / (wallMs / 1000),
    share: merged(shares),
    accept: merged(accepts),
    errorSamples: [...new Set(phases.flatMap((p) => p.errorSamples.map((e) => `${p.name}: ${e}`)))].slice(0, 3),
  };
}

export function formatRefereeResult(r: RefereeResult): string {
  const { options, setupMs } = r;
  const ms = (v: number) => fixed(v, 0);
  const rows: string[][] = [];
  const ratios: string[][] = [];
  const samples: string[] = [];
  const cpuRows: string[][] = [];
  const perProcess = (cpu: CpuSnapshot, processes: number) => {
    const cells = COMPONENTS.map((c) => cpu.get(c)! / processes);
    return [...cells, cells.reduce((a, b) => a + b, 0)].map((v) => fixed(v, 1));
  };
  for (const run of r.runs) {
    const ceiling = sideFigures(run.ceiling);
    const partnerflow = sideFigures(run.partnerflow);
    for (const [side, f] of [['ceiling (bare Temporal)', ceiling], ['partnerflow (HTTP API)', partnerflow]] as const) {
      rows.push([
        `${run.database}: ${side}`,
        `${f.processes}/${options.n}`,
        String(f.errors),
        fixed(f.throughput, 1),
        ms(f.share.p50),
        ms(f.share.p95),
        ms(f.share.p99),
        ms(f.accept.p50),
        ms(f.accept.p95),
        ms(f.accept.p99),
      ]);
      for (const e of f.errorSamples) samples.push(`${run.database}, ${side}: ${e}`);
    }
    for (const [side, f, cpu] of [['ceiling', ceiling, run.ceiling.cpu], ['partnerflow', partnerflow, run.partnerflow.cpu]] as const) {
      cpuRows.push([`${run.database}: ${side} share`, ...perProcess(cpu.share, f.processes)]);
      cpuRows.push([`${run.database}: ${side} accept`, ...perProcess(cpu.accept, f.processes)]);
    }
    ratios.push([
      run.database,
      `${fixed(partnerflow.throughput / ceiling.throughput, 2)}×`,
      `${fixed(partnerflow.accept.p99 / ceiling.accept.p99, 2)}×`,
      `${fixed(partnerflow.share.p99 / ceiling.share.p99, 2)}×`,
      `${run.acceptedInDb} (expected ${run.expectedAcceptedInDb})`,
    ]);
  }
  return [
    `Referee — partnerflow's share → accept over HTTP against the bare-Temporal ceiling (bench/ceiling/: update-with-start, ` +
      `one update, the accept deadline's timer; no activities, no database), same Temporal dev server, same worker options`,
    `N=${options.n} processes per side and database, concurrency ${options.concurrency}, ${options.rounds} interleaved rounds ` +
      `(alternating which side goes first), warm-up ${options.warmup} per side (not measured), ${options.partners} partners`,
    `setup: PostgreSQL ∥ Temporal dev server ${fixed(setupMs.servers / 1000, 1)} s, embedded database ${fixed(setupMs.embedded / 1000, 1)} s, ` +
      `ceiling worker (bundling) ${fixed(setupMs.ceilingWorker / 1000, 1)} s`,
    '',
    table(
      ['database: side', 'processes', 'errors', 'processes/s', 'share p50 ms', 'p95', 'p99', 'accept p50 ms', 'p95', 'p99'],
      rows,
    ),
    '',
    table(['database', 'throughput partnerflow ÷ ceiling', 'accept p99 partnerflow ÷ ceiling', 'share p99 partnerflow ÷ ceiling', 'ACCEPTED in database'], ratios),
    '',
    'CPU ms per process, by where it was spent (bench/cpu.ts: the main thread runs the API, the activities, Prisma and the ' +
      "benchmark's HTTP client; both sides' workers share this process; the machine has few cores, so CPU per process bounds throughput)",
    table(['database: side, phase', ...COMPONENTS, 'total'], cpuRows),
    ...samples.map((s) => `error sample: ${s}`),
  ].join('\n');
}

/** Failed operations or a database that disagrees make the figures meaningless: run.ts reports them and exits 1. */
export function refereeProblems(r: RefereeResult): string[] {
  const problems: string[] = [];
  for (const run of r.runs) {
    for (const side of [run.ceiling, run.partnerflow]) {
      const { errors } = sideFigures(side);
      if (errors) problems.push(`${run.database}, ${side.side}: ${errors} operation(s) failed`);
    }
    if (run.acceptedInDb !== run.expectedAcceptedInDb) {
      problems.push(`${run.database}: database holds ${run.acceptedInDb} ACCEPTED opportunities, expected ${run.expectedAcceptedInDb}`);
    }
  }
  return problems;
}
