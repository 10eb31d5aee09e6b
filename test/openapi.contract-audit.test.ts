/**
 * The OpenAPI contract, the audit log's read route (issue 19 section 3): real answers — a page with the row a real write
 * left, a page followed by its cursor, the refusals (a period ending before it starts, a cursor this API never emitted,
 * another role, no token) — each validated against the schema the document gives for that route and status
 * (support/openapi-contract.ts); the route answered a success.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { checked, seen } = useContract();
const AUDIT = 'GET /v1/admin/audit';
let auditor: string;
beforeAll(async () => {
  auditor = await tokenFor(['vendor_auditor'], undefined, 'oa-auditor');
});

describe('contract: real answers match the document', () => {
  it('audit: the rows of real writes, a next page, refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const actor = `oa-audit-${randomUUID().slice(0, 8)}`;
    const admin = await tokenFor(['partner_admin'], partnerId, actor);
    for (const name of ['one', 'two']) expectStatus(await n('POST', `/v1/partners/${partnerId}/members`, admin, { sub: `${actor}-${name}`, displayName: name }), 201);

    const first = await n('GET', `/v1/admin/audit?actor=${actor}&limit=1`, auditor);
    expectStatus(first, 200);
    expect(first.body.items).toMatchObject([{ actor, partnerId, action: 'POST /v1/partners/:partnerId/members', status: 201 }]);
    const next = await n('GET', `/v1/admin/audit?actor=${actor}&limit=1&cursor=${first.body.nextCursor}`, auditor);
    expectStatus(next, 200);
    expect([next.body.items.length, next.body.nextCursor]).toEqual([1, null]);

    expectStatus(await n('GET', '/v1/admin/audit?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z', auditor), 400);
    expectStatus(await n('GET', '/v1/admin/audit?cursor=WzEsMl0', auditor), 400);
    expectStatus(await n('GET', `/v1/admin/audit?actor=${actor}`, await tokenFor(['vendor_admin'])), 403);
    expectStatus(await n('GET', `/v1/admin/audit?actor=${actor}`, admin), 403);
    expectStatus(await n('GET', '/v1/admin/audit'), 401);
  });

  it('the audit route was exercised with a success answer', () => {
    expect([...(seen.get(`normal ${AUDIT}`) ?? [])].filter((status) => status >= 200 && status < 300)).toEqual([200]);
  });
});
