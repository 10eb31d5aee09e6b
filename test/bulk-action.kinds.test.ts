/**
 * Bulk actions beyond opportunities (docs/bulk-actions.md): a partner verifies many incentives, a vendor reviewer
 * decides many reviews of several kinds — through the real app, the real worker, Temporal's time-skipping server and
 * real PostgreSQL. Objects are made through their own routes; every expectation is counted by hand from what the test
 * set up (the incentive rates: CLOUD_PROFESSIONAL 1,000.00, CLOUD_EXPERT 3,000.00 CNY a month) or read from the single
 * routes and detail routes directly, never from the bulk job's code.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { createBulkActionActivities } from '../activities/bulk-action.js';
import type { Principal } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { reviewItems } from './support/access-matrix-review-queue.js';
import { completedJob, newPartner, submitBulk } from './support/bulk-action.js';
import { ZONE } from './support/calendar.js';
import { expectFieldProblem, expectProblem, PDF, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { recordHistory } from './support/histories.js';
import { eventually } from './support/wait.js';
import { bulkActionWorkflowId } from '../workflows/bulk-action/contract.js';
import { getIncentive, incentiveWorkflow, incentiveWorkflowId } from '../workflows/incentive/workflow.js';

const env = useTestEnv({ taskQueue: 'bulk-action-kinds-test', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
const { api } = env;
const reviews = reviewItems(() => env.base, () => env.prisma);
const pdf = { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="roster.pdf"' };
/** Two attested experts: CLOUD_PROFESSIONAL (100000) and CLOUD_EXPERT (300000) — headcount 2, total 400000 a month. */
const HEADCOUNT = 2;
const TOTAL = 100000 + 300000;

/** The problem a single route answered, without what differs per request (its instance and request id). */
const asStored = (body: Record<string, unknown>) => {
  const { instance: _instance, requestId: _requestId, ...problem } = body;
  return problem;
};

/** `count` incentives of `partnerId` (the months before the server's clock), generated, each with one uploaded material. */
async function incentives(partnerId: string, count: number, token: string) {
  for (const [employeeId, certification] of [['E1', 'CLOUD_PROFESSIONAL'], ['E2', 'CLOUD_EXPERT']] as const) {
    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId, certification }));
  }
  const now = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE });
  const made: { id: string; materialId: string }[] = [];
  for (let back = 1; back <= count; back++) {
    const period = now.minus({ months: back }).toFormat('yyyy-MM');
    const handle = await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue: env.taskQueue, args: [{ partnerId, period }] });
    await eventually(async () => ((await handle.query(getIncentive)).generatedAt ? true : undefined));
    const id = `${partnerId}-${period}`;
    const material = await api('POST', `/v1/incentives/${id}/materials`, token, PDF, pdf);
    expect(material.status, JSON.stringify(material.body)).toBe(201);
    made.push({ id, materialId: material.body.id as string });
  }
  return made;
}

describe('bulk verification of incentives', () => {
  it('5 of which 1 is already verified: 4 DONE (VERIFIED), 1 REFUSED as the single route answers; each reads VERIFIED with its numbers', async () => {
    const partnerId = newPartner();
    const finance = await tokenFor(['partner_finance'], partnerId);
    const made = await incentives(partnerId, 5, finance);
    const figures = (m: { materialId: string }) => ({ headcount: HEADCOUNT, totalMinor: TOTAL, materials: [m.materialId] });
    // Item 2 is verified through the single route first.
    const single = await api('POST', `/v1/incentives/${made[2]!.id}/verify`, finance, figures(made[2]!));
    expect(single.status, JSON.stringify(single.body)).toBe(200);

    const res = await submitBulk(api, finance, { kind: 'incentive.verify', items: made.map((m) => ({ incentiveId: m.id, ...figures(m) })) });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ partnerId, kind: 'incentive.verify', total: 5 });
    const job = await completedJob(api, finance, res.body.id);
    await recordHistory(env.client.workflow.getHandle(bulkActionWorkflowId(res.body.id)), 'bulk-action-incentives-verified');
    expect(job.counts).toEqual({ PENDING: 0, DONE: 4, REFUSED: 1, FAILED: 0 });
    // What the single route answers for the verified one now, asked directly.
    const again = await api('POST', `/v1/incentives/${made[2]!.id}/verify`, finance, figures(made[2]!));
    expect(again.status).toBe(409);
    for (const [index, item] of (job.results as Record<string, unknown>[]).entries()) {
      expect(item).toMatchObject({ index, itemId: made[index]!.id, review: null });
      if (index === 2) expect(item).toMatchObject({ outcome: 'REFUSED', status: null, problem: asStored(again.body) });
      else expect(item).toMatchObject({ outcome: 'DONE', status: 'VERIFIED', problem: null });
    }
    // The API reads each as verified, with the figures and material sent, by this partner's member.
    for (const m of made) {
      const read = await api('GET', `/v1/incentives/${m.id}`, finance);
      expect(read.body).toMatchObject({ status: 'VERIFIED', headcount: HEADCOUNT, totalMinor: TOTAL });
      expect(read.body.materials.map((x: { id: string }) => x.id)).toEqual([m.materialId]);
      expect(read.body.history.filter((e: { type: string }) => e.type === 'VERIFIED')).toHaveLength(1);
    }
    expect(await env.prisma.settlement.count({ where: { incentiveId: { in: made.map((m) => m.id) } } })).toBe(5);
    const [completed] = await env.arrived('bulk-action.completed', res.body.id, 1);
    expect(completed!.payload).toMatchObject({ partnerId, jobId: res.body.id, kind: 'incentive.verify', total: 5, counts: { DONE: 4, REFUSED: 1, FAILED: 0 } });
  });

  it("another partner's incentive REFUSED not-found, figures that differ from the list REFUSED list-mismatch; the rest DONE", async () => {
    const partnerId = newPartner();
    const admin = await tokenFor(['partner_admin'], partnerId);
    const [own, differing] = await incentives(partnerId, 2, admin);
    const otherPartner = newPartner();
    const [foreign] = await incentives(otherPartner, 1, await tokenFor(['partner_admin'], otherPartner));
    const res = await submitBulk(api, admin, {
      kind: 'incentive.verify',
      items: [
        { incentiveId: own!.id, headcount: HEADCOUNT, totalMinor: TOTAL, materials: [own!.materialId] },
        { incentiveId: foreign!.id, headcount: HEADCOUNT, totalMinor: TOTAL, materials: [foreign!.materialId] },
        { incentiveId: differing!.id, headcount: HEADCOUNT, totalMinor: TOTAL - 1, materials: [differing!.materialId] },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const job = await completedJob(api, admin, res.body.id);
    expect(job.counts).toEqual({ PENDING: 0, DONE: 1, REFUSED: 2, FAILED: 0 });
    expect(job.results[1]).toMatchObject({ outcome: 'REFUSED', problem: { status: 404, type: 'urn:partnerflow:problem:not-found', detail: `Incentive ${foreign!.id} was not found.` } });
    expect(job.results[2]).toMatchObject({ outcome: 'REFUSED', problem: { status: 422, type: 'urn:partnerflow:problem:list-mismatch' } });
    expect(job.results[2].problem.detail).toContain(`total ${TOTAL - 1} ≠ list ${TOTAL}`);
    expect((await api('GET', `/v1/incentives/${foreign!.id}`, await tokenFor(['vendor_staff']))).body.status).toBe('PENDING_VERIFICATION');
    expect((await api('GET', `/v1/incentives/${differing!.id}`, admin)).body.status).toBe('PENDING_VERIFICATION');
    // Another partner's staff do not see the job at all; the vendor's do.
    expectFieldProblem(await api('GET', `/v1/bulk-actions/${res.body.id}`, await tokenFor(['partner_admin'], otherPartner)), 404);
    expect((await api('GET', `/v1/bulk-actions/${res.body.id}`, await tokenFor(['vendor_staff']))).status).toBe(200);
  });
});

describe('bulk review decisions', () => {
  it('a reviewer decides reviews of two kinds: one already decided and one claimed by another reviewer REFUSED as the single route answers, the rest DONE', async () => {
    const reviewer = await tokenFor(['vendor_reviewer'], undefined, `bulk-reviewer-${randomUUID().slice(0, 8)}`);
    const second = await tokenFor(['vendor_reviewer'], undefined, `bulk-second-${randomUUID().slice(0, 8)}`);
    const [raiseA, raiseB, enrollA, enrollB, enrollC] = [await reviews.levelRaise(), await reviews.levelRaise(), await reviews.enrollment(), await reviews.enrollment(), await reviews.enrollment()];
    // raiseB is decided through its single route first; enrollC is claimed by another reviewer.
    const decided = await api('POST', `/v1/level-raises/${raiseB.id}/review`, reviewer, { decision: 'APPROVE' });
    expect(decided.status, JSON.stringify(decided.body)).toBe(200);
    expect((await api('POST', `/v1/review-queue/enrollment/${enrollC.id}/claim`, second)).status).toBe(200);

    const items = [
      { review: 'level-raise', id: raiseA.id, decision: 'APPROVE' },
      { review: 'enrollment', id: enrollA.id, decision: 'APPROVE' },
      { review: 'level-raise', id: raiseB.id, decision: 'REJECT', note: 'too late' },
      { review: 'enrollment', id: enrollB.id, decision: 'REJECT', note: 'not ready' },
      { review: 'enrollment', id: enrollC.id, decision: 'APPROVE' },
    ];
    const res = await submitBulk(api, reviewer, { kind: 'review.decide', items });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ partnerId: null, kind: 'review.decide', total: 5 });
    const job = await completedJob(api, reviewer, res.body.id);
    await recordHistory(env.client.workflow.getHandle(bulkActionWorkflowId(res.body.id)), 'bulk-action-reviews-decided');
    expect(job.counts).toEqual({ PENDING: 0, DONE: 3, REFUSED: 2, FAILED: 0 });

    const detail = (item: (typeof items)[number]) => (item.review === 'level-raise' ? `/v1/level-raises/${item.id}` : `/v1/enrollments/${item.id}`);
    const single = async (item: (typeof items)[number]) => {
      const { review: _review, id: _id, ...body } = item;
      return api('POST', `${detail(item)}/review`, reviewer, body);
    };
    for (const [index, result] of (job.results as Record<string, unknown>[]).entries()) {
      const item = items[index]!;
      expect(result).toMatchObject({ index, itemId: item.id, review: item.review });
      if (index === 2 || index === 4) {
        // Exactly what the single route answers for the same decision, asked directly now.
        const answer = await single(item);
        expect(answer.status).toBe(409);
        expect(result).toMatchObject({ outcome: 'REFUSED', problem: asStored(answer.body) });
      } else {
        expect(result.outcome).toBe('DONE');
        // DONE with the status the detail route reads, decided by this reviewer.
        const read = await api('GET', detail(item), reviewer);
        expect(result.status).toBe(read.body.status);
        expect(read.body.history.some((e: { actor: string }) => e.actor.startsWith('bulk-reviewer-'))).toBe(true);
      }
    }
    // Its workflow ended with the decision: the single route answers that the raise is closed.
    expect(job.results[2].problem).toMatchObject({ status: 409, type: 'urn:partnerflow:problem:level-raise-closed' });
    expect(job.results[4].problem).toMatchObject({ status: 409, type: 'urn:partnerflow:problem:review-claimed' });
    expect(job.results.map((r: { status: string | null }) => r.status)).toEqual([expect.any(String), expect.any(String), null, 'REJECTED', null]);
    expect((await api('GET', `/v1/level-raises/${raiseA.id}`, reviewer)).body.status).toBe('APPROVED');
    expect((await api('GET', `/v1/level-raises/${raiseB.id}`, reviewer)).body.status).toBe('APPROVED');
    expect((await api('GET', `/v1/enrollments/${enrollC.id}`, reviewer)).body.status).toBe('IN_REVIEW');

    // A vendor's job: its requester and the vendor's reviewers read it; staff without review.queue and partners do not.
    expect((await api('GET', `/v1/bulk-actions/${res.body.id}`, await tokenFor(['vendor_admin']))).status).toBe(200);
    expectFieldProblem(await api('GET', `/v1/bulk-actions/${res.body.id}`, await tokenFor(['vendor_staff'])), 404);
    expectFieldProblem(await api('GET', `/v1/bulk-actions/${res.body.id}`, await tokenFor(['partner_admin'], raiseA.partnerId)), 404);
    const [completed] = await env.arrived('bulk-action.completed', res.body.id, 1);
    expect(completed!.payload).toMatchObject({ partnerId: null, jobId: res.body.id, kind: 'review.decide', total: 5, counts: { DONE: 3, REFUSED: 2, FAILED: 0 } });
  });
});

describe('every kind of review through its own decide route', () => {
  /** Each kind's decide route (as its routes declare it), written here by hand. */
  const DECIDE_PATH: Record<string, (id: string) => string> = {
    certification: (id) => `/v1/certifications/${id}/review`,
    'path-review': (id) => `/v1/path-reviews/${id}/decision`,
    specialist: (id) => `/v1/specialist-applications/${id}/review`,
    enrollment: (id) => `/v1/enrollments/${id}/review`,
    'level-raise': (id) => `/v1/level-raises/${id}/review`,
    'customer-report': (id) => `/v1/customer-reports/${id}/review`,
  };

  it('an admin approves and rejects four kinds in one job; a missing review of each of the six kinds is REFUSED exactly as its single route', async () => {
    const admin = await tokenFor(['vendor_admin'], undefined, `bulk-admin-${randomUUID().slice(0, 8)}`);
    const cert = await reviews.certification(undefined, 'Bulk solution');
    const report = await reviews.customerReport();
    const raise = await reviews.levelRaise();
    const enrollment = await reviews.enrollment();
    const missing = Object.keys(DECIDE_PATH).map((review) => ({ review, id: review === 'path-review' ? `SOFTWARE-${newPartner()}-2099` : randomUUID(), decision: review === 'path-review' ? 'PASS' : 'APPROVE' }));
    const items = [
      { review: 'certification', id: cert.id, decision: 'APPROVE' },
      { review: 'customer-report', id: report.id, decision: 'REJECT', note: 'not our customer' },
      { review: 'level-raise', id: raise.id, decision: 'REJECT', note: 'not yet' },
      { review: 'enrollment', id: enrollment.id, decision: 'APPROVE' },
      ...missing,
    ];
    const res = await submitBulk(api, admin, { kind: 'review.decide', items });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const job = await completedJob(api, admin, res.body.id);
    expect(job.counts).toEqual({ PENDING: 0, DONE: 4, REFUSED: 6, FAILED: 0 });
    const details = [`/v1/certifications/${cert.id}`, `/v1/customer-reports/${report.id}`, `/v1/level-raises/${raise.id}`, `/v1/enrollments/${enrollment.id}`];
    for (const [index, detail] of details.entries()) {
      const read = await api('GET', detail, admin);
      expect(job.results[index]).toMatchObject({ outcome: 'DONE', status: read.body.status });
    }
    expect(job.results.slice(0, 3).map((r: { status: string }) => r.status)).toEqual(['APPROVED', 'REJECTED', 'REJECTED']);
    for (const [k, item] of missing.entries()) {
      const { review: _review, id, ...body } = item;
      const single = await api('POST', DECIDE_PATH[item.review]!(id), admin, body);
      expect(single.status, `${item.review}: ${JSON.stringify(single.body)}`).toBe(404);
      expect(job.results[4 + k]).toMatchObject({ outcome: 'REFUSED', review: item.review, problem: asStored(single.body) });
    }
  });
});

describe('an item retried after its action went through', () => {
  it('records DONE with the status it reads (an incentive, a review), where a first attempt is refused as the single route', async () => {
    const partnerId = newPartner();
    const finance: Principal = { sub: `finance-${randomUUID().slice(0, 8)}`, roles: ['partner_finance'], partnerId };
    const reviewer: Principal = { sub: `reviewer-${randomUUID().slice(0, 8)}`, roles: ['vendor_reviewer'] };
    const [incentive] = await incentives(partnerId, 1, await tokenFor(['partner_finance'], partnerId));
    const raise = await reviews.levelRaise();
    const activities = createBulkActionActivities({ prisma: env.prisma, temporal: env.client });
    // Jobs recorded but never started: the test plays their item activity by hand, attempt by attempt.
    const job = async (kind: 'incentive.verify' | 'review.decide', principal: Principal, item: { itemId: string; reviewKind?: string; body: object }, total = 1) => {
      const jobId = randomUUID();
      await env.prisma.bulkAction.create({ data: { id: jobId, partnerId: principal.partnerId ?? null, kind, requestedBy: principal.sub, status: 'RUNNING', total, createdAt: new Date() } });
      await env.prisma.bulkActionItem.createMany({
        data: Array.from({ length: total }, (_, itemIndex) => ({ bulkActionId: jobId, itemIndex, itemId: item.itemId, reviewKind: item.reviewKind ?? null, body: item.body, outcome: 'PENDING' })),
      });
      return (attempt: number, index = 0) => new MockActivityEnvironment({ attempt }).run(activities.actOnBulkItem, { jobId, index, kind, principal });
    };
    // The worker died after the action, before the settle: the row is still PENDING when the activity runs again.
    const diedBeforeSettling = () => env.prisma.bulkActionItem.updateMany({ data: { outcome: 'PENDING', resultStatus: null, settledAt: null }, where: { itemId: { in: [incentive!.id, raise.id] } } });

    const verifying = { itemId: incentive!.id, body: { headcount: HEADCOUNT, totalMinor: TOTAL, materials: [incentive!.materialId] } };
    const verify = await job('incentive.verify', finance, verifying);
    const approving = { itemId: raise.id, reviewKind: 'level-raise', body: { decision: 'APPROVE' } };
    const approve = await job('review.decide', reviewer, approving);
    expect(await verify(1)).toEqual({ outcome: 'DONE', status: 'VERIFIED' });
    expect(await approve(1)).toEqual({ outcome: 'DONE', status: 'APPROVED' });
    await diedBeforeSettling();
    // The objects now refuse the action (their workflows ended), but their histories hold this caller's: DONE.
    expect(await verify(2)).toEqual({ outcome: 'DONE', status: 'VERIFIED' });
    expect(await approve(3)).toEqual({ outcome: 'DONE', status: 'APPROVED' });
    // A first attempt of another job naming them is refused exactly as the single routes refuse it.
    expect(await (await job('incentive.verify', finance, verifying))(1)).toMatchObject({ outcome: 'REFUSED', problem: { status: 409, type: 'urn:partnerflow:problem:incentive-closed' } });
    expect(await (await job('review.decide', reviewer, approving))(1)).toMatchObject({ outcome: 'REFUSED', problem: { status: 409, type: 'urn:partnerflow:problem:level-raise-closed' } });
    expect((await env.prisma.incentiveEvent.findMany({ where: { incentiveId: incentive!.id, type: 'VERIFIED' } })).map((e) => e.actor)).toEqual([finance.sub]);
  });
});

describe('who may submit what, and refused requests change nothing', () => {
  const snapshot = async () => ({ jobs: await env.prisma.bulkAction.count(), keys: await env.prisma.idempotencyKey.count() });
  const nowhere = (partnerId: string) => ({ kind: 'incentive.verify', items: [{ incentiveId: `${partnerId}-2025-01`, headcount: 0, totalMinor: 0, materials: [] }] });
  const deciding = (review: string, id: string = randomUUID()) => ({ kind: 'review.decide', items: [{ review, id, decision: 'APPROVE' }] });

  it('403 as the kit answers: a partner deciding reviews, a reviewer or a sales member verifying incentives, a review kind the caller may not decide', async () => {
    const partnerId = newPartner();
    const before = await snapshot();
    expectProblem(await submitBulk(api, await tokenFor(['partner_admin'], partnerId), deciding('certification')), 403, 'forbidden');
    expectProblem(await submitBulk(api, await tokenFor(['vendor_reviewer']), nowhere(partnerId)), 403, 'forbidden');
    expectProblem(await submitBulk(api, await tokenFor(['partner_sales'], partnerId), nowhere(partnerId)), 403, 'forbidden');
    // The ecosystem manager decides customer reports only; the reviewer everything but them.
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    const refused = await submitBulk(api, manager, { kind: 'review.decide', items: [...deciding('customer-report').items, ...deciding('level-raise').items] });
    expectProblem(refused, 403, 'forbidden');
    expect(refused.body.detail).toContain('levelRaise.review');
    expectProblem(await submitBulk(api, await tokenFor(['vendor_reviewer']), deciding('customer-report')), 403, 'forbidden');
    expectProblem(await submitBulk(api, await tokenFor(['vendor_staff']), deciding('certification')), 403, 'forbidden');
    expect(await snapshot()).toEqual(before);
  });

  it('400 naming the field, 422 on the same review twice', async () => {
    const partnerId = newPartner();
    const finance = await tokenFor(['partner_finance'], partnerId);
    const admin = await tokenFor(['vendor_admin']);
    const before = await snapshot();
    expectFieldProblem(await submitBulk(api, finance, { kind: 'incentive.verify', items: [{ incentiveId: 'nope', headcount: 0, totalMinor: 0, materials: [] }] }), 400, 'items.0.incentiveId');
    expectFieldProblem(await submitBulk(api, finance, { kind: 'incentive.verify', items: [{ incentiveId: `${partnerId}-2025-01`, headcount: 1, totalMinor: 0 }] }), 400, 'items.0.materials');
    expectFieldProblem(await submitBulk(api, admin, { kind: 'review.decide', items: [{ review: 'level-raise', id: randomUUID(), decision: 'REJECT' }] }), 400, 'items.0.note');
    expectFieldProblem(await submitBulk(api, admin, { kind: 'review.decide', items: [{ review: 'incentive', id: randomUUID(), decision: 'APPROVE' }] }), 400, 'items.0.review');
    expectFieldProblem(await submitBulk(api, admin, { kind: 'review.decide', items: [{ review: 'path-review', id: randomUUID(), decision: 'APPROVE' }] }), 400, 'items.0.id');
    expectFieldProblem(await submitBulk(api, admin, { kind: 'review.decide', items: [{ review: 'enrollment', id: randomUUID(), decision: 'PASS' }] }), 400, 'items.0.decision');
    const id = randomUUID();
    // The same id under two kinds is two reviews; under one kind twice, a duplicate.
    const twice = await submitBulk(api, admin, { kind: 'review.decide', items: [...deciding('enrollment', id).items, ...deciding('level-raise', id).items, ...deciding('enrollment', id).items] });
    expectFieldProblem(twice, 422, 'items.2.id');
    expect(twice.body.type).toBe('urn:partnerflow:problem:duplicate-item');
    expect(await snapshot()).toEqual(before);
  });
});
