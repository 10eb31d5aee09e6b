/**
 * Organization members and custom roles on the real stack (API + worker + Temporal dev server + PostgreSQL):
 * members' stored roles replace their token's, custom roles grant exactly their permissions, revocation and
 * deactivation work at once, nobody grants what they lack, roles in use cannot be deleted, partners stay
 * inside their own organization, creating POSTs are idempotent, and refusals change nothing. The organization stays
 * manageable: no self-demotion or self-deactivation, never without a member manager (also under concurrent changes
 * and custom-role edits), reactivation is a grant, and no record silently downgrades a token-only admin.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BusinessCalendar } from '../domain/calendar.js';
import { call, startApp, tokenFor } from './support/app.js';
import { testCalendar, fixedCalendar } from './support/calendar.js';
import { devServerEnv } from './support/temporal.js';

let env: TestWorkflowEnvironment;
let app: Awaited<ReturnType<typeof startApp>>;
let calendar: BusinessCalendar;
let vendor: string;

beforeAll(async () => {
  env = await devServerEnv();
  calendar = testCalendar(Date.now());
  app = await startApp(env, { taskQueue: 'members-test', calendarFor: fixedCalendar(() => calendar) });
  vendor = await tokenFor(['vendor_staff']);
});

afterAll(async () => {
  await app?.stop();
  await env?.teardown();
});

const api = (method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>) =>
  call(app.base, method, path, token, body, headers);
const newPartner = () => `P-mb-${randomUUID().slice(0, 8)}`;

/** A partner with its owner (no member record: the token's partner_admin applies). */
async function organization() {
  const partnerId = newPartner();
  return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`) };
}

async function share(partnerId: string): Promise<string> {
  const res = await api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'Members Ltd.', title: 'Members' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id as string;
}

async function addMember(partnerId: string, by: string, sub: string, roles: string[]) {
  const res = await api('POST', `/v1/partners/${partnerId}/members`, by, { sub, displayName: `Member ${sub}`, roles });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; roles: string[]; active: boolean };
}

async function addRole(partnerId: string, by: string, name: string, permissions: string[]) {
  const res = await api('POST', `/v1/partners/${partnerId}/roles`, by, { name, permissions });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; permissions: string[] };
}

const snapshotDb = async () => ({
  members: await app.prisma.partnerMember.count(),
  memberRoles: await app.prisma.partnerMemberRole.count(),
  memberRows: JSON.stringify(await app.prisma.partnerMember.findMany({ orderBy: { id: 'asc' }, include: { roles: { orderBy: { role: 'asc' } } } })),
  roles: JSON.stringify(await app.prisma.partnerRole.findMany({ orderBy: { id: 'asc' } })),
  keys: await app.prisma.idempotencyKey.count(),
  audit: await app.prisma.auditLog.count(),
});

function expectProblem(res: { status: number; body: any; headers: Headers }, status: number, type?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (type) expect(res.body.type).toBe(`urn:partnerflow:problem:${type}`);
}
const fields = (res: { body: any }) => (res.body.errors as { field: string }[]).map((e) => e.field);

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
    expect((await app.prisma.opportunity.findUniqueOrThrow({ where: { id } })).status).toBe('PENDING_ACCEPTANCE');
    expect((await api('GET', '/healthz')).status).toBeLessThan(600); // public stays public
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
    expect(await app.prisma.partnerMember.count({ where: { partnerId } })).toBe(1);
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
    expect(await app.prisma.partnerRole.count({ where: { partnerId } })).toBe(1);
    expectProblem(await api('POST', `/v1/partners/${partnerId}/roles`, owner, roleBody), 409, 'role-exists');
    expectProblem(await api('POST', `/v1/partners/${partnerId}/roles`, owner, roleBody, { 'Idempotency-Key': ' bad key' }), 400);
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
      if (loser.status === 409) expect(loser.body.type).toBe('urn:partnerflow:problem:last-member-manager');
      const managers = await app.prisma.partnerMember.count({ where: { partnerId: pairs[i]!.partnerId, active: true, roles: { some: { role: 'partner_admin' } } } });
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
