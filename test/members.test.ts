/**
 * Organization members and custom roles on the real stack (API + worker + Temporal dev server + PostgreSQL):
 * members' stored roles replace their token's, custom roles grant exactly their permissions, revocation and
 * deactivation work at once, nobody grants what they lack, roles in use cannot be deleted, partners stay
 * inside their own organization, creating POSTs are idempotent, refusals change nothing, and members have a work
 * residence. That the organization
 * stays manageable: members-manageable.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { expectProblem, fields, useTestEnv } from './support/env.js';
import { memberSteps } from './support/members.js';

const env = useTestEnv({ taskQueue: 'members-test', server: 'dev', api: true });
const { api } = env;
let vendor: string;

beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

const { organization, share, addMember, addRole, snapshotDb } = memberSteps(env, () => vendor);

describe('members', () => {
  it("a member's stored roles replace its token's roles", async () => {
    const { partnerId, owner } = await organization();
    const member = await addMember(partnerId, owner, 'finance-person', ['partner_finance']);
    expect(member).toMatchObject({ roles: ['partner_finance'], active: true });
    // The token claims partner_admin, but the member record says partner_finance: read, not act.
    const token = await tokenFor(['partner_admin'], partnerId, 'finance-person');
    const id = await share(partnerId);
    expect((await api('GET', `/v1/opportunities/${id}`, token)).status).toBe(200);
    expectProblem(await api('POST', `/v1/opportunities/${id}/accept`, token), 403);
    expectProblem(await api('GET', `/v1/partners/${partnerId}/members`, token), 403);
    const listed = await api('GET', `/v1/partners/${partnerId}/members`, owner);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((m: { sub: string }) => m.sub)).toEqual(['finance-person']);
  });

  it('a custom role with only opportunity.read grants exactly that; assigning partner_sales then allows accept', async () => {
    const { partnerId, owner } = await organization();
    const reader = await addRole(partnerId, owner, 'Reader', ['opportunity.read']);
    const member = await addMember(partnerId, owner, 'reader', [reader.id]);
    const token = await tokenFor(['partner_sales'], partnerId, 'reader');
    const id = await share(partnerId);
    expect((await api('GET', `/v1/opportunities/${id}`, token)).status).toBe(200);
    expect((await api('GET', '/v1/opportunities', token)).status).toBe(200);
    expectProblem(await api('POST', `/v1/opportunities/${id}/accept`, token), 403);
    expectProblem(await api('GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3', token), 403);

    const patched = await api('PATCH', `/v1/partners/${partnerId}/members/${member.id}`, owner, { roles: [reader.id, 'partner_sales'] });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect(patched.body.roles).toEqual([reader.id, 'partner_sales'].sort());
    expect((await api('POST', `/v1/opportunities/${id}/accept`, token)).status).toBe(200);
  });

  it('revoking a role, or a permission from a custom role, stops access at once', async () => {
    const { partnerId, owner } = await organization();
    const actor = await addRole(partnerId, owner, 'Actor', ['opportunity.read', 'opportunity.act']);
    const member = await addMember(partnerId, owner, 'actor', [actor.id]);
    const token = await tokenFor(['partner_admin'], partnerId, 'actor');
    const first = await share(partnerId);
    expect((await api('GET', `/v1/opportunities/${first}`, token)).status).toBe(200); // resolved and cached
    // Take opportunity.act out of the role: the very next request is refused (the cache is cleared on change).
    const edited = await api('PATCH', `/v1/partners/${partnerId}/roles/${actor.id}`, owner, { permissions: ['opportunity.read'] });
    expect(edited.status, JSON.stringify(edited.body)).toBe(200);
    expectProblem(await api('POST', `/v1/opportunities/${first}/accept`, token), 403);
    expect((await api('GET', `/v1/opportunities/${first}`, token)).status).toBe(200);
    // Revoke the role itself: nothing left.
    const revoked = await api('PATCH', `/v1/partners/${partnerId}/members/${member.id}`, owner, { roles: [] });
    expect(revoked.status).toBe(200);
    expect(revoked.body.roles).toEqual([]);
    expectProblem(await api('GET', `/v1/opportunities/${first}`, token), 403);
  });

  it('a deactivated member gets 403 on every route; reactivated, it works again', async () => {
    const { partnerId, owner } = await organization();
    const member = await addMember(partnerId, owner, 'leaver', ['partner_admin']);
    const token = await tokenFor(['partner_admin'], partnerId, 'leaver');
    const id = await share(partnerId);
    expect((await api('GET', `/v1/opportunities/${id}`, token)).status).toBe(200);
    const off = await api('PATCH', `/v1/partners/${partnerId}/members/${member.id}`, owner, { active: false });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    for (const [method, path] of [
      ['GET', `/v1/opportunities/${id}`],
      ['GET', '/v1/opportunities'],
      ['POST', `/v1/opportunities/${id}/accept`],
      ['GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3'],
      ['GET', `/v1/partners/${partnerId}/members`],
      ['GET', `/v1/partners/${partnerId}/roles`],
    ] as const) {
      const res = await api(method, path, token);
      expectProblem(res, 403, 'membership-deactivated');
      expect(res.body.detail).toMatch(/deactivated/);
    }
    expect((await env.prisma.opportunity.findUniqueOrThrow({ where: { id } })).status).toBe('PENDING_ACCEPTANCE');
    // Public stays public: the deactivated member's token is no reason to refuse the health check.
    expect(await api('GET', '/healthz', token)).toMatchObject({ status: 200, body: { status: 'ok', temporal: 'ok', database: 'ok' } });
    expect((await api('PATCH', `/v1/partners/${partnerId}/members/${member.id}`, owner, { active: true })).status).toBe(200);
    expect((await api('POST', `/v1/opportunities/${id}/accept`, token)).status).toBe(200);
  });

  it('nobody grants what they lack: custom roles, member roles; vendor permissions never', async () => {
    const { partnerId, owner } = await organization();
    // A member manager that cannot act on opportunities.
    const managerRole = await addRole(partnerId, owner, 'People manager', ['member.manage', 'role.manage', 'opportunity.read']);
    await addMember(partnerId, owner, 'manager', [managerRole.id]);
    const manager = await tokenFor(['partner_admin'], partnerId, 'manager');
    const before = await snapshotDb();
    const grant = await api('POST', `/v1/partners/${partnerId}/roles`, manager, { name: 'Closer', permissions: ['opportunity.read', 'opportunity.act'] });
    expectProblem(grant, 422, 'permission-not-grantable');
    expect(grant.body.detail).toContain('opportunity.act');
    const viaMember = await api('POST', `/v1/partners/${partnerId}/members`, manager, { sub: 'someone', displayName: 'Someone', roles: ['partner_sales'] });
    expectProblem(viaMember, 422, 'permission-not-grantable');
    expect(viaMember.body.detail).toContain('opportunity.act');
    const vendorPerm = await api('POST', `/v1/partners/${partnerId}/roles`, owner, { name: 'Sharer', permissions: ['opportunity.share'] });
    expectProblem(vendorPerm, 422, 'permission-not-assignable');
    expect(vendorPerm.body.detail).toContain('opportunity.share');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/roles`, owner, { name: 'Clock', permissions: ['clock.advance'] }), 422, 'permission-not-assignable');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/roles`, owner, { name: 'partner_admin', permissions: ['opportunity.read'] }), 422, 'role-name-reserved');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/members`, owner, { sub: 'x', displayName: 'X', roles: ['vendor_admin'] }), 422, 'role-not-assignable');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/members`, owner, { sub: 'x', displayName: 'X', roles: ['partner_boss'] }), 422, 'unknown-role');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/members`, owner, { sub: 'x', displayName: 'X', roles: [randomUUID()] }), 422, 'unknown-role');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/roles`, owner, { name: 'Bad', permissions: ['opportunity.delete'] }), 400);
    expect(await snapshotDb()).toEqual(before);
    // What it holds, it may grant.
    await addRole(partnerId, manager, 'Viewer', ['opportunity.read']);
  });

  it("a role still assigned cannot be deleted (409 listing the members); a custom role of another partner is unknown", async () => {
    const { partnerId, owner } = await organization();
    const role = await addRole(partnerId, owner, 'Temp', ['opportunity.read']);
    const member = await addMember(partnerId, owner, 'temp', [role.id]);
    const before = await snapshotDb();
    const refused = await api('DELETE', `/v1/partners/${partnerId}/roles/${role.id}`, owner);
    expectProblem(refused, 409, 'role-in-use');
    expect(refused.body.members).toEqual([{ id: member.id, sub: 'temp', displayName: 'Member temp' }]);
    expect(await snapshotDb()).toEqual(before);

    const other = await organization();
    expectProblem(await api('POST', `/v1/partners/${other.partnerId}/members`, other.owner, { sub: 'y', displayName: 'Y', roles: [role.id] }), 422, 'unknown-role');

    expect((await api('PATCH', `/v1/partners/${partnerId}/members/${member.id}`, owner, { roles: [] })).status).toBe(200);
    const deleted = await api('DELETE', `/v1/partners/${partnerId}/roles/${role.id}`, owner);
    expect(deleted.status, JSON.stringify(deleted.body)).toBe(200);
    expect(deleted.body.id).toBe(role.id);
    expectProblem(await api('DELETE', `/v1/partners/${partnerId}/roles/${role.id}`, owner), 404);
  });

  it("partner staff stay inside their own partner (another's answers 404); vendor_admin manages any; other vendors 403", async () => {
    const mine = await organization();
    const theirs = await organization();
    const role = await addRole(theirs.partnerId, theirs.owner, 'Theirs', ['opportunity.read']);
    const member = await addMember(theirs.partnerId, theirs.owner, 'theirs', []);
    const before = await snapshotDb();
    expectProblem(await api('GET', `/v1/partners/${theirs.partnerId}/members`, mine.owner), 404);
    expectProblem(await api('POST', `/v1/partners/${theirs.partnerId}/members`, mine.owner, { sub: 'z', displayName: 'Z', roles: [] }), 404);
    expectProblem(await api('PATCH', `/v1/partners/${theirs.partnerId}/members/${member.id}`, mine.owner, { active: false }), 404);
    expectProblem(await api('PATCH', `/v1/partners/${mine.partnerId}/members/${member.id}`, mine.owner, { active: false }), 404);
    expectProblem(await api('GET', `/v1/partners/${theirs.partnerId}/roles`, mine.owner), 404);
    expectProblem(await api('DELETE', `/v1/partners/${theirs.partnerId}/roles/${role.id}`, mine.owner), 404);
    expectProblem(await api('DELETE', `/v1/partners/${mine.partnerId}/roles/${role.id}`, mine.owner), 404);
    expectProblem(await api('GET', `/v1/partners/${theirs.partnerId}/members`, vendor), 403); // vendor_staff lacks member.manage
    expect(await snapshotDb()).toEqual(before);

    const admin = await tokenFor(['vendor_admin'], undefined, 'vendor-admin');
    expect((await api('GET', `/v1/partners/${theirs.partnerId}/members`, admin)).status).toBe(200);
    // vendor_admin may grant any partner-assignable permission, though it acts on no opportunity itself.
    const closer = await api('POST', `/v1/partners/${theirs.partnerId}/roles`, admin, { name: 'Closer', permissions: ['opportunity.read', 'opportunity.act'] });
    expect(closer.status, JSON.stringify(closer.body)).toBe(201);
    expect(closer.body.createdBy).toBe('vendor-admin');
  });

  it('creating POSTs honour Idempotency-Key: a retry answers the first result; another body with the key is refused', async () => {
    const { partnerId, owner } = await organization();
    const key = randomUUID();
    const body = { sub: 'idem', displayName: 'Idem', roles: ['partner_sales'] };
    const first = await api('POST', `/v1/partners/${partnerId}/members`, owner, body, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const retries = await Promise.all([1, 2, 3].map(() => api('POST', `/v1/partners/${partnerId}/members`, owner, body, { 'Idempotency-Key': key })));
    for (const retry of retries) {
      expect(retry.status, JSON.stringify(retry.body)).toBe(201);
      expect(retry.body.id).toBe(first.body.id);
    }
    expect(await env.prisma.partnerMember.count({ where: { partnerId } })).toBe(1);
    expectProblem(await api('POST', `/v1/partners/${partnerId}/members`, owner, { ...body, displayName: 'Other' }, { 'Idempotency-Key': key }), 422, 'idempotency-key-reused');
    // Without a key, the same sub twice is a conflict.
    expectProblem(await api('POST', `/v1/partners/${partnerId}/members`, owner, body), 409, 'member-exists');

    const roleKey = randomUUID();
    const roleBody = { name: 'Idem role', permissions: ['opportunity.read'] };
    const role = await api('POST', `/v1/partners/${partnerId}/roles`, owner, roleBody, { 'Idempotency-Key': roleKey });
    expect(role.status).toBe(201);
    const again = await api('POST', `/v1/partners/${partnerId}/roles`, owner, roleBody, { 'Idempotency-Key': roleKey });
    expect(again.status).toBe(201);
    expect(again.body.id).toBe(role.body.id);
    expect(await env.prisma.partnerRole.count({ where: { partnerId } })).toBe(1);
    expectProblem(await api('POST', `/v1/partners/${partnerId}/roles`, owner, roleBody), 409, 'role-exists');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/roles`, owner, roleBody, { 'Idempotency-Key': ' bad key' }), 400);
  });

  it('a member has a work residence: set on creation, changed, cleared with null; refused when not text', async () => {
    const { partnerId, owner } = await organization();
    const created = await api('POST', `/v1/partners/${partnerId}/members`, owner, { sub: 'resident', displayName: 'Resident', workResidence: '  Hangzhou ' });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.workResidence).toBe('Hangzhou');
    const path = `/v1/partners/${partnerId}/members/${created.body.id}`;
    expect((await api('PATCH', path, owner, { workResidence: 'Shenzhen' })).body.workResidence).toBe('Shenzhen');
    expect((await api('PATCH', path, owner, { displayName: 'Resident 2' })).body.workResidence).toBe('Shenzhen'); // untouched
    const listed = await api('GET', `/v1/partners/${partnerId}/members`, owner);
    expect(listed.body.items.find((m: { sub: string }) => m.sub === 'resident').workResidence).toBe('Shenzhen');
    expect((await api('PATCH', path, owner, { workResidence: null })).body.workResidence).toBeNull();
    expect(await addMember(partnerId, owner, 'no-residence', [])).toMatchObject({ workResidence: null });
    const before = await snapshotDb();
    for (const workResidence of ['', ' ', 'a\u0000b', 'x'.repeat(201), 7]) {
      expect(fields(await api('PATCH', path, owner, { workResidence }))).toEqual(['workResidence']);
    }
    expect(await snapshotDb()).toEqual(before);
  });

  it('a refused request changes nothing: bad bodies, unknown fields, bad ids', async () => {
    const { partnerId, owner } = await organization();
    const member = await addMember(partnerId, owner, 'static', []);
    const before = await snapshotDb();
    expectProblem(await api('POST', `/v1/partners/${partnerId}/members`, owner, { sub: 'a\u0000b', displayName: 'A' }), 400);
    expectProblem(await api('POST', `/v1/partners/${partnerId}/members`, owner, { sub: 'a', displayName: 'A', extra: 1 }), 400);
    expectProblem(await api('PATCH', `/v1/partners/${partnerId}/members/${member.id}`, owner, {}), 400);
    expectProblem(await api('PATCH', `/v1/partners/${partnerId}/members/not-a-uuid`, owner, { active: false }), 400);
    expectProblem(await api('PATCH', `/v1/partners/${partnerId}/members/${randomUUID()}`, owner, { active: false }), 404);
    expectProblem(await api('PATCH', `/v1/partners/${partnerId}/members/${member.id}`, owner, { roles: ['nope'] }), 422, 'unknown-role');
    expectProblem(await api('DELETE', `/v1/partners/${partnerId}/roles/${randomUUID()}`, owner), 404);
    expect(await snapshotDb()).toEqual(before);
  });
});

