/**
 * Knobs of the benchmarks that load Temporal and Prisma, apart from their modules so main.ts can validate them
 * before anything starts without loading Temporal and Prisma (which would inflate the calendar benchmark's heap
 * figures).
 */
import { envFlag, envInt } from './lib.js';

export type OpportunityOptions = { n: number; concurrency: number; warmup: number; partners: number };

export function opportunityOptionsFromEnv(): OpportunityOptions {
  const n = envInt('BENCH_N', 200);
  return {
    n,
    concurrency: envInt('BENCH_CONCURRENCY', 8),
    warmup: envInt('BENCH_WARMUP', 16, 0),
    partners: envInt('BENCH_PARTNERS', Math.min(n, 20)),
  };
}

export type IncentiveRunOptions = {
  /** Partners seeded, each in the run's scope. */
  partners: number;
  /** Experts per partner: a fixed cycle of one qualifying and five non-qualifying kinds (see bench/incentive-run.ts). */
  experts: number;
  /** The worker's PostgreSQL pool (production: DB_POOL_SIZE, default 5). */
  poolSize: number;
  /** How long to wait after the run for every verification workflow's first activity, in seconds. */
  settleSeconds: number;
};

export function incentiveRunOptionsFromEnv(): IncentiveRunOptions {
  return {
    partners: envInt('BENCH_RUN_PARTNERS', 1000),
    experts: envInt('BENCH_RUN_EXPERTS', 3),
    poolSize: envInt('BENCH_RUN_POOL', 5),
    settleSeconds: envInt('BENCH_RUN_SETTLE_S', 300),
  };
}

/** Which sections run: BENCH_SKIP_CALENDAR / _OPPORTUNITY / _RUN / _REFEREE = 1 skip one. */
export type Sections = { calendar: boolean; opportunity: boolean; run: boolean; referee: boolean };

export function sectionsFromEnv(): Sections {
  return {
    calendar: !envFlag('BENCH_SKIP_CALENDAR'),
    opportunity: !envFlag('BENCH_SKIP_OPPORTUNITY'),
    run: !envFlag('BENCH_SKIP_RUN'),
    referee: !envFlag('BENCH_SKIP_REFEREE'),
  };
}

/** The referee (bench/referee.ts): partnerflow against the bare-Temporal ceiling, interleaved. */
export type RefereeOptions = {
  /** Processes (share + accept) per side and database. */
  n: number;
  concurrency: number;
  /** Rounds the n processes are split into; the sides alternate which goes first in each. */
  rounds: number;
  /** Processes per side and database run before measuring (not measured). */
  warmup: number;
  partners: number;
};

/** Defaults are the settings issue 16 measured: 200 processes, concurrency 20. */
export function refereeOptionsFromEnv(): RefereeOptions {
  const n = envInt('BENCH_REFEREE_N', 200);
  const rounds = envInt('BENCH_REFEREE_ROUNDS', 4);
  if (rounds > n) throw new Error(`BENCH_REFEREE_ROUNDS (${rounds}) must not exceed BENCH_REFEREE_N (${n})`);
  return {
    n,
    concurrency: envInt('BENCH_REFEREE_CONCURRENCY', 20),
    rounds,
    warmup: envInt('BENCH_REFEREE_WARMUP', 20, 0),
    partners: envInt('BENCH_PARTNERS', Math.min(n, 20)),
  };
}
