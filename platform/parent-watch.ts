/**
 * A child of `npm start` dies with the supervisor, however the supervisor ends — also by SIGKILL, which it
 * cannot handle. The supervisor (scripts/stack.ts) hands every child one end of a pipe on fd 3 and names it
 * in PARTNERFLOW_PARENT_FD; the kernel closes the other end when the supervisor dies, whatever killed it.
 *
 * - A Node child follows its parent by importing this module (`import './parent-watch.js'`, the
 *   first import of scripts/embedded-db.ts, worker/main.ts and api/main.ts): when the pipe closes it sends
 *   itself SIGTERM, so its own orderly shutdown runs, and exits anyway after FORCED_EXIT_MS.
 * - A binary that cannot be changed (the Temporal CLI and test server) runs under this file as a watchdog,
 *   `node --import tsx platform/parent-watch.ts <binary> [args…]`: it holds the pipe, forwards SIGINT/SIGTERM,
 *   SIGTERMs the binary when the pipe closes (SIGKILL after FORCED_EXIT_MS) and exits with the binary's code.
 *   The binary stays in the watchdog's process group, so a SIGKILL to that group reaches both.
 * Without PARTNERFLOW_PARENT_FD (a process started by hand, `npm run api`) importing this does nothing.
 */
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { constants } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const PARENT_FD_ENV = 'PARTNERFLOW_PARENT_FD';
/** The fd the supervisor passes the pipe on: the first one after stdin, stdout and stderr. */
export const PARENT_FD = 3;
// With the supervisor gone nobody orders the stop any more (the database and Temporal go at the same time), so a
// child does not wait for what cannot finish: a worker still bundling its workflows, a request still draining.
// 5 s is ample for the embedded database's flush on close.
const FORCED_EXIT_MS = 5_000;

/**
 * Calls `onParentGone` once, when the supervisor's end of the pipe closes. False (and nothing watched) when
 * this process was not given a pipe. The pipe never keeps this process alive.
 */
export function watchParent(onParentGone: () => void): boolean {
  const fd = Number(process.env[PARENT_FD_ENV]);
  if (!Number.isInteger(fd) || fd < PARENT_FD) return false;
  // This process's own children get their own pipe or none: this one names our parent, not theirs.
  delete process.env[PARENT_FD_ENV];
  let pipe: Socket;
  try {
    pipe = new Socket({ fd, readable: true, writable: false });
  } catch {
    return false; // the variable was inherited without the fd
  }
  pipe.on('data', () => {}); // nothing is ever written: reading is how the end of the pipe shows
  pipe.on('error', () => {}); // 'close' follows
  pipe.once('close', onParentGone);
  pipe.unref();
  return true;
}

/**
 * stdout and stderr are pipes the dead supervisor read: writing to them now fails (EPIPE), and an unhandled
 * stream error would end this process before its orderly shutdown (the embedded database's flush) ran.
 */
function ignoreOutputErrors(): void {
  for (const stream of [process.stdout, process.stderr]) stream.on('error', () => {});
}

function forcedExitAfter(ms: number, code: number, beforeExit: () => void = () => {}): void {
  setTimeout(() => {
    beforeExit();
    process.exit(code);
  }, ms).unref();
}

/** Node children: the parent is gone, so stop the way SIGTERM stops this process. */
function followParent(): void {
  watchParent(() => {
    ignoreOutputErrors();
    forcedExitAfter(FORCED_EXIT_MS, 1);
    process.kill(process.pid, 'SIGTERM');
  });
}

/** The watchdog around a binary that cannot watch its parent itself. */
function runWatchdog([command, ...args]: string[]): void {
  if (!command) {
    process.stderr.write('usage: node --import tsx platform/parent-watch.ts <command> [args…]\n');
    process.exit(2);
  }
  const child = spawn(command, args, { stdio: 'inherit' });
  const kill = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => kill(signal));
  watchParent(() => {
    ignoreOutputErrors();
    kill('SIGTERM');
    forcedExitAfter(FORCED_EXIT_MS, 1, () => kill('SIGKILL'));
  });
  child.once('error', (error) => {
    process.stderr.write(`parent-watch: cannot run ${command}: ${error.message}\n`);
    process.exit(127);
  });
  child.once('exit', (code, signal) => process.exit(code ?? 128 + (signal ? constants.signals[signal] : 0)));
}

const runAsScript = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (runAsScript) runWatchdog(process.argv.slice(2));
else followParent();
