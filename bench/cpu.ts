/**
 * Where a benchmark's CPU goes (Linux /proc): this process's threads by kind — the main JavaScript thread (the API,
 * the activities, Prisma and the benchmark's own HTTP client), the SDK's workflow threads, V8's helper threads
 * (garbage collection, compilation), the SDK core's Rust runtime — and its child processes: the Temporal server,
 * PostgreSQL (every backend), the embedded database. On a 2-core machine a side's throughput is bounded by the CPU
 * its processes need, so CPU per process says what to cut. Elsewhere than Linux it reports nothing.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export const COMPONENTS = ['main thread', 'workflow threads', 'V8 helpers', 'SDK core', 'Temporal server', 'PostgreSQL', 'embedded DB', 'other'] as const;
export type Component = (typeof COMPONENTS)[number];
export type CpuSnapshot = Map<Component, number>;

let ticksPerSecond: number | undefined;
export const msPerTick = () => 1000 / (ticksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100);

/**
 * The fields of a /proc stat line after its "(comm)" (comm may hold spaces and parentheses): `ticks` its own user +
 * system time, `reapedTicks` that of its children that have exited and it has waited for (cutime + cstime) — a
 * PostgreSQL backend's CPU, once its connection closes, is there in the postmaster's line, and nowhere else.
 */
export function statOf(path: string): { comm: string; ppid: number; ticks: number; reapedTicks: number } | undefined {
  let line: string;
  try {
    line = readFileSync(path, 'utf8');
  } catch {
    return undefined; // gone meanwhile
  }
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  const rest = line.slice(close + 2).split(' ');
  // rest[0] is field 3 (state): ppid is field 4, utime 14, stime 15, cutime 16, cstime 17.
  return { comm: line.slice(open + 1, close), ppid: Number(rest[1]), ticks: Number(rest[11]) + Number(rest[12]), reapedTicks: Number(rest[13]) + Number(rest[14]) };
}

/** A thread's kind by its name, as Node, V8 and the SDK's core name their threads. */
export type ThreadKind = Extract<Component, 'main thread' | 'workflow threads' | 'V8 helpers' | 'SDK core' | 'other'>;
export function threadKind(comm: string): ThreadKind {
  if (comm === 'MainThread' || comm === 'node') return 'main thread';
  if (comm === 'WorkerThread') return 'workflow threads';
  if (comm.startsWith('V8Worker')) return 'V8 helpers';
  if (comm.startsWith('tokio')) return 'SDK core';
  return 'other';
}

function processKind(pid: number, comm: string): Component {
  if (comm === 'temporal' || comm.startsWith('temporal')) return 'Temporal server';
  if (comm === 'postgres') return 'PostgreSQL';
  let args = '';
  try {
    args = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // gone meanwhile
  }
  return args.includes('embedded-db') ? 'embedded DB' : 'other';
}

/** CPU milliseconds used so far by each component (this process and its descendants). */
export function cpuSnapshot(): CpuSnapshot {
  const totals: CpuSnapshot = new Map(COMPONENTS.map((c) => [c, 0]));
  if (process.platform !== 'linux') return totals;
  const add = (c: Component, ticks: number) => totals.set(c, totals.get(c)! + ticks * msPerTick());
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = statOf(`/proc/self/task/${tid}/stat`);
    if (stat) add(threadKind(stat.comm), stat.ticks);
  }
  const parents = new Map<number, number>();
  const stats = new Map<number, { comm: string; ticks: number; reapedTicks: number }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = statOf(`/proc/${entry}/stat`);
    if (!stat) continue;
    parents.set(Number(entry), stat.ppid);
    stats.set(Number(entry), stat);
  }
  const isDescendant = (pid: number) => {
    for (let p = parents.get(pid); p !== undefined && p > 1; p = parents.get(p)) if (p === process.pid) return true;
    return false;
  };
  // A descendant's own time and its exited children's (a closed connection's backend): each counted once, by the
  // process alive to report it. This process's own exited children (a build, getconf) are not counted.
  for (const [pid, stat] of stats) if (isDescendant(pid)) add(processKind(pid, stat.comm), stat.ticks + stat.reapedTicks);
  return totals;
}

/** What each component used between two snapshots, in CPU milliseconds. */
export function cpuBetween(before: CpuSnapshot, after: CpuSnapshot): CpuSnapshot {
  return new Map(COMPONENTS.map((c) => [c, Math.max(0, after.get(c)! - before.get(c)!)]));
}

/** Adds b into a (accumulating phases). */
export function addCpu(a: CpuSnapshot, b: CpuSnapshot): CpuSnapshot {
  return new Map(COMPONENTS.map((c) => [c, (a.get(c) ?? 0) + (b.get(c) ?? 0)]));
}

export const emptyCpu = (): CpuSnapshot => new Map(COMPONENTS.map((c) => [c, 0]));
