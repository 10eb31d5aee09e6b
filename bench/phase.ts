/** One measured phase of a benchmark: `count` operations with at most `concurrency` in flight, each one timed. */
import { performance } from 'node:perf_hooks';
import { percentile } from './lib.js';

/** Distinct errors kept per phase, for the report. */
const MAX_ERROR_SAMPLES = 3;

export type Outcome = { ok: true } | { ok: false; error: string };

export type Latency = { p50: number; p95: number; p99: number; max: number; mean: number };

export type PhaseResult = {
  name: string;
  attempted: number;
  ok: number;
  errors: number;
  errorSamples: string[];
  wallMs: number;
  /** Successful operations per second of wall time for the whole phase. */
  throughput: number;
  latency: Latency;
  /** Every successful operation's latency in ms, ascending: rounds of the referee merge them. */
  samples: number[];
};

/** Percentiles, max and mean of an ascending-sorted list of latencies. */
export function latencyOf(sorted: readonly number[]): Latency {
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? Number.NaN,
    mean: sorted.length ? sorted.reduce((a, b) => a + b, 0) / sorted.length : Number.NaN,
  };
}

/** Runs op(0..count-1) with at most `concurrency` in flight; records each one's latency. */
export async function runPhase(
  name: string,
  count: number,
  concurrency: number,
  op: (i: number) => Promise<Outcome>,
  signal?: AbortSignal,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  const errorSamples = new Set<string>();
  let errors = 0;
  let next = 0;
  const start = performance.now();
  const lane = async () => {
    for (let i = next++; i < count; i = next++) {
      signal?.throwIfAborted();
      const t0 = performance.now();
      let outcome: Outcome;
      try {
        outcome = await op(i);
      } catch (error) {
        outcome = { ok: false, error: (error as Error).message };
      }
      if (outcome.ok) latencies.push(performance.now() - t0);
      else {
        errors++;
        if (errorSamples.size < MAX_ERROR_SAMPLES) errorSamples.add(outcome.error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  const wallMs = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    name,
    attempted: count,
    ok: latencies.length,
    errors,
    errorSamples: [...errorSamples],
    wallMs,
    throughput: latencies.length / (wallMs / 1000),
    latency: latencyOf(latencies),
    samples: latencies,
  };
}
