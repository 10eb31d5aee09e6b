/**
 * The real `npm start` process tree for end-to-end tests: `node --import tsx scripts/start.ts` (not via
 * npm, so the test owns the supervisor's pid) with a private environment — free ports, a temp DATA_DIR,
 * DEFAULT_CALENDAR=TEST (the test stores it with testCalendarBody()) — and its whole output captured for failure messages.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';
import { descendants, describeProcess, listenerPids } from '../../scripts/stack.js';
import { projectRoot } from '../../scripts/temporal-binaries.js';

export { descendants, describeProcess };

export type StackPorts = { api: number; temporal: number; ui: number; db: number };
export type Exit = { code: number | null; signal: NodeJS.Signals | null };
/** How the supervisor exited, and the processes of its tree that outlived it (killed by stop()). */
export type Stopped = Exit & { leftovers: string[] };

/** Distinct free TCP ports: all held open at once so the OS cannot hand out the same one twice. */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) {
      servers.push(await new Promise<Server>((resolve, reject) => {
        const server = createServer();
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve(server));
      }));
    }
    return servers.map((s) => (s.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  }
}

export async function freeStackPorts(): Promise<StackPorts> {
  const [api, temporal, ui, db] = (await freePorts(4)) as [number, number, number, number];
  return { api, temporal, ui, db };
}

export function portOpen(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host }, () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
  });
}

/** The ports among `ports` still accepting connections after up to `graceMs`. */
export async function portsStillOpen(ports: Record<string, number>, graceMs = 2000, dataDir?: string): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  // Test files run two at a time: a port the stack freed may already serve another file's server. With the stack's
  // DATA_DIR given, a listener identified as a process without it is not the stack's; an unidentified one still counts.
  const stacks = (port: number) => {
    if (dataDir === undefined) return true;
    const pids = listenerPids(port);
    return pids.length === 0 || pids.some((pid) => processesWithEnv('DATA_DIR', dataDir).includes(pid));
  };
  for (;;) {
    const open: string[] = [];
    for (const [name, port] of Object.entries(ports)) if ((await portOpen(port)) && stacks(port)) open.push(`${name} (${port})`);
    if (open.length === 0 || Date.now() > deadline) return open;
    await sleep(200);
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(tmpdir(), `partnerflow-${prefix}-`));
}

/**
 * The synthetic calendar `TEST` (Asia/Shanghai, Sat/Sun rest days, no holidays, a wide year range), as the body
 * of `PUT /v1/calendars/TEST`: the stack counts every partner in it (DEFAULT_CALENDAR=TEST) once it is stored.
 */
export function testCalendarBody() {
  const year = DateTime.now().setZone('Asia/Shanghai').year;
  return { zone: 'Asia/Shanghai', restWeekdays: [6, 7], years: { first: year - 1, last: year + 30 }, holidays: [], makeupWorkdays: [] };
}

export function removeDir(dir: string | undefined): void {
  if (dir) rmSync(dir, { recursive: true, force: true });
}

/** Alive and not a zombie (a zombie holds no resources; init reaps it once its parent is gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    // no /proc (not Linux) or the process is gone
  }
  try {
    process.kill(pid, 0);
    return process.platform !== 'linux';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux only: the live processes whose environment holds `name=value` (a stack's DATA_DIR: every process it started). */
export function processesWithEnv(name: string, value: string): number[] {
  const wanted = `${name}=${value}`;
  return readdirSync('/proc')
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .filter((pid) => {
      try {
        return alive(pid) && readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').includes(wanted);
      } catch {
        return false; // gone, or another user's
      }
    });
}

export type StopOptions = {
  /** What ends the supervisor (SIGINT unless said otherwise). */
  signal?: NodeJS.Signals;
  /** To the supervisor's whole process group (a terminal's Ctrl-C, a process manager) instead of its pid alone. */
  group?: boolean;
  /** Then SIGKILL to the supervisor's process group this long after `signal`, as process managers do. */
  killAfterMs?: number;
  /** A hung stop's last resort: SIGKILL to every process of the tree after this long. */
  graceMs?: number;
  /** How long the processes of the tree may take to end after the supervisor did before they count as left over. */
  settleMs?: number;
};

export type Stack = {
  process: ChildProcess;
  pid: number;
  ports: StackPorts;
  base: string;
  exited: Promise<Exit>;
  /** How long `npm start` took to print its ready line. */
  readyAfterMs: number;
  /** Everything the supervisor printed (its children's lines come prefixed through it). */
  output: () => string;
  /** The last `lines` lines of output, for assertion messages. */
  tail: (lines?: number) => string;
  /**
   * Ends the supervisor as `opts` say (SIGINT to it alone by default) and resolves with how it exited and
   * which processes of its tree (remembered while it was alive) outlived it by `settleMs` — those are then
   * killed. Idempotent.
   */
  stop: (opts?: StopOptions) => Promise<Stopped>;
};

export type StackOptions = {
  ports: StackPorts;
  dataDir: string;
  timeSkipping?: boolean;
  readyTimeoutMs?: number;
  extraEnv?: Record<string, string>;
};

/** The environment a user's shell would give `npm start`, minus anything that points elsewhere. */
function privateEnv(opts: StackOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) {
    if (key.startsWith('VITEST') || key.startsWith('TEMPORAL_') || key.startsWith('EMBEDDED_DB_') || key.startsWith('PARTNERFLOW_')) delete env[key];
  }
  // Binaries may legitimately come from the environment (scripts/temporal-binaries.ts): keep those.
  for (const key of ['TEMPORAL_CLI', 'TEMPORAL_TEST_SERVER']) if (process.env[key]) env[key] = process.env[key];
  for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'AUTH_JWT_SECRET', 'NODE_ENV', 'LOG_LEVEL', 'DB_POOL_SIZE', 'HOST', 'CALENDAR_WARN_FROM']) delete env[key];
  return {
    ...env,
    PORT: String(opts.ports.api),
    TEMPORAL_PORT: String(opts.ports.temporal),
    TEMPORAL_UI_PORT: String(opts.ports.ui),
    EMBEDDED_DB_PORT: String(opts.ports.db),
    DATA_DIR: opts.dataDir,
    DEFAULT_CALENDAR: 'TEST',
    // The run's global setup built it once (support/global-setup.ts): stacks started side by side must not build at once.
    START_BUILD: '0',
    ...opts.extraEnv,
  };
}

type Supervisor = { child: ChildProcess; exited: Promise<Exit>; closed: Promise<Exit>; output: () => string; onOutput: (listener?: () => void) => void };

/** `node --import tsx scripts/start.ts` in its own process group, its whole output captured. */
function spawnSupervisor(opts: StackOptions): Supervisor {
  const args = ['--import', 'tsx', path.join(projectRoot, 'scripts', 'start.ts'), ...(opts.timeSkipping ? ['--time-skipping'] : [])];
  // detached: its own process group, so cleanup can reach every descendant even if the supervisor dies.
  const child = spawn(process.execPath, args, { cwd: projectRoot, env: privateEnv(opts), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const chunks: string[] = [];
  let listener: (() => void) | undefined;
  const collect = (stream: string) => (chunk: Buffer) => {
    chunks.push(stream === 'stderr' ? chunk.toString('utf8').replace(/^(?=.)/gm, '[stderr] ') : chunk.toString('utf8'));
    listener?.();
  };
  child.stdout!.on('data', collect('stdout'));
  child.stderr!.on('data', collect('stderr'));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  // Once its output pipes closed too: all it printed has arrived.
  const closed = new Promise<Exit>((resolve) => child.once('close', (code, signal) => resolve({ code, signal })));
  return { child, exited, closed, output: () => chunks.join(''), onOutput: (l) => (listener = l) };
}

/** Runs `npm start` expecting it to end by itself (a refused start): its exit and output, or an error after `timeoutMs`. */
export async function runStartToExit(opts: StackOptions, timeoutMs = 30_000): Promise<Exit & { output: string }> {
  const { child, closed, output } = spawnSupervisor(opts);
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const exit = await closed;
  clearTimeout(timer);
  return { ...exit, output: output() };
}

const signal = (target: number, sig: NodeJS.Signals) => {
  try {
    process.kill(target, sig);
  } catch {
    // gone (or not a group leader)
  }
};

/** Starts the supervisor and resolves once it prints `[start] ready:`; on failure kills it and throws with its output. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const { child, exited, output, onOutput } = spawnSupervisor(opts);
  const tail = (lines = 150) => output().split('\n').slice(-lines).join('\n');

  let stopping: Promise<Stopped> | undefined;
  const stop = ({ signal: how = 'SIGINT', group = false, killAfterMs, graceMs = 20_000, settleMs = 3000 }: StopOptions = {}) =>
    (stopping ??= (async () => {
      const pid = child.pid!;
      // The supervisor puts each child in its own process group (scripts/stack.ts), so signals to the
      // supervisor's group do not reach them: remember the tree while it is still attached.
      const tree = new Map<number, string>();
      const remember = () => {
        for (const p of descendants(pid)) tree.set(p, describeProcess(p));
      };
      remember();
      const killTree = () => {
        remember();
        for (const p of [pid, ...tree.keys()]) signal(-p, 'SIGKILL'), signal(p, 'SIGKILL');
      };
      const running = child.exitCode === null && child.signalCode === null;
      if (running) signal(group ? -pid : pid, how);
      const managerKill = running && killAfterMs !== undefined ? setTimeout(() => signal(-pid, 'SIGKILL'), killAfterMs) : undefined;
      const lastResort = setTimeout(killTree, graceMs);
      const exit = await exited;
      clearTimeout(managerKill);
      clearTimeout(lastResort);
      // A supervisor that did not stop its children leaves them to init: they must notice and end by
      // themselves (platform/parent-watch.ts) within `settleMs`. Whatever is still the same program (never
      // a recycled pid) after that is reported, and killed.
      const same = ([p, described]: [number, string]) => alive(p) && describeProcess(p) === described;
      const deadline = Date.now() + settleMs;
      while ([...tree].some(same) && Date.now() < deadline) await sleep(100);
      const leftovers = [...tree].filter(same);
      for (const [p] of leftovers) signal(-p, 'SIGKILL'), signal(p, 'SIGKILL');
      return { ...exit, leftovers: leftovers.map(([, described]) => described) };
    })());

  const timeoutMs = opts.readyTimeoutMs ?? 90_000;
  const started = Date.now();
  const ready = await new Promise<boolean | string>((resolve) => {
    const check = () => {
      if (/^\[start\] ready:/m.test(output())) resolve(true);
    };
    onOutput(check);
    check();
    void exited.then((e) => resolve(`exited (code ${e.code}, signal ${e.signal}) before ready`));
    setTimeout(() => resolve(`no "[start] ready:" line within ${timeoutMs} ms`), timeoutMs).unref();
  });
  onOutput(undefined);
  if (ready !== true) {
    await stop({ graceMs: 5000 });
    throw new Error(`npm start ${opts.timeSkipping ? '--time-skipping ' : ''}did not become ready: ${ready}\n--- supervisor output ---\n${tail(300)}`);
  }
  const base = `http://127.0.0.1:${opts.ports.api}`;
  return { process: child, pid: child.pid!, ports: opts.ports, base, exited, readyAfterMs: Date.now() - started, output, tail, stop };
}

/** `work`, or an error naming `what` after `ms`: a hung request fails the test with the stack's output, not a bare timeout. */
export function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export function outputsOf(stacks: (Stack | undefined)[]): string {
  return stacks
    .filter((s): s is Stack => s !== undefined)
    .map((s, i) => `--- supervisor ${i + 1} (pid ${s.pid}) output ---\n${s.tail(200)}`)
    .join('\n');
}

/** Appends the supervisors' output to whatever `work` throws, so a CI failure shows what the stack said. */
export async function withOutput<T>(stacks: () => (Stack | undefined)[], work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    const outputs = outputsOf(stacks());
    if (error instanceof Error && outputs) error.message += `\n${outputs}`;
    throw error;
  }
}
