/**
 * What a user runs: the real `npm start` process tree (supervisor → embedded PGlite, Temporal dev server
 * or time-skipping test server, worker, API) on free ports with a private DATA_DIR, and a synthetic
 * calendar (DEFAULT_CALENDAR=TEST, stored with PUT /v1/calendars/TEST once the stack is up) so nothing depends on today's date vs. holiday data.
 * Normal mode: healthy, Web UI up, visible by search attribute, Ctrl-C leaves nothing behind, and the
 * workflow and database survive a restart. Time-skipping mode: the clock stays put until the admin route
 * moves it, then the opportunity expires.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { signToken } from '../domain/auth.js';
import { devJwtSecret } from '../platform/config.js';
import { type Call, call } from './support/app.js';
import {
  freeStackPorts,
  portsStillOpen,
  removeDir,
  sleep,
  type Stack,
  startStack,
  tempDir,
  testCalendarBody,
  within,
  withOutput,
  outputsOf,
} from './support/stack.js';
import { oneAtATime } from './support/one-at-a-time.js';

// It starts process trees of its own: not beside another such file (support/one-at-a-time.ts).
oneAtATime();

const stacks: Stack[] = [];
const dirs: string[] = [];
let vendor: string;
let admin: string;

beforeAll(async () => {
  vendor = await signToken({ sub: 'vendor-user', roles: ['vendor_staff'] }, devJwtSecret);
  admin = await signToken({ sub: 'vendor-admin', roles: ['vendor_admin'] }, devJwtSecret);
});

afterAll(async () => {
  // Whatever a failed test left running: SIGINT, SIGKILL to the whole group after a grace period.
  await Promise.allSettled(stacks.map((s) => s.stop({ graceMs: 10_000 })));
  for (const dir of dirs) removeDir(dir);
}, 30_000);

const partnerToken = (partnerId: string) => signToken({ sub: `${partnerId}-user`, roles: ['partner_admin'], partnerId }, devJwtSecret);
const newPartner = () => `P-${randomUUID().slice(0, 8)}`;
const shareBody = (partnerId: string) => ({ partnerId, customerName: 'ACME Ltd.', title: 'Data-centre migration' });

async function start(opts: { dataDir: string; ports: Stack['ports']; timeSkipping?: boolean }): Promise<Stack> {
  // Calendar warnings every day of the year (default from 11-01), so /healthz answers the same whatever today is.
  const stack = await startStack({ ...opts, readyTimeoutMs: 60_000, extraEnv: { CALENDAR_WARN_FROM: '01-01' } });
  stacks.push(stack);
  // The calendar every partner counts in: stored (a new version on a restart with the same data directory).
  const calendar = await api(stack, 'PUT', '/v1/calendars/TEST', admin, testCalendarBody());
  expect([200, 201], JSON.stringify(calendar.body)).toContain(calendar.status);
  return stack;
}

/** One HTTP call to the stack's API; a request that hangs fails within 20 s (with the output), not at the test timeout. */
const api = (stack: Stack, method: string, path: string, token?: string, body?: unknown): Promise<Call> =>
  within(20_000, `${method} ${path}`, call(stack.base, method, path, token, body));

/** A test timeout skips withOutput's catch: print what the stacks said then. */
function printOutputOnTimeout(onTestFailed: TestContext['onTestFailed'], mine: () => (Stack | undefined)[]) {
  onTestFailed(({ task }) => {
    if (task.result?.errors?.some((e) => /timed out/i.test(e.message ?? ''))) console.error(outputsOf(mine()));
  });
}

async function share(stack: Stack, partnerId: string) {
  const res = await api(stack, 'POST', '/v1/opportunities', vendor, shareBody(partnerId));
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  expect(res.body).toMatchObject({ partnerId, status: 'PENDING_ACCEPTANCE', calendar: 'TEST', zone: 'Asia/Shanghai' });
  return res.body as { id: string; acceptDeadline: string };
}

/** Polls `read` until `done` holds or `timeoutMs` passes; returns the last value either way. */
async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await sleep(everyMs);
  }
}

/** Workflow ids Temporal visibility returns for a query on the dev server. */
async function visible(stack: Stack, query: string): Promise<string[]> {
  const connection = await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` });
  try {
    const client = new Client({ connection, namespace: 'default' });
    return await eventually(
      async () => {
        const ids: string[] = [];
        for await (const wf of client.workflow.list({ query })) ids.push(wf.workflowId);
        return ids;
      },
      (ids) => ids.length > 0,
      10_000,
    );
  } finally {
    await connection.close();
  }
}

/** The monthly incentive schedule as the stack's dev server describes it. */
async function describeSchedule(stack: Stack, scheduleId: string) {
  const connection = await Connection.connect({ address: `127.0.0.1:${stack.ports.temporal}` });
  try {
    return await new Client({ connection, namespace: 'default' }).schedule.getHandle(scheduleId).describe();
  } finally {
    await connection.close();
  }
}

/** SIGINT the supervisor; it must exit 0 and take every port and process of the tree with it. */
async function stopCleanly(stack: Stack, how: { group: boolean }) {
  const { leftovers, ...exit } = await stack.stop({ group: how.group });
  expect(exit, `supervisor exit after SIGINT${how.group ? ' to its process group' : ''}`).toEqual({ code: 0, signal: null });
  expect(stack.output()).toMatch(/^\[start\] stopped$/m);
  expect(leftovers, 'processes of the tree that outlived the supervisor').toEqual([]);
  const { api: http, temporal, ui, db } = stack.ports;
  expect(await portsStillOpen({ api: http, temporal, ui, db }), 'ports still listening after the supervisor exited').toEqual([]);
}

describe('npm start: the real process tree', () => {
  it('normal mode: healthy, Web UI, search attributes, clean Ctrl-C, and state survives a restart', async ({ onTestFailed }) => {
    const dataDir = tempDir('data');
    dirs.push(dataDir);
    const ports = await freeStackPorts();
    let first: Stack | undefined;
    let second: Stack | undefined;
    printOutputOnTimeout(onTestFailed, () => [first, second]);
    first = await start({ dataDir, ports });

    await withOutput(() => [first, second], async () => {
      expect(first.output()).toMatch(/^\[start\] database: applied /m);
      const health = await api(first, 'GET', '/healthz');
      expect(health.status, JSON.stringify(health.body)).toBe(200);
      // Still ok (200) with the operators' warnings: the seeded CN and SA calendars do not cover next year.
      expect(health.body).toEqual({
        status: 'ok',
        temporal: 'ok',
        database: 'ok',
        warnings: [expect.stringMatching(/^Calendar CN has no official \d{4} schedule yet/), expect.stringMatching(/^Calendar SA has no official \d{4} schedule yet/)],
      });

      const ui = await fetch(`http://127.0.0.1:${ports.ui}/`);
      expect(ui.status, 'Temporal Web UI').toBe(200);
      await ui.arrayBuffer();

      // The worker created the monthly incentive schedule and one yearly review schedule per development path at
      // start (and updates them in place at every start).
      expect(await eventually(async () => first!.output(), (out) => /annual-path-review-CONSULTING_SI.*schedule created/.test(out), 30_000)).toMatch(/schedule created/);
      expect((await describeSchedule(first, 'monthly-incentive-generation')).spec.timezone).toBe('Asia/Shanghai');
      expect((await describeSchedule(first, 'annual-path-review-SOFTWARE')).action).toMatchObject({ workflowType: 'scheduledPathReviewCycleWorkflow' });

      // The worker was started with its heap flags (WORKER_NODE_FLAGS): worker/main.ts warns when they are missing.
      expect(first.output()).not.toMatch(/started without --max/);

      const partnerId = newPartner();
      const shared = await share(first, partnerId);
      const workflowId = `opportunity-${shared.id}`;
      expect(await visible(first, `PartnerId="${partnerId}" AND ProcessStatus="PENDING_ACCEPTANCE"`)).toEqual([workflowId]);

      // Only the supervisor gets the signal: it must stop its children itself.
      await stopCleanly(first, { group: false });

      second = await start({ dataDir, ports });
      expect(second.output(), 'the embedded database kept its schema').toMatch(/^\[start\] database: schema up to date$/m);
      expect(await eventually(async () => second!.output(), (out) => /schedule updated/.test(out), 30_000)).toMatch(/schedule updated/);

      const partner = await partnerToken(partnerId);
      const after = await api(second, 'GET', `/v1/opportunities/${shared.id}`, partner);
      expect(after.status, JSON.stringify(after.body)).toBe(200);
      expect(after.body).toMatchObject({ id: shared.id, status: 'PENDING_ACCEPTANCE', acceptDeadline: shared.acceptDeadline });

      const accepted = await api(second, 'POST', `/v1/opportunities/${shared.id}/accept`, partner);
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
      expect(accepted.body).toMatchObject({ id: shared.id, status: 'ACCEPTED' });
      expect(await visible(second, `PartnerId="${partnerId}" AND ProcessStatus="ACCEPTED"`)).toEqual([workflowId]);

      // Like Ctrl-C in a terminal: every process of the foreground group gets SIGINT at once.
      await stopCleanly(second, { group: true });
    });
  }, 180_000); // a hang guard: two full starts and stops of the stack, slow on a loaded 2-core machine

  it('time-skipping mode: the clock stays locked until POST /v1/admin/clock/advance, then the opportunity expires', async ({ onTestFailed }) => {
    const dataDir = tempDir('data-ts');
    dirs.push(dataDir);
    let stack: Stack | undefined;
    printOutputOnTimeout(onTestFailed, () => [stack]);
    stack = await start({ dataDir, ports: await freeStackPorts(), timeSkipping: true });

    await withOutput(() => [stack], async () => {
      expect((await api(stack, 'GET', '/healthz')).status).toBe(200);
      const partnerId = newPartner();
      const partner = await partnerToken(partnerId);
      const { id } = await share(stack, partnerId);

      // Unlocked, the test server would jump straight to the deadline timer as soon as nothing runs.
      await sleep(2000);
      const still = await api(stack, 'GET', `/v1/opportunities/${id}`, vendor);
      expect(still.body).toMatchObject({ status: 'PENDING_ACCEPTANCE' });

      const forbidden = await api(stack, 'POST', '/v1/admin/clock/advance', partner, { duration: 'P5D' });
      expect(forbidden.status, JSON.stringify(forbidden.body)).toBe(403);
      const invalid = await api(stack, 'POST', '/v1/admin/clock/advance', vendor, { duration: '5 days' });
      expect(invalid.status, JSON.stringify(invalid.body)).toBe(400);
      expect(invalid.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(invalid.body.errors.map((e: { field: string }) => e.field)).toContain('duration');

      const advanced = await api(stack, 'POST', '/v1/admin/clock/advance', vendor, { duration: 'P5D' });
      expect(advanced.status, JSON.stringify(advanced.body)).toBe(200);
      expect(advanced.body.advancedBy).toBe('P5D');
      expect(Date.parse(advanced.body.now) - Date.parse(advanced.body.from)).toBeGreaterThanOrEqual(5 * 24 * 3600 * 1000);

      // The timer fires on the server; the worker's activity then persists the expiry.
      const expired = await eventually(
        () => api(stack, 'GET', `/v1/opportunities/${id}`, vendor),
        (res) => res.body?.status === 'EXPIRED',
        15_000,
      );
      expect(expired.body).toMatchObject({ status: 'EXPIRED' });
      expect(expired.body.history).toContainEqual(
        expect.objectContaining({ type: 'EXPIRED', toStatus: 'EXPIRED', actor: 'system', reasonCode: 'ACCEPT_DEADLINE_PASSED' }),
      );

      await stopCleanly(stack, { group: false });
    });
  }, 60_000);
});
