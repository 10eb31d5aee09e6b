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

/** Which sections run: BENCH_SKIP_CALENDAR / BENCH_SKIP_OPPORTUNITY / BENCH_SKIP_RUN = 1 skip one. */
export type Sections = { calendar: boolean; opportunity: boolean; run: boolean };

export function sectionsFromEnv(): Sections {
  return { calendar: !envFlag('BENCH_SKIP_CALENDAR'), opportunity: !envFlag('BENCH_SKIP_OPPORTUNITY'), run: !envFlag('BENCH_SKIP_RUN') };
}
