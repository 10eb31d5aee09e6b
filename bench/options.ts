/**
 * Knobs of the opportunity benchmark, apart from its module so run.ts can validate them before anything
 * starts without loading Temporal and Prisma (which would inflate the calendar benchmark's heap figures).
 */
import { envInt } from './lib.js';

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
