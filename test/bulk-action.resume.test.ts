/**
 * A bulk job survives its worker: stopped mid-job and started again, or killed (SIGKILL) and replaced, every item is
 * acted on exactly once (counted in opportunity_event); and an item retried after its update went through (the worker
 * died before settling it) records DONE from the opportunity's history, not the 409 a second update gets.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Child } from '../scripts/stack.js';
import { startWorkerProcess } from './support/worker-child.js';
import { createBulkActionActivities } from '../activities/bulk-action.js';
import { createBulkActionClient } from '../api/bulk-action/client.js';
import type { Principal } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { newPartner, shareMany } from './support/bulk-action.js';
import { useTestEnv } from './support/env.js';
import { startTestWorker } from './support/temporal.js';
import { testDatabaseUrl } from './support/database.js';
import { eventually } from './support/wait.js';

// The opportunities' workflows run on the env's worker; the bulk jobs on a queue of their own, whose worker the test stops.
// A dev server: the time-skipping test server keeps a workflow task on the stopped worker's sticky queue for ever, where
// a real server moves it to the task queue after the sticky timeout.
const env = useTestEnv({ taskQueue: 'bulk-resume-opportunities', server: 'dev', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
const JOBS = 'bulk-resume-jobs';
let vendor: string;
let jobsWorker: Awaited<ReturnType<typeof startTestWorker>> | undefined;

beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});
const children: Child[] = [];
const output: string[] = [];
afterAll(async () => {
  await jobsWorker?.stop();
  for (const child of children) {
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    await child.exited;
  }
});

/** The jobs' worker as its own OS process (test/support/worker-process.ts), to be killed with SIGKILL. */
async function workerProcess(name: string): Promise<Child> {
  return startWorkerProcess({ identity: `bulk-worker-${name}`, databaseUrl: testDatabaseUrl(), temporalAddress: env.temporal.address, taskQueue: JOBS, output, children });
}

const settledCount = (jobId: string) => env.prisma.bulkActionItem.count({ where: { bulkActionId: jobId, outcome: { not: 'PENDING' } } });

describe('a worker stopped mid-job', () => {
  it('resumes where it was when started again: 60 items, each accepted exactly once', async () => {
    const partnerId = newPartner();
    const principal: Principal = { sub: 'sales-1', roles: ['partner_sales'], partnerId };
    const ids = await shareMany(env.api, vendor, partnerId, 60);
    const bulk = createBulkActionClient({ temporal: env.client, prisma: env.prisma, taskQueue: JOBS });

    jobsWorker = await startTestWorker(env.temporal, JOBS, env.calendarFor);
    const { job } = await bulk.submit(principal, { kind: 'opportunity.accept', items: ids.map((opportunityId) => ({ opportunityId })) }, `resume-${partnerId}`);
    await eventually(async () => ((await settledCount(job.id)) >= 10 ? true : undefined));
    await jobsWorker.stop();
    jobsWorker = undefined;

    const atStop = await settledCount(job.id);
    expect(atStop, 'stopped mid-job').toBeLessThan(60);
    // Nobody works on it meanwhile.
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await settledCount(job.id)).toBe(atStop);
    expect((await bulk.get(principal, job.id)).status).toBe('RUNNING');

    jobsWorker = await startTestWorker(env.temporal, JOBS, env.calendarFor);
    const done = await eventually(async () => {
      const view = await bulk.get(principal, job.id);
      return view.status === 'COMPLETED' ? view : undefined;
    }, 90_000);
    expect(done.counts).toEqual({ PENDING: 0, DONE: 60, REFUSED: 0, FAILED: 0 });
    const accepted = await env.prisma.opportunityEvent.groupBy({ by: ['opportunityId'], where: { opportunityId: { in: ids }, type: 'ACCEPTED' }, _count: { _all: true } });
    expect(accepted).toHaveLength(60);
    expect(accepted.every((a) => a._count._all === 1)).toBe(true);
    // One completion message, however often the job was picked up.
    expect(await env.prisma.outbox.count({ where: { topic: 'bulk-action.completed', aggregateId: job.id } })).toBe(1);
    // Items in flight when the worker stopped are retried after their start-to-close timeout (30 s): allow for it.
  }, 120_000);
});

describe('a worker killed mid-job (SIGKILL)', () => {
  it('another worker finishes the job: 40 items, each accepted exactly once', async () => {
    const partnerId = newPartner();
    const principal: Principal = { sub: 'sales-3', roles: ['partner_sales'], partnerId };
    const ids = await shareMany(env.api, vendor, partnerId, 40);
    const bulk = createBulkActionClient({ temporal: env.client, prisma: env.prisma, taskQueue: JOBS });
    const first = await workerProcess('a');
    const { job } = await bulk.submit(principal, { kind: 'opportunity.accept', items: ids.map((opportunityId) => ({ opportunityId })) }, `kill-${partnerId}`);
    await eventually(async () => ((await settledCount(job.id)) >= 5 ? true : undefined));
    first.process.kill('SIGKILL');
    await first.exited;
    expect(await settledCount(job.id), 'killed mid-job').toBeLessThan(40);

    await workerProcess('b');
    // Items the killed worker held are retried after their start-to-close timeout (30 s).
    const done = await eventually(async () => {
      const view = await bulk.get(principal, job.id);
      return view.status === 'COMPLETED' ? view : undefined;
    }, 100_000);
    expect(done.counts).toEqual({ PENDING: 0, DONE: 40, REFUSED: 0, FAILED: 0 });
    const accepted = await env.prisma.opportunityEvent.groupBy({ by: ['opportunityId'], where: { opportunityId: { in: ids }, type: 'ACCEPTED' }, _count: { _all: true } });
    expect(accepted.map((a) => a._count._all)).toEqual(ids.map(() => 1));
  }, 150_000);
});

describe('an item retried after its update went through', () => {
  it('records DONE with the status it reads, where a first attempt would be refused 409', async () => {
    const partnerId = newPartner();
    const principal: Principal = { sub: 'sales-2', roles: ['partner_sales'], partnerId };
    const [id] = await shareMany(env.api, vendor, partnerId, 1);
    // A job that is recorded but never started: the test plays its item activity by hand, attempt by attempt.
    const jobId = crypto.randomUUID();
    await env.prisma.bulkAction.create({ data: { id: jobId, partnerId, kind: 'opportunity.reject', requestedBy: principal.sub, status: 'RUNNING', total: 1, createdAt: new Date() } });
    await env.prisma.bulkActionItem.create({ data: { bulkActionId: jobId, itemIndex: 0, itemId: id!, reasonCode: 'CANNOT_SUPPORT', outcome: 'PENDING' } });
    const activities = createBulkActionActivities({ prisma: env.prisma, temporal: env.client });
    const ref = { jobId, index: 0, kind: 'opportunity.reject' as const, principal };
    const attempt = (n: number) => new MockActivityEnvironment({ attempt: n }).run(activities.actOnBulkItem, ref);
    // The worker died after the update, before the settle: the row is still PENDING when the activity runs again.
    const diedBeforeSettling = () =>
      env.prisma.bulkActionItem.update({ where: { bulkActionId_itemIndex: { bulkActionId: jobId, itemIndex: 0 } }, data: { outcome: 'PENDING', resultStatus: null, problem: undefined, settledAt: null } });

    expect(await attempt(1)).toEqual({ outcome: 'DONE', status: 'REJECTED' });
    // Settled: a later attempt answers the stored result without acting.
    expect(await attempt(2)).toEqual({ outcome: 'DONE', status: 'REJECTED' });
    await diedBeforeSettling();
    // Retried with the same update id: Temporal answers the update that went through (also after the workflow ended).
    expect(await attempt(2)).toEqual({ outcome: 'DONE', status: 'REJECTED' });

    // Where the update id cannot help (another item naming it; a workflow continued as new), the opportunity refuses
    // (opportunity-closed): a retry reads this caller's REJECTED in its history and records DONE; a first attempt is
    // refused exactly as the single route would be.
    const other = { ...ref, jobId: crypto.randomUUID() };
    await env.prisma.bulkAction.create({ data: { id: other.jobId, partnerId, kind: 'opportunity.reject', requestedBy: principal.sub, status: 'RUNNING', total: 2, createdAt: new Date() } });
    await env.prisma.bulkActionItem.createMany({
      data: [0, 1].map((itemIndex) => ({ bulkActionId: other.jobId, itemIndex, itemId: id!, reasonCode: 'CANNOT_SUPPORT', outcome: 'PENDING' })),
    });
    const run = (n: number, index: number) => new MockActivityEnvironment({ attempt: n }).run(activities.actOnBulkItem, { ...other, index });
    expect(await run(2, 0)).toEqual({ outcome: 'DONE', status: 'REJECTED' });
    expect(await run(1, 1)).toMatchObject({ outcome: 'REFUSED', problem: { status: 409, type: 'urn:partnerflow:problem:opportunity-closed', currentStatus: 'REJECTED' } });
    expect(await env.prisma.opportunityEvent.count({ where: { opportunityId: id!, type: 'REJECTED' } })).toBe(1);
  });
});
