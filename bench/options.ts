/**
 * Knobs of the benchmarks that load Temporal and Prisma, apart from their modules so main.ts can validate them
 * before anything starts without loading Temporal and Prisma (which would inflate the calendar benchmark's heap
 * figures).
 */
import type { WorkerTuning } from '../worker/worker.js';
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

/** Which sections run: BENCH_SKIP_CALENDAR / _OPPORTUNITY / _RUN / _REFEREE / _SCALE = 1 skip one. */
export type Sections = { calendar: boolean; opportunity: boolean; run: boolean; referee: boolean; scale: boolean };

export function sectionsFromEnv(): Sections {
  return {
    calendar: !envFlag('BENCH_SKIP_CALENDAR'),
    opportunity: !envFlag('BENCH_SKIP_OPPORTUNITY'),
    run: !envFlag('BENCH_SKIP_RUN'),
    referee: !envFlag('BENCH_SKIP_REFEREE'),
    scale: !envFlag('BENCH_SKIP_SCALE'),
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

export const SCALE_DATABASES = ['embedded', 'postgres'] as const;
export type ScaleDatabase = (typeof SCALE_DATABASES)[number];

/** The scale section (bench/scale.ts): n open opportunities on their timers, then their expiry after one clock jump. */
export type ScaleOptions = {
  /** Opportunities started, and bare ceiling workflows beside them. */
  n: number;
  /** Workflow starts in flight. */
  concurrency: number;
  /** Where the worker persists: the embedded database (PGlite, the default's) or a real PostgreSQL. */
  database: ScaleDatabase;
  /** How long each wait (all shared, all expired) may take before the section fails, in seconds. */
  timeoutSeconds: number;
  /** How long the n opportunities wait idle before their memory is read again, in seconds. */
  settleSeconds: number;
  /** JSON worker options over worker/worker.ts WORKER_DEFAULTS for the measured worker (null: the SDK's default). */
  workerOptions: string | undefined;
  /** NODE_OPTIONS of the measured worker's process instead of WORKER_NODE_FLAGS (platform/config.ts); 'none': no flags. */
  workerNodeOptions: string | undefined;
};

export function scaleOptionsFromEnv(): ScaleOptions {
  const database = process.env.BENCH_SCALE_DATABASE || 'embedded';
  if (!SCALE_DATABASES.includes(database as ScaleDatabase)) throw new Error(`BENCH_SCALE_DATABASE must be one of ${SCALE_DATABASES.join(', ')}, got ${JSON.stringify(database)}`);
  const workerOptions = process.env.BENCH_SCALE_WORKER_OPTIONS || undefined;
  workerTuningOf(workerOptions); // validated before anything starts
  return {
    n: envInt('BENCH_SCALE_N', 5_000),
    concurrency: envInt('BENCH_SCALE_CONCURRENCY', 50),
    database: database as ScaleDatabase,
    timeoutSeconds: envInt('BENCH_SCALE_TIMEOUT_S', 1800),
    settleSeconds: envInt('BENCH_SCALE_SETTLE_S', 30, 0),
    workerOptions,
    workerNodeOptions: process.env.BENCH_SCALE_WORKER_NODE_OPTIONS || undefined,
  };
}

/**
 * BENCH_SCALE_WORKER_OPTIONS as worker options over WORKER_DEFAULTS: a JSON object; a key set to null leaves that
 * option to the SDK's own default (`{"maxCachedWorkflows":null}` measures the SDK's heap-derived cache size).
 */
export function workerTuningOf(json: string | undefined): Partial<WorkerTuning> {
  if (!json) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`BENCH_SCALE_WORKER_OPTIONS must be a JSON object, got ${JSON.stringify(json)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('BENCH_SCALE_WORKER_OPTIONS must be a JSON object');
  return Object.fromEntries(Object.entries(parsed).map(([key, value]: [string, unknown]) => [key, value ?? undefined])) as Partial<WorkerTuning>;
}
