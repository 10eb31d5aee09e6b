/**
 * How `npm start` (scripts/start.ts) begins and ends, on the real process tree in time-skipping mode (it starts
 * fastest): a port it would bind that is already in use stops it before anything starts, with one sentence
 * naming the port and who holds it; and however it ends — Ctrl-C, SIGTERM to its group, SIGTERM then SIGKILL
 * while it still stops, SIGKILL at once — no process of its tree outlives it and every port is free again.
 * Its processes are found by the tree while it runs and, afterwards, by the DATA_DIR in their environment.
 */
import { existsSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { signToken } from '../domain/auth.js';
import { devJwtSecret } from '../platform/config.js';
import { startChild, waitForListener } from '../scripts/stack.js';
import {
  descendants,
  describeProcess,
  freeStackPorts,
  processesWithEnv,
  portsStillOpen,
  removeDir,
  runStartToExit,
  type Stack,
  type StackPorts,
  startStack,
  type StopOptions,
  tempDir,
  withOutput,
} from './support/stack.js';
import { oneAtATime } from './support/one-at-a-time.js';

// It starts process trees of its own: not beside another such file (support/one-at-a-time.ts).
oneAtATime();

const stacks: Stack[] = [];
const dirs: string[] = [];

afterAll(async () => {
  await Promise.allSettled(stacks.map((s) => s.stop({ graceMs: 10_000 })));
  for (const dir of dirs) removeDir(dir);
}, 30_000);

/** A plain TCP server of this test process listening on `port`, the way another program would hold it. */
function hold(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer((socket) => socket.destroy());
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve(server));
  });
}

const newDataDir = (prefix: string) => {
  const root = tempDir(prefix);
  dirs.push(root);
  return path.join(root, 'data'); // does not exist until the stack creates it
};

/** The pid among the supervisor's descendants whose command line holds `marker`. */
function pidRunning(tree: number[], marker: RegExp): number {
  const found = tree.filter((p) => marker.test(describeProcess(p)));
  expect(found, `exactly one process of the tree matches ${marker}: ${tree.map(describeProcess).join(', ')}`).toHaveLength(1);
  return found[0]!;
}

describe('npm start checks every port before it starts anything', () => {
  const cases: [keyof StackPorts, string, string][] = [
    ['api', 'API', 'PORT'],
    ['temporal', 'Temporal', 'TEMPORAL_PORT'],
    ['ui', 'Temporal Web UI', 'TEMPORAL_UI_PORT'],
    ['db', 'embedded database', 'EMBEDDED_DB_PORT'],
  ];
  it.each(cases)('the %s port held by another program: exit 1, one sentence naming port and holder, nothing started', async (role, what, variable) => {
    const ports = await freeStackPorts();
    const dataDir = newDataDir('refused');
    const held = await hold(ports[role]);
    try {
      // Dev-server mode: it plans all four ports.
      const result = await runStartToExit({ ports, dataDir });
      expect({ code: result.code, signal: result.signal }, result.output).toEqual({ code: 1, signal: null });
      const lines = result.output.trim().split('\n');
      expect(lines, result.output).toHaveLength(1);
      expect(lines[0]).toMatch(new RegExp(`^\\[start\\] port ${ports[role]} \\(${what}\\) is in use by pid ${process.pid} \\(.*node.*\\) — stop it, or set ${variable}$`));
      expect(existsSync(dataDir), 'the data directory was created').toBe(false);
      expect(processesWithEnv('DATA_DIR', dataDir).map(describeProcess), 'processes started for this stack').toEqual([]);
      const others = Object.fromEntries(Object.entries(ports).filter(([name]) => name !== role));
      expect(await portsStillOpen(others, 0), 'ports some child of the refused start listens on').toEqual([]);
    } finally {
      await new Promise((resolve) => held.close(resolve));
    }
  }, 30_000);
});

describe('a service counts as started only when the child started for it listens', () => {
  // A child that lives but never listens (what a server that lost the race for its port looks like).
  const idle = (name: string, code?: number) =>
    startChild(name, process.execPath, ['-e', code === undefined ? 'setTimeout(() => {}, 30_000)' : `process.exit(${code})`], process.env, () => {});

  it('the port answers from another process: refused, naming that process', async () => {
    const [port] = Object.values(await freeStackPorts()) as [number];
    const held = await hold(port);
    const child = idle('sleeper');
    try {
      await expect(waitForListener(child, port, '127.0.0.1', 5000)).rejects.toThrow(
        new RegExp(`^port ${port} answers, but from ${process.pid} \\(.*\\), not from sleeper \\(pid ${child.process.pid}\\)$`),
      );
    } finally {
      child.process.kill('SIGKILL');
      await new Promise((resolve) => held.close(resolve));
    }
  });

  it('the child dies before it listens: refused, naming the child and its exit code', async () => {
    const [port] = Object.values(await freeStackPorts()) as [number];
    const child = idle('doomed', 3);
    await expect(waitForListener(child, port, '127.0.0.1', 5000)).rejects.toThrow(`doomed exited (code 3) before listening on ${port}`);
  });
});

/** A POST whose body never finishes: the API's orderly stop waits for it (up to its drain limit). */
async function hangingRequest(stack: Stack): Promise<Socket> {
  const token = await signToken({ sub: 'vendor-user', roles: ['vendor_staff'] }, devJwtSecret);
  return new Promise((resolve, reject) => {
    const socket = createConnection({ port: stack.ports.api, host: '127.0.0.1' }, () => {
      socket.write(
        `POST /v1/opportunities HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n` +
          'Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{',
        () => resolve(socket),
      );
    });
    socket.once('error', reject);
  });
}

type Ending = { name: string; stop: StopOptions; exit: { code: number | null; signal: NodeJS.Signals | null }; midStop?: boolean };
const endings: Ending[] = [
  { name: 'Ctrl-C (SIGINT to its process group)', stop: { signal: 'SIGINT', group: true }, exit: { code: 0, signal: null } },
  { name: 'SIGTERM to its process group', stop: { signal: 'SIGTERM', group: true }, exit: { code: 0, signal: null } },
  {
    name: 'SIGTERM to its process group, then SIGKILL 2 s later while it still stops (a process manager)',
    stop: { signal: 'SIGTERM', group: true, killAfterMs: 2000 },
    exit: { code: null, signal: 'SIGKILL' },
    midStop: true,
  },
  { name: 'SIGKILL of the supervisor at once', stop: { signal: 'SIGKILL' }, exit: { code: null, signal: 'SIGKILL' } },
];

describe('npm start leaves no process behind, however it ends', () => {
  it.each(endings)('$name', async ({ name, stop, exit, midStop }) => {
    const dataDir = newDataDir('ending');
    const ports = await freeStackPorts();
    const stack = await startStack({ ports, dataDir, timeSkipping: true, readyTimeoutMs: 60_000 });
    stacks.push(stack);
    let hanging: Socket | undefined;
    await withOutput(() => [stack], async () => {
      const tree = descendants(stack.pid);
      // The API and the worker run from the build (dist/), as production runs them.
      const api = pidRunning(tree, /dist\/api\/main\.js/);
      const temporal = pidRunning(tree, /^\d+ \(\S*temporal-test-server \d+\)$/); // the binary, not its watchdog
      const db = pidRunning(tree, /scripts\/embedded-db\.ts/);
      pidRunning(tree, /dist\/worker\/main\.js/);
      pidRunning(tree, /platform\/parent-watch\.ts/);
      expect(processesWithEnv('DATA_DIR', dataDir), 'the environment scan finds the running stack').toEqual(expect.arrayContaining([api, temporal, db]));

      if (name.startsWith('Ctrl-C')) {
        // A second `npm start` on the same ports: refused, naming the first stack's processes; the first keeps running.
        const second = await runStartToExit({ ports, dataDir: newDataDir('second'), timeSkipping: true });
        expect({ code: second.code, signal: second.signal }, second.output).toEqual({ code: 1, signal: null });
        const by = (pid: number) => `is in use by another partnerflow stack, pid ${pid} \\(.*\\) — stop it, or set`;
        expect(second.output.trim().split('\n'), second.output).toEqual([
          expect.stringMatching(new RegExp(`^\\[start\\] port ${ports.api} \\(API\\) ${by(api)} PORT$`)),
          expect.stringMatching(new RegExp(`^\\[start\\] port ${ports.temporal} \\(Temporal\\) ${by(temporal)} TEMPORAL_PORT$`)),
          expect.stringMatching(new RegExp(`^\\[start\\] port ${ports.db} \\(embedded database\\) ${by(db)} EMBEDDED_DB_PORT$`)),
        ]);
        expect((await fetch(`${stack.base}/healthz`)).status, 'the first stack after the refused second start').toBe(200);
      }
      // The API then drains for up to 10 s, so the SIGKILL 2 s after SIGTERM finds the supervisor still stopping.
      if (midStop) hanging = await hangingRequest(stack);

      const { leftovers, ...how } = await stack.stop({ ...stop, settleMs: 15_000 });
      expect(how, 'how the supervisor ended').toEqual(exit);
      if (midStop) expect(stack.output()).not.toMatch(/^\[start\] stopped$/m);
      expect(leftovers, 'processes of the tree that outlived the supervisor by 15 s').toEqual([]);
      // Out of the tree but not yet gone: a child of a killed child (the worker's bundling process) notices its parent's
      // end by itself, within moments. Anything still there after 5 s is left behind.
      const withDataDir = () => processesWithEnv('DATA_DIR', dataDir).map(describeProcess);
      for (const until = Date.now() + 5_000; withDataDir().length > 0 && Date.now() < until; ) await new Promise((r) => setTimeout(r, 100));
      expect(withDataDir(), 'processes with the stack\'s DATA_DIR 5 s after the stop').toEqual([]);
      const { api: http, temporal: grpc, db: pg } = ports;
      expect(await portsStillOpen({ api: http, temporal: grpc, db: pg }, 2000, dataDir), 'ports still listening').toEqual([]);
    }).finally(() => hanging?.destroy());
  }, 60_000);
});
