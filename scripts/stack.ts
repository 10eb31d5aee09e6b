/**
 * Starting the pieces of a partnerflow stack as child processes: shared by `npm start` and the tests,
 * so tests run what users run.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import path from 'node:path';
import { projectRoot } from './temporal-binaries.js';

export type Child = { name: string; process: ChildProcess; exited: Promise<number | null> };

// Detached children outlive a parent that dies without stopping them: kill whatever is left on exit.
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) child.kill('SIGKILL');
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
  const child = spawn(command, args, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.stdout!.on('data', prefixLines(name, output));
  child.stderr!.on('data', prefixLines(name, output));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : null))));
  return { name, process: child, exited };
}

/** A TypeScript entry point run by Node with tsx's loader (no build step in development). */
export function startTsChild(name: string, entry: string, env: NodeJS.ProcessEnv, output?: (line: string) => void): Child {
  return startChild(name, process.execPath, ['--import', 'tsx', path.join(projectRoot, entry)], env, output);
}

export async function stopChild(child: Child, graceMs = 10_000): Promise<void> {
  if (child.process.exitCode !== null || child.process.signalCode !== null) return;
  child.process.kill('SIGTERM');
  const timer = setTimeout(() => child.process.kill('SIGKILL'), graceMs);
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
    if (child && child.process.exitCode !== null) throw new Error(`${child.name} exited (code ${child.process.exitCode}) before listening on ${port}`);
    if (Date.now() > deadline) throw new Error(`nothing listened on ${host}:${port} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}
