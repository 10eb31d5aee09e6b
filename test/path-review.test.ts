/**
 * The annual development-path review on the time-skipping test server, with the real activities on a real
 * PostgreSQL: apply refused listing every unmet requirement, then met; materials, submit, PASS (kept or raised),
 * FAIL (downgraded or removed), LAPSED at exactly the window's end, window reminders, the supplement round (answered,
 * timed out). The cycle's fan-out and the yearly schedules: path-review-cycle.test.ts.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
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
import { expectActedAt } from './support/acted.js';
import { nextFriday, testCalendar } from './support/calendar.js';
import { refused } from './support/certification.js';
import { DAY, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { PLAIN_WEEK, referenceDeadline } from './support/reference-deadline.js';
import { eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'path-review-workflow-test';
const env = useTestEnv({ taskQueue });

const vendor: Actor = { sub: 'vendor-1' };
const YEAR = 2027;
const partner = () => `P-${randomUUID().slice(0, 8)}`;
const day = (s: string) => new Date(`${s}T00:00:00Z`);

async function join(partnerId: string, pathId: string, level: string) {
  const at = new Date(await env.currentTimeMs());
  await env.prisma.pathMembership.create({ data: { partnerId, pathId, level, since: at, updatedAt: at } });
}

/** An ACTIVE certificate (valid 2020–2099) and the approved application it came from, straight through Prisma. */
async function insertCertificate(partnerId: string, type: 'ADVANCED_CLOUD_SOFTWARE' | 'ROLE_CONSULTING') {
  const id = randomUUID();
  const at = new Date();
  const category = type === 'ROLE_CONSULTING' ? 'ROLE' : 'ADVANCED_CLOUD_SOFTWARE';
  const solutionName = type === 'ROLE_CONSULTING' ? null : `Solution ${id.slice(0, 4)}`;
  await env.prisma.certificationApplication.create({
    data: { id, partnerId, type, category, appliesTo: solutionName ? 'SOLUTION' : 'PARTNER', solutionName, status: 'APPROVED', terms: {}, createdBy: 'seed', createdAt: at, lastSeq: 1, updatedAt: at },
  });
  await env.prisma.certificate.create({
    data: { number: `PF-T-${id}`, applicationId: id, partnerId, type, category, labels: [], scope: solutionName ?? 'partner', validFrom: day('2020-01-01'), validTo: day('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
}

/** Everything the level needs: SOFTWARE ADVANCED (2 software certificates, 3 CLOUD_PROFESSIONAL experts) or CONSULTING_SI MEMBER. */
async function qualify(partnerId: string, pathId: 'SOFTWARE' | 'CONSULTING_SI') {
  for (const employeeId of ['E1', 'E2', 'E3']) await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId }));
  if (pathId === 'SOFTWARE') for (let i = 0; i < 2; i++) await insertCertificate(partnerId, 'ADVANCED_CLOUD_SOFTWARE');
  else await insertCertificate(partnerId, 'ROLE_CONSULTING');
}

/**
 * A member's review, started directly (as the cycle would) and opened, its cycle started at the next Friday 15:00
 * (the server's clock moved there): in the test calendar (Asia/Shanghai, no DST; Saturday and Sunday rest) its
 * 30-working-day window — six weeks of Mon–Fri — ends the Friday six weeks on, exactly 42 × 24 h later.
 */
async function startReview(pathId: string, level: string, partnerId = partner(), join_ = true) {
  if (join_) await join(partnerId, pathId, level);
  const friday = nextFriday(await env.currentTimeMs(), 15).toMillis();
  await env.advanceTo(friday);
  const cycleStartedAt = new Date(friday).toISOString();
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
  const row = await env.prisma.material.create({
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

const { advanceTo } = env;

const events = async (reviewId: string) => (await env.prisma.pathReviewEvent.findMany({ where: { reviewId }, orderBy: { seq: 'asc' } })).map((e) => e.type);
const changes = (reviewId: string) => env.prisma.pathMembershipChange.findMany({ where: { reviewId } });
const membership = (partnerId: string, pathId: string) => env.prisma.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId } } });

describe('path review workflow', () => {
  it('refuses apply listing every unmet requirement, then applies once they are met; materials, submit, PASS raising the level', async () => {
    const { handle, reviewId, partnerId, actor, snapshot, cycleStartedAt } = await startReview('SOFTWARE', 'CERTIFIED');
    expect(snapshot).toMatchObject({ status: 'OPEN', seq: 1, terms: { materials: ['ANNUAL_REPORT'], levels: ['CERTIFIED', 'ADVANCED'], levelAfterFailure: null } });
    expect(snapshot.windowEndsAt).toBe(new Date(Date.parse(cycleStartedAt) + 42 * DAY).toISOString());

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

    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E1' }));
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E2' }));
    expect((await refused(handle.executeUpdate(apply, { args: [{ actor }] }))).details).toEqual([
      [{ description: 'at least 1 active ADVANCED_CLOUD_SOFTWARE certificate', required: 1, actual: 0 }],
    ]);
    expect((await refused(handle.executeUpdate(apply, { args: [{ actor: { sub: 'x', partnerId: partner() } }] }))).type).toBe('PATH_REVIEW_NOT_FOUND');
    await insertCertificate(partnerId, 'ADVANCED_CLOUD_SOFTWARE');
    const applied = await handle.executeUpdate(apply, { args: [{ actor }] });
    expect(applied).toMatchObject({ status: 'APPLIED', seq: 2 });
    expect(applied.requirements!.map((r) => r.met)).toEqual([true, true]);

    expect(await refused(handle.executeUpdate(submit, { args: [{ actor }] }))).toMatchObject({ type: 'MATERIALS_MISSING', message: 'Materials missing: ANNUAL_REPORT.', details: [{ missing: ['ANNUAL_REPORT'] }] });
    expect((await refused(attach(handle, reviewId, actor, 'BROCHURE'))).type).toBe('INVALID_REQUEST');
    await attach(handle, reviewId, actor, 'ANNUAL_REPORT');
    expect(await handle.executeUpdate(submit, { args: [{ actor }] })).toMatchObject({ status: 'SUBMITTED', seq: 4 });

    expect((await refused(handle.executeUpdate(decide, { args: [{ actor, decision: 'PASS' }] }))).type).toBe('VENDOR_ONLY');
    expect((await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'PLATINUM' }] }))).type).toBe('LEVEL_NOT_ALLOWED');
    // A raise is checked against the new level's requirements: ADVANCED needs 2 certificates and 3 CLOUD_PROFESSIONAL experts.
    expect(await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'ADVANCED', note: 'strong year' }] }))).toMatchObject({
      type: 'REQUIREMENTS_UNMET',
      details: [[expect.objectContaining({ required: 2, actual: 1 }), expect.objectContaining({ required: 3, actual: 2 })]],
    });
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E3' }));
    await insertCertificate(partnerId, 'ADVANCED_CLOUD_SOFTWARE');
    const passed = await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'ADVANCED', note: 'strong year' }] });
    expect(passed).toMatchObject({ status: 'PASSED', decision: 'PASS', newLevel: 'ADVANCED', seq: 5 });
    expect((await finished(handle)).status).toBe('PASSED');

    expect(await events(reviewId)).toEqual(['OPENED', 'APPLIED', 'MATERIAL_SET', 'SUBMITTED', 'PASSED']);
    expect(await env.prisma.pathReview.findUniqueOrThrow({ where: { id: reviewId } })).toMatchObject({ status: 'PASSED', decision: 'PASS', newLevel: 'ADVANCED', lastSeq: 5 });
    expect(await env.prisma.pathReviewMaterial.count({ where: { reviewId } })).toBe(1);
    expect(await membership(partnerId, 'SOFTWARE')).toMatchObject({ level: 'ADVANCED' });
    expect(await changes(reviewId)).toEqual([expect.objectContaining({ fromLevel: 'CERTIFIED', toLevel: 'ADVANCED', reason: 'REVIEW_PASSED', actor: 'vendor-1' })]);
    await recordHistory(handle, 'path-review-passed');
  });

  it('PASS keeping the level records the outcome on the review and changes no membership; a lower level is refused', async () => {
    const { handle, reviewId, partnerId } = await submitted('SOFTWARE', 'ADVANCED');
    expect((await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS', newLevel: 'CERTIFIED' }] }))).type).toBe('LEVEL_NOT_ALLOWED');
    expect(await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS' }] })).toMatchObject({ status: 'PASSED', newLevel: 'ADVANCED' });
    await finished(handle);
    expect(await env.prisma.pathReview.findUniqueOrThrow({ where: { id: reviewId } })).toMatchObject({ status: 'PASSED', newLevel: 'ADVANCED' });
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
    // The window ends Friday 15:00 six weeks on (42 days); 10 working days before it is Friday 15:00 four weeks on
    // (28 days); 3 working days before it (Thu, Wed, Tue) is the Tuesday of the sixth week (39 days).
    const start = Date.parse(cycleStartedAt);
    const reminderAt = [start + 28 * DAY, start + 39 * DAY];
    const windowEndsAt = start + 42 * DAY;
    expect(snapshot.reminders.map((r) => [r.days, Date.parse(r.at)])).toEqual([[10, reminderAt[0]], [3, reminderAt[1]]]);
    expect(snapshot.windowEndsAt).toBe(new Date(windowEndsAt).toISOString());
    const reminders = () => env.prisma.outbox.findMany({ where: { topic: 'path-review.window-reminder', aggregateId: reviewId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });

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
    // Each sent, and the lapse decided, when the workflow's clock reached its time — not before (the empty outbox a
    // second before a reminder could have been read before an early reminder's row was written).
    await expectActedAt(handle, 'enqueuePathReviewMessage', reminderAt, (m) => m.topic === 'path-review.window-reminder');
    await expectActedAt(handle, 'recordPathReviewTransition', [windowEndsAt], (t) => t.type === 'LAPSED');
    await recordHistory(handle, 'path-review-lapsed');
  });

  it('waits, visibly, while its window reaches a year the calendar has no data for; opens once the year is added, counting from the cycle start', async () => {
    const partnerId = partner();
    await join(partnerId, 'SOFTWARE', 'CERTIFIED');
    const now = await env.currentTimeMs();
    const thisYear = DateTime.fromMillis(now, { zone: 'Asia/Shanghai' }).year;
    const wide = env.calendar;
    env.calendar = testCalendar(now, { years: [thisYear - 1, thisYear] });
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
      expect(await env.prisma.pathReview.findUnique({ where: { id: reviewId } })).toBeNull();
    } finally {
      env.calendar = wide; // the operator adds next year
    }
    await advanceTo((await env.currentTimeMs()) + 3_600_000 + 1000);
    const opened = await eventually(async () => {
      const s = await handle.query(getPathReview);
      return s.openedAt ? s : undefined;
    });
    // 30 working days from 20 December in the wide calendar (no holidays), by the independent day-by-day reference.
    expect(opened.windowEndsAt).toBe(new Date(referenceDeadline(cycleStartedAt.toMillis(), 30, PLAIN_WEEK)).toISOString());
    expect((await handle.describe()).searchAttributes.ProcessStatus).toEqual(['OPEN']);
    await handle.terminate('done with it');
  });

  it('supplement round: REQUEST_SUPPLEMENT, a replaced material, supplement, PASS; unanswered by the deadline it lapses', async () => {
    const { handle, reviewId, actor, cycleStartedAt } = await submitted('CONSULTING_SI', 'MEMBER');
    expect((await refused(handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT' }] }))).type).toBe('INVALID_REQUEST');
    const asked = await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'add 2026 cases' }] });
    expect(asked).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementRound: 1 });
    // Asked that Friday afternoon (the cycle's start, moments later): 10 working days → the Friday two weeks on.
    const askedAt = (await env.prisma.pathReviewEvent.findFirstOrThrow({ where: { reviewId, type: 'SUPPLEMENT_REQUESTED' } })).at.getTime();
    expect(askedAt - Date.parse(cycleStartedAt)).toBeLessThan(60_000);
    expect(asked.supplementDeadline).toBe(new Date(askedAt + 14 * DAY).toISOString());
    expect((await refused(handle.executeUpdate(submit, { args: [{ actor }] }))).type).toBe('NOT_APPLIED');
    await attach(handle, reviewId, actor, 'DELIVERY_CASES');
    expect(await handle.executeUpdate(supplement, { args: [{ actor, note: 'added' }] })).toMatchObject({ status: 'SUBMITTED' });
    expect(await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS' }] })).toMatchObject({ status: 'PASSED', newLevel: 'MEMBER' });
    await finished(handle);
    expect(await events(reviewId)).toEqual(['OPENED', 'APPLIED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'SUPPLEMENT_REQUESTED', 'MATERIAL_SET', 'SUPPLEMENTED', 'PASSED']);

    const late = await submitted('CONSULTING_SI', 'MEMBER');
    const lateAsked = await late.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
    const lateAskedAt = (await env.prisma.pathReviewEvent.findFirstOrThrow({ where: { reviewId: late.reviewId, type: 'SUPPLEMENT_REQUESTED' } })).at.getTime();
    expect(lateAskedAt - Date.parse(late.cycleStartedAt)).toBeLessThan(60_000); // a Friday afternoon too
    const lateDeadline = lateAskedAt + 14 * DAY;
    expect(lateAsked.supplementDeadline).toBe(new Date(lateDeadline).toISOString());
    await advanceTo(lateDeadline);
    expect(await finished(late.handle)).toMatchObject({ status: 'LAPSED', newLevel: null });
    await expectActedAt(late.handle, 'recordPathReviewTransition', [lateDeadline], (t) => t.type === 'LAPSED');
    expect(await membership(late.partnerId, 'CONSULTING_SI')).toBeNull();
    expect(await changes(late.reviewId)).toEqual([expect.objectContaining({ fromLevel: 'MEMBER', toLevel: null, reason: 'REVIEW_LAPSED' })]);
  });
});
