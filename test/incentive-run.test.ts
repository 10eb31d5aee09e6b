/**
 * Monthly incentive generation: the run workflow on the time-skipping server (batches, continue-as-new, nothing
 * created twice, failures reported), the admin routes on the real app, and the Temporal Schedule on a real dev
 * server — its spec, and its action at a month boundary in Asia/Shanghai driven through a backfill.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureMonthlyIncentiveSchedule, MONTHLY_SCHEDULE_ID } from '../worker/schedules.js';
import { BusinessCalendar } from '../domain/calendar.js';
import { periodEndedBy, periodOf } from '../domain/period.js';
import type { PrismaClient } from '../platform/db.js';
import { getIncentive, incentiveWorkflowId } from '../workflows/incentive/workflow.js';
import { incentiveRunWorkflow, incentiveRunWorkflowId, monthlyIncentiveGenerationWorkflow } from '../workflows/incentive-run/workflow.js';
import { DeadlineProvisional, IncentivePeriod, PartnerId, ProcessDeadline } from '../workflows/kit/search-attributes.js';
import { call, tokenFor } from './support/app.js';
import { fixedCalendar, ZONE } from './support/calendar.js';
import { insertExpert } from './support/experts.js';
import { useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const partner = (prefix = 'R') => `${prefix}-${randomUUID().slice(0, 8)}`;

const addExpert = (prisma: PrismaClient, partnerId: string, registeredOn?: string) => insertExpert(prisma, partnerId, registeredOn ? { registeredOn } : {});

/** Partners a run of `period` covers right now (the activity's scope, counted independently). */
async function inScope(prisma: PrismaClient, period: string): Promise<number> {
  const last = DateTime.fromISO(`${period}-01`).endOf('month').toISODate();
  const [{ n }] = await prisma.$queryRawUnsafe<[{ n: number }]>(
    'SELECT count(DISTINCT partner_id)::int AS n FROM expert WHERE active AND registered_on <= $1::date',
    last,
  );
  return n;
}

describe('incentive generation run (time-skipping server)', () => {
  const taskQueue = 'incentive-run-test';
  // A calendar without data for any year: generation for such a partner can never succeed.
  const noData = new BusinessCalendar({ name: 'NODATA', zone: ZONE, restWeekdays: [6, 7], years: [1990, 1990], holidays: {}, makeupWorkdays: {} });
  const env = useTestEnv({ taskQueue, api: true, calendarFor: (env) => fixedCalendar((p) => (p.startsWith('NOCAL') ? noData : env.calendar)) });
  let prisma: PrismaClient;
  let period: string;

  beforeAll(async () => {
    period = periodEndedBy(new Date(await env.currentTimeMs()), ZONE);
    prisma = env.prisma;
  });

  const run = (batchSize?: number) =>
    env.client.workflow.execute(incentiveRunWorkflow, {
      workflowId: incentiveRunWorkflowId(period),
      taskQueue,
      args: [{ period, requestedBy: 'test', ...(batchSize ? { batchSize } : {}) }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });

  it('generates every partner in scope in bounded batches, continuing as new, one verification workflow each', async () => {
    const mine = Array.from({ length: 7 }, () => partner());
    for (const p of mine) await addExpert(prisma, p);
    const late = partner();
    await addExpert(prisma, late, DateTime.fromISO(`${period}-01`).plus({ months: 1 }).toISODate()!); // registered after the period
    const total = await inScope(prisma, period);

    const handle = await env.client.workflow.start(incentiveRunWorkflow, {
      workflowId: incentiveRunWorkflowId(period),
      taskQueue,
      args: [{ period, requestedBy: 'test', batchSize: 1 }],
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
    const result = await handle.result();
    expect(result).toEqual({ period, processed: total });
    // one partner per batch, 5 batches per workflow run: it continued as new at least once.
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId);
    await recordHistory(env.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId), 'incentive-run-pipelined');

    const rows = await prisma.incentive.findMany({ where: { period, partnerId: { in: [...mine, late] } } });
    expect(rows.map((r) => r.partnerId).sort()).toEqual([...mine].sort());
    for (const p of mine) {
      const described = await env.client.workflow.getHandle(incentiveWorkflowId(p, period)).describe();
      expect(described.status.name).toBe('RUNNING');
      // Started by the run's activity, not as its children (activities/start-processes.ts): found by period instead.
      expect(described.parentExecution).toBeUndefined();
      expect(described.typedSearchAttributes.get(IncentivePeriod)).toBe(period);
    }
    const progress = await prisma.incentiveRun.findUniqueOrThrow({ where: { period } });
    expect(progress).toMatchObject({ status: 'COMPLETED', partnersTotal: total, partnersDone: total, runId: handle.firstExecutionRunId });

    // Each verification was handed its stored incentive by the run (activities/incentive-run.ts) and adopted it as it
    // is, without an activity of its own: what it answers is the row.
    for (const p of mine) {
      const verification = env.client.workflow.getHandle(incentiveWorkflowId(p, period));
      const snapshot = await verification.query(getIncentive);
      const row = await prisma.incentive.findUniqueOrThrow({ where: { id: `${p}-${period}` }, include: { lines: true } });
      expect(snapshot).toMatchObject({
        status: 'PENDING_VERIFICATION',
        generatedAt: row.generatedAt.toISOString(),
        verificationDeadline: row.verificationDeadline.toISOString(),
        reminderAt: row.reminderAt.toISOString(),
        headcount: row.headcount,
        totalMinor: Number(row.totalMinor),
        seq: 1,
      });
      expect(snapshot.lines.map((l) => l.expertId)).toEqual(row.lines.map((l) => l.expertId));
      const events = (await verification.fetchHistory()).events!;
      const generations = events.filter(
        (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'generateIncentive' || e.markerRecordedEventAttributes?.markerName === 'core_local_activity',
      );
      expect(generations).toEqual([]);
      // Started with the search attributes the workflow would publish (contract.ts generatedSearchAttributes): its first
      // workflow task only arms the deadline's timer.
      const described = await verification.describe();
      expect(described.typedSearchAttributes.get(ProcessDeadline)?.getTime()).toBe(row.verificationDeadline.getTime());
      expect(described.typedSearchAttributes.get(DeadlineProvisional)).toBe(false);
      expect(described.typedSearchAttributes.get(PartnerId)).toBe(p);
      const firstTask = events.findIndex((e) => e.workflowTaskCompletedEventAttributes);
      expect(events[firstTask + 1]?.timerStartedEventAttributes).toBeTruthy();
    }
    await recordHistory(env.client.workflow.getHandle(incentiveWorkflowId(mine[0]!, period)), 'incentive-adopted-from-run');
  });

  it('a second run of the period creates nothing twice and leaves the running verifications alone', async () => {
    const p = partner();
    await addExpert(prisma, p);
    await run();
    const before = await env.client.workflow.getHandle(incentiveWorkflowId(p, period)).describe();
    const runsBefore = (await prisma.incentiveRun.findUniqueOrThrow({ where: { period } })).runs;

    await run(3);
    expect(await prisma.incentive.count({ where: { partnerId: p, period } })).toBe(1);
    expect(await prisma.incentiveEvent.count({ where: { incentiveId: `${p}-${period}`, type: 'GENERATED' } })).toBe(1);
    const after = await env.client.workflow.getHandle(incentiveWorkflowId(p, period)).describe();
    expect(after.runId).toBe(before.runId);
    expect((await prisma.incentiveRun.findUniqueOrThrow({ where: { period } })).runs).toBe(runsBefore + 1);
  });

  it('reports a partner it cannot generate and goes on with the others', async () => {
    const broken = partner('NOCAL');
    const fine = partner();
    await addExpert(prisma, broken);
    await addExpert(prisma, fine);
    await run(50);
    const progress = await prisma.incentiveRun.findUniqueOrThrow({ where: { period } });
    expect(progress.failures).toContainEqual(expect.objectContaining({ partnerId: broken, code: 'CALENDAR_YEAR_NOT_COVERED' }));
    expect(await prisma.incentive.count({ where: { partnerId: broken } })).toBe(0);
    expect(await prisma.incentive.count({ where: { partnerId: fine, period } })).toBe(1);
  });

  it('reports every partner it cannot generate across continue-as-new, the last batch before it too', async () => {
    // One partner a batch, 5 batches a workflow run: of 6 failing partners in a row, one is a run's last batch.
    const broken = Array.from({ length: 6 }, () => partner('NOCAL'));
    for (const p of broken) await addExpert(prisma, p);
    await run(1);
    const progress = await prisma.incentiveRun.findUniqueOrThrow({ where: { period } });
    const failed = (progress.failures as { partnerId: string }[]).map((f) => f.partnerId);
    expect(broken.filter((p) => !failed.includes(p))).toEqual([]);
    expect(progress).toMatchObject({ status: 'COMPLETED', partnersDone: await inScope(prisma, period) });
  });

  it('the schedule action started by hand generates the month that has ended', async () => {
    const now = new Date(await env.currentTimeMs());
    const result = await env.client.workflow.execute(monthlyIncentiveGenerationWorkflow, { workflowId: `manual-${randomUUID()}`, taskQueue });
    expect(result).toMatchObject({ period: periodEndedBy(now, ZONE), outcome: 'RUN' });
  });

  describe('admin routes', () => {
    let adminToken: string;
    const admin = () => adminToken;
    beforeAll(async () => {
      adminToken = await tokenFor(['vendor_admin']);
    });

    it('POST /v1/admin/incentive-runs runs a period and GET shows its progress to completion', async () => {
      const p = partner();
      await addExpert(prisma, p);
      const started = await call(env.base, 'POST', '/v1/admin/incentive-runs', admin(), { period });
      expect(started.status).toBe(202);
      expect(started.headers.get('location')).toBe(`/v1/admin/incentive-runs/${period}`);
      expect(started.body).toMatchObject({ period, workflowId: incentiveRunWorkflowId(period) });
      expect(['STARTING', 'RUNNING', 'COMPLETED']).toContain(started.body.status);

      const done = await eventually(async () => {
        const got = await call(env.base, 'GET', `/v1/admin/incentive-runs/${period}`, admin());
        return got.body.status === 'COMPLETED' ? got : undefined;
      });
      expect(done.status).toBe(200);
      expect(done.body.partners.done).toBe(done.body.partners.total);
      expect(done.body.requestedBy).toBe('vendor-user');
      expect(await prisma.incentive.count({ where: { partnerId: p, period } })).toBe(1);
    });

    it('refuses a future period, a malformed one, and callers without incentive.run', async () => {
      const next = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE }).plus({ months: 1 }).toFormat('yyyy-MM');
      const future = await call(env.base, 'POST', '/v1/admin/incentive-runs', admin(), { period: next });
      expect(future.status).toBe(422);
      expect(future.body.errors).toEqual([expect.objectContaining({ field: 'period' })]);
      const malformed = await call(env.base, 'POST', '/v1/admin/incentive-runs', admin(), { period: '2026-13' });
      expect(malformed.status).toBe(400);
      expect(malformed.body.errors[0].field).toBe('period');
      expect((await call(env.base, 'POST', '/v1/admin/incentive-runs', await tokenFor(['partner_admin'], 'P-1'), { period })).status).toBe(403);
      expect((await call(env.base, 'GET', '/v1/admin/incentive-runs/2001-01', admin())).status).toBe(404);
      expect(await prisma.incentiveRun.count({ where: { period: next } })).toBe(0);
    });
  });
});

describe('monthly schedule (dev server)', () => {
  const taskQueue = 'incentive-schedule-test';
  const env = useTestEnv({ taskQueue, server: 'dev' });
  let client: Client;

  beforeAll(() => {
    client = env.client;
  });

  it('is created once and updated in place at every worker start — two workers starting at once create it once', async () => {
    // On a server that has none yet (under npm run test:cluster the cluster's own workers made it already).
    await client.schedule.getHandle(MONTHLY_SCHEDULE_ID).delete().catch(() => {});
    expect((await Promise.all([ensureMonthlyIncentiveSchedule(client, taskQueue), ensureMonthlyIncentiveSchedule(client, taskQueue)])).sort()).toEqual(['created', 'updated']);
    expect(await ensureMonthlyIncentiveSchedule(client, taskQueue)).toBe('updated');
    const described = await client.schedule.getHandle(MONTHLY_SCHEDULE_ID).describe();
    expect(described.spec.timezone).toBe('Asia/Shanghai');
    expect(described.policies).toMatchObject({ overlap: 'BUFFER_ALL', catchupWindow: 7 * 24 * 3600 * 1000 });
    // Every next action is at 00:00 on the 1st in Shanghai (16:00 UTC the day before).
    expect(described.info.nextActionTimes.length).toBeGreaterThanOrEqual(3);
    for (const next of described.info.nextActionTimes.slice(0, 3)) {
      const local = DateTime.fromJSDate(next, { zone: ZONE });
      expect([local.day, local.hour, local.minute, local.second]).toEqual([1, 0, 0, 0]);
    }
  });

  it('its action at a month boundary in Asia/Shanghai generates the month that has just ended', async () => {
    const p = partner();
    await addExpert(env.prisma, p);
    // The last month start in Shanghai before now; nothing before it (in Shanghai still the last day) fires.
    const boundary = DateTime.now().setZone(ZONE).startOf('month');
    const period = periodOf(boundary.minus({ days: 1 }).toJSDate(), ZONE);
    const handle = client.schedule.getHandle(MONTHLY_SCHEDULE_ID);
    await handle.backfill({ start: boundary.minus({ hours: 15 }).toJSDate(), end: boundary.minus({ minutes: 1 }).toJSDate(), overlap: 'ALLOW_ALL' });
    await handle.backfill({ start: boundary.minus({ minutes: 1 }).toJSDate(), end: boundary.plus({ minutes: 1 }).toJSDate(), overlap: 'ALLOW_ALL' });

    const run = await eventually(async () => {
      try {
        const described = await client.workflow.getHandle(incentiveRunWorkflowId(period)).describe();
        return described.status.name === 'COMPLETED' ? described : undefined;
      } catch {
        return undefined;
      }
    }, 60_000);
    expect(run.parentExecution?.workflowId).toMatch(new RegExp(`^${MONTHLY_SCHEDULE_ID}-`));
    expect(await env.prisma.incentive.count({ where: { partnerId: p, period } })).toBe(1);

    // Exactly one action: the window before the boundary produced none.
    const actions: string[] = [];
    for await (const w of client.workflow.list({ query: `WorkflowType = 'monthlyIncentiveGenerationWorkflow'` })) actions.push(w.workflowId);
    expect(actions).toHaveLength(1);
    const result = await client.workflow.getHandle(actions[0]!).result();
    expect(result).toMatchObject({ period, outcome: 'RUN' });
    await recordHistory(client.workflow.getHandle(actions[0]!), 'incentive-scheduled-generation');
  });
});
