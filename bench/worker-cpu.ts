/**
 * Where a worker process's CPU goes (Linux /proc), by thread kind as bench/cpu.ts names this process's own: the main
 * JavaScript thread (the activities, Prisma), the SDK's workflow threads, V8's helper threads, the SDK core's Rust
 * runtime, and the rest (libuv's pool, and threads that have exited: the process's total less its live threads).
 * bench/cpu.ts counts a child process as a whole ('other'); the incentive run wants its worker's split as it had it
 * when the worker ran in the benchmark's process. Elsewhere than Linux every figure is 0.
 */
import { readdirSync } from 'node:fs';
import { msPerTick, statOf, type ThreadKind, threadKind } from './cpu.js';

export const WORKER_THREADS = ['main thread', 'workflow threads', 'V8 helpers', 'SDK core', 'other'] as const satisfies readonly ThreadKind[];
export type WorkerThread = ThreadKind;
/** CPU milliseconds by thread kind, and the process's total (every thread, exited ones included). */
export type WorkerCpu = { threads: Map<WorkerThread, number>; total: number };

/** CPU milliseconds used so far by process `pid`, by thread kind. */
export function workerCpuSnapshot(pid: number): WorkerCpu {
  const threads = new Map<WorkerThread, number>(WORKER_THREADS.map((kind) => [kind, 0]));
  const whole = process.platform === 'linux' ? statOf(`/proc/${pid}/stat`) : undefined;
  if (!whole) return { threads, total: 0 };
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return { threads, total: 0 }; // gone meanwhile
  }
  let live = 0;
  for (const tid of tids) {
    const stat = statOf(`/proc/${pid}/task/${tid}/stat`);
    if (!stat) continue;
    const kind = threadKind(stat.comm);
    threads.set(kind, threads.get(kind)! + stat.ticks * msPerTick());
    live += stat.ticks;
  }
  // The process's own line counts its exited threads too: theirs go to 'other'.
  threads.set('other', threads.get('other')! + Math.max(0, whole.ticks - live) * msPerTick());
  return { threads, total: whole.ticks * msPerTick() };
}

/** What the process used between two snapshots, in CPU milliseconds. */
export function workerCpuBetween(before: WorkerCpu, after: WorkerCpu): WorkerCpu {
  return {
    threads: new Map(WORKER_THREADS.map((kind) => [kind, Math.max(0, after.threads.get(kind)! - before.threads.get(kind)!)])),
    total: Math.max(0, after.total - before.total),
  };
}
