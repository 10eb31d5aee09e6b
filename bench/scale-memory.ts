/**
 * Resident memory of the scale section's processes (Linux /proc), each read from outside: the measured worker, the
 * database, the Temporal test server and the benchmark's own process. A process's peak is its VmHWM, reset at each
 * phase (resetPeak), so a phase's peak is that phase's own; for a group of processes (PostgreSQL's backends) the
 * peak is the largest sum sampled every SAMPLE_MS. Elsewhere than Linux every figure is NaN.
 */
import { readFileSync } from 'node:fs';
import { descendants } from '../scripts/stack.js';
import { mib, processMemory, type ProcessMemory, resetPeak } from './lib.js';

const SAMPLE_MS = 250;

/** A process (or group of processes) whose memory is watched: its pids, read again at every sample. */
export type Watched = { name: string; pids: () => number[] };

export class MemoryWatch {
  private readonly sampled = new Map<string, number>();
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly watched: Watched[]) {
    this.timer = setInterval(() => this.sample(), SAMPLE_MS);
    this.timer.unref();
  }

  private sum(w: Watched): { rss: number; peak: number } {
    const pids = w.pids();
    const memories = pids.map(processMemory).filter((m): m is ProcessMemory => m !== undefined);
    if (memories.length === 0) return { rss: Number.NaN, peak: Number.NaN };
    const rss = memories.reduce((total, m) => total + m.rss, 0);
    return { rss, peak: memories.length === 1 ? memories[0]!.peak : rss };
  }

  private sample() {
    for (const w of this.watched) {
      const { rss } = this.sum(w);
      if (rss > (this.sampled.get(w.name) ?? 0)) this.sampled.set(w.name, rss);
    }
  }

  /** A new phase: every peak from now on. */
  mark(): void {
    for (const w of this.watched) for (const pid of w.pids()) resetPeak(pid);
    this.sampled.clear();
    this.sample();
  }

  /** Each watched process now, and its peak since the last mark. */
  read(): Record<string, ProcessMemory> {
    this.sample();
    return Object.fromEntries(
      this.watched.map((w) => {
        const { rss, peak } = this.sum(w);
        return [w.name, { rss, peak: Math.max(peak, this.sampled.get(w.name) ?? 0) }];
      }),
    );
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

const commOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
};

/** This process's descendants whose command name starts with `prefix` (the test server: temporal-test-server). */
export const descendantsNamed = (prefix: string) => () => descendants(process.pid).filter((pid) => commOf(pid).startsWith(prefix));

/** One log line: each process's RSS now and its peak since the phase began. */
export const describeMemory = (memories: Record<string, ProcessMemory>) =>
  Object.entries(memories)
    .map(([name, m]) => `${name} ${mib(m.rss)} (peak ${mib(m.peak)})`)
    .join(', ');
