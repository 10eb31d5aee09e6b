/**
 * Bulk actions through the API (docs/bulk-actions.md): the real app, the real worker, Temporal's time-skipping server,
 * real PostgreSQL. Every expectation below is counted by hand from what the test set up, never by the code under test.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { completedJob, newPartner, shareMany, submitBulk } from './support/bulk-action.js';
import { DAY, expectFieldProblem, useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';
import { bulkActionWorkflowId, getProgress } from '../workflows/bulk-action/contract.js';

const env = useTestEnv({ taskQueue: 'bulk-action-test', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
const { api } = env;
let vendor: string;

beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

const accepting = (ids: string[]) => ({ kind: 'opportunity.accept', items: ids.map((opportunityId) => ({ opportunityId })) });

describe('bulk accept', () => {
  it('20 where 2 have expired: 18 DONE (ACCEPTED), 2 REFUSED with the problem the single route answers', async () => {
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_sales'], partnerId);
    const expired = await shareMany(api, vendor, partnerId, 2);
    // 10 days on, past any 3-working-day deadline: both expire (their workflows end).
    await env.advanceTo((await env.currentTimeMs()) + 10 * DAY);
    await eventually(async () => ((await env.prisma.opportunity.count({ where: { id: { in: expired }, status: 'EXPIRED' } })) === 2 ? true : undefined));
    const fresh = await shareMany(api, vendor, partnerId, 18);
    // Items 3 and 11 are the expired ones.
    const ids = [...fresh.slice(0, 3), expired[0]!, ...fresh.slice(3, 10), expired[1]!, ...fresh.slice(10)];
    expect(ids).toHaveLength(20);

    const res = await submitBulk(api, partner, accepting(ids));
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.headers.get('location')).toBe(`/v1/bulk-actions/${res.body.id}`);
    expect(res.body).toMatchObject({ partnerId, kind: 'opportunity.accept', total: 20 });

    const job = await completedJob(api, partner, res.body.id);
    await recordHistory(env.client.workflow.getHandle(bulkActionWorkflowId(res.body.id)), 'bulk-action-accepted-some-refused');
    expect(job.counts).toEqual({ PENDING: 0, DONE: 18, REFUSED: 2, FAILED: 0 });
    expect(job.completedAt).not.toBeNull();
    for (const [index, item] of (job.results as { index: number; opportunityId: string; outcome: string; status: string | null; problem: Record<string, unknown> | null }[]).entries()) {
      expect(item.index).toBe(index);
      expect(item.opportunityId).toBe(ids[index]);
      if (index === 3 || index === 11) {
        expect(item.outcome).toBe('REFUSED');
        // Exactly what POST /v1/opportunities/:id/accept answers for the same opportunity (its instance and request id aside).
        const single = await api('POST', `/v1/opportunities/${item.opportunityId}/accept`, partner);
        expect(single.status).toBe(409);
        const { instance: _instance, requestId: _requestId, ...singleProblem } = single.body;
        expect(item.problem).toEqual(singleProblem);
        expect(item.problem).toMatchObject({ status: 409, type: 'urn:partnerflow:problem:opportunity-closed', currentStatus: 'EXPIRED' });
      } else {
        expect(item).toMatchObject({ outcome: 'DONE', status: 'ACCEPTED', problem: null });
      }
    }
    // The database agrees: 18 accepted by this partner's member, the 2 expired untouched.
    expect(await env.prisma.opportunity.count({ where: { id: { in: fresh }, status: 'ACCEPTED' } })).toBe(18);
    expect(await env.prisma.opportunityEvent.count({ where: { opportunityId: { in: fresh }, type: 'ACCEPTED' } })).toBe(18);
    expect(await env.prisma.opportunityEvent.count({ where: { opportunityId: { in: expired }, type: 'ACCEPTED' } })).toBe(0);
    // Its completion is announced once, with the counts.
    const [completed] = await env.arrived('bulk-action.completed', res.body.id, 1);
    expect(completed!.payload).toMatchObject({ partnerId, jobId: res.body.id, total: 20, counts: { DONE: 18, REFUSED: 2, FAILED: 0 } });
  });

  it("another partner's opportunity in the list: that item REFUSED 404, the rest DONE", async () => {
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_sales'], partnerId);
    const own = await shareMany(api, vendor, partnerId, 3);
    const [foreign] = await shareMany(api, vendor, newPartner(), 1);
    const res = await submitBulk(api, partner, accepting([own[0]!, foreign!, own[1]!, own[2]!]));
    expect(res.status).toBe(202);
    const job = await completedJob(api, partner, res.body.id);
    expect(job.counts).toEqual({ PENDING: 0, DONE: 3, REFUSED: 1, FAILED: 0 });
    expect(job.results[1]).toMatchObject({ outcome: 'REFUSED', problem: { status: 404, type: 'urn:partnerflow:problem:not-found', detail: `Opportunity ${foreign} was not found.` } });
    expect(await env.prisma.opportunity.findUniqueOrThrow({ where: { id: foreign! } })).toMatchObject({ status: 'PENDING_ACCEPTANCE' });
  });

  it('the same Idempotency-Key twice: one job (202, then 200 with the same job); another body with it 422', async () => {
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_sales'], partnerId);
    const ids = await shareMany(api, vendor, partnerId, 2);
    const key = randomUUID();
    const first = await submitBulk(api, partner, accepting(ids), key);
    const second = await submitBulk(api, partner, accepting(ids), key);
    expect([first.status, second.status]).toEqual([202, 200]);
    expect(second.body.id).toBe(first.body.id);
    expect(second.headers.get('location')).toBe(`/v1/bulk-actions/${first.body.id}`);
    expect(await env.prisma.bulkAction.count({ where: { partnerId } })).toBe(1);
    await completedJob(api, partner, first.body.id);
    const reused = await submitBulk(api, partner, accepting(ids.slice(0, 1)), key);
    expectFieldProblem(reused, 422, 'Idempotency-Key');
    expect(await env.prisma.opportunityEvent.count({ where: { opportunityId: { in: ids }, type: 'ACCEPTED' } })).toBe(2);
  });

  it('progress is readable while it runs: RUNNING with pending items first, counts only growing, then COMPLETED', async () => {
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_sales'], partnerId);
    const ids = await shareMany(api, vendor, partnerId, 40);
    const res = await submitBulk(api, partner, accepting(ids));
    expect(res.status).toBe(202);
    expect(res.body.status).toBe('RUNNING');
    expect(res.body.counts).toEqual({ PENDING: 40, DONE: 0, REFUSED: 0, FAILED: 0 });
    // The workflow's own progress query answers too, while it runs.
    const progress = await env.client.workflow.getHandle(bulkActionWorkflowId(res.body.id)).query(getProgress);
    expect(progress).toMatchObject({ jobId: res.body.id, total: 40 });
    expect(Object.values(progress.counts).reduce((a, b) => a + b, 0)).toBe(40);
    const seen: Record<string, any>[] = [];
    await completedJob(api, partner, res.body.id, seen);
    // At least one answer caught it midway (40 items at 8 a time take seconds; polled every 100 ms).
    expect(seen.some((s) => s.status === 'RUNNING' && s.counts.DONE > 0 && s.counts.DONE < 40), JSON.stringify(seen.map((s) => s.counts))).toBe(true);
    for (const s of seen) expect(s.counts.PENDING + s.counts.DONE + s.counts.REFUSED + s.counts.FAILED).toBe(40);
    const done = seen.map((s) => s.counts.DONE as number);
    expect([...done].sort((a, b) => a - b)).toEqual(done);
    expect(seen.at(-1)!.counts).toEqual({ PENDING: 0, DONE: 40, REFUSED: 0, FAILED: 0 });
  });
});

describe('bulk reject', () => {
  it('rejects many with a reason and a note: each REJECTED with them in its history', async () => {
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_sales'], partnerId);
    const ids = await shareMany(api, vendor, partnerId, 5);
    const body = { kind: 'opportunity.reject', items: ids.map((opportunityId, i) => ({ opportunityId, reasonCode: 'DUPLICATE', note: `duplicate ${i}` })) };
    const res = await submitBulk(api, partner, body);
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    const job = await completedJob(api, partner, res.body.id);
    await recordHistory(env.client.workflow.getHandle(bulkActionWorkflowId(res.body.id)), 'bulk-action-rejected');
    expect(job.counts).toEqual({ PENDING: 0, DONE: 5, REFUSED: 0, FAILED: 0 });
    for (const item of job.results) expect(item).toMatchObject({ outcome: 'DONE', status: 'REJECTED' });
    const events = await env.prisma.opportunityEvent.findMany({ where: { opportunityId: { in: ids }, type: 'REJECTED' } });
    expect(events.map((e) => [ids.indexOf(e.opportunityId), e.reasonCode, e.note, e.actor]).sort()).toEqual(
      ids.map((_, i) => [i, 'DUPLICATE', `duplicate ${i}`, expect.any(String)]),
    );
  });
});

describe('refused requests change nothing', () => {
  const snapshot = async () => ({ jobs: await env.prisma.bulkAction.count(), keys: await env.prisma.idempotencyKey.count() });

  it('400 naming the field, 422 on a duplicate, 400 without Idempotency-Key, 403 for the vendor, 404 for another partner', async () => {
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_sales'], partnerId);
    const ids = await shareMany(api, vendor, partnerId, 2);
    const before = await snapshot();
    const bad = { kind: 'opportunity.accept', items: [...ids.map((opportunityId) => ({ opportunityId })), { opportunityId: ids[0] }, { opportunityId: 'not-a-uuid' }] };
    expectFieldProblem(await submitBulk(api, partner, bad), 400, 'items.3.opportunityId');
    expectFieldProblem(await submitBulk(api, partner, { kind: 'opportunity.accept', items: [] }), 400, 'items');
    const tooMany = Array.from({ length: 1001 }, () => ({ opportunityId: randomUUID() }));
    expectFieldProblem(await submitBulk(api, partner, { kind: 'opportunity.accept', items: tooMany }), 400, 'items');
    expectFieldProblem(await submitBulk(api, partner, { kind: 'opportunity.reject', items: [{ opportunityId: ids[0] }] }), 400, 'items.0.reasonCode');
    expectFieldProblem(await submitBulk(api, partner, { kind: 'opportunity.accept', items: [{ opportunityId: ids[0], reasonCode: 'OTHER' }] }), 400, 'items.0.reasonCode');
    expectFieldProblem(await submitBulk(api, partner, { kind: 'opportunity.close', items: [{ opportunityId: ids[0] }] }), 400, 'kind');
    const duplicate = await submitBulk(api, partner, accepting([ids[0]!, ids[1]!, ids[0]!]));
    expectFieldProblem(duplicate, 422, 'items.2.opportunityId');
    expect(duplicate.body.type).toBe('urn:partnerflow:problem:duplicate-item');
    expectFieldProblem(await api('POST', '/v1/bulk-actions', partner, accepting(ids)), 400, 'Idempotency-Key');
    expectFieldProblem(await submitBulk(api, vendor, accepting(ids)), 403);
    expect(await snapshot()).toEqual(before);
    expect(await env.prisma.opportunity.count({ where: { id: { in: ids }, status: 'PENDING_ACCEPTANCE' } })).toBe(2);

    const res = await submitBulk(api, partner, accepting(ids));
    const other = await tokenFor(['partner_admin'], newPartner());
    expectFieldProblem(await api('GET', `/v1/bulk-actions/${res.body.id}`, other), 404);
    expectFieldProblem(await api('GET', `/v1/bulk-actions/${randomUUID()}`, partner), 404);
    expect((await api('GET', `/v1/bulk-actions/${res.body.id}`, vendor)).status).toBe(200);
    await completedJob(api, partner, res.body.id);
  });
});
