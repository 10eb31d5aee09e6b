/**
 * Agreements with a new contracting entity, end to end (issue 17 section 5): real Express app, real worker, the
 * time-skipping server, real PostgreSQL. The gate on each gated action — allowed while no version is in force (before
 * its effective date), refused 403 agreement-signature-required naming the agreement from its effective date, allowed
 * once signed; signing is idempotent, refuses another text's hash and can never be changed (the database refuses);
 * the contracting-entity history; scoping and who may do what.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { agreementSteps, sha256, shanghaiDate } from './support/agreement.js';
import { expectOk, expectProblem, fields, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'agreement-api-test', api: true });
const { api } = env;
let manager: string;
let staff: string;
beforeAll(async () => {
  manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'manager-agr');
  staff = await tokenFor(['vendor_staff'], undefined, 'staff-agr');
});
const agreements = agreementSteps(env, () => manager);

async function newPartner() {
  const partnerId = `P-agr-${randomUUID().slice(0, 8)}`;
  return { partnerId, admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`), sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`) };
}

/** The three gated actions of `p`, each on a fresh object: the status and problem type each answers. */
async function gatedActions(p: Awaited<ReturnType<typeof newPartner>>) {
  const shared = await api('POST', '/v1/opportunities', staff, { partnerId: p.partnerId, customerName: 'ACME', title: 'Gate' });
  expectOk(shared, 201);
  const accept = await api('POST', `/v1/opportunities/${shared.body.id}/accept`, p.sales);
  const apply = await api('POST', '/v1/specialist-applications', p.admin, { memberId: randomUUID(), pathId: 'SOFTWARE' });
  const raise = await api('POST', `/v1/partners/${p.partnerId}/level-raises`, p.admin, { pathId: 'SOFTWARE' });
  return { accept, apply, raise };
}
const outcome = (res: { status: number; body: { type?: string } }) => `${res.status} ${res.body.type ?? ''}`.trim();
const GATED = '403 urn:partnerflow:problem:agreement-signature-required';

describe('the gate', () => {
  it('allowed before the effective date, refused from it until signed, allowed after signing', async () => {
    const p = await newPartner();
    // A version effective tomorrow is not in force yet: every action goes on to its own answer.
    const later = await agreements.publish({ effectiveDate: shanghaiDate(1), signByDate: shanghaiDate(1) });
    const before = await gatedActions(p);
    expect(before.accept.status).toBe(200);
    expect(outcome(before.apply)).not.toBe(GATED);
    expect(outcome(before.raise)).not.toBe(GATED);

    // A version effective today is in force: each gated action is refused, naming it, and starts nothing.
    const today = shanghaiDate(0);
    const inForce = await agreements.publish({ effectiveDate: today, signByDate: today, contractingEntity: 'Cloud Co. (Shanghai) Ltd.' });
    const workflowsBefore = await env.prisma.opportunity.count({ where: { partnerId: p.partnerId, status: 'ACCEPTED' } });
    const refused = await gatedActions(p);
    for (const res of [refused.accept, refused.apply, refused.raise]) {
      expectProblem(res, 403, 'agreement-signature-required');
      expect(res.body).toMatchObject({ agreementId: inForce.id, version: inForce.version, effectiveDate: today, contractingEntity: 'Cloud Co. (Shanghai) Ltd.' });
    }
    expect(await env.prisma.opportunity.count({ where: { partnerId: p.partnerId, status: 'ACCEPTED' } })).toBe(workflowsBefore);
    expect(await env.prisma.specialistApplication.count({ where: { partnerId: p.partnerId } })).toBe(0);
    expect(await env.prisma.levelRaise.count({ where: { partnerId: p.partnerId } })).toBe(0);
    // Signing the later version does not sign the one in force.
    expectOk(await agreements.sign(p.partnerId, p.admin, later.id, later.textSha256));
    expectProblem((await gatedActions(p)).accept, 403, 'agreement-signature-required');

    expectOk(await agreements.sign(p.partnerId, p.admin, inForce.id, inForce.textSha256));
    const after = await gatedActions(p);
    expect(after.accept.status).toBe(200);
    expect([outcome(after.apply), outcome(after.raise)]).toEqual([outcome(before.apply), outcome(before.raise)]);

    // A second version effective the same day governs from its publication (the higher version of the day): the
    // partner that signed the first is refused again, naming the second, and its profile says the second is in force.
    const sameDay = await agreements.publish({ effectiveDate: today, signByDate: today, contractingEntity: 'Cloud Co. (Hangzhou) Ltd.' });
    expect(sameDay.version).toBeGreaterThan(inForce.version);
    const again = await gatedActions(p);
    expectProblem(again.accept, 403, 'agreement-signature-required');
    expect(again.accept.body).toMatchObject({ agreementId: sameDay.id, version: sameDay.version, contractingEntity: 'Cloud Co. (Hangzhou) Ltd.' });
    const profile = await api('GET', `/v1/partners/${p.partnerId}/contracting-entities`, p.admin);
    expectOk(profile);
    expect(profile.body.items.filter((i: { inForce: boolean }) => i.inForce).map((i: { agreementId: string }) => i.agreementId)).toEqual([sameDay.id]);
  });
});

describe('signing', () => {
  it('once, only the text shown, never changed', async () => {
    const p = await newPartner();
    const a = await agreements.publish({ effectiveDate: shanghaiDate(30), signByDate: shanghaiDate(20) });
    const wrong = await agreements.sign(p.partnerId, p.admin, a.id, sha256('another text'));
    expectProblem(wrong, 409, 'agreement-text-mismatch');
    expect(wrong.body).toMatchObject({ agreementId: a.id, version: a.version, textSha256: a.textSha256 });
    expect(await env.prisma.agreementSignature.count({ where: { partnerId: p.partnerId } })).toBe(0);

    const first = await agreements.sign(p.partnerId, p.admin, a.id, a.textSha256.toUpperCase());
    expectOk(first);
    expect(first.body).toMatchObject({ agreementId: a.id, partnerId: p.partnerId, version: a.version, textSha256: a.textSha256, signedBy: `${p.partnerId}-admin` });
    const again = await agreements.sign(p.partnerId, await tokenFor(['partner_admin'], p.partnerId, 'another-admin'), a.id, a.textSha256);
    expectOk(again);
    expect(again.body).toEqual(first.body);
    expect(await env.prisma.agreementSignature.count({ where: { partnerId: p.partnerId } })).toBe(1);
    const signedMessages = await env.prisma.outbox.findMany({ where: { topic: 'agreement.signed', aggregateId: a.id, payload: { path: ['partnerId'], equals: p.partnerId } } });
    expect(signedMessages).toHaveLength(1);
    // Relayed as the signature answered (platform/outbox-dispatch.ts announceFromApi), not left to the sweeper's round.
    expect(signedMessages[0]!.dispatchedAt).not.toBeNull();

    // The database itself refuses to change or remove a signature or a published version.
    await expect(env.prisma.$executeRaw`UPDATE agreement_signature SET signed_by = 'someone' WHERE partner_id = ${p.partnerId}`).rejects.toThrow(/append-only/);
    await expect(env.prisma.$executeRaw`DELETE FROM agreement_signature WHERE partner_id = ${p.partnerId}`).rejects.toThrow(/append-only/);
    await expect(env.prisma.$executeRaw`UPDATE agreement SET text = 'changed' WHERE id = ${a.id}::uuid`).rejects.toThrow(/append-only/);

    const view = await api('GET', `/v1/agreements/${a.id}`, p.sales);
    expectOk(view);
    expect(view.body.signature).toMatchObject({ partnerId: p.partnerId, signedAt: first.body.signedAt });
    expect(view.body.history.map((h: { type: string }) => h.type)).toEqual(['PUBLISHED']);
  });

  it('publishing: the hash must be the text’s, dates not past, idempotent with a key', async () => {
    const text = 'Terms v-x';
    const body = { contractingEntity: 'E', text, textSha256: sha256(text), effectiveDate: shanghaiDate(40), signByDate: shanghaiDate(35) };
    const badHash = await api('POST', '/v1/agreements', manager, { ...body, textSha256: sha256('other') });
    expectProblem(badHash, 422, 'agreement-text-hash-mismatch');
    expect(fields(badHash)).toEqual(['textSha256']);
    const past = await api('POST', '/v1/agreements', manager, { ...body, effectiveDate: shanghaiDate(-1) });
    expectProblem(past, 422, 'agreement-date-past');
    expect(fields(past)).toEqual(['effectiveDate']);
    const key = randomUUID();
    const one = await api('POST', '/v1/agreements', manager, body, { 'Idempotency-Key': key });
    expectOk(one, 201);
    const two = await api('POST', '/v1/agreements', manager, body, { 'Idempotency-Key': key });
    expectOk(two, 201);
    expect(two.body.id).toBe(one.body.id);
    expect(await env.prisma.agreement.count({ where: { textSha256: sha256(text) } })).toBe(1);
  });
});

describe('contracting entities, scoping, who may', () => {
  it("the partner's history of entities, another partner 404, roles", async () => {
    const p = await newPartner();
    const other = await newPartner();
    const a = await agreements.publish({ effectiveDate: shanghaiDate(50), signByDate: shanghaiDate(45), contractingEntity: 'Future Entity Ltd.' });
    expectOk(await agreements.sign(p.partnerId, p.admin, a.id, a.textSha256));
    const mine = await api('GET', `/v1/partners/${p.partnerId}/contracting-entities`, p.sales);
    expectOk(mine);
    const row = mine.body.items.find((i: { agreementId: string }) => i.agreementId === a.id);
    expect(row).toMatchObject({ contractingEntity: 'Future Entity Ltd.', effectiveDate: shanghaiDate(50), inForce: false, signed: true, signedBy: `${p.partnerId}-admin` });
    const dates = mine.body.items.map((i: { effectiveDate: string }) => i.effectiveDate);
    expect(dates).toEqual([...dates].sort());
    expect((await api('GET', `/v1/partners/${p.partnerId}/contracting-entities`, staff)).body.items).toEqual(mine.body.items);

    expectProblem(await api('GET', `/v1/partners/${p.partnerId}/contracting-entities`, other.admin), 404);
    expectProblem(await agreements.sign(p.partnerId, other.admin, a.id, a.textSha256), 404);
    expectProblem(await agreements.sign(p.partnerId, p.sales, a.id, a.textSha256), 403, 'forbidden');
    expectProblem(await agreements.sign(p.partnerId, p.admin, randomUUID(), a.textSha256), 404);
    expectProblem(await api('POST', '/v1/agreements', p.admin, {}), 403, 'forbidden');
    expectProblem(await api('POST', '/v1/agreements', staff, {}), 403, 'forbidden');
    expectProblem(await api('GET', `/v1/agreements/${randomUUID()}`, p.admin), 404);
    const list = await api('GET', '/v1/agreements', other.sales);
    expectOk(list);
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(a.id);
    expect(list.body.items.every((i: { text?: string }) => i.text === undefined)).toBe(true);
  });
});
