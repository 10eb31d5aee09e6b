/**
 * The experts registry on the real stack (API + worker + Temporal dev server + PostgreSQL): register, list,
 * change and deactivate experts; validation names the field; the employee id is unique per partner; every change
 * appends a history row; partners stay inside their own partner; creating POSTs are idempotent; refusals change
 * nothing; registeredOn is the server's stamp. Attestation: test/expert-attestation.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { ZONE } from './support/calendar.js';
import { expectProblem, fields, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'experts-test', server: 'dev', api: true });
const { api } = env;

async function organization() {
  const partnerId = `P-ex-${randomUUID().slice(0, 8)}`;
  return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`), base: `/v1/partners/${partnerId}/experts` };
}

const alice = {
  employeeId: 'E-001',
  name: 'Alice Zhang',
  fullTime: true,
  fullTimeSince: '2025-01-01',
  certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2025-01-01', validTo: '2027-12-31' }],
};

const history = (expertId: string) => env.prisma.expertChange.findMany({ where: { expertId }, orderBy: { seq: 'asc' } });

const snapshotDb = async () => ({
  experts: JSON.stringify(await env.prisma.expert.findMany({ orderBy: { id: 'asc' }, include: { certifications: { orderBy: { id: 'asc' } } } }), (_, v) => (typeof v === 'bigint' ? String(v) : v)),
  changes: await env.prisma.expertChange.count(),
  keys: await env.prisma.idempotencyKey.count(),
  audit: await env.prisma.auditLog.count(),
});

describe('experts', () => {
  it('registers, lists, changes and deactivates an expert, keeping every change in its history', async () => {
    const { owner, base } = await organization();
    const created = await api('POST', base, owner, alice);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ ...alice, active: true, attested: { fullTime: null, certifications: [] } });
    const today = DateTime.now().setZone(ZONE);
    expect([today.minus({ minutes: 1 }).toISODate(), today.toISODate()]).toContain(created.body.registeredOn); // stamped by the server
    expect(created.headers.get('location')).toBe(`${base}/${created.body.id}`);
    const id = created.body.id as string;

    const second = await api('POST', base, owner, { employeeId: 'E-002', name: 'Bob Li', fullTime: false });
    expect(second.status, JSON.stringify(second.body)).toBe(201);
    expect(second.body).toMatchObject({ fullTime: false, fullTimeSince: null, certifications: [] });

    const listed = await api('GET', base, owner);
    expect(listed.status).toBe(200);
    expect(listed.body.items.map((e: { employeeId: string }) => e.employeeId)).toEqual(['E-001', 'E-002']);

    const renamed = await api('PATCH', `${base}/${id}`, owner, {
      name: 'Alice Zhang-Wang',
      certifications: [
        { type: 'CLOUD_EXPERT', validFrom: '2026-01-01', validTo: '2028-12-31' },
        { type: 'CLOUD_PROFESSIONAL', validFrom: '2025-01-01', validTo: '2027-12-31' },
      ],
    });
    expect(renamed.status, JSON.stringify(renamed.body)).toBe(200);
    expect(renamed.body.name).toBe('Alice Zhang-Wang');
    expect(renamed.body.certifications.map((c: { type: string }) => c.type).sort()).toEqual(['CLOUD_EXPERT', 'CLOUD_PROFESSIONAL']);

    const partTime = await api('PATCH', `${base}/${id}`, owner, { fullTime: false });
    expect(partTime.status, JSON.stringify(partTime.body)).toBe(200);
    expect(partTime.body).toMatchObject({ fullTime: false, fullTimeSince: null });
    const fullTimeAgain = await api('PATCH', `${base}/${id}`, owner, { fullTime: true, fullTimeSince: '2026-04-15' });
    expect(fullTimeAgain.body).toMatchObject({ fullTime: true, fullTimeSince: '2026-04-15' });

    // The same values again: nothing changes, nothing is recorded.
    expect((await api('PATCH', `${base}/${id}`, owner, { name: 'Alice Zhang-Wang' })).status).toBe(200);

    const deactivated = await api('PATCH', `${base}/${id}`, owner, { active: false });
    expect(deactivated.status).toBe(200);
    expect(deactivated.body.active).toBe(false);
    expect((await api('GET', `${base}?active=true`, owner)).body.items.map((e: { id: string }) => e.id)).toEqual([second.body.id]);
    expect((await api('GET', `${base}?active=false`, owner)).body.items.map((e: { id: string }) => e.id)).toEqual([id]);

    const rows = await history(id);
    expect(rows.map((r) => [r.seq, (r.change as { kind: string }).kind])).toEqual([
      [1, 'created'],
      [2, 'updated'],
      [3, 'updated'],
      [4, 'updated'],
      [5, 'deactivated'],
    ]);
    expect(rows.every((r) => r.actor === `${base.split('/')[3]}-owner`)).toBe(true);
    expect(rows[1]!.change).toMatchObject({ before: { name: 'Alice Zhang' }, after: { name: 'Alice Zhang-Wang' } });
    expect(Object.keys((rows[1]!.change as { after: object }).after).sort()).toEqual(['certifications', 'name']);
    expect(rows[2]!.change).toEqual({ kind: 'updated', before: { fullTime: true, fullTimeSince: '2025-01-01' }, after: { fullTime: false, fullTimeSince: null } });
    expect(rows[4]!.change).toEqual({ kind: 'deactivated', before: { active: true }, after: { active: false } });
    // The history is append-only at the database itself.
    await expect(env.prisma.expertChange.deleteMany({ where: { expertId: id } })).rejects.toThrow(/expert_change is append-only/);
  });

  it('validation errors name the field', async () => {
    const { owner, base } = await organization();
    const cases: [unknown, string][] = [
      [{ ...alice, employeeId: '' }, 'employeeId'],
      [{ ...alice, name: 'a\u0000b' }, 'name'],
      [{ ...alice, name: 'bell\u0007' }, 'name'],
      [{ ...alice, registeredOn: '2026-02-30' }, 'registeredOn'],
      [{ ...alice, registeredOn: '15/01/2025' }, 'registeredOn'],
      [{ ...alice, fullTimeSince: undefined }, 'fullTimeSince'],
      [{ ...alice, fullTime: false }, 'fullTimeSince'],
      [{ ...alice, certifications: [{ type: 'ASTROLOGER', validFrom: '2025-01-01', validTo: '2025-12-31' }] }, 'certifications.0.type'],
      [{ ...alice, certifications: [{ type: 'CLOUD_EXPERT', validFrom: '2025-12-31', validTo: '2025-01-01' }] }, 'certifications.0.validTo'],
      [{ ...alice, certifications: [{ type: 'CLOUD_EXPERT', validFrom: '2025-01-01' }] }, 'certifications.0.validTo'],
      [{ ...alice, salary: 1 }, 'salary'],
      [{ ...alice, registeredOn: '2020-01-15' }, 'registeredOn'], // a valid date too: the server stamps it, the partner does not say it
    ];
    for (const [body, field] of cases) {
      const res = await api('POST', base, owner, body);
      expectProblem(res, 400, 'validation-error');
      expect(fields(res), JSON.stringify(body)).toContain(field);
    }
    const unknown = await api('POST', base, owner, cases[7]![0]);
    expect(unknown.body.errors[0].message).toMatch(/CLOUD_PROFESSIONAL/); // says which types exist
    expect((await api('GET', base, owner)).body.items).toEqual([]);

    const created = await api('POST', base, owner, alice);
    const path = `${base}/${created.body.id}`;
    expect(fields(await api('PATCH', path, owner, {}))).toEqual(['(body)']);
    expect(fields(await api('PATCH', path, owner, { fullTime: true }))).toEqual(['fullTimeSince']);
    expect(fields(await api('PATCH', path, owner, { certifications: [{ type: 'X', validFrom: '2025-01-01', validTo: '2025-01-02' }] }))).toEqual(['certifications.0.type']);
    expect(fields(await api('PATCH', path, owner, { active: 'no' }))).toEqual(['active']);
    expectProblem(await api('PATCH', `${base}/not-a-uuid`, owner, { name: 'x' }), 400);
    expectProblem(await api('GET', `${base}?active=maybe`, owner), 400);
  });

  it('a duplicate employee id is 409 (per partner: another partner may use it)', async () => {
    const { owner, base } = await organization();
    expect((await api('POST', base, owner, alice)).status).toBe(201);
    const before = await snapshotDb();
    expectProblem(await api('POST', base, owner, { ...alice, name: 'Someone else' }), 409, 'expert-exists');
    expectProblem(await api('POST', base, owner, { ...alice, name: 'Someone else' }, { 'Idempotency-Key': randomUUID() }), 409, 'expert-exists');
    expect(await snapshotDb()).toEqual(before);
    const other = await organization();
    expect((await api('POST', other.base, other.owner, alice)).status).toBe(201);
  });

  it("another partner's experts answer 404; vendor_admin manages any partner; others without expert.manage 403", async () => {
    const { partnerId, owner, base } = await organization();
    const id = (await api('POST', base, owner, alice)).body.id as string;
    const stranger = await tokenFor(['partner_admin'], `P-ex-other-${randomUUID().slice(0, 8)}`);
    const before = await snapshotDb();
    expectProblem(await api('GET', base, stranger), 404);
    expectProblem(await api('POST', base, stranger, { ...alice, employeeId: 'E-999' }), 404);
    expectProblem(await api('PATCH', `${base}/${id}`, stranger, { active: false }), 404);
    expectProblem(await api('PATCH', `${base}/${randomUUID()}`, owner, { active: false }), 404);
    expectProblem(await api('GET', base, await tokenFor(['partner_sales'], partnerId)), 403);
    expectProblem(await api('GET', base, await tokenFor(['vendor_staff'])), 403);
    expect(await snapshotDb()).toEqual(before);
    // An expert id of this partner under another partner's path: 404, not a way in.
    const theirs = await organization();
    expectProblem(await api('PATCH', `${theirs.base}/${id}`, theirs.owner, { active: false }), 404);

    const vendorAdmin = await tokenFor(['vendor_admin']);
    expect((await api('GET', base, vendorAdmin)).body.items).toHaveLength(1);
    const patched = await api('PATCH', `${base}/${id}`, vendorAdmin, { name: 'By the vendor' });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    expect((await history(id)).at(-1)!.actor).not.toBe(`${partnerId}-owner`);
  });

  it('POST honours Idempotency-Key: a retry answers the first result and registers nothing twice', async () => {
    const { owner, base } = await organization();
    const key = randomUUID();
    const first = await api('POST', base, owner, alice, { 'Idempotency-Key': key });
    expect(first.status).toBe(201);
    const before = await snapshotDb();
    const retry = await api('POST', base, owner, alice, { 'Idempotency-Key': key });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect({ ...(await snapshotDb()), audit: 0 }).toEqual({ ...before, audit: 0 });
    expect(await history(first.body.id)).toHaveLength(1);
    expectProblem(await api('POST', base, owner, { ...alice, name: 'Changed' }, { 'Idempotency-Key': key }), 422, 'idempotency-key-reused');
  });

  it('refused changes change nothing', async () => {
    const { owner, base } = await organization();
    const bob = (await api('POST', base, owner, { employeeId: 'E-002', name: 'Bob Li', fullTime: false })).body;
    const before = await snapshotDb();
    // fullTimeSince alone for a part-time expert: 422, nothing written
    expectProblem(await api('PATCH', `${base}/${bob.id}`, owner, { fullTimeSince: '2026-03-01' }), 422, 'not-full-time');
    expectProblem(await api('PATCH', `${base}/${bob.id}`, owner, { name: 'New', certifications: [{ type: 'NOPE', validFrom: '2026-01-01', validTo: '2026-01-02' }] }), 400);
    expectProblem(await api('PATCH', `${base}/${bob.id}`, owner, { name: 'New', fullTime: true }), 400);
    expect(await snapshotDb()).toEqual(before);
    expect(await history(bob.id)).toHaveLength(1);
  });
});
