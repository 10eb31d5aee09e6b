/** Small helpers shared by the benchmarks: PRNG, percentiles, memory snapshots (own and other processes'), tables, teardown. */
import { readFileSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/** mulberry32: tiny, fast, deterministic for a given 32-bit seed. Returns floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer ≥ min from the environment, or the default. */
export function envInt(name: string, fallback: number, min = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer ≥ ${min}, got ${JSON.stringify(raw)}`);
  return value;
}

/** A boolean switch from the environment: 1/true/yes → true, 0/false/no/unset → false; anything else throws. */
export function envFlag(name: string): boolean {
  const raw = (process.env[name] ?? '').trim().toLowerCase();
  if (raw === '' || raw === '0' || raw === 'false' || raw === 'no') return false;
  if (raw === '1' || raw === 'true' || raw === 'yes') return true;
  throw new Error(`${name} must be 1 or 0, got ${JSON.stringify(process.env[name])}`);
}

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

let gcFn: (() => void) | undefined | null = null;
/** A full GC when V8 lets us have one (the npm script passes no --expose-gc, so enable it at run time). */
export function collectGarbage(): boolean {
  if (gcFn === null) {
    try {
      setFlagsFromString('--expose-gc');
      gcFn = runInNewContext('gc') as () => void;
    } catch {
      gcFn = undefined;
    }
  }
  if (!gcFn) return false;
  gcFn();
  return true;
}

export type Memory = { rss: number; heapUsed: number; heapTotal: number; external: number };
export const memory = (): Memory => {
  const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
  return { rss, heapUsed, heapTotal, external };
};

export const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
export const fixed = (value: number, digits = 1) => (Number.isFinite(value) ? value.toFixed(digits) : '–');
export const grouped = (value: number) => Math.round(value).toLocaleString('en-US');

/** A plain-text table: first column left-aligned, the others right-aligned. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    '| ' + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ') + ' |';
  const rule = '|' + widths.map((w, i) => (i === 0 ? '-'.repeat(w + 1) + '-' : '-'.repeat(w + 1) + ':')).join('|') + '|';
  return [line(headers), rule, ...rows.map(line)].join('\n');
}

/**
 * Cleanup steps, run last-in first-out exactly once (normal end, error, or signal). Each step gets a time
 * limit, and a failing step does not stop the others. A step added after teardown began runs at once.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => Promise<unknown> | unknown }[] = [];
  private running: Promise<void> | undefined;
  private readonly late: Promise<void>[] = [];

  constructor(
    private readonly log: (line: string) => void = console.error,
    private readonly stepTimeoutMs = 30_000,
  ) {}

  add(name: string, run: () => Promise<unknown> | unknown): void {
    if (this.running) this.late.push(this.runStep({ name, run }));
    else this.steps.push({ name, run });
  }

  runAll(): Promise<void> {
    this.running ??= (async () => {
      for (let step = this.steps.pop(); step; step = this.steps.pop()) await this.runStep(step);
      await Promise.all(this.late);
    })();
    return this.running;
  }

  private async runStep(step: { name: string; run: () => Promise<unknown> | unknown }): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(step.run),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`timed out after ${this.stepTimeoutMs} ms`)), this.stepTimeoutMs);
        }),
      ]);
    } catch (error) {
      this.log(`teardown: ${step.name} failed: ${(error as Error).message}`);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** A process's resident memory from /proc (Linux): now (VmRSS) and its peak (VmHWM) since start or resetPeak. */
export type ProcessMemory = { rss: number; peak: number };

export function processMemory(pid: number): ProcessMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined; // not Linux, or the process is gone
  }
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Resets a process's VmHWM to its current RSS (Linux ≥ 4.0, a process of this user); false when it cannot. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
