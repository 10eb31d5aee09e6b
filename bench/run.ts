/**
 * `npm run bench` (tsx bench/run.ts): runs bench/main.ts — the calendar micro-benchmark, the opportunity
 * process end to end through the HTTP API, the monthly incentive generation run, the referee (partnerflow's
 * share → accept beside the bare-Temporal ceiling of bench/ceiling/, interleaved on one Temporal server, on the
 * embedded database and on PostgreSQL), then scale (10,000 open opportunities: the worker's memory in a process of
 * its own, then their expiry after one clock jump beside the same number of bare workflows) — and exits with its
 * code (0; 1 on error or an invalid result; 130 when interrupted). Prints figures only: no thresholds, no timed
 * assertions.
 *
 * Why a child process: on SIGINT/SIGTERM the tsx CLI gives the process it runs ~60 ms to acknowledge and
 * then SIGKILLs it. Under benchmark load that process can be slower than that, and would die before tearing
 * down PostgreSQL and Temporal. This supervisor is idle, so it always acknowledges in time; the benchmark
 * runs in its own process group (a terminal's Ctrl-C reaches it only through here, exactly once) and tears
 * everything down itself.
 *
 * Knobs (all optional): BENCH_N (200), BENCH_CONCURRENCY (8), BENCH_WARMUP (16), BENCH_PARTNERS (≤ 20),
 * BENCH_SEED, BENCH_CALENDAR_OPS (10 000 per case), BENCH_CALENDAR_WARMUP, BENCH_CALENDAR_MOMENTS;
 * incentive run: BENCH_RUN_PARTNERS (1000), BENCH_RUN_EXPERTS (3 per partner, cycling through one qualifying
 * and five non-qualifying kinds), BENCH_RUN_POOL (5: the worker's PostgreSQL pool, like DB_POOL_SIZE),
 * BENCH_RUN_SETTLE_S (300: how long to wait after the run for every verification workflow's first activity);
 * referee: BENCH_REFEREE_N (200 processes per side and database), BENCH_REFEREE_CONCURRENCY (20),
 * BENCH_REFEREE_ROUNDS (4 interleaved rounds), BENCH_REFEREE_WARMUP (20 per side and database);
 * scale: BENCH_SCALE_N (5 000 opportunities, and as many ceiling workflows; 10 000 strands the time-skipping test
 * server even for the bare ceiling, docs/benchmarks.md), BENCH_SCALE_CONCURRENCY (50 starts in
 * flight), BENCH_SCALE_DATABASE (embedded | postgres), BENCH_SCALE_SETTLE_S (30: idle before the open memory is read),
 * BENCH_SCALE_TIMEOUT_S (1800 per wait), BENCH_SCALE_WORKER_OPTIONS (JSON worker options over worker/worker.ts
 * WORKER_DEFAULTS, null for the SDK's own: '{"maxCachedWorkflows":null}'), BENCH_SCALE_WORKER_NODE_OPTIONS (the
 * measured worker's NODE_OPTIONS instead of platform/config.ts WORKER_NODE_FLAGS; 'none' for none);
 * sections: BENCH_SKIP_CALENDAR=1, BENCH_SKIP_OPPORTUNITY=1, BENCH_SKIP_RUN=1, BENCH_SKIP_REFEREE=1,
 * BENCH_SKIP_SCALE=1 each skip one;
 * TEST_DATABASE_URL and TEMPORAL_CLI as for the tests.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { fileURLToPath } from 'node:url';

const child = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), fileURLToPath(new URL('./main.ts', import.meta.url))], {
  stdio: 'inherit',
  detached: true, // own process group: signals arrive once, forwarded below
});

for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal === 'SIGHUP' ? 'SIGTERM' : signal);
  });
}

child.once('error', (error) => {
  console.error('bench: cannot start bench/main.ts:', error);
  process.exit(1);
});
child.once('exit', (code, signal) => {
  process.exit(code ?? (signal ? 128 + (constants.signals[signal] ?? 0) : 1));
});
