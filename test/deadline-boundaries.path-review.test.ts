/**
 * The path review's two deadlines at their boundaries (issue 15, point 2): the review window's end and the supplement
 * deadline, each from a hand-computed reference. A second before, apply, submit and a supplement go through; decided
 * at the deadline to the millisecond, or after it, they are refused with REVIEW_WINDOW_CLOSED or
 * SUPPLEMENT_DEADLINE_PASSED; the lapse happens at the deadline, not a second earlier. Tolerances, and why:
 * test/support/boundary.ts.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, it, onTestFinished } from 'vitest';
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
import { nextFriday } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { answerOf, DAY, DONE, eachKindAnswered, expectTimerAtDeadline, ownServer, SECOND, type Server, sweepDeadline, toFriday, type Trial } from './support/boundary.js';
import { advanceClockTo, eventually } from './support/wait.js';

const vendor: Actor = { sub: 'vendor-1' };
const YEAR = 2027;
const farDay = (s: string) => new Date(`${s}T00:00:00Z`);

/**
 * By hand, in the plain test calendar (Asia/Shanghai, no DST; Saturday and Sunday rest days), from a Friday at time t:
 * the window's 30 working days (SOFTWARE) are six full weeks, Monday to Friday, ending at t on the Friday six weeks on
 * — 42 × 24 h; the supplement's 10 working days end at t on the Friday two weeks on — 14 × 24 h.
 */
const windowEndOf = (cycleStartedAt: number) => cycleStartedAt + 42 * DAY;
const supplementDeadlineOf = (askedAt: string) => Date.parse(askedAt) + 14 * DAY;

/** A SOFTWARE member at CERTIFIED (`qualified`: its one software certificate and two full-time experts registered). */
async function member({ prisma, env }: Server, qualified: boolean) {
  const partnerId = `P-${randomUUID().slice(0, 8)}`;
  const at = new Date(await env.currentTimeMs());
  await prisma.pathMembership.create({ data: { partnerId, pathId: 'SOFTWARE', level: 'CERTIFIED', since: at, updatedAt: at } });
  if (!qualified) return partnerId;
  for (const employeeId of ['E1', 'E2']) await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId }));
  const id = randomUUID();
  await prisma.certificationApplication.create({
    data: { id, partnerId, type: 'ADVANCED_CLOUD_SOFTWARE', category: 'ADVANCED_CLOUD_SOFTWARE', appliesTo: 'SOLUTION', solutionName: `S ${id.slice(0, 4)}`, status: 'APPROVED', terms: {}, createdBy: 'seed', createdAt: at, lastSeq: 1, updatedAt: at },
  });
  await prisma.certificate.create({
    data: { number: `PF-T-${id}`, applicationId: id, partnerId, type: 'ADVANCED_CLOUD_SOFTWARE', category: 'ADVANCED_CLOUD_SOFTWARE', labels: [], scope: `S ${id.slice(0, 4)}`, validFrom: farDay('2020-01-01'), validTo: farDay('2099-12-31'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
  return partnerId;
}

/** A review opened as the cycle would open it, with the window counted from `cycleStartedAt`. */
async function openReview(server: Server, cycleStartedAt: number, { qualified = false, applied = false } = {}) {
  const partnerId = await member(server, qualified || applied);
  const reviewId = pathReviewId('SOFTWARE', partnerId, YEAR);
  const handle: WorkflowHandle<typeof pathReviewWorkflow> = await server.env.client.workflow.start(pathReviewWorkflow, {
    workflowId: pathReviewWorkflowId(reviewId),
    taskQueue: server.taskQueue,
    args: [{ pathId: 'SOFTWARE', partnerId, year: YEAR, level: 'CERTIFIED', cycleStartedAt: new Date(cycleStartedAt).toISOString() }],
  });
  const opened = await eventually(async () => {
    const s = await handle.query(getPathReview);
    return s.openedAt ? s : undefined;
  });
  const windowEndsAt = windowEndOf(cycleStartedAt);
  expect(opened.windowEndsAt).toBe(new Date(windowEndsAt).toISOString());
  const actor: Actor = { sub: 'partner-user', partnerId };
  if (applied) await handle.executeUpdate(apply, { args: [{ actor }] });
  return { reviewId, partnerId, handle, actor, windowEndsAt, attach: (kind: string) => attach(server, handle, reviewId, actor, kind) };
}

/** A material row uploaded for the review (as the API does), set as `kind`. */
async function attach({ prisma }: Server, handle: WorkflowHandle, reviewId: string, actor: Actor, kind: string) {
  const id = randomUUID();
  const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
  const row = await prisma.material.create({
    data: { id, ownerKind: 'path-review', ownerId: reviewId, partnerId: actor.partnerId!, fileName: `${kind}.pdf`, contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
  });
  const material = { materialId: id, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
  return handle.executeUpdate(setMaterial, { args: [{ actor, kind, material }] });
}

/** A review opened now (a Friday), applied, its annual report set, submitted, and asked by the vendor for a supplement. */
async function supplementRequested(server: Server) {
  const review = await openReview(server, await server.env.currentTimeMs(), { applied: true });
  await review.attach('ANNUAL_REPORT');
  await review.handle.executeUpdate(submit, { args: [{ actor: review.actor }] });
  await review.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'the 2026 figures' }] });
  const askedAt = (await server.prisma.pathReviewEvent.findFirstOrThrow({ where: { reviewId: review.reviewId, type: 'SUPPLEMENT_REQUESTED' } })).at.toISOString();
  const deadline = supplementDeadlineOf(askedAt);
  expect((await review.handle.query(getPathReview)).supplementDeadline).toBe(new Date(deadline).toISOString());
  return { ...review, deadline };
}

const transitions = ({ prisma }: Server, reviewId: string) => prisma.pathReviewEvent.findMany({ where: { reviewId }, orderBy: { seq: 'asc' } });

/** A second before: through, decided by workflow time before the deadline (the clock ran a few ms on meanwhile). */
async function expectThroughASecondBefore(server: Server, reviewId: string, deadline: number, act: () => Promise<unknown>, type: string) {
  await advanceClockTo(server.env, deadline - SECOND);
  expect(await answerOf(act()), type).toBe(DONE);
  const decided = (await transitions(server, reviewId)).findLast((e) => e.type === type)!;
  expect(deadline - decided.at.getTime()).toBeGreaterThan(0);
  expect(deadline - decided.at.getTime()).toBeLessThanOrEqual(SECOND);
}

/** The lapse: open a second before the deadline, LAPSED when its timer fired, at it. Answers the LAPSED transition. */
async function expectLapseAt(server: Server, review: { reviewId: string; handle: WorkflowHandle }, deadline: number, openStatus: string) {
  await advanceClockTo(server.env, deadline - SECOND);
  expect((await review.handle.query(getPathReview)).status).toBe(openStatus);
  expect((await server.prisma.pathReview.findUniqueOrThrow({ where: { id: review.reviewId } })).status).toBe(openStatus);
  await advanceClockTo(server.env, deadline + SECOND);
  const lapsed = await eventually(async () => (await transitions(server, review.reviewId)).find((e) => e.type === 'LAPSED'));
  await expectTimerAtDeadline(review.handle, deadline);
  return lapsed;
}

describe('the review window at its end', () => {
  it('apply and submit a second before it go through; the lapse comes at it, not a second earlier', async () => {
    const server = await ownServer(onTestFinished);
    // Cycles that started on a Friday 15:00 six weeks before the next Friday: their windows end then.
    const friday = nextFriday(await server.env.currentTimeMs(), 15).toMillis();
    const applying = await openReview(server, friday - 42 * DAY, { qualified: true });
    const submitting = await openReview(server, friday - 42 * DAY + 2 * SECOND, { applied: true });
    const lapsing = await openReview(server, friday - 42 * DAY + 4 * SECOND, { applied: true });
    await submitting.attach('ANNUAL_REPORT');

    await expectThroughASecondBefore(server, applying.reviewId, applying.windowEndsAt, () => applying.handle.executeUpdate(apply, { args: [{ actor: applying.actor }] }), 'APPLIED');
    await expectThroughASecondBefore(server, submitting.reviewId, submitting.windowEndsAt, () => submitting.handle.executeUpdate(submit, { args: [{ actor: submitting.actor }] }), 'SUBMITTED');
    const lapsed = await expectLapseAt(server, lapsing, lapsing.windowEndsAt, 'APPLIED');
    expect(lapsed.at.getTime()).toBe(lapsing.windowEndsAt); // recorded at the window's end itself, by design
    expect(lapsed).toMatchObject({ actor: 'system', toStatus: 'LAPSED' });
  });

  /**
   * Probes that change nothing: before the window's end apply is refused for the partner's unmet requirements and submit
   * for the missing material, at the end and after it for the window. Reviews a round, their windows a quarter second
   * apart, at least one decided exactly at its end (a validator comparing with `>` would pass it on to the next check).
   */
  it('apply and submit decided at the window end to the millisecond, or after it, are refused with REVIEW_WINDOW_CLOSED', { timeout: 240_000 }, async () => {
    const samples = await sweepDeadline(onTestFinished, async (server) => {
      const friday = nextFriday(await server.env.currentTimeMs(), 15).toMillis();
      const trials: Trial[] = [];
      for (let n = 0; n < 10; n++) {
        const applied = n % 2 === 1;
        const review = await openReview(server, friday - 42 * DAY + n * 250, { applied });
        const { handle, actor } = review;
        trials.push({
          label: `${applied ? 'submit' : 'apply'} on ${review.reviewId}`,
          handle,
          deadline: review.windowEndsAt,
          act: () => handle.executeUpdate(applied ? submit : apply, { args: [{ actor }] }),
          answers: applied
            ? { before: 'MATERIALS_MISSING', atOrAfter: 'REVIEW_WINDOW_CLOSED', closed: 'NOT_APPLIED' }
            : { before: 'REQUIREMENTS_UNMET', atOrAfter: 'REVIEW_WINDOW_CLOSED', closed: 'NOT_OPEN' },
        });
      }
      return trials;
    }, { until: eachKindAnswered(['apply', 'submit'], 'REVIEW_WINDOW_CLOSED') });
    for (const kind of ['apply', 'submit']) expect(samples.some((s) => s.label.startsWith(kind) && s.answer === 'REVIEW_WINDOW_CLOSED'), kind).toBe(true);
  });
});

describe('the supplement deadline at its boundary', () => {
  it('a supplement and a replaced material a second before it go through; the lapse comes at it, not a second earlier', async () => {
    const server = await ownServer(onTestFinished);
    await toFriday(server);
    const supplementing = await supplementRequested(server);
    const replacing = await supplementRequested(server);
    const lapsing = await supplementRequested(server);

    await expectThroughASecondBefore(server, replacing.reviewId, replacing.deadline, () => replacing.attach('ANNUAL_REPORT'), 'MATERIAL_SET');
    await expectThroughASecondBefore(server, supplementing.reviewId, supplementing.deadline, () => supplementing.handle.executeUpdate(supplement, { args: [{ actor: supplementing.actor }] }), 'SUPPLEMENTED');
    const lapsed = await expectLapseAt(server, lapsing, lapsing.deadline, 'SUPPLEMENT_REQUESTED');
    expect(lapsed.at.getTime() - lapsing.deadline).toBeGreaterThanOrEqual(0);
    expect(lapsed.at.getTime() - lapsing.deadline).toBeLessThan(SECOND);
  });

  /**
   * A material of a kind the path does not ask for changes nothing: before the deadline it is refused for its kind, at
   * it and after it for the deadline; a late supplement too. At least one decided exactly at
   * its deadline (a validator comparing with `>` would let the partner through).
   */
  it('a supplement and a material decided at the deadline to the millisecond, or after it, are refused with SUPPLEMENT_DEADLINE_PASSED', { timeout: 240_000 }, async () => {
    const brochure = { materialId: randomUUID(), fileName: 'b.pdf', sha256: 'b'.repeat(64), size: 3, contentType: 'application/pdf', uploadedBy: 'partner-user', uploadedAt: new Date(0).toISOString() };
    const samples = await sweepDeadline(onTestFinished, async (server) => {
      await toFriday(server);
      const trials: Trial[] = [];
      for (let n = 0; n < 10; n++) {
        const review = await supplementRequested(server);
        const { handle, actor } = review;
        const late = n % 3 === 2;
        trials.push({
          label: `${late ? 'supplement' : 'material'} on ${review.reviewId}`,
          handle,
          deadline: review.deadline,
          act: () => (late ? handle.executeUpdate(supplement, { args: [{ actor }] }) : handle.executeUpdate(setMaterial, { args: [{ actor, kind: 'BROCHURE', material: brochure }] })),
          // A supplement is aimed after the deadline: one going through just before it would race the lapse's timer (boundary.ts).
          ...(late ? { aim: 5 } : {}),
          answers: late
            ? { before: DONE, atOrAfter: 'SUPPLEMENT_DEADLINE_PASSED', closed: 'NOT_SUPPLEMENT_REQUESTED' }
            : { before: 'INVALID_REQUEST', atOrAfter: 'SUPPLEMENT_DEADLINE_PASSED', closed: 'NOT_EDITABLE' },
        });
      }
      return trials;
    }, { until: eachKindAnswered(['supplement', 'material'], 'SUPPLEMENT_DEADLINE_PASSED') });
    for (const kind of ['supplement', 'material']) expect(samples.some((s) => s.label.startsWith(kind) && s.answer === 'SUPPLEMENT_DEADLINE_PASSED'), kind).toBe(true);
  });
});
