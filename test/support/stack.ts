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
import { projectRoot } from '../../scripts/temporal-binaries.js';

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
export async function portsStillOpen(ports: Record<string, number>, graceMs = 2000): Promise<string[]> {
  const deadline = Date.now() + graceMs;
  for (;;) {
    const open: string[] = [];
    for (const [name, port] of Object.entries(ports)) if (await portOpen(port)) open.push(`${name} (${port})`);
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

/** Linux only (empty elsewhere): every live descendant of `pid`, found through /proc. */
export function descendants(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    try {
      // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) out.push(c), walk(c);
  };
  walk(pid);
  return out;
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

/** `pid (command line)`, for messages. */
export function describeProcess(pid: number): string {
  try {
    return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160)})`;
  } catch {
    return String(pid);
  }
}

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
   * SIGINT (to the supervisor alone, or to its whole process group like a terminal's Ctrl-C); SIGKILL
   * to the supervisor and every process of its tree after `graceMs`. Resolves with how the supervisor
   * exited and what it left behind. Idempotent.
   */
  stop: (opts?: { graceMs?: number; group?: boolean }) => Promise<Stopped>;
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
    if (key.startsWith('VITEST') || key.startsWith('TEMPORAL_') || key.startsWith('EMBEDDED_DB_')) delete env[key];
  }
  // Binaries may legitimately come from the environment (scripts/temporal-binaries.ts): keep those.
  for (const key of ['TEMPORAL_CLI', 'TEMPORAL_TEST_SERVER']) if (process.env[key]) env[key] = process.env[key];
  for (const key of ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'AUTH_JWT_SECRET', 'NODE_ENV', 'LOG_LEVEL', 'DB_POOL_SIZE']) delete env[key];
  return {
    ...env,
    PORT: String(opts.ports.api),
    TEMPORAL_PORT: String(opts.ports.temporal),
    TEMPORAL_UI_PORT: String(opts.ports.ui),
    EMBEDDED_DB_PORT: String(opts.ports.db),
    DATA_DIR: opts.dataDir,
    DEFAULT_CALENDAR: 'TEST',
    ...opts.extraEnv,
  };
}

/** Starts the supervisor and resolves once it prints `[start] ready:`; on failure kills it and throws with its output. */
export async function startStack(opts: StackOptions): Promise<Stack> {
  const args = ['--import', 'tsx', path.join(projectRoot, 'scripts', 'start.ts'), ...(opts.timeSkipping ? ['--time-skipping'] : [])];
  // detached: its own process group, so cleanup can reach every descendant even if the supervisor dies.
  const child = spawn(process.execPath, args, { cwd: projectRoot, env: privateEnv(opts), stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const chunks: string[] = [];
  let onOutput: (() => void) | undefined;
  const collect = (stream: string) => (chunk: Buffer) => {
    chunks.push(stream === 'stderr' ? chunk.toString('utf8').replace(/^(?=.)/gm, '[stderr] ') : chunk.toString('utf8'));
    onOutput?.();
  };
  child.stdout!.on('data', collect('stdout'));
  child.stderr!.on('data', collect('stderr'));
  const exited = new Promise<Exit>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const output = () => chunks.join('');
  const tail = (lines = 150) => output().split('\n').slice(-lines).join('\n');

  let stopping: Promise<Stopped> | undefined;
  const stop = ({ graceMs = 20_000, group = false }: { graceMs?: number; group?: boolean } = {}) =>
    (stopping ??= (async () => {
      const pid = child.pid!;
      // The supervisor puts each child in its own process group (scripts/stack.ts), so killing the
      // supervisor's group does not reach them: remember the tree while it is still attached.
      const tree = new Map<number, string>();
      const remember = () => {
        for (const p of descendants(pid)) tree.set(p, describeProcess(p));
      };
      remember();
      const signalAll = (signal: NodeJS.Signals) => {
        remember();
        for (const p of [pid, ...tree.keys()]) {
          try {
            process.kill(-p, signal); // p's process group, if p leads one
          } catch {
            // not a group leader, or gone
          }
          try {
            process.kill(p, signal);
          } catch {
            // gone
          }
        }
      };
      if (child.exitCode === null && child.signalCode === null) {
        if (group) {
          try {
            process.kill(-pid, 'SIGINT'); // what a terminal's Ctrl-C does: the foreground group
          } catch {
            // the group is gone
          }
        } else child.kill('SIGINT');
      }
      const timer = setTimeout(() => signalAll('SIGKILL'), graceMs);
      const exit = await exited;
      clearTimeout(timer);
      // A supervisor that died without stopping its children leaves them to init: give them a moment
      // (a tsx/esbuild helper exits when its parent's pipe closes), then kill whatever is still the
      // same program (never a recycled pid), and report it.
      const same = ([p, described]: [number, string]) => alive(p) && describeProcess(p) === described;
      const deadline = Date.now() + 3000;
      while ([...tree].some(same) && Date.now() < deadline) await sleep(100);
      const leftovers = [...tree].filter(same);
      for (const [p] of leftovers) {
        for (const target of [-p, p]) {
          try {
            process.kill(target, 'SIGKILL');
          } catch {
            // not a group leader, or gone
          }
        }
      }
      return { ...exit, leftovers: leftovers.map(([, described]) => described) };
    })());

  const timeoutMs = opts.readyTimeoutMs ?? 90_000;
  const started = Date.now();
  const ready = await new Promise<boolean | string>((resolve) => {
    const check = () => {
      if (/^\[start\] ready:/m.test(output())) resolve(true);
    };
    onOutput = check;
    check();
    void exited.then((e) => resolve(`exited (code ${e.code}, signal ${e.signal}) before ready`));
    setTimeout(() => resolve(`no "[start] ready:" line within ${timeoutMs} ms`), timeoutMs).unref();
  });
  onOutput = undefined;
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
