/**
 * The organization stays manageable, on the real stack (API + worker + Temporal dev server + PostgreSQL): no
 * self-demotion or self-deactivation, never without a member manager (also under concurrent changes and custom-role
 * edits), reactivation is a grant, and no record silently downgrades a token-only admin.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { expectProblem, fields, useTestEnv } from './support/env.js';
import { memberSteps } from './support/members.js';

const env = useTestEnv({ taskQueue: 'members-manageable-test', server: 'dev', api: true });
const { api } = env;
let vendor: string;

beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

const { organization, addMember, addRole, snapshotDb } = memberSteps(env, () => vendor);

describe('the organization stays manageable', () => {
  const members = (partnerId: string) => `/v1/partners/${partnerId}/members`;
  const vendorAdmin = () => tokenFor(['vendor_admin'], undefined, 'vendor-admin');

  it('nobody demotes or deactivates themselves; the last member manager stays (409) unless a token-only admin acts', async () => {
    const { partnerId, owner } = await organization();
    const a = await addMember(partnerId, owner, 'admin-a', ['partner_admin']);
    const adminA = await tokenFor(['partner_admin'], partnerId, 'admin-a');
    const admin = await vendorAdmin();
    const before = await snapshotDb();

    const demoted = await api('PATCH', `${members(partnerId)}/${a.id}`, adminA, { roles: ['partner_sales'] });
    expectProblem(demoted, 422, 'self-demotion');
    expect(fields(demoted)).toEqual(['roles']);
    const off = await api('PATCH', `${members(partnerId)}/${a.id}`, adminA, { active: false });
    expectProblem(off, 422, 'self-deactivation');
    expect(fields(off)).toEqual(['active']);
    // vendor_admin is no token-only admin of this partner: admin-a is the partner's last member manager.
    const last = await api('PATCH', `${members(partnerId)}/${a.id}`, admin, { roles: ['partner_finance'] });
    expectProblem(last, 409, 'last-member-manager');
    expect(fields(last)).toEqual(['roles']);
    expect(last.body.members).toEqual([{ id: a.id, sub: 'admin-a' }]);
    const lastOff = await api('PATCH', `${members(partnerId)}/${a.id}`, admin, { active: false });
    expectProblem(lastOff, 409, 'last-member-manager');
    expect(fields(lastOff)).toEqual(['active']);
    expect(await snapshotDb()).toEqual(before);

    // What keeps member.manage is no demotion.
    const renamed = await api('PATCH', `${members(partnerId)}/${a.id}`, adminA, { displayName: 'Admin A', roles: ['partner_admin', 'partner_sales'] });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    // With a second manager, admin-a may go; then admin-b is the last one.
    const b = await addMember(partnerId, adminA, 'admin-b', ['partner_admin']);
    expect((await api('PATCH', `${members(partnerId)}/${a.id}`, admin, { roles: ['partner_sales'] })).status).toBe(200);
    expectProblem(await api('PATCH', `${members(partnerId)}/${b.id}`, admin, { active: false }), 409, 'last-member-manager');
    // The token-only owner keeps member.manage from its token: it may demote the last stored manager.
    const byOwner = await api('PATCH', `${members(partnerId)}/${b.id}`, owner, { roles: [] });
    expect(byOwner.status, JSON.stringify(byOwner.body)).toBe(200);
    expect(byOwner.body.roles).toEqual([]);
  });

  it("a custom role losing member.manage cannot take it from its last holder, nor from the caller itself", async () => {
    const { partnerId, owner } = await organization();
    const people = await addRole(partnerId, owner, 'People', ['member.manage', 'role.manage', 'opportunity.read']);
    const leadMember = await addMember(partnerId, owner, 'people-lead', [people.id]);
    const lead = await tokenFor(['partner_admin'], partnerId, 'people-lead');
    const admin = await vendorAdmin();
    const before = await snapshotDb();
    const own = await api('PATCH', `/v1/partners/${partnerId}/roles/${people.id}`, lead, { permissions: ['role.manage', 'opportunity.read'] });
    expectProblem(own, 422, 'self-demotion');
    expect(fields(own)).toEqual(['permissions']);
    const last = await api('PATCH', `/v1/partners/${partnerId}/roles/${people.id}`, admin, { permissions: ['role.manage', 'opportunity.read'] });
    expectProblem(last, 409, 'last-member-manager');
    expect(fields(last)).toEqual(['permissions']);
    expect(last.body.members).toEqual([{ id: leadMember.id, sub: 'people-lead' }]);
    expect(await snapshotDb()).toEqual(before);

    expect((await api('PATCH', `/v1/partners/${partnerId}/roles/${people.id}`, admin, { name: 'People team' })).status).toBe(200);
    await addMember(partnerId, owner, 'second-admin', ['partner_admin']);
    const edited = await api('PATCH', `/v1/partners/${partnerId}/roles/${people.id}`, admin, { permissions: ['role.manage', 'opportunity.read'] });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expectProblem(await api('GET', members(partnerId), lead), 403);
  });

  it('two managers demoting each other at the same time: one wins, the partner keeps exactly one manager', async () => {
    const pairs = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const { partnerId, owner } = await organization();
        const a = await addMember(partnerId, owner, 'pair-a', ['partner_admin']);
        const b = await addMember(partnerId, owner, 'pair-b', ['partner_admin']);
        return { partnerId, a, b, tokenA: await tokenFor(['partner_admin'], partnerId, 'pair-a'), tokenB: await tokenFor(['partner_admin'], partnerId, 'pair-b') };
      }),
    );
    const outcomes = await Promise.all(
      pairs.map(({ partnerId, a, b, tokenA, tokenB }) =>
        Promise.all([
          api('PATCH', `${members(partnerId)}/${b.id}`, tokenA, { roles: ['partner_sales'] }),
          api('PATCH', `${members(partnerId)}/${a.id}`, tokenB, { roles: ['partner_sales'] }),
        ]),
      ),
    );
    for (const [i, results] of outcomes.entries()) {
      const statuses = results.map((r) => r.status).sort();
      // The loser is refused as the last manager's demoter, or, authorized after the winner committed, as a non-manager.
      expect([[200, 403], [200, 409]], JSON.stringify(results.map((r) => r.body))).toContainEqual(statuses);
      const loser = results.find((r) => r.status !== 200)!;
      // Either way it says why: 409 last-member-manager, or 403 forbidden (no longer a manager itself).
      expect(loser.body.type).toBe(`urn:partnerflow:problem:${loser.status === 409 ? 'last-member-manager' : 'forbidden'}`);
      const managers = await env.prisma.partnerMember.count({ where: { partnerId: pairs[i]!.partnerId, active: true, roles: { some: { role: 'partner_admin' } } } });
      expect(managers).toBe(1);
    }
  });

  it('reactivating a member is a grant: nobody gives back roles they could not grant', async () => {
    const { partnerId, owner } = await organization();
    const managerRole = await addRole(partnerId, owner, 'People manager', ['member.manage', 'opportunity.read']);
    await addMember(partnerId, owner, 'manager', [managerRole.id]);
    const manager = await tokenFor(['partner_admin'], partnerId, 'manager');
    const closer = await addMember(partnerId, owner, 'closer', ['partner_sales']);
    // Deactivating takes away: no grant needed.
    expect((await api('PATCH', `${members(partnerId)}/${closer.id}`, manager, { active: false })).status).toBe(200);
    const before = await snapshotDb();
    const back = await api('PATCH', `${members(partnerId)}/${closer.id}`, manager, { active: true });
    expectProblem(back, 422, 'permission-not-grantable');
    expect(fields(back)).toEqual(['active']);
    expect(back.body.detail).toContain('opportunity.act');
    expect(await snapshotDb()).toEqual(before);
    // Reactivated with roles the manager holds itself: granted.
    const regranted = await api('PATCH', `${members(partnerId)}/${closer.id}`, manager, { active: true, roles: [managerRole.id] });
    expect(regranted.status, JSON.stringify(regranted.body)).toBe(200);
    expect(regranted.body).toMatchObject({ active: true, roles: [managerRole.id] });
  });

  it("a member record keeps a token-only admin's permissions: for one's own sub, and for a sub seen managing the partner", async () => {
    const { partnerId, owner } = await organization();
    const ownerSub = `${partnerId}-owner`;
    const coOwner = await tokenFor(['partner_admin'], partnerId, 'co-owner');
    await addMember(partnerId, coOwner, 'intern', []); // the audit log now shows co-owner managing members
    const before = await snapshotDb();
    const self = await api('POST', members(partnerId), owner, { sub: ownerSub, displayName: 'Me', roles: ['partner_sales'] });
    expectProblem(self, 422, 'self-downgrade');
    expect(fields(self)).toEqual(['roles']);
    expect(self.body.missing).toEqual(expect.arrayContaining(['member.manage', 'role.manage', 'incentive.verify']));
    expect(self.body.missing).not.toContain('opportunity.act'); // partner_sales grants it
    expectProblem(await api('POST', members(partnerId), owner, { sub: ownerSub, displayName: 'Me', roles: [] }), 422, 'self-downgrade');
    const seen = await api('POST', members(partnerId), owner, { sub: 'co-owner', displayName: 'Co-owner', roles: ['partner_sales'] });
    expectProblem(seen, 422, 'token-admin-downgrade');
    expect(fields(seen)).toEqual(['roles']);
    expect(seen.body.missing).toContain('member.manage');
    expect(await snapshotDb()).toEqual(before);

    // Records that keep everything are created; so is one for a sub never seen acting (it cannot be checked).
    await addMember(partnerId, owner, ownerSub, ['partner_admin']);
    const coOwnerMember = await addMember(partnerId, owner, 'co-owner', ['partner_admin']);
    await addMember(partnerId, owner, 'never-seen', []);
    // Now stored members, they are demoted explicitly, under the rules above.
    expect((await api('PATCH', `${members(partnerId)}/${coOwnerMember.id}`, owner, { roles: ['partner_sales'] })).status).toBe(200);
    expect((await api('GET', members(partnerId), owner)).status).toBe(200);
    expectProblem(await api('GET', members(partnerId), coOwner), 403);
  });
});
