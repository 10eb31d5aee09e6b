/**
 * The crash test: kill the worker process mid-process, restart it, the process completes and DB = workflow.
 *
 * A real Temporal dev server (no time skipping), the real worker as its own OS process
 * (test/support/worker-process.ts) on a real PostgreSQL. The worker is SIGKILLed while it is inside the
 * recordTransition activity of an `accept`: the test holds a row lock on the opportunity, so the worker's
 * write is provably blocked in PostgreSQL at the moment of the kill. A second worker process then finishes
 * the process. Temporal retries the lost activity only once its start-to-close timeout (10 s, set by the
 * workflow) has expired: that wait dominates this test's run time.
 * The same for a monthly incentive generation run: the worker is killed inside a batch (inserts held back by a
 * table lock); the batch is retried on the next worker after its heartbeat timeout, and every partner ends up
 * with exactly one incentive and one verification workflow.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import protos from '@temporalio/proto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { createPrisma, type PrismaClient } from '../platform/db.js';
import type { Child } from '../scripts/stack.js';
import { startWorkerProcess } from './support/worker-child.js';
import { monthBounds } from '../domain/incentive-rules.js';
import { periodEndedBy } from '../domain/period.js';
import { incentiveWorkflowId } from '../workflows/incentive/workflow.js';
import { incentiveRunWorkflow, incentiveRunWorkflowId } from '../workflows/incentive-run/workflow.js';
import { accept, close, getState, opportunityWorkflow, postUpdate, share } from '../workflows/opportunity/workflow.js';
import { testDatabaseUrl } from './support/database.js';
import { insertExpert } from './support/experts.js';
import { devServerEnv } from './support/temporal.js';
import { waitFor } from './support/wait.js';
import { oneAtATime } from './support/one-at-a-time.js';

// It starts process trees of its own: not beside another such file (support/one-at-a-time.ts).
oneAtATime();

const { PendingActivityState, TimeoutType } = protos.temporal.api.enums.v1;

const taskQueue = `crash-test-${randomUUID().slice(0, 8)}`;
const ACTIVITY_START_TO_CLOSE_MS = 10_000; // workflows/opportunity/workflow.ts

let env: TestWorkflowEnvironment | undefined;
let prisma: PrismaClient | undefined;
let lockClient: pg.Client | undefined;
let monitor: pg.Client | undefined;
const children: Child[] = [];
const output: string[] = [];

beforeAll(async () => {
  env = await devServerEnv();
  prisma = createPrisma(testDatabaseUrl());
  monitor = new pg.Client({ connectionString: testDatabaseUrl() });
  await monitor.connect();
});

afterAll(async () => {
  // Each step on its own: one failing must not leave the others' processes behind.
  const steps: Array<() => Promise<unknown>> = [
    async () => lockClient?.end(),
    ...children.map((child) => async () => {
      if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
      await child.exited;
    }),
    async () => monitor?.end(),
    async () => prisma?.$disconnect(),
    async () => env?.teardown(),
  ];
  const failures: unknown[] = [];
  for (const step of steps) await step().catch((error: unknown) => failures.push(error));
  if (failures.length) throw new AggregateError(failures, 'crash test cleanup failed');
});

/** Worker `name` as its own OS process; its database sessions carry application_name `crash-worker-<name>`. */
async function startWorker(name: string, queue = taskQueue): Promise<Child> {
  const identity = `crash-worker-${name}`;
  const databaseUrl = new URL(testDatabaseUrl());
  databaseUrl.searchParams.set('application_name', identity);
  return startWorkerProcess({ identity, databaseUrl: databaseUrl.toString(), temporalAddress: env!.address, taskQueue: queue, output, children });
}

async function dbState(opportunityId: string) {
  const row = await prisma!.opportunity.findUniqueOrThrow({ where: { id: opportunityId }, include: { events: { orderBy: { seq: 'asc' } } } });
  return { status: row.status, lastSeq: row.lastSeq, events: row.events.map((e) => e.type), seqs: row.events.map((e) => e.seq) };
}

/** Database sessions of one worker, and whether each is blocked by the given backend. */
async function sessionsOf(identity: string, blockerPid?: number) {
  const { rows } = await monitor!.query<{ pid: number; blocked: boolean; query: string }>(
    `SELECT pid, coalesce($2::int = ANY(pg_blocking_pids(pid)), false) AS blocked, query
     FROM pg_stat_activity WHERE application_name = $1`,
    [identity, blockerPid ?? null],
  );
  return rows;
}

const refusalType = (error: unknown) =>
  error instanceof WorkflowUpdateFailedError ? (error.cause as { type?: string } | undefined)?.type : `not a refusal: ${String(error)}`;

async function shareOne(partnerId: string) {
  const opportunityId = randomUUID();
  const workflowId = `opportunity-${opportunityId}`;
  const snapshot = await env!.client.workflow.executeUpdateWithStart(share, {
    startWorkflowOperation: new WithStartWorkflowOperation(opportunityWorkflow, {
      workflowId,
      taskQueue,
      args: [{ opportunityId, partnerId, customerName: 'ACME', title: 'Cloud migration', sharedBy: 'vendor-1' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return { opportunityId, snapshot, handle: env!.client.workflow.getHandle<typeof opportunityWorkflow>(workflowId) };
}

/** The started events of every attempt of `activity` that completed, with the attempt and who ran it. */
async function activityRuns(handle: WorkflowHandle, activity: string) {
  const events = (await handle.fetchHistory()).events ?? [];
  const byId = new Map(events.map((e) => [Number(e.eventId), e]));
  return events
    .filter((e) => e.activityTaskStartedEventAttributes)
    .map((e) => {
      const started = e.activityTaskStartedEventAttributes!;
      const scheduled = byId.get(Number(started.scheduledEventId))?.activityTaskScheduledEventAttributes;
      return { activity: scheduled?.activityType?.name, attempt: started.attempt, identity: started.identity, lastTimeout: started.lastFailure?.timeoutFailureInfo?.timeoutType };
    })
    .filter((run) => run.activity === activity);
}

describe('crash', () => {
  it('kill the worker process mid-process, restart it: the process completes and DB = workflow', async () => {
    onTestFailed(() => console.log(`worker output:\n${output.join('\n')}`));
    const partnerId = `P-${randomUUID().slice(0, 8)}`;
    const actor = { sub: 'partner-user', partnerId };

    // 1. Worker A runs and shares an opportunity.
    const workerA = await startWorker('a');
    const { opportunityId, snapshot, handle } = await shareOne(partnerId);
    expect(snapshot).toMatchObject({ status: 'PENDING_ACCEPTANCE', seq: 1 });
    expect(await dbState(opportunityId)).toMatchObject({ status: 'PENDING_ACCEPTANCE', events: ['SHARED'], lastSeq: 1 });

    // 2. Hold the opportunity row, then accept: worker A's write blocks on the lock (the event insert's FK check).
    lockClient = new pg.Client({ connectionString: testDatabaseUrl() });
    await lockClient.connect();
    const lockPid = (await lockClient.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await lockClient.query('BEGIN');
    const locked = await lockClient.query('SELECT id FROM opportunity WHERE id = $1 FOR UPDATE', [opportunityId]);
    expect(locked.rowCount).toBe(1);

    const acceptStarted = Date.now();
    // Not awaited: it completes only once another worker has finished what A was doing.
    const accepted = handle.executeUpdate(accept, { args: [{ actor }] }).then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    const blocked = await waitFor(
      "worker A's recordTransition blocked on the row lock",
      async () => (await sessionsOf('crash-worker-a', lockPid)).find((s) => s.blocked),
      20_000,
    );
    expect(blocked.query).toMatch(/INSERT INTO .*opportunity_event/i);
    const pending = (await handle.describe()).raw.pendingActivities ?? [];
    expect(pending).toHaveLength(1);
    expect(pending[0]).toMatchObject({
      activityType: { name: 'recordTransition' },
      state: PendingActivityState.PENDING_ACTIVITY_STATE_STARTED,
      attempt: 1,
      lastWorkerIdentity: 'crash-worker-a',
    });

    // 3. SIGKILL worker A mid-write. Its statement is still queued in PostgreSQL behind the lock, and a single statement
    //    commits by itself: end A's sessions as PostgreSQL does once it notices the dead connection (a TCP keepalive,
    //    client_connection_check_interval), then release the lock. Nothing of A's write is committed.
    workerA.process.kill('SIGKILL');
    await workerA.exited;
    expect(workerA.process.signalCode).toBe('SIGKILL');
    await monitor!.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'crash-worker-a'`);
    await lockClient.query('ROLLBACK');
    await waitFor("worker A's database sessions to end", async () => (await sessionsOf('crash-worker-a')).length === 0, 15_000);
    expect(await dbState(opportunityId)).toMatchObject({ status: 'PENDING_ACCEPTANCE', events: ['SHARED'], lastSeq: 1 });

    // 4. Worker B starts. The workflow already decided (history is durable): it answers ACCEPTED at once,
    //    while the database catches up when Temporal retries the lost activity on B.
    await startWorker('b');
    expect(await handle.query(getState)).toMatchObject({ status: 'ACCEPTED', seq: 2 });

    // 5. The accept completes through B, after the lost attempt's start-to-close timeout.
    const outcome = await accepted;
    if ('error' in outcome) throw outcome.error;
    expect(outcome.value).toMatchObject({ status: 'ACCEPTED', seq: 2 });
    expect(Date.now() - acceptStarted).toBeGreaterThanOrEqual(ACTIVITY_START_TO_CLOSE_MS);
    expect(await dbState(opportunityId)).toMatchObject({ status: 'ACCEPTED', events: ['SHARED', 'ACCEPTED'], lastSeq: 2 });
    expect(await activityRuns(handle, 'recordTransition')).toEqual([
      { activity: 'recordTransition', attempt: 2, identity: 'crash-worker-b', lastTimeout: TimeoutType.TIMEOUT_TYPE_START_TO_CLOSE },
    ]);
    // A client retrying its accept after the crash is refused: it is accepted already, once.
    const retry = await handle.executeUpdate(accept, { args: [{ actor }] }).catch((error: unknown) => error);
    expect(refusalType(retry)).toBe('NOT_PENDING_ACCEPTANCE');

    // 6. The process goes on to the end on worker B.
    expect(await handle.executeUpdate(postUpdate, { args: [{ actor, stage: 'PROPOSAL', note: 'proposal sent' }] })).toMatchObject({
      status: 'ACCEPTED',
      seq: 3,
    });
    expect(await handle.executeUpdate(close, { args: [{ actor, outcome: 'WON', note: 'signed' }] })).toMatchObject({ status: 'WON', seq: 4 });
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'WON', seq: 4 });

    // 7. DB = workflow: same status, events 1..n without gaps or duplicates, one ACCEPTED, last_seq = n.
    const db = await dbState(opportunityId);
    expect(db.status).toBe(result.status);
    expect(db.seqs).toEqual([1, 2, 3, 4]);
    expect(db.events).toEqual(['SHARED', 'ACCEPTED', 'UPDATE_POSTED', 'CLOSED']);
    expect(db.events.filter((e) => e === 'ACCEPTED')).toHaveLength(1);
    expect(db.lastSeq).toBe(result.seq);
    expect((await handle.describe()).searchAttributes).toMatchObject({ PartnerId: [partnerId], ProcessStatus: ['WON'] });
    // Every later transition ran once, on B.
    expect((await activityRuns(handle, 'recordTransition')).map((r) => [r.attempt, r.identity])).toEqual([
      [2, 'crash-worker-b'],
      [1, 'crash-worker-b'],
      [1, 'crash-worker-b'],
    ]);
  }, 120_000);

  it('kill the worker mid-batch of a generation run, restart it: every partner generated once, one verification each', async () => {
    onTestFailed(() => console.log(`worker output:\n${output.join('\n')}`));
    const queue = `${taskQueue}-run`;
    const period = periodEndedBy(new Date(), 'Asia/Shanghai');
    const mine = Array.from({ length: 5 }, () => `P-crash-${randomUUID().slice(0, 8)}`);
    for (const partnerId of mine) await insertExpert(prisma!, partnerId);

    // 1. No incentive can be inserted while the test holds the table: worker A's batch blocks mid-way.
    const workerA = await startWorker('run-a', queue);
    const tableLock = new pg.Client({ connectionString: testDatabaseUrl() });
    await tableLock.connect();
    const lockPid = (await tableLock.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]!.pid;
    await tableLock.query('BEGIN');
    await tableLock.query('LOCK TABLE incentive IN SHARE ROW EXCLUSIVE MODE');
    const handle = await env!.client.workflow.start(incentiveRunWorkflow, {
      workflowId: incentiveRunWorkflowId(period),
      taskQueue: queue,
      args: [{ period, requestedBy: 'crash-test' }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    const blocked = await waitFor(
      "worker A's batch blocked on the incentive table",
      async () => (await sessionsOf('crash-worker-run-a', lockPid)).find((s) => s.blocked),
      30_000,
    );
    expect(blocked.query).toMatch(/INSERT INTO .*incentive/i);

    // 2. SIGKILL A mid-batch; its open transaction dies with it. Then let inserts through again.
    workerA.process.kill('SIGKILL');
    await workerA.exited;
    await tableLock.query('ROLLBACK');
    await tableLock.end();
    await waitFor("worker A's database sessions to end", async () => (await sessionsOf('crash-worker-run-a')).length === 0, 15_000);

    // 3. Worker B: the lost batch is retried once its heartbeat times out, and the run completes.
    await startWorker('run-b', queue);
    const result = await handle.result();
    const inScope = await prisma!.$queryRawUnsafe<[{ n: number }]>(
      'SELECT count(DISTINCT partner_id)::int AS n FROM expert WHERE active AND registered_on <= $1::date',
      monthBounds(period).last,
    );
    expect(result.processed).toBeGreaterThanOrEqual(mine.length);
    expect(result.processed).toBe(inScope[0].n);

    const batches = await activityRuns(env!.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), 'generateIncentiveBatch');
    expect(batches[0]).toEqual({
      activity: 'generateIncentiveBatch',
      attempt: 2,
      identity: 'crash-worker-run-b',
      lastTimeout: TimeoutType.TIMEOUT_TYPE_HEARTBEAT,
    });
    // Exactly once each: one incentive, one GENERATED event, one running verification workflow.
    for (const partnerId of mine) {
      expect(await prisma!.incentive.count({ where: { partnerId, period } })).toBe(1);
      expect(await prisma!.incentiveEvent.count({ where: { incentiveId: `${partnerId}-${period}`, type: 'GENERATED' } })).toBe(1);
      const verification = await env!.client.workflow.getHandle(incentiveWorkflowId(partnerId, period)).describe();
      expect(verification.status.name).toBe('RUNNING');
    }
  }, 120_000);
});
