/**
 * BusinessCalendar.addWorkingDays on the shipped CN calendar: 3 and 14 working days from seeded
 * pseudo-random moments between 2025-01-01 and 2026-11-30 (Asia/Shanghai). Pure CPU, in this process.
 */
import { performance } from 'node:perf_hooks';
import { snapshotCalendar } from '../domain/calendar.js';
import { collectGarbage, envInt, fixed, grouped, memory, mib, mulberry32, percentile, table } from './lib.js';

// [from, to): every instant of 2025-01-01 .. 2026-11-30 in the calendar's zone (UTC+8, no DST).
const RANGE_FROM = Date.parse('2025-01-01T00:00:00+08:00');
const RANGE_TO = Date.parse('2026-12-01T00:00:00+08:00');
const WORKING_DAYS = [3, 14] as const;
const ROUNDS = 5;

export type CalendarOptions = { seed: number; moments: number; opsPerCase: number; warmupOps: number };

export const calendarOptionsFromEnv = (): CalendarOptions => ({
  seed: envInt('BENCH_SEED', 20250101),
  moments: envInt('BENCH_CALENDAR_MOMENTS', 10_000),
  opsPerCase: envInt('BENCH_CALENDAR_OPS', 10_000),
  warmupOps: envInt('BENCH_CALENDAR_WARMUP', 2_000, 0),
});

export type CalendarCase = {
  workingDays: number;
  ops: number;
  elapsedMs: number;
  opsPerSec: number;
  usPerOp: number;
  /** µs/op of the fastest, median and slowest of the ROUNDS equal rounds: the spread of the figure. */
  roundUsPerOp: { best: number; median: number; worst: number };
  heapBefore: number;
  heapAfter: number;
  heapAfterGc: number;
  /** Hash of all deadlines: identical across runs for the same seed and options. */
  checksum: number;
};

export type CalendarResult = { options: CalendarOptions; calendar: string; zone: string; gcAvailable: boolean; cases: CalendarCase[] };

/** Rounds yield to the event loop in between (outside the timed part), so a signal is handled promptly. */
export async function runCalendarBench(options: CalendarOptions = calendarOptionsFromEnv(), signal?: AbortSignal): Promise<CalendarResult> {
  const calendar = snapshotCalendar('CN');
  if (!calendar) throw new Error('the shipped CN calendar is missing');

  const random = mulberry32(options.seed);
  const moments = Array.from({ length: options.moments }, () => new Date(RANGE_FROM + Math.floor(random() * (RANGE_TO - RANGE_FROM))));

  // Folds every deadline into a 32-bit hash, so the work cannot be optimised away and runs can be compared.
  const run = (workingDays: number, from: number, count: number, hash = 0): number => {
    for (let i = 0; i < count; i++) {
      const deadline = calendar.addWorkingDays(moments[(from + i) % moments.length]!, workingDays).deadline.getTime();
      hash = (Math.imul(hash, 31) + (deadline % 2147483647)) >>> 0;
    }
    return hash;
  };

  // Warm-up: both cases, so the JIT has seen every path before anything is timed.
  for (const days of WORKING_DAYS) {
    run(days, 0, options.warmupOps);
    await new Promise((resolve) => setImmediate(resolve));
  }

  const cases: CalendarCase[] = [];
  for (const workingDays of WORKING_DAYS) {
    const gcAvailable = collectGarbage();
    const heapBefore = memory().heapUsed;
    const perRound = Math.ceil(options.opsPerCase / ROUNDS);
    const roundMs: number[] = [];
    let checksum = 0;
    for (let round = 0; round < ROUNDS; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      signal?.throwIfAborted();
      const start = performance.now();
      checksum = run(workingDays, round * perRound, perRound, checksum);
      roundMs.push(performance.now() - start);
    }
    const heapAfter = memory().heapUsed;
    if (gcAvailable) collectGarbage();
    const heapAfterGc = memory().heapUsed;

    const ops = perRound * ROUNDS;
    const elapsedMs = roundMs.reduce((a, b) => a + b, 0);
    const usPerRound = roundMs.map((ms) => (ms * 1000) / perRound).sort((a, b) => a - b);
    cases.push({
      workingDays,
      ops,
      elapsedMs,
      opsPerSec: ops / (elapsedMs / 1000),
      usPerOp: (elapsedMs * 1000) / ops,
      roundUsPerOp: { best: usPerRound[0]!, median: percentile(usPerRound, 50), worst: usPerRound.at(-1)! },
      heapBefore,
      heapAfter,
      heapAfterGc,
      checksum,
    });
  }
  return { options, calendar: calendar.name, zone: calendar.zone, gcAvailable: collectGarbage(), cases };
}

export function formatCalendarResult(result: CalendarResult): string {
  const { options, cases } = result;
  const lines = [
    `BusinessCalendar.addWorkingDays — calendar ${result.calendar} (${result.zone}), ${grouped(options.moments)} seeded moments ` +
      `in 2025-01-01..2026-11-30 (seed ${options.seed}), warm-up ${grouped(options.warmupOps)} ops per case, ${ROUNDS} timed rounds per case`,
    '',
    table(
      ['working days', 'ops', 'ops/sec', 'µs/op', 'µs/op best..worst round', 'heap before', 'heap after', 'heap after GC'],
      cases.map((c) => [
        String(c.workingDays),
        grouped(c.ops),
        grouped(c.opsPerSec),
        fixed(c.usPerOp, 2),
        `${fixed(c.roundUsPerOp.best, 2)}..${fixed(c.roundUsPerOp.worst, 2)}`,
        mib(c.heapBefore),
        mib(c.heapAfter),
        result.gcAvailable ? mib(c.heapAfterGc) : 'n/a',
      ]),
    ),
    '',
    `deadline checksums (same seed and options → same value): ${cases.map((c) => `${c.workingDays}d=${c.checksum}`).join(', ')}`,
  ];
  return lines.join('\n');
}
