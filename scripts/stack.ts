/**
 * Starting the pieces of a partnerflow stack as child processes: shared by `npm start` and the tests,
 * so tests run what users run. Every child gets a pipe on fd 3 that closes when this process dies, however
 * it dies; the children watch it (platform/parent-watch.ts) and stop when it closes.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import path from 'node:path';
import { PARENT_FD, PARENT_FD_ENV } from '../platform/parent-watch.js';
import { projectRoot } from './temporal-binaries.js';
import { consoleIsBuilt, consoleIsUpToDate } from './build-console.js';

export type Child = { name: string; process: ChildProcess; exited: Promise<number | null> };

// A parent that exits without stopping its children (an exception) asks them to stop on its way out; one
// that is killed cannot, and its children notice the pipe closing instead.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGTERM');
});

const prefixLines = (name: string, write: (line: string) => void) => {
  let buffer = '';
  return (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\n');
    buffer = lines.pop() ?? '';
    for (const line of lines) if (line.trim()) write(`[${name}] ${line}`);
  };
};

export function startChild(
  name: string,
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  output: (line: string) => void = (line) => process.stdout.write(`${line}\n`),
): Child {
  // Own process group: a terminal's Ctrl-C reaches only the supervisor, which stops children in order.
  const child = spawn(command, args, {
    cwd: projectRoot,
    env: { ...env, [PARENT_FD_ENV]: String(PARENT_FD) },
    stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    detached: true,
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  const parentEnd = child.stdio[PARENT_FD] as Socket | null;
  parentEnd?.on('error', () => {}); // the child's end closes when it exits
  parentEnd?.unref();
  child.stdout!.on('data', prefixLines(name, output));
  child.stderr!.on('data', prefixLines(name, output));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { name, process: child, exited };
}

/** Where `npm run build` (tsconfig.build.json) puts a TypeScript entry point's JavaScript. */
export const builtEntry = (entry: string) => path.join(projectRoot, 'dist', entry.replace(/\.ts$/, '.js'));

/**
 * Builds, incrementally, what the stack runs from the build (tsconfig.build.json: the worker, the API and what they
 * import): about 3 s from nothing, 1 s when nothing changed. Throws with the compiler's output when it fails.
 *
 * `typeErrors: 'warn'` (the test run's setup): type errors only are reported, not thrown, when the compiler still
 * wrote every entry point — `npm test` type-checks the whole project before vitest starts, so they cannot pass
 * unnoticed there, and one file's unfinished types no longer stop the tests of every other file in a working tree.
 */
export function buildEntries({ typeErrors = 'throw' }: { typeErrors?: 'throw' | 'warn' } = {}): void {
  const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(projectRoot, 'tsconfig.build.json')], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
  } catch (error) {
    const { stdout, stderr } = error as { stdout?: string; stderr?: string };
    const output = [stdout, stderr].filter(Boolean).join('\n').trim();
    const onlyTypeErrors = output !== '' && output.split('\n').every((line) => !line.trim() || /error TS\d+:/.test(line) || /^\s/.test(line));
    const written = BUILT_ENTRIES.every((entry) => existsSync(builtEntry(entry)));
    if (typeErrors === 'warn' && onlyTypeErrors && written) {
      console.warn(`the build has type errors (the run continues; npm test stops on them):\n${output}`);
      return;
    }
    throw new Error(`the build failed (npm run build):\n${output}`);
  }
  // The console the API serves at /console (docs/console.md): checked in this process, built in a child only when
  // stale, since building it loads the whole API to write the OpenAPI document. Under 'warn', a console that no
  // longer builds (its types against a changed API) is reported and the previous bundle kept, like type errors above.
  if (!consoleIsUpToDate()) {
    const script = path.join(projectRoot, 'scripts', 'build-console.ts');
    try {
      execFileSync(process.execPath, ['--import', 'tsx', script], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'pipe'], encoding: 'utf8' });
    } catch (error) {
      const output = String((error as { stderr?: string }).stderr ?? '').trim();
      if (typeErrors === 'warn' && consoleIsBuilt()) console.warn(`the console does not build (the previous bundle is served; npm run build stops on it):\n${output}`);
      else throw new Error(`the console build failed (npm run build):\n${output}`);
    }
  }
}

/** The entry points tsconfig.build.json builds. */
const BUILT_ENTRIES = ['worker/main.ts', 'api/main.ts', 'bench/worker-process.ts'];

/**
 * A built entry point (buildEntries) run by Node without a loader, as production runs it: tsx's loader and its
 * transformed sources cost a process about 50 MiB (the worker: 197 MiB before it connects under tsx, 149 built).
 */
export function startBuiltChild(name: string, entry: string, env: NodeJS.ProcessEnv, output?: (line: string) => void, args: string[] = []): Child {
  return startChild(name, process.execPath, ['--enable-source-maps', builtEntry(entry), ...args], env, output);
}

/** A TypeScript entry point run by Node with tsx's loader (no build step: the tools, the tests, the benchmarks). */
export function startTsChild(name: string, entry: string, env: NodeJS.ProcessEnv, output?: (line: string) => void, args: string[] = []): Child {
  return startChild(name, process.execPath, ['--import', 'tsx', path.join(projectRoot, entry), ...args], env, output);
}

/** A binary that cannot watch the pipe itself, run under platform/parent-watch.ts as its watchdog. */
export function startWatchedBinary(name: string, command: string, args: string[], env: NodeJS.ProcessEnv, output?: (line: string) => void): Child {
  return startTsChild(name, 'platform/parent-watch.ts', env, output, [command, ...args]);
}

export const hasExited = (child: Child) => child.process.exitCode !== null || child.process.signalCode !== null;

/** `signal` to the child's process group (it leads one: detached), which holds a watched binary too. */
function signalGroup(child: Child, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.process.pid!, signal);
  } catch {
    child.process.kill(signal);
  }
}

export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (hasExited(child)) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), graceMs);
  await child.exited;
  clearTimeout(timer);
}

export async function waitForPort(port: number, host = '127.0.0.1', timeoutMs = 60_000, child?: Child): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({ port, host }, () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (child && hasExited(child)) throw new Error(`${child.name} exited (code ${await child.exited}) before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Waits until `child` itself listens on `port`: the port answers, the child is still alive after that, and —
 * where /proc tells — the listening socket belongs to the child or one of its descendants (a watchdog's binary).
 */
export async function waitForListener(child: Child, port: number, host = '127.0.0.1', timeoutMs = 60_000): Promise<void> {
  await waitForPort(port, host, timeoutMs, child);
  const owners = listenerPids(port);
  if (hasExited(child)) throw new Error(`${child.name} exited (code ${await child.exited}) although port ${port} answered`);
  const tree = new Set([child.process.pid!, ...descendants(child.process.pid!)]);
  const foreign = owners.filter((pid) => !tree.has(pid));
  if (foreign.length > 0 && foreign.length === owners.length) {
    throw new Error(`port ${port} answers, but from ${describeProcess(foreign[0]!)}, not from ${child.name} (pid ${child.process.pid})`);
  }
}

/** Whether something already listens on `port` at `host`: this process cannot bind it. */
export function portInUse(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => (error.code === 'EADDRINUSE' ? resolve(true) : reject(error)));
    probe.listen({ port, host, exclusive: true }, () => probe.close(() => resolve(false)));
  });
}

const procEntries = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return []; // not Linux, or the process is gone
  }
};
const pids = () => procEntries('/proc').filter((e) => /^\d+$/.test(e)).map(Number);

/** Linux only (empty elsewhere, or for processes of other users): the pids with a socket listening on TCP `port`. */
export function listenerPids(port: number): number[] {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const row of text.split('\n').slice(1)) {
      // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode; st 0A = LISTEN
      const [, local, , state, , , , , , inode] = row.trim().split(/\s+/);
      if (state === '0A' && local && parseInt(local.split(':')[1] ?? '', 16) === port && inode) inodes.add(`socket:[${inode}]`);
    }
  }
  if (inodes.size === 0) return [];
  return pids().filter((pid) =>
    procEntries(`/proc/${pid}/fd`).some((fd) => {
      try {
        return inodes.has(readlinkSync(`/proc/${pid}/fd/${fd}`));
      } catch {
        return false;
      }
    }),
  );
}

/** Linux only: the parent of `pid` (undefined when gone or not readable). */
function parentOf(pid: number): number | undefined {
  try {
    // "pid (comm) state ppid …": comm may hold spaces and parentheses, so parse after the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  } catch {
    return undefined;
  }
}

/** Linux only: whether `pid`, or the watchdog it runs under, was started by a partnerflow supervisor (startChild). */
export function startedBySupervisor(pid: number): boolean {
  return [pid, parentOf(pid)].some((p) => {
    try {
      return p !== undefined && readFileSync(`/proc/${p}/environ`, 'utf8').split('\0').some((v) => v.startsWith(`${PARENT_FD_ENV}=`));
    } catch {
      return false;
    }
  });
}

/** Linux only (empty elsewhere): every live descendant of `pid`, found through /proc. */
export function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const p of pids()) {
    const ppid = parentOf(p);
    if (ppid !== undefined) children.set(ppid, [...(children.get(ppid) ?? []), p]);
  }
  const out: number[] = [];
  const walk = (p: number) => {
    for (const c of children.get(p) ?? []) out.push(c), walk(c);
  };
  walk(pid);
  return out;
}

/** `pid (command line)`, for messages. */
export function describeProcess(pid: number): string {
  try {
    return `${pid} (${readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 160)})`;
  } catch {
    return String(pid);
  }
}

/**
 * The children of a foreground stack (`npm start`, `npm run cluster`): started in order, stopped in reverse order once
 * however often it is asked (npm forwards Ctrl-C again), and the whole stack stopped when one child ends on its own.
 * `exit: false` (a test harness owning the stack): stopAll resolves instead of ending the process, and no signal
 * handler is installed. `after` runs once every child has stopped.
 */
export function createSupervisor(say: (line: string) => void, { exit = true, after }: { exit?: boolean; after?: () => Promise<void> } = {}) {
  const children: Child[] = [];
  let stopping: Promise<void> | undefined;
  async function stopAll(code: number): Promise<void> {
    stopping ??= (async () => {
      say('stopping…');
      for (const child of [...children].reverse()) await stopChild(child);
      await after?.(); // what is not a child (a throwaway PostgreSQL): after every child that used it
      say('stopped');
    })();
    await stopping;
    if (exit) process.exit(code);
  }
  if (exit) {
    process.on('SIGINT', () => void stopAll(0));
    process.on('SIGTERM', () => void stopAll(0));
  }
  /** Starts a child unless the stack is already stopping, and stops the stack if the child ends on its own. */
  function supervise(start: () => Child): Child {
    if (stopping) throw new Error('the stack is stopping');
    const child = start();
    children.push(child);
    void child.exited.then((code) => {
      if (!stopping && !released.has(child)) {
        say(`${child.name} exited unexpectedly (code ${code}); stopping the stack`);
        void stopAll(1);
      }
    });
    return child;
  }
  /** Children a harness stops or kills on purpose (the chaos harness): their end does not stop the stack. */
  const released = new Set<Child>();
  return { supervise, stopAll, isStopping: () => stopping !== undefined, release: (child: Child) => released.add(child), children };
}
