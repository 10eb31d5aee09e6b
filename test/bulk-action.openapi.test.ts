/**
 * The OpenAPI contract, the bulk-action routes (issue 20 section 5): real answers — a job accepted (202), the same
 * Idempotency-Key again (200), its progress read while and after it runs, the refusals (a field, a duplicate item, no
 * Idempotency-Key, the vendor, another partner's job, no token), an incentive verification's and a review decision's
 * job and their kinds' 403 — each validated against the schema the document gives
 * for that route and status (support/openapi-contract.ts); every route answered a success.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { expectStatus, type Mode, newPartner, shareBody, useContract } from './support/openapi-contract.js';
import { eventually } from './support/wait.js';

const { checked, seen } = useContract();
const ROUTES = ['POST /v1/bulk-actions', 'GET /v1/bulk-actions', 'GET /v1/bulk-actions/:id'];

describe('contract: real answers match the document', () => {
  it('bulk actions: accepted, replayed, read while and after running, refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const sales = await tokenFor(['partner_sales'], partnerId);
    const vendor = await tokenFor(['vendor_staff']);
    const shared = await n('POST', '/v1/opportunities', vendor, shareBody(partnerId));
    expectStatus(shared, 201);
    const body = { kind: 'opportunity.accept', items: [{ opportunityId: shared.body.id }, { opportunityId: randomUUID() }] };
    const key = randomUUID();

    const accepted = await n('POST', '/v1/bulk-actions', sales, body, { 'Idempotency-Key': key });
    expectStatus(accepted, 202);
    expectStatus(await n('POST', '/v1/bulk-actions', sales, body, { 'Idempotency-Key': key }), 200);
    expectStatus(await n('GET', `/v1/bulk-actions/${accepted.body.id}`, sales), 200);
    const done = await eventually(async () => {
      const res = await n('GET', `/v1/bulk-actions/${accepted.body.id}`, sales);
      return res.body.status === 'COMPLETED' ? res : undefined;
    });
    expect(done.body.counts).toEqual({ PENDING: 0, DONE: 1, REFUSED: 1, FAILED: 0 });
    expectStatus(await n('GET', '/v1/bulk-actions?limit=5', sales), 200);
    expectStatus(await n('GET', `/v1/bulk-actions?kind=opportunity.accept&partnerId=${partnerId}`, vendor), 200);
    expectStatus(await n('GET', '/v1/bulk-actions?cursor=nope', sales), 400);
    expectStatus(await n('GET', '/v1/bulk-actions?kind=nope', sales), 400);

    expectStatus(await n('POST', '/v1/bulk-actions', sales, { kind: 'opportunity.accept', items: [{ opportunityId: 'x' }] }, { 'Idempotency-Key': randomUUID() }), 400);
    const twice = { kind: 'opportunity.accept', items: [{ opportunityId: shared.body.id }, { opportunityId: shared.body.id }] };
    expectStatus(await n('POST', '/v1/bulk-actions', sales, twice, { 'Idempotency-Key': randomUUID() }), 422);
    expectStatus(await n('POST', '/v1/bulk-actions', sales, { ...body, items: body.items.slice(1) }, { 'Idempotency-Key': key }), 422);
    expectStatus(await n('POST', '/v1/bulk-actions', sales, body), 400);
    expectStatus(await n('POST', '/v1/bulk-actions', vendor, body, { 'Idempotency-Key': randomUUID() }), 403);
    expectStatus(await n('GET', `/v1/bulk-actions/${accepted.body.id}`, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('GET', `/v1/bulk-actions/${accepted.body.id}`), 401);

    // The other kinds: an incentive verification (the partner's) and a review decision (the vendor's, no partner), each
    // naming an object nothing holds; the kind's permission refused with the kit's 403.
    const finance = await tokenFor(['partner_finance'], partnerId);
    const verifying = { kind: 'incentive.verify', items: [{ incentiveId: `${partnerId}-2025-01`, headcount: 0, totalMinor: 0, materials: [] }] };
    const deciding = { kind: 'review.decide', items: [{ review: 'enrollment', id: randomUUID(), decision: 'REJECT', note: 'contract' }] };
    const reviewer = await tokenFor(['vendor_reviewer']);
    for (const [token, job] of [[finance, verifying], [reviewer, deciding]] as const) {
      const started = await n('POST', '/v1/bulk-actions', token, job, { 'Idempotency-Key': randomUUID() });
      expectStatus(started, 202);
      const finished = await eventually(async () => {
        const res = await n('GET', `/v1/bulk-actions/${started.body.id}`, token);
        return res.body.status === 'COMPLETED' ? res : undefined;
      });
      expect(finished.body.counts).toEqual({ PENDING: 0, DONE: 0, REFUSED: 1, FAILED: 0 });
    }
    expectStatus(await n('POST', '/v1/bulk-actions', sales, verifying, { 'Idempotency-Key': randomUUID() }), 403);
    expectStatus(await n('POST', '/v1/bulk-actions', finance, deciding, { 'Idempotency-Key': randomUUID() }), 403);
    expectStatus(await n('POST', '/v1/bulk-actions', reviewer, { ...deciding, items: [{ ...deciding.items[0], note: 'x'.repeat(2001) }] }, { 'Idempotency-Key': randomUUID() }), 400);
  });

  it('every bulk-action route was exercised with a success answer', () => {
    for (const route of ROUTES) expect([...(seen.get(`normal ${route}`) ?? [])].some((s) => s >= 200 && s < 300), route).toBe(true);
  });
});
