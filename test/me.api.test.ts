/**
 * GET /v1/me on the real API + PostgreSQL (issue 20): the caller as the API sees it. Every expected permission list
 * comes from the hand-written policy (test/support/policy.ts HOLDERS) or is written out here, never from the code under
 * test: each built-in role's token; a partner member whose stored roles replace its token's (a custom role alone, and a
 * built-in role with a custom role: their union), followed through a change of its custom role; a customer's token;
 * and the refusals — no token or a token that is none (401), a deactivated member (403), problem+json each.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { meSchema } from '../api/me/schemas.js';
import { PERMISSIONS, type Role, ROLES } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { customerToken } from './support/customer-fixtures.js';
import { expectOk, expectProblem, useTestEnv } from './support/env.js';
import { HOLDERS } from './support/policy.js';

const env = useTestEnv({ taskQueue: 'me-test', api: true });
const { api } = env;
const run = randomUUID().slice(0, 8);
const PARTNER = `P-me-${run}`;
let owner: string;

beforeAll(async () => {
  owner = await tokenFor(['partner_admin'], PARTNER, `${PARTNER}-owner`);
});

/** GET /v1/me, checked against the route's declared answer. */
async function me(token: string) {
  const res = await api('GET', '/v1/me', token);
  expectOk(res);
  expect(meSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  expect(res.headers.get('cache-control')).toBe('no-store');
  return res.body as { sub: string; roles: string[]; partnerId: string | null; customerId: string | null; memberId: string | null; permissions: string[] };
}
/** What the policy gives a built-in role, in the catalog's order. */
const policyOf = (role: Role) => PERMISSIONS.filter((permission) => HOLDERS[permission].includes(role));

describe("built-in roles: the token's roles decide", () => {
  it('every role of the vendor and of the partner (no member record) gets exactly what the policy gives it', async () => {
    for (const role of ROLES.filter((r) => r !== 'customer')) {
      const partnerId = role.startsWith('partner_') ? PARTNER : undefined;
      const sub = `me-${role}-${run}`;
      expect(await me(await tokenFor([role], partnerId, sub)), role).toEqual({
        sub,
        roles: [role],
        partnerId: partnerId ?? null,
        customerId: null,
        memberId: null,
        permissions: policyOf(role),
      });
    }
  });

  it('vendor staff, written out: reads everywhere, shares opportunities, advances the clock — no review queue', async () => {
    const body = await me(await tokenFor(['vendor_staff'], undefined, `me-staff-${run}`));
    expect([...body.permissions].sort()).toEqual(
      [
        'opportunity.share', 'opportunity.readAll', 'opportunity.read', 'calendar.read', 'calendar.readAll', 'clock.advance', 'incentive.read',
        'incentive.readAll', 'certification.read', 'certification.readAll', 'path.read', 'path.readAll', 'pathReview.read', 'pathReview.readAll',
        'webhook.read', 'account.read', 'account.readAll', 'specialist.read', 'specialist.readAll', 'levelRaise.read', 'levelRaise.readAll',
        'agreement.read', 'agreement.readAll', 'enrollment.read', 'enrollment.readAll', 'customer.expand', 'order.read', 'order.readAll',
      ].sort(),
    );
    expect(body.permissions).not.toContain('review.queue');
  });

  it("a customer's token: its customerId, the customer role and customer.respond alone", async () => {
    const customerId = `C-me-${run}`;
    expect(await me(await customerToken(customerId))).toEqual({
      sub: `${customerId}-account`,
      roles: ['customer'],
      partnerId: null,
      customerId,
      memberId: null,
      permissions: ['customer.respond'],
    });
  });
});

describe("a partner member: its stored roles replace the token's", () => {
  it('a custom role alone (incentive.verify, incentive.read): those two, whatever the token claims; a second one in the union; a changed role shows at once', async () => {
    const role = await api('POST', `/v1/partners/${PARTNER}/roles`, owner, { name: `Verifier ${run}`, permissions: ['incentive.verify', 'incentive.read'] });
    expectOk(role, 201);
    const sub = `me-verifier-${run}`;
    const member = await api('POST', `/v1/partners/${PARTNER}/members`, owner, { sub, displayName: 'Verifier', roles: [role.body.id] });
    expectOk(member, 201);
    // The token claims partner_admin; the member record holds the custom role only.
    const token = await tokenFor(['partner_admin'], PARTNER, sub);
    expect(await me(token)).toEqual({
      sub,
      roles: [],
      partnerId: PARTNER,
      customerId: null,
      memberId: member.body.id,
      permissions: ['incentive.read', 'incentive.verify'],
    });

    // partner_sales and the custom role: the union, in the catalog's order.
    const both = `me-sales-verifier-${run}`;
    expectOk(await api('POST', `/v1/partners/${PARTNER}/members`, owner, { sub: both, displayName: 'Sales and verifier', roles: ['partner_sales', role.body.id] }), 201);
    const union = await me(await tokenFor(['partner_sales'], PARTNER, both));
    expect(union.roles).toEqual(['partner_sales']);
    expect([...union.permissions].sort()).toEqual([...policyOf('partner_sales'), 'incentive.read', 'incentive.verify'].sort());
    expect(union.permissions).toEqual(PERMISSIONS.filter((p) => union.permissions.includes(p)));

    // The role now holds opportunity.read instead: the next answer says so (a role change clears the resolved members).
    expectOk(await api('PATCH', `/v1/partners/${PARTNER}/roles/${role.body.id}`, owner, { permissions: ['opportunity.read'] }));
    expect((await me(token)).permissions).toEqual(['opportunity.read']);
  });

  it('a deactivated member is refused (403), as on every route', async () => {
    const sub = `me-gone-${run}`;
    const member = await api('POST', `/v1/partners/${PARTNER}/members`, owner, { sub, displayName: 'Gone', roles: ['partner_sales'] });
    expectOk(member, 201);
    expectOk(await api('PATCH', `/v1/partners/${PARTNER}/members/${member.body.id}`, owner, { active: false }));
    expectProblem(await api('GET', '/v1/me', await tokenFor(['partner_sales'], PARTNER, sub)), 403, 'membership-deactivated');
  });
});

describe('refusals', () => {
  it('no token, or a token that is none: 401 problem+json', async () => {
    expectProblem(await api('GET', '/v1/me'), 401);
    expectProblem(await api('GET', '/v1/me', 'not-a-jwt'), 401);
  });
});
