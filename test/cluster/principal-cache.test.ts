/**
 * The member cache across API replicas (npm run test:cluster): each replica trusts a resolved member for
 * PRINCIPAL_CACHE_MS (api/members/principals.ts) and clears its own cache on every member or role change — so a
 * deactivation made through one replica refuses at once there, and on the other replica within that bound, never later
 * (docs/access-control.md "Several API replicas").
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PRINCIPAL_CACHE_MS } from '../../api/members/principals.js';
import { signToken } from '../../domain/auth.js';
import { devJwtSecret } from '../../platform/config.js';

const apis = (process.env.CLUSTER_API_URLS ?? '').split(',').filter(Boolean);

describe('the member cache across two API replicas', () => {
  it('a deactivation through replica A refuses at once on A, and on B within PRINCIPAL_CACHE_MS', async () => {
    if (apis.length < 2) throw new Error('CLUSTER_API_URLS is not set to two API replicas (npm run test:cluster sets it)');
    const [a, b] = apis as [string, string];
    const partnerId = `P-cache-${randomUUID().slice(0, 8)}`;
    const admin = await signToken({ sub: `${partnerId}-admin`, roles: ['partner_admin'], partnerId }, devJwtSecret);
    const memberSub = `${partnerId}-sales`;
    const member = await signToken({ sub: memberSub, roles: ['partner_sales'], partnerId }, devJwtSecret);
    const call = (base: string, token: string, method = 'GET', path = '/v1/opportunities?limit=1', body?: unknown) =>
      fetch(`${base}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });

    const created = await call(a, admin, 'POST', `/v1/partners/${partnerId}/members`, { sub: memberSub, displayName: 'Cache test', roles: ['partner_sales'] });
    expect(created.status).toBe(201);
    const { id } = (await created.json()) as { id: string };
    // B resolves the member now and caches it.
    expect((await call(b, member)).status).toBe(200);

    const deactivatedAt = Date.now();
    expect((await call(a, admin, 'PATCH', `/v1/partners/${partnerId}/members/${id}`, { active: false })).status).toBe(200);
    expect((await call(a, member)).status).toBe(403);
    let refusedAfter: number | undefined;
    while (refusedAfter === undefined && Date.now() - deactivatedAt < PRINCIPAL_CACHE_MS + 3000) {
      if ((await call(b, member)).status === 403) refusedAfter = Date.now() - deactivatedAt;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    console.log(`replica B refused the deactivated member ${refusedAfter} ms after the deactivation (bound ${PRINCIPAL_CACHE_MS} ms)`);
    expect(refusedAfter).toBeDefined();
    expect(refusedAfter!).toBeLessThanOrEqual(PRINCIPAL_CACHE_MS + 1000);
  }, 60_000);
});
