/**
 * The annual path review cycle: on the time-skipping test server with the real activities on a real PostgreSQL, its
 * fan-out (one review per member only, batches with continue-as-new, a second start creates nothing twice); on a dev
 * server, the yearly schedules (one per path, created then updated in place) and a path's action opening its cycle.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError } from '@temporalio/client';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { ensurePathReviewSchedules } from '../worker/schedules.js';
import { developmentPaths } from '../domain/development-paths.js';
import { pathReviewId, pathReviewWorkflowId } from '../workflows/path-review/workflow.js';
import { pathReviewCycleWorkflow } from '../workflows/path-review-cycle/workflow.js';
import { pathReviewCycleWorkflowId } from '../workflows/path-review-cycle/contract.js';
import { PathId, ReviewYear } from '../workflows/kit/search-attributes.js';
import { useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'path-review-cycle-test';
const env = useTestEnv({ taskQueue });
const partner = () => `P-${randomUUID().slice(0, 8)}`;

async function join(partnerId: string, pathId: string, level: string) {
  const at = new Date(await env.currentTimeMs());
  await env.prisma.pathMembership.create({ data: { partnerId, pathId, level, since: at, updatedAt: at } });
}

describe('path review cycle', () => {
  it('starts one review per member only, in batches with continue-as-new; a second start creates nothing twice', async () => {
    const year = 2041; // a cycle year no other test file starts: the same every run
    const members = Array.from({ length: 7 }, () => partner());
    for (const p of members) await join(p, 'SOFTWARE', 'CERTIFIED');
    const outsider = partner();
    await join(outsider, 'CONSULTING_SI', 'MEMBER');
    const workflowId = pathReviewCycleWorkflowId('SOFTWARE', year);
    const args = [{ pathId: 'SOFTWARE', year, requestedBy: 'test', batchSize: 1 }] as const;

    const handle = await env.client.workflow.start(pathReviewCycleWorkflow, { workflowId, taskQueue, args: [...args] });
    const twice = await env.client.workflow.start(pathReviewCycleWorkflow, { workflowId, taskQueue, args: [...args] }).then(() => 'started', (e) => e);
    expect(twice).toBeInstanceOf(WorkflowExecutionAlreadyStartedError);
    const done = await eventually(async () => {
      const row = await env.prisma.pathReviewCycle.findUnique({ where: { pathId_year: { pathId: 'SOFTWARE', year } } });
      return row?.status === 'COMPLETED' ? row : undefined;
    });
    // Other test files may add SOFTWARE members meanwhile: the counts include at least this test's.
    expect(done).toMatchObject({ partnersDone: done.partnersTotal, runs: 1, runId: handle.firstExecutionRunId, windowWorkingDays: 30 });
    expect(done.partnersTotal).toBeGreaterThanOrEqual(members.length);
    expect((await handle.describe()).runId).not.toBe(handle.firstExecutionRunId); // continued as new (1 per batch, 5 per run)
    await recordHistory(env.client.workflow.getHandle(workflowId, handle.firstExecutionRunId), 'path-review-cycle-reviews-started-by-activity');

    const reviewRuns = new Map<string, string>();
    for (const p of members) {
      const reviewId = pathReviewId('SOFTWARE', p, year);
      const described = await env.client.workflow.getHandle(pathReviewWorkflowId(reviewId)).describe();
      // Started by the cycle's activity, not as its children (activities/start-processes.ts): found by path and year.
      expect(described.parentExecution).toBeUndefined();
      expect([described.typedSearchAttributes.get(PathId), described.typedSearchAttributes.get(ReviewYear)]).toEqual(['SOFTWARE', year]);
      reviewRuns.set(p, described.runId);
      const row = await eventually(() => env.prisma.pathReview.findUnique({ where: { id: reviewId } }).then((r) => r ?? undefined));
      expect(row).toMatchObject({ level: 'CERTIFIED', cycleStartedAt: done.startedAt, year });
    }
    // The cycle started its reviews before it completed: none was started for the other path's member (its row
    // could still be on its way; its workflow could not).
    await expect(env.client.workflow.getHandle(pathReviewWorkflowId(pathReviewId('SOFTWARE', outsider, year))).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    expect(await env.prisma.pathReview.count({ where: { partnerId: outsider } })).toBe(0);

    // A second run after the first finished: same start instant, no review started again.
    const again = await env.client.workflow.start(pathReviewCycleWorkflow, { workflowId, taskQueue, args: [{ ...args[0], batchSize: 3 }] });
    await eventually(async () => {
      const row = await env.prisma.pathReviewCycle.findUniqueOrThrow({ where: { pathId_year: { pathId: 'SOFTWARE', year } } });
      return row.runs === 2 && row.status === 'COMPLETED' ? row : undefined;
    });
    expect((await env.prisma.pathReviewCycle.findUniqueOrThrow({ where: { pathId_year: { pathId: 'SOFTWARE', year } } })).startedAt).toEqual(done.startedAt);
    expect(again.firstExecutionRunId).not.toBe(handle.firstExecutionRunId);
    for (const p of members) expect((await env.client.workflow.getHandle(pathReviewWorkflowId(pathReviewId('SOFTWARE', p, year))).describe()).runId).toBe(reviewRuns.get(p));
    expect(await env.prisma.pathReview.count({ where: { year, partnerId: { in: members } } })).toBe(members.length);
    expect(await env.prisma.pathReviewEvent.count({ where: { reviewId: { in: members.map((p) => pathReviewId('SOFTWARE', p, year)) }, type: 'OPENED' } })).toBe(members.length);
  });
});

/** The yearly schedules need a dev server: the time-skipping test server has no schedule API. */
describe('yearly review schedules (on a dev server)', () => {
  const scheduleQueue = 'path-review-schedule-test';
  const dev = useTestEnv({ taskQueue: scheduleQueue, server: 'dev' });

  it('one schedule per path, created once and updated in place; next actions at 00:00 on its review date in Shanghai', async () => {
    const ids = developmentPaths.paths.map((p) => `annual-path-review-${p.id}`);
    // On a server that has none yet (under npm run test:cluster the cluster's own workers made them already).
    for (const id of ids) await dev.client.schedule.getHandle(id).delete().catch(() => {});
    expect(await ensurePathReviewSchedules(dev.client, scheduleQueue)).toEqual(Object.fromEntries(ids.map((id) => [id, 'created'])));
    expect(await ensurePathReviewSchedules(dev.client, scheduleQueue)).toEqual(Object.fromEntries(ids.map((id) => [id, 'updated'])));
    for (const path of developmentPaths.paths) {
      const described = await dev.client.schedule.getHandle(`annual-path-review-${path.id}`).describe();
      expect(described.spec.timezone).toBe('Asia/Shanghai');
      expect(described.policies).toMatchObject({ overlap: 'BUFFER_ALL', catchupWindow: 7 * 24 * 3600 * 1000 });
      const next = described.info.nextActionTimes.slice(0, 2).map((t) => DateTime.fromJSDate(t, { zone: 'Asia/Shanghai' }));
      expect(next.map((t) => [t.month, t.day, t.hour, t.minute])).toEqual([0, 1].map(() => [path.review.month, path.review.day, 0, 0]));
      expect(next[1]!.year - next[0]!.year).toBe(1);
    }
  });

  it("a path's action opens the cycle of its scheduled time's year", async () => {
    const path = developmentPaths.paths.find((p) => p.id === 'SOFTWARE')!;
    // 2021: a year no other test uses. Just before the date in Shanghai nothing fires; across it, one action.
    const at = DateTime.fromObject({ year: 2021, month: path.review.month, day: path.review.day }, { zone: 'Asia/Shanghai' });
    const handle = dev.client.schedule.getHandle(`annual-path-review-${path.id}`);
    await handle.backfill({ start: at.minus({ hours: 20 }).toJSDate(), end: at.minus({ minutes: 1 }).toJSDate(), overlap: 'ALLOW_ALL' });
    await handle.backfill({ start: at.minus({ minutes: 1 }).toJSDate(), end: at.plus({ minutes: 1 }).toJSDate(), overlap: 'ALLOW_ALL' });

    const cycle = await eventually(async () => {
      try {
        const described = await dev.client.workflow.getHandle(pathReviewCycleWorkflowId('SOFTWARE', 2021)).describe();
        return described.status.name === 'COMPLETED' ? described : undefined;
      } catch {
        return undefined;
      }
    }, 60_000);
    expect(cycle.parentExecution?.workflowId).toMatch(/^annual-path-review-SOFTWARE-/);
    const actions: string[] = [];
    for await (const w of dev.client.workflow.list({ query: `WorkflowType = 'scheduledPathReviewCycleWorkflow'` })) actions.push(w.workflowId);
    expect(actions).toHaveLength(1);
    expect(await dev.client.workflow.getHandle(actions[0]!).result()).toMatchObject({ pathId: 'SOFTWARE', year: 2021, outcome: 'RUN' });
    await recordHistory(dev.client.workflow.getHandle(actions[0]!), 'path-review-scheduled-cycle');
    expect(await dev.prisma.pathReviewCycle.findUnique({ where: { pathId_year: { pathId: 'SOFTWARE', year: 2021 } } })).toMatchObject({
      status: 'COMPLETED',
      requestedBy: 'schedule',
    });
  });
});

