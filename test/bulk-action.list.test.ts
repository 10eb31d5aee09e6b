/**
 * GET /v1/bulk-actions (docs/bulk-actions.md): the jobs a caller may read, newest first, each with its counts by
 * outcome — a partner's staff their partner's only; the vendor, naming a partner, that partner's jobs of the kinds it
 * reads every partner's of; paged without repeats; refusals naming the field. Expectations from the jobs the test
 * submitted itself, in the order it submitted them.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { completedJob, newPartner, submitBulk } from './support/bulk-action.js';
import { expectFieldProblem, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'bulk-action-list-test', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
let vendor: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

type Summary = { id: string; kind: string; partnerId: string | null; status: string; total: number; counts: Record<string, number> };
const ids = (body: { items: Summary[] }) => body.items.map((job) => job.id);

describe('GET /v1/bulk-actions', () => {
  it("lists a partner's jobs newest first with their counts, pages them, filters by kind, and shows no other partner's", async () => {
    const partnerId = newPartner();
    const sales = await tokenFor(['partner_sales'], partnerId);
    // Three jobs in turn, each naming one opportunity nothing holds (REFUSED 404): accept, reject, accept.
    const submitted: string[] = [];
    for (const kind of ['opportunity.accept', 'opportunity.reject', 'opportunity.accept']) {
      const item = kind === 'opportunity.reject' ? { opportunityId: randomUUID(), reasonCode: 'OTHER' } : { opportunityId: randomUUID() };
      const res = await submitBulk(env.api, sales, { kind, items: [item] });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      submitted.push(res.body.id as string);
      await completedJob(env.api, sales, res.body.id as string);
    }
    const newestFirst = [...submitted].reverse();

    const all = await env.api('GET', '/v1/bulk-actions', sales);
    expect(all.status).toBe(200);
    expect(ids(all.body)).toEqual(newestFirst);
    expect(all.body.nextCursor).toBeNull();
    for (const job of all.body.items as Summary[]) {
      expect(job).toMatchObject({ partnerId, status: 'COMPLETED', total: 1, counts: { PENDING: 0, DONE: 0, REFUSED: 1, FAILED: 0 } });
    }

    // Pages of two: every job once, in the same order.
    const first = await env.api('GET', '/v1/bulk-actions?limit=2', sales);
    expect(ids(first.body)).toEqual(newestFirst.slice(0, 2));
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await env.api('GET', `/v1/bulk-actions?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, sales);
    expect(ids(second.body)).toEqual(newestFirst.slice(2));
    expect(second.body.nextCursor).toBeNull();

    expect(ids((await env.api('GET', '/v1/bulk-actions?kind=opportunity.reject', sales)).body)).toEqual([submitted[1]]);

    // Another partner's staff see none of them, even naming the partner; the vendor sees them by naming it.
    const stranger = await tokenFor(['partner_admin'], newPartner());
    expect(ids((await env.api('GET', '/v1/bulk-actions', stranger)).body)).toEqual([]);
    expect(ids((await env.api('GET', `/v1/bulk-actions?partnerId=${partnerId}`, stranger)).body)).toEqual([]);
    expect(ids((await env.api('GET', `/v1/bulk-actions?partnerId=${partnerId}`, vendor)).body)).toEqual(newestFirst);
    // Without a partner the vendor's list is its review decisions: none of this partner's jobs.
    expect(ids((await env.api('GET', '/v1/bulk-actions', vendor)).body)).not.toContain(submitted[0]);
  });

  it('refuses a kind, a limit or a cursor it does not know, naming the field', async () => {
    const sales = await tokenFor(['partner_sales'], newPartner());
    expectFieldProblem(await env.api('GET', '/v1/bulk-actions?kind=opportunity.share', sales), 400, 'query.kind');
    expectFieldProblem(await env.api('GET', '/v1/bulk-actions?limit=0', sales), 400, 'query.limit');
    expectFieldProblem(await env.api('GET', '/v1/bulk-actions?cursor=nope', sales), 400, 'query.cursor');
    expect((await env.api('GET', '/v1/bulk-actions')).status).toBe(401);
  });
});
