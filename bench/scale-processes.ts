/**
 * The scale section's processes (bench/scale.ts): the database the measured worker persists to, and that worker as
 * a process of its own (bench/worker-process.ts), started with the worker's heap flags as production must start it.
 * The incentive run (bench/incentive-run.ts) starts its worker the same way.
 */
import { migrate } from '../platform/db.js';
import { buildEntries, listenerPids, startBuiltChild, stopChild } from '../scripts/stack.js';
import { startTestPostgres } from '../scripts/postgres.js';
import { WORKER_NODE_FLAGS } from '../worker/worker.js';
import { startEmbeddedDatabase } from './embedded.js';
import type { Teardown } from './lib.js';
import type { ScaleOptions } from './options.js';
import { descendantsNamed } from './scale-memory.js';
import { until } from './scale-server.js';

/** Worker log lines passed on to the benchmark's log; the rest are only counted. */
const WORKER_LOG_LINES = 20;

/** The database the worker persists to, migrated, and the pids whose memory is its. */
export async function startDatabase(kind: ScaleOptions['database'], teardown: Teardown, log: (line: string) => void) {
  if (kind === 'embedded') {
    const url = await startEmbeddedDatabase(teardown, log);
    const port = Number(new URL(url).port);
    const pids = listenerPids(port);
    return { url, pids: () => pids };
  }
  const postgres = await startTestPostgres();
  teardown.add('stop PostgreSQL (scale)', () => postgres.stop());
  await migrate(postgres.url);
  return { url: postgres.url, pids: descendantsNamed('postgres') };
}

/** What another section than scale sets for its worker process: its name in the log, and environment over the rest. */
export type WorkerProcessExtras = {
  /** The section's name, prefixing the log lines (default: scale). */
  name?: string;
  /** Variables over those set here, e.g. DB_POOL_SIZE (worker-process.ts reads it) or TEMPORAL_NAMESPACE. */
  env?: NodeJS.ProcessEnv;
};

/** bench/worker-process.ts as a child process, ready; its log lines kept (a few passed on) and its failure noticed. */
export async function startWorkerProcess(
  databaseUrl: string,
  address: string,
  taskQueue: string,
  { workerOptions, workerNodeOptions }: Pick<ScaleOptions, 'workerOptions' | 'workerNodeOptions'>,
  teardown: Teardown,
  log: (line: string) => void,
  { name = 'scale', env = {} }: WorkerProcessExtras = {},
) {
  const lines: string[] = [];
  let shown = 0;
  let more = 0;
  // As the worker must be started (WORKER_NODE_FLAGS, platform/config.ts), unless the knob says otherwise.
  const nodeOptions = workerNodeOptions === undefined ? WORKER_NODE_FLAGS.join(' ') : workerNodeOptions === 'none' ? '' : workerNodeOptions;
  // Built, as production runs the worker (scripts/stack.ts startBuiltChild: tsx's loader would add ~50 MiB).
  buildEntries();
  const child = startBuiltChild(
    `${name} worker`,
    'bench/worker-process.ts',
    {
      ...process.env,
      DATABASE_URL: databaseUrl,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_TASK_QUEUE: taskQueue,
      BENCH_SCALE_WORKER_OPTIONS: workerOptions ?? '',
      NODE_OPTIONS: nodeOptions,
      ...env,
    },
    (raw) => {
      // Core's log lines come with terminal colours; the test server's missing capability is known and harmless here.
      const line = raw.replace(/\u001b\[[0-9;]*m/g, '');
      if (line.includes('activity_failure_include_heartbeat')) return;
      lines.push(line);
      if (line.includes('worker memory') || line.includes('worker ready')) return;
      if (shown++ < WORKER_LOG_LINES) log(line);
      else more++;
    },
  );
  teardown.add(`stop the ${name} worker process`, () => stopChild(child));
  const failed = () => {
    if (child.process.exitCode !== null || child.process.signalCode !== null) throw new Error(`the worker process exited (${child.process.exitCode ?? child.process.signalCode}): ${lines.slice(-5).join(' | ')}`);
  };
  log(`${name}: starting the worker process (it builds its workflow bundle)…`);
  let ready: string | undefined;
  await until('the worker process to be ready', () => (failed(), (ready = lines.find((l) => l.includes('worker ready'))) !== undefined), 180_000, log, () => 'not ready', undefined, 100);
  return {
    pid: child.process.pid!,
    nodeOptions,
    failed,
    resolvedOptions: ready!.slice(ready!.indexOf('{')),
    /** Asks the worker for its process.memoryUsage() (SIGUSR2) and waits up to 5 s for the answer. */
    async heap() {
      const before = lines.length;
      child.process.kill('SIGUSR2');
      const deadline = Date.now() + 5_000;
      while (Date.now() < deadline) {
        const line = lines.slice(before).find((l) => l.includes('worker memory'));
        if (line) return JSON.parse(line.slice(line.indexOf('{'))) as { heapUsed: number; external: number; arrayBuffers: number };
        await new Promise((r) => setTimeout(r, 50));
      }
      return undefined;
    },
    logLines: () => ({ shown: lines.filter((l) => !l.includes('worker memory') && !l.includes('worker ready')).slice(0, WORKER_LOG_LINES), more }),
  };
}
