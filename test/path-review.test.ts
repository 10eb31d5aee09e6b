/**
 * The annual development-path review on the time-skipping test server, with the real activities on a real
 * PostgreSQL: apply refused listing every unmet requirement, then met; materials, submit, PASS (kept or raised),
 * FAIL (downgraded or removed), LAPSED at exactly the window's end, window reminders, the supplement round (answered,
 * timed out), and the cycle's fan-out (only members, batches with continue-as-new, a second start creates nothing).
 */
import { randomUUID } from 'node:crypto';
import { type WorkflowHandle, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensurePathReviewSchedules } from '../worker/schedules.js';
import type { BusinessCalendar } from '../domain/calendar.js';
import { developmentPaths } from '../domain/development-paths.js';
import type { PrismaClient } from '../platform/db.js';
import {
  type Actor,
  apply,
  decide,
  getPathReview,
  pathReviewId,
  pathReviewWorkflow,
  pathReviewWorkflowId,
  setMaterial,
  submit,
  supplement,
} from '../workflows/path-review/workflow.js';
import { pathReviewCycleWorkflow } from '../workflows/path-review-cycle/workflow.js';
import { pathReviewCycleWorkflowId } from '../workflows/path-review/contract.js';
import { PathId, ReviewYear } from '../workflows/kit/search-attributes.js';
import { fixedCalendar, testCalendar } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { devServerEnv, startTestWorker, timeSkippingEnv } from './support/temporal.js';
import { advanceClockTo, eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'path-review-workflow-test';
let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let stopWorker: () => Promise<void>;
let calendar: BusinessCalendar;

beforeAll(async () => {
  env = await timeSkippingEnv();
  calendar = testCalendar(await env.currentTimeMs());
  ({ prisma, stop: stopWorker } = await startTestWorker(env, taskQueue, fixedCalendar(() => calendar)));
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const vendor: Actor = { sub: 'vendor-1' };
const YEAR = 2027;
const partner = () => `P-${randomUUID().slice(0, 8)}`;
const day = (s: string) => new Date(`${s}T00:00:00Z`);

async function join(partnerId: string, pathId: string, level: string) {
  const at = new Date(await env.currentTimeMs());
  await prisma.pathMembership.create({ data: { partnerId, pathId, level, since: at, updatedAt: at } });
}

/** An ACTIVE certificate (valid 2020–2099) and the approved application it came from, straight through Prisma. */
async function insertCertificate(partnerId: string, type: 'ADVANCED_CLOUD_SOFTWARE' | 'ROLE_CONSULTING') {
  const id = randomUUID();
  const at = new Date();
  const category = type === 'ROLE_CONSULTING' ? 'ROLE' : 'ADVANCED_CLOUD_SOFTWARE';
  const solutionName = type === 'ROLE_CONSULTING' ? null : `Solution ${id.slice(0, 4)}`;
  await prisma.certificationApplication.create({
    data: { id, partnerId, type, category, appliesTo: solutionName ? 'SOLUTION' : 'PARTNER', solutionName, status: 'APPROVED', terms: {}, createdBy: 'seed', createdAt: at, lastSeq: 1, updatedAt: at },
  });
  await prisma.certificate.create({
    data: { number: `PF-T-${id}`, applicationId: id, partnerId, type, category, labels: [], scope: solutionName ?? 'partner', validFrom: day('2020-01-01'), validTo: day('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
}

/** Everything the level needs: SOFTWARE ADVANCED (2 software certificates, 3 CLOUD_PROFESSIONAL experts) or CONSULTING_SI MEMBER. */
async function qualify(partnerId: string, pathId: 'SOFTWARE' | 'CONSULTING_SI') {
  for (const employeeId of ['E1', 'E2', 'E3']) await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId }));
  if (pathId === 'SOFTWARE') for (let i = 0; i < 2; i++) await insertCertificate(partnerId, 'ADVANCED_CLOUD_SOFTWARE');
  else await insertCertificate(partnerId, 'ROLE_CONSULTING');
}

/** A member's review, started directly (as the cycle would) and opened. */
async function startReview(pathId: string, level: string, partnerId = partner(), join_ = true) {
  if (join_) await join(partnerId, pathId, level);
  const cycleStartedAt = new Date(await env.currentTimeMs()).toISOString();
  const reviewId = pathReviewId(pathId, partnerId, YEAR);
  const handle = await env.client.workflow.start(pathReviewWorkflow, {
    workflowId: pathReviewWorkflowId(reviewId),
    taskQueue,
    args: [{ pathId, partnerId, year: YEAR, level, cycleStartedAt }],
  });
  const snapshot = await eventually(async () => {
    const s = await handle.query(getPathReview);
    return s.openedAt ? s : undefined;
  });
  return { handle, snapshot, reviewId, partnerId, cycleStartedAt, actor: { sub: 'partner-user', partnerId } as Actor };
}

/** Uploads a material row for the review (as the API will) and sets it as `kind`. */
async function attach(handle: WorkflowHandle, reviewId: string, actor: Actor, kind: string) {
  const id = randomUUID();
  const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
  const row = await prisma.material.create({
    data: { id, ownerKind: 'path-review', ownerId: reviewId, partnerId: actor.partnerId!, fileName: `${kind}.pdf`, contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
  });
  const material = { materialId: id, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
  return handle.executeUpdate(setMaterial, { args: [{ actor, kind, material }] });
}

/** A qualified member's review, applied, with its materials, submitted. */
async function submitted(pathId: 'SOFTWARE' | 'CONSULTING_SI', level: string) {
  const started = await startReview(pathId, level);
  await qualify(started.partnerId, pathId);
  await started.handle.executeUpdate(apply, { args: [{ actor: started.actor }] });
  for (const kind of started.snapshot.terms!.materials) await attach(started.handle, started.reviewId, started.actor, kind);
  const snapshot = await started.handle.executeUpdate(submit, { args: [{ actor: started.actor }] });
  return { ...started, snapshot };
}

/**
 * The workflow's final snapshot once it has completed. Not handle.result(): awaiting a result lets the time-skipping
 * server skip ahead on its own, to the timers of every open review (decades, past the test calendar's years).
 */
async function finished(handle: WorkflowHandle<typeof pathReviewWorkflow>) {
  await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
  return handle.query(getPathReview);
}

const advanceTo = (target: number) => advanceClockTo(env, target);

const refusal = (error: unknown) => {
  const cause = error instanceof WorkflowUpdateFailedError ? (error.cause as { type?: string; message?: string; details?: unknown[] } | undefined) : undefined;
  return cause ? { type: cause.type, message: cause.message ?? '', details: cause.details } : { type: `not a refusal: ${String(error)}`, message: '', details: undefined };
};
const refused = (promise: Promise<unknown>) => promise.then(() => ({ type: 'accepted', message: '', details: undefined }), refusal);

const events = async (reviewId: string) => (await prisma.pathReviewEvent.findMany({ where: { reviewId }, orderBy: { seq: 'asc' } })).map((e) => e.type);
const changes = (reviewId: string) => prisma.pathMembershipChange.findMany({ where: { reviewId } });
const membership = (partnerId: string, pathId: string) => prisma.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId } } });


describe('path review workflow', () => {
  it('refuses apply listing every unmet requirement, then applies once they are met; materials, submit, PASS raising the level', async () => {
    const { handle, reviewId, partnerId, actor, snapshot, cycleStartedAt } = await startReview('SOFTWARE', 'CERTIFIED');
    expect(snapshot).toMatchObject({ status: 'OPEN', seq: 1, terms: { materials: ['ANNUAL_REPORT'], levels: ['CERTIFIED', 'ADVANCED'], levelAfterFailure: null } });
    expect(snapshot.windowEndsAt).toBe(calendar.addWorkingDays(new Date(cycleStartedAt), 30).deadline.toISOString());

    const error = await refused(handle.executeUpdate(apply, { args: [{ actor }] }));
    expect(error.type).toBe('REQUIREMENTS_UNMET');
    expect(error.details).toEqual([
      [
        { description: 'at least 1 active ADVANCED_CLOUD_SOFTWARE certificate', required: 1, actual: 0 },
        { description: 'at least 2 full-time experts registered', required: 2, actual: 0 },
      ],
    ]);
    expect(error.message).toMatch(/ADVANCED_CLOUD_SOFTWARE certificate \(required 1, actual 0\); at least 2 full-time experts registered \(required 2, actual 0\)/);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'OPEN', seq: 1 });

    await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: 'E1' }));
    await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: 'E2' }));
    expect((await refused(handle.executeUpdate(apply, { args: [{ actor }] }))).details).toEqual([
      [{ description: 'at least 1 active ADVANCED_CLOUD_SOFTWARE certificate', required: 1, actual: 0 }],
    ]);
    expect((await refused(handle.executeUpdate(apply, { args: [{ actor: { sub: 'x', partnerId: partner() } }] }))).type).toBe('PATH_REVIEW_NOT_FOUND');
    await insertCertificate(partnerId, 'ADVANCED_CLOUD_SOFTWARE');
    const applied = await handle.executeUpdate(apply, { args: [{ actor }] });
    expect(applied).toMatchObject({ status: 'APPLIED', seq: 2 });
    expect(applied.requirements!.every((r) => r.met)).toBe(true);

    expect(await refused(handle.executeUpdate(submit, { args: [{ actor }] }))).toMatchObject({ type: 'MATERIALS_MISSING', message: 'Materials missing: ANNUAL_REPORT.', details: [{ missing: ['ANNUAL_REPORT'] }] });
    expect((await refused(attach(handle, reviewId, actor, 'BROCHURE'))).type).toBe('INVALID_REQUEST');
    await attach(handle, reviewId, actor, 'ANNUAL_REPORT');
    expect(await handle.executeUpdate(submit, { args: [{ actor }] })).toMatchObject({ status: 'SUBMITTED', seq: 4 });

    expect((await refused(handle.executeUpdate(decide, { args: [{ actor, decision: 'PASS' }] }))).type).toBe('VENDOR_ONLY');
    expect((await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'PLATINUM' }] }))).type).toBe('LEVEL_NOT_ALLOWED');
    const passed = await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'ADVANCED', note: 'strong year' }] });
    expect(passed).toMatchObject({ status: 'PASSED', decision: 'PASS', newLevel: 'ADVANCED', seq: 5 });
    expect((await finished(handle)).status).toBe('PASSED');

    expect(await events(reviewId)).toEqual(['OPENED', 'APPLIED', 'MATERIAL_SET', 'SUBMITTED', 'PASSED']);
    expect(await prisma.pathReview.findUniqueOrThrow({ where: { id: reviewId } })).toMatchObject({ status: 'PASSED', decision: 'PASS', newLevel: 'ADVANCED', lastSeq: 5 });
    expect(await prisma.pathReviewMaterial.count({ where: { reviewId } })).toBe(1);
    expect(await membership(partnerId, 'SOFTWARE')).toMatchObject({ level: 'ADVANCED' });
    expect(await changes(reviewId)).toEqual([expect.objectContaining({ fromLevel: 'CERTIFIED', toLevel: 'ADVANCED', reason: 'REVIEW_PASSED', actor: 'vendor-1' })]);
    await recordHistory(handle, 'path-review-passed');
  });

  it('PASS keeping the level records the outcome on the review and changes no membership; a lower level is refused', async () => {
    const { handle, reviewId, partnerId } = await submitted('SOFTWARE', 'ADVANCED');
    expect((await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'CERTIFIED' }] }))).type).toBe('LEVEL_NOT_ALLOWED');
    expect(await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS' }] })).toMatchObject({ status: 'PASSED', newLevel: 'ADVANCED' });
    await finished(handle);
    expect(await prisma.pathReview.findUniqueOrThrow({ where: { id: reviewId } })).toMatchObject({ status: 'PASSED', newLevel: 'ADVANCED' });
    expect(await changes(reviewId)).toEqual([]);
    expect(await membership(partnerId, 'SOFTWARE')).toMatchObject({ level: 'ADVANCED' });
  });

  it('FAIL needs a note and lowers the level per the path rule: SOFTWARE ADVANCED → CERTIFIED, CONSULTING_SI → removed; one change each', async () => {
    const software = await submitted('SOFTWARE', 'ADVANCED');
    expect((await refused(software.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'FAIL' }] }))).type).toBe('INVALID_REQUEST');
    expect(await software.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'FAIL', note: 'cases too thin' }] })).toMatchObject({ status: 'FAILED', newLevel: 'CERTIFIED', decisionNote: 'cases too thin' });
    await finished(software.handle);
    expect(await membership(software.partnerId, 'SOFTWARE')).toMatchObject({ level: 'CERTIFIED' });
    expect(await changes(software.reviewId)).toEqual([expect.objectContaining({ fromLevel: 'ADVANCED', toLevel: 'CERTIFIED', reason: 'REVIEW_FAILED', note: 'cases too thin' })]);

    const consulting = await submitted('CONSULTING_SI', 'MEMBER');
    expect(await consulting.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'FAIL', note: 'no delivery' }] })).toMatchObject({ status: 'FAILED', newLevel: null });
    await finished(consulting.handle);
    expect(await membership(consulting.partnerId, 'CONSULTING_SI')).toBeNull();
    expect(await changes(consulting.reviewId)).toEqual([expect.objectContaining({ fromLevel: 'MEMBER', toLevel: null, reason: 'REVIEW_FAILED' })]);
  });

  it('reminds 10 and 3 working days before the window closes and lapses at exactly its end, like a failure', async () => {
    const { handle, reviewId, partnerId, actor, snapshot, cycleStartedAt } = await startReview('SOFTWARE', 'ADVANCED');
    const start = new Date(cycleStartedAt);
    const reminderAt = [20, 27].map((n) => calendar.addWorkingDays(start, n).deadline.getTime());
    expect(snapshot.reminders.map((r) => [r.days, Date.parse(r.at)])).toEqual([[10, reminderAt[0]], [3, reminderAt[1]]]);
    const windowEndsAt = Date.parse(snapshot.windowEndsAt!);
    const reminders = () => prisma.outbox.findMany({ where: { topic: 'path-review.window-reminder', aggregateId: reviewId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });

    await advanceTo(reminderAt[0]! - 1000);
    expect(await reminders()).toEqual([]);
    await advanceTo(reminderAt[0]! + 1000);
    await eventually(async () => ((await reminders()).length === 1 ? true : undefined));
    await qualify(partnerId, 'SOFTWARE');
    await handle.executeUpdate(apply, { args: [{ actor }] }); // applied, but never submits
    await advanceTo(reminderAt[1]! + 1000);
    const sent = await eventually(async () => {
      const rows = await reminders();
      return rows.length === 2 ? rows : undefined;
    });
    expect(sent.map((r) => [r.dueAt.getTime(), (r.payload as { daysBefore: number }).daysBefore])).toEqual([[reminderAt[0], 10], [reminderAt[1], 3]]);

    await advanceTo(windowEndsAt - 1000);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'APPLIED' });
    await advanceTo(windowEndsAt);
    const lapsed = await finished(handle);
    expect(lapsed).toMatchObject({ status: 'LAPSED', newLevel: 'CERTIFIED', decidedAt: snapshot.windowEndsAt });
    expect(await events(reviewId)).toEqual(['OPENED', 'APPLIED', 'LAPSED']);
    expect(await membership(partnerId, 'SOFTWARE')).toMatchObject({ level: 'CERTIFIED' });
    expect(await changes(reviewId)).toEqual([expect.objectContaining({ fromLevel: 'ADVANCED', toLevel: 'CERTIFIED', reason: 'REVIEW_LAPSED', actor: 'system' })]);
    expect(await reminders()).toHaveLength(2);
    await recordHistory(handle, 'path-review-lapsed');
  });

  it('waits, visibly, while its window reaches a year the calendar has no data for; opens once the year is added, counting from the cycle start', async () => {
    const partnerId = partner();
    await join(partnerId, 'SOFTWARE', 'CERTIFIED');
    const now = await env.currentTimeMs();
    const thisYear = DateTime.fromMillis(now, { zone: 'Asia/Shanghai' }).year;
    const wide = calendar;
    calendar = testCalendar(now, { years: [thisYear - 1, thisYear] });
    // 30 working days from 20 December reach into next year, which this calendar does not cover.
    const cycleStartedAt = DateTime.fromObject({ year: thisYear, month: 12, day: 20, hour: 9 }, { zone: 'Asia/Shanghai' });
    const reviewId = pathReviewId('SOFTWARE', partnerId, YEAR);
    const handle = await env.client.workflow.start(pathReviewWorkflow, {
      workflowId: pathReviewWorkflowId(reviewId),
      taskQueue,
      args: [{ pathId: 'SOFTWARE', partnerId, year: YEAR, level: 'CERTIFIED', cycleStartedAt: cycleStartedAt.toISO()! }],
    });
    try {
      await eventually(async () => ((await handle.describe()).searchAttributes.ProcessStatus?.[0] === 'WAITING_FOR_CALENDAR' ? true : undefined));
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(await prisma.pathReview.findUnique({ where: { id: reviewId } })).toBeNull();
    } finally {
      calendar = wide; // the operator adds next year
    }
    await advanceTo((await env.currentTimeMs()) + 3_600_000 + 1000);
    const opened = await eventually(async () => {
      const s = await handle.query(getPathReview);
      return s.openedAt ? s : undefined;
    });
    expect(opened.windowEndsAt).toBe(wide.addWorkingDays(cycleStartedAt.toJSDate(), 30).deadline.toISOString());
    expect((await handle.describe()).searchAttributes.ProcessStatus).toEqual(['OPEN']);
    await handle.terminate('done with it');
  });

  it('supplement round: REQUEST_SUPPLEMENT, a replaced material, supplement, PASS; unanswered by the deadline it lapses', async () => {
    const { handle, reviewId, actor } = await submitted('CONSULTING_SI', 'MEMBER');
    expect((await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT' }] }))).type).toBe('INVALID_REQUEST');
    const asked = await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'add 2026 cases' }] });
    expect(asked).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementRound: 1 });
    const askedAt = (await prisma.pathReviewEvent.findFirstOrThrow({ where: { reviewId, type: 'SUPPLEMENT_REQUESTED' } })).at;
    expect(asked.supplementDeadline).toBe(calendar.addWorkingDays(askedAt, 10).deadline.toISOString());
    expect((await refused(handle.executeUpdate(submit, { args: [{ actor }] }))).type).toBe('NOT_APPLIED');
    await attach(handle, reviewId, actor, 'DELIVERY_CASES');
    expect(await handle.executeUpdate(supplement, { args: [{ actor, note: 'added' }] })).toMatchObject({ status: 'SUBMITTED' });
    expect(await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS' }] })).toMatchObject({ status: 'PASSED', newLevel: 'MEMBER' });
    await finished(handle);
    expect(await events(reviewId)).toEqual(['OPENED', 'APPLIED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'SUPPLEMENT_REQUESTED', 'MATERIAL_SET', 'SUPPLEMENTED', 'PASSED']);

    const late = await submitted('CONSULTING_SI', 'MEMBER');
    const lateAsked = await late.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
    await advanceTo(Date.parse(lateAsked.supplementDeadline!));
    expect(await finished(late.handle)).toMatchObject({ status: 'LAPSED', newLevel: null });
    expect(await membership(late.partnerId, 'CONSULTING_SI')).toBeNull();
    expect(await changes(late.reviewId)).toEqual([expect.objectContaining({ fromLevel: 'MEMBER', toLevel: null, reason: 'REVIEW_LAPSED' })]);
  });
});

describe('path review cycle', () => {
  it('starts one review per member only, in batches with continue-as-new; a second start creates nothing twice', async () => {
    const year = 2040 + Math.floor(Math.random() * 1000);
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
      const row = await prisma.pathReviewCycle.findUnique({ where: { pathId_year: { pathId: 'SOFTWARE', year } } });
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
      const row = await eventually(() => prisma.pathReview.findUnique({ where: { id: reviewId } }).then((r) => r ?? undefined));
      expect(row).toMatchObject({ level: 'CERTIFIED', cycleStartedAt: done.startedAt, year });
    }
    expect(await prisma.pathReview.count({ where: { partnerId: outsider } })).toBe(0);

    // A second run after the first finished: same start instant, no review started again.
    const again = await env.client.workflow.start(pathReviewCycleWorkflow, { workflowId, taskQueue, args: [{ ...args[0], batchSize: 3 }] });
    await eventually(async () => {
      const row = await prisma.pathReviewCycle.findUniqueOrThrow({ where: { pathId_year: { pathId: 'SOFTWARE', year } } });
      return row.runs === 2 && row.status === 'COMPLETED' ? row : undefined;
    });
    expect((await prisma.pathReviewCycle.findUniqueOrThrow({ where: { pathId_year: { pathId: 'SOFTWARE', year } } })).startedAt).toEqual(done.startedAt);
    expect(again.firstExecutionRunId).not.toBe(handle.firstExecutionRunId);
    for (const p of members) expect((await env.client.workflow.getHandle(pathReviewWorkflowId(pathReviewId('SOFTWARE', p, year))).describe()).runId).toBe(reviewRuns.get(p));
    expect(await prisma.pathReview.count({ where: { year, partnerId: { in: members } } })).toBe(members.length);
    expect(await prisma.pathReviewEvent.count({ where: { reviewId: { in: members.map((p) => pathReviewId('SOFTWARE', p, year)) }, type: 'OPENED' } })).toBe(members.length);
  });
});

/** The yearly schedules need a dev server: the time-skipping test server has no schedule API. */
describe('yearly review schedules (on a dev server)', () => {
  const scheduleQueue = 'path-review-schedule-test';
  let dev: TestWorkflowEnvironment;
  let devWorker: Awaited<ReturnType<typeof startTestWorker>>;

  beforeAll(async () => {
    dev = await devServerEnv();
    devWorker = await startTestWorker(dev, scheduleQueue, fixedCalendar(() => testCalendar(Date.now())));
  });

  afterAll(async () => {
    await devWorker?.stop();
    await dev?.teardown();
  });

  it('one schedule per path, created once and updated in place; next actions at 00:00 on its review date in Shanghai', async () => {
    const ids = developmentPaths.paths.map((p) => `annual-path-review-${p.id}`);
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
    expect(await devWorker.prisma.pathReviewCycle.findUnique({ where: { pathId_year: { pathId: 'SOFTWARE', year: 2021 } } })).toMatchObject({
      status: 'COMPLETED',
      requestedBy: 'schedule',
    });
  });
});
