/**
 * The OpenAPI contract, partner account and programs routes: real requests to the partner account's feed and reads, the
 * eligibility preflight, project specialists, level raises, enrollments and agreements — successes and refusals — each
 * answer validated against the schema the document gives for that route and status (support/openapi-contract.ts);
 * every route of the area answered a success.
 */
import { createHash, randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, tokenFor } from './support/app.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';
import { qualifySoftware } from './support/path-facts.js';

const agreementHash = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

const { apps, checked, unexercised } = useContract();
let vendor: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

describe('contract: real answers match the document', () => {
  it('partner account: facts and ledger entries fed, the account and its ledger read, eligibility asked — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const feeder = await tokenFor(['vendor_system'], undefined, 'oa-billing');
    const owner = await tokenFor(['partner_finance'], partnerId);
    const base = `/v1/partners/${partnerId}/account`;
    const key = () => ({ 'Idempotency-Key': randomUUID() });
    const facts = {
      source: 'billing',
      facts: [
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' },
        { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'SUB_CUSTOMER', distributorId: 'D-1' }, observedAt: '2026-03-01T00:00:00Z' },
        { kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 100 } }, observedAt: '2026-03-01T00:00:00Z' },
        { kind: 'DESIGNATED_CONTRACT', subject: 'DIRECT_SPECIAL_PRICE', value: { signed: true, contractId: 'C-1' }, observedAt: '2026-03-01T00:00:00Z' },
        { kind: 'STORED_VALUE_CARD', subject: 'S-1', value: { issuer: 'sales', amount: { currency: 'CNY', minor: 100 }, state: 'ACTIVE' }, observedAt: '2026-03-01T00:00:00Z' },
      ],
    };
    expectStatus(await n('POST', `${base}/facts`, feeder, facts, key()), 201);
    expectStatus(await n('POST', `${base}/facts`, feeder, facts), 400); // no Idempotency-Key
    expectStatus(await n('POST', `${base}/facts`, owner, facts, key()), 403);
    const used = key();
    expectStatus(await n('POST', `${base}/facts`, feeder, facts, used), 201);
    expectStatus(await n('POST', `${base}/facts`, feeder, { ...facts, source: 'iam' }, used), 422);
    const recharge = { kind: 'RECHARGE', key: `r-${randomUUID()}`, amount: { currency: 'CNY', minor: 1_000 }, occurredAt: '2026-03-01T00:00:00Z' };
    const charge = { kind: 'CHARGE', key: `c-${randomUUID()}`, amount: { currency: 'CNY', minor: 1_500 }, drawn: { recharge: 1_000, arrears: 500 }, occurredAt: '2026-03-02T00:00:00Z', memo: 'March' };
    expectStatus(await n('POST', `${base}/ledger-entries`, feeder, { source: 'billing', entries: [recharge, charge] }, key()), 201);
    expectStatus(await n('POST', `${base}/ledger-entries`, feeder, { source: 'billing', entries: [{ ...charge, key: `c-${randomUUID()}` }] }, key()), 422);
    expectStatus(await n('POST', `${base}/ledger-entries`, feeder, { source: 'billing', entries: [{ ...recharge, amount: { currency: 'CNY', minor: -1 } }] }, key()), 400);
    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', base, vendor), 200);
    expectStatus(await n('GET', base, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('GET', base, feeder), 403);
    expectStatus(await n('GET', `${base}/ledger?limit=1`, owner), 200);
    expectStatus(await n('GET', `${base}/ledger?cursor=nope`, owner), 400);
    expectStatus(await n('GET', `${base}/ledger`, await tokenFor(['partner_finance'], newPartner())), 404);
    expectStatus(await n('GET', `${base}/facts?kind=DISTRIBUTOR_RELATIONSHIP&limit=1`, owner), 200);
    expectStatus(await n('GET', `${base}/facts?subject=S-1`, owner), 400);
    expectStatus(await n('GET', `${base}/facts`, await tokenFor(['partner_finance'], newPartner())), 404);
    // The eligibility preflight on the facts just fed: every reason, then the process checks; and its refusals.
    const eligibility = `/v1/partners/${partnerId}/eligibility`;
    for (const program of ['SOLUTION_PROVIDER', 'RESELLER', 'DISTRIBUTOR']) expectStatus(await n('GET', `${eligibility}?program=${program}`, owner, undefined, { 'Accept-Language': 'en' }), 200);
    expectStatus(await n('GET', `${eligibility}?program=PROJECT_SPECIALIST&memberId=${randomUUID()}`, owner), 200);
    expectStatus(await n('GET', `${eligibility}?program=LEVEL_UP&pathId=SOFTWARE`, vendor), 200);
    expectStatus(await n('GET', `${eligibility}?program=LEVEL_UP`, owner), 400);
    expectStatus(await n('GET', `${eligibility}?program=RESELLER`, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('GET', `${eligibility}?program=RESELLER`, await tokenFor(['partner_sales'], partnerId)), 403);
  });

  it('project specialist applications: apply (one, a batch), list, get, files, materials, review, cancel — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const reviewer = await tokenFor(['vendor_reviewer']);
    const feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
    const key = () => ({ 'Idempotency-Key': randomUUID() });
    const facts = [{ kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' }];
    expectStatus(await call(apps.normal.base, 'POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'crm', facts }, key()), 201);
    const member = async (workResidence?: string) =>
      (await call(apps.normal.base, 'POST', `/v1/partners/${partnerId}/members`, owner, { sub: `m-${randomUUID().slice(0, 8)}`, displayName: 'M', roles: ['partner_sales'], ...(workResidence ? { workResidence } : {}) })).body.id as string;
    const [first, second, third, noResidence] = [await member('Hangzhou'), await member('Hangzhou'), await member('Hangzhou'), await member()];

    const applied = await n('POST', '/v1/specialist-applications', owner, { memberId: first, pathId: 'SOFTWARE' }, key());
    expectStatus(applied, 201);
    const id = applied.body.id as string;
    expectStatus(await n('POST', '/v1/specialist-applications', owner, { memberId: noResidence, pathId: 'SOFTWARE' }, { 'Accept-Language': 'en' }), 422);
    expectStatus(await n('POST', '/v1/specialist-applications', owner, { memberId: 'x', pathId: 'SOFTWARE' }), 400);
    expectStatus(await n('POST', '/v1/specialist-applications', reviewer, { memberId: first, pathId: 'SOFTWARE' }), 403);
    const batch = await n('POST', '/v1/specialist-applications/batch', owner, { applications: [{ memberId: second, pathId: 'SOFTWARE' }, { memberId: noResidence, pathId: 'SOFTWARE' }] }, key());
    expectStatus(batch, 200);
    expect(batch.body.results.map((r: { outcome: string }) => r.outcome)).toEqual(['STARTED', 'REFUSED']);
    expectStatus(await n('POST', '/v1/specialist-applications/batch', owner, { applications: [] }), 400);
    expectStatus(await n('GET', `/v1/specialist-applications?partnerId=${partnerId}&limit=1`, owner), 200);
    expectStatus(await n('GET', '/v1/specialist-applications?status=NOPE', owner), 400);
    expectStatus(await n('GET', `/v1/specialist-applications/${id}`, reviewer), 200);
    expectStatus(await n('GET', `/v1/specialist-applications/${id}`, await tokenFor(['partner_admin'], newPartner())), 404);

    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const file = { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="resume.pdf"' };
    const uploaded = await n('POST', `/v1/specialist-applications/${id}/files`, owner, pdf, file);
    expectStatus(uploaded, 201);
    expectStatus(await n('POST', `/v1/specialist-applications/${id}/files`, owner, Buffer.from('not a pdf'), file), 422);
    expectStatus(await n('GET', `/v1/specialist-applications/${id}/files/${uploaded.body.id}`, reviewer), 200);
    expectStatus(await n('GET', `/v1/specialist-applications/${id}/files/${randomUUID()}`, reviewer), 404);
    expectStatus(await n('PUT', `/v1/specialist-applications/${id}/materials`, owner, { materials: [{ kind: 'RESUME', materialId: uploaded.body.id }] }), 200);
    expectStatus(await n('PUT', `/v1/specialist-applications/${id}/materials`, owner, { materials: [{ kind: 'RESUME', materialId: randomUUID() }] }), 422);
    expectStatus(await n('POST', `/v1/specialist-applications/${id}/review`, reviewer, { decision: 'APPROVE' }), 422); // QUALIFICATION missing
    expectStatus(await n('POST', `/v1/specialist-applications/${id}/review`, owner, { decision: 'APPROVE' }), 403);
    expectStatus(await n('POST', `/v1/specialist-applications/${id}/review`, reviewer, { decision: 'REJECT', note: 'no' }), 200);
    expectStatus(await n('POST', `/v1/specialist-applications/${id}/review`, reviewer, { decision: 'REJECT', note: 'again' }), 409);
    const cancelled = await n('POST', '/v1/specialist-applications', owner, { memberId: third, pathId: 'SOFTWARE' });
    expectStatus(await n('POST', `/v1/specialist-applications/${cancelled.body.id}/cancel`, owner, { reason: 'changed our mind' }), 200);
    expectStatus(await n('POST', `/v1/specialist-applications/${cancelled.body.id}/cancel`, owner, {}), 400);
    expectStatus(await n('POST', `/v1/specialist-applications/${randomUUID()}/cancel`, owner, { reason: 'x' }), 404);
  });

  it('level raises: ask (refused, started, already open), list, get, review, withdraw — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const reviewer = await tokenFor(['vendor_reviewer']);
    const raises = `/v1/partners/${partnerId}/level-raises`;
    expectStatus(await n('POST', raises, owner, { pathId: 'SOFTWARE' }, { 'Accept-Language': 'en' }), 422); // every requirement unmet
    await qualifySoftware(apps.normal.prisma, partnerId, 'CERTIFIED');
    const asked = await n('POST', raises, owner, { pathId: 'SOFTWARE' }, { 'Idempotency-Key': randomUUID() });
    expectStatus(asked, 201);
    expectStatus(await n('POST', raises, owner, { pathId: 'SOFTWARE' }), 409); // one open raise per path
    expectStatus(await n('POST', raises, owner, { pathId: 'ASTROLOGY' }), 422);
    expectStatus(await n('POST', raises, owner, { pathId: 'software' }), 400);
    expectStatus(await n('POST', raises, reviewer, { pathId: 'SOFTWARE' }), 403);
    expectStatus(await n('POST', raises, await tokenFor(['partner_admin'], newPartner()), { pathId: 'SOFTWARE' }), 404);
    expectStatus(await n('GET', `${raises}?limit=1`, owner), 200);
    expectStatus(await n('GET', `${raises}?status=NOPE`, owner), 400);
    expectStatus(await n('GET', raises, await tokenFor(['partner_admin'], newPartner())), 404);
    const id = asked.body.id as string;
    expectStatus(await n('GET', `/v1/level-raises/${id}`, reviewer), 200);
    expectStatus(await n('GET', `/v1/level-raises/${randomUUID()}`, reviewer), 404);
    expectStatus(await n('POST', `/v1/level-raises/${id}/review`, owner, { decision: 'APPROVE' }), 403);
    expectStatus(await n('POST', `/v1/level-raises/${id}/review`, reviewer, { decision: 'REJECT' }), 400);
    expectStatus(await n('POST', `/v1/level-raises/${id}/review`, reviewer, { decision: 'APPROVE' }), 200);
    expectStatus(await n('POST', `/v1/level-raises/${id}/review`, reviewer, { decision: 'APPROVE' }), 409);
    // The level the approval set, in the path's history as LEVEL_RAISED with the raise that decided it.
    const paths = await n('GET', `/v1/partners/${partnerId}/paths`, owner);
    expectStatus(paths, 200);
    expect(paths.body.items.find((m: { pathId: string }) => m.pathId === 'SOFTWARE').history[0]).toMatchObject({ reason: 'LEVEL_RAISED', levelRaiseId: id });
    await qualifySoftware(apps.normal.prisma, partnerId, 'ADVANCED', 'CERTIFIED');
    const next = await n('POST', raises, owner, { pathId: 'SOFTWARE' });
    expectStatus(next, 201);
    expectStatus(await n('POST', `/v1/level-raises/${next.body.id}/withdraw`, owner, { reason: 'later' }), 200);
    expectStatus(await n('POST', `/v1/level-raises/${next.body.id}/withdraw`, owner, {}), 409);
  });

  it('enrollments: ask (refused, offline only, started, already open), get, preview, review, confirm (stale hash, joined), withdraw, invite, accept, decline, list — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const reviewer = await tokenFor(['vendor_reviewer']);
    const feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
    const enrollments = `/v1/partners/${partnerId}/enrollments`;
    expectStatus(await n('POST', enrollments, owner, { program: 'RESELLER' }, { 'Accept-Language': 'en' }), 422); // nothing known
    expectStatus(await n('POST', enrollments, owner, { program: 'DISTRIBUTOR' }), 422); // offline only
    const observedAt = new Date(Date.now() - 60_000).toISOString();
    const facts = [
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' }, observedAt },
      { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
      { kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 0 } }, observedAt },
      { kind: 'POSTPAID', value: { enabled: false }, observedAt },
      ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT', subject, value: { signed: false }, observedAt })),
      { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
      { kind: 'VOUCHER', subject: 'V-1', value: { issuer: 'marketing', amount: { currency: 'CNY', minor: 100 }, state: 'ACTIVE' }, observedAt },
    ];
    expectStatus(await n('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'billing', facts }, { 'Idempotency-Key': randomUUID() }), 201);
    const asked = await n('POST', enrollments, owner, { program: 'RESELLER' }, { 'Idempotency-Key': randomUUID() });
    expectStatus(asked, 201);
    expectStatus(await n('POST', enrollments, owner, { program: 'RESELLER' }), 409); // one open enrollment per program
    expectStatus(await n('POST', enrollments, owner, { program: 'NOPE' }), 400);
    expectStatus(await n('POST', enrollments, reviewer, { program: 'RESELLER' }), 403);
    expectStatus(await n('POST', enrollments, await tokenFor(['partner_admin'], newPartner()), { program: 'RESELLER' }), 404);
    const id = asked.body.id as string;
    expectStatus(await n('GET', `/v1/enrollments/${id}`, reviewer), 200);
    expectStatus(await n('GET', `/v1/enrollments/${randomUUID()}`, reviewer), 404);
    expectStatus(await n('POST', `/v1/enrollments/${id}/confirm`, owner, { instrumentsHash: '0'.repeat(64) }), 409); // still in review
    expectStatus(await n('POST', `/v1/enrollments/${id}/review`, owner, { decision: 'APPROVE' }), 403);
    expectStatus(await n('POST', `/v1/enrollments/${id}/review`, reviewer, { decision: 'REJECT' }), 400);
    expectStatus(await n('POST', `/v1/enrollments/${id}/review`, reviewer, { decision: 'APPROVE' }), 200);
    const preview = await n('GET', `/v1/enrollments/${id}/voided-instruments-preview`, owner);
    expectStatus(preview, 200);
    expectStatus(await n('GET', `/v1/enrollments/${id}/voided-instruments-preview`, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('POST', `/v1/enrollments/${id}/confirm`, owner, { instrumentsHash: 'nope' }), 400);
    expectStatus(await n('POST', `/v1/enrollments/${id}/confirm`, owner, { instrumentsHash: '0'.repeat(64) }), 409); // another list
    expectStatus(await n('POST', `/v1/enrollments/${id}/confirm`, owner, { instrumentsHash: preview.body.instrumentsHash }), 200);
    expectStatus(await n('POST', `/v1/enrollments/${id}/withdraw`, owner, {}), 409); // joined
    const other = newPartner();
    const otherOwner = await tokenFor(['partner_admin'], other, `${other}-owner`);
    expectStatus(await n('POST', `/v1/partners/${other}/account/facts`, feeder, { source: 'billing', facts }, { 'Idempotency-Key': randomUUID() }), 201);
    const next = await n('POST', `/v1/partners/${other}/enrollments`, otherOwner, { program: 'RESELLER' });
    expectStatus(next, 201);
    expectStatus(await n('POST', `/v1/enrollments/${next.body.id}/withdraw`, owner, { reason: 'not ours' }), 404);
    expectStatus(await n('POST', `/v1/enrollments/${next.body.id}/withdraw`, otherOwner, { reason: 'later' }), 200);
    // Invitations: the vendor invites (an open one already, the distributor plan, a partner's staff refused); the partner
    // accepts (unmet conditions listed; another partner's 404) or declines; the partner's list.
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    const invited = await n('POST', '/v1/enrollment-invitations', manager, { partnerId: other, program: 'SOLUTION_PROVIDER', note: 'welcome' }, { 'Idempotency-Key': randomUUID() });
    expectStatus(invited, 201);
    expectStatus(await n('POST', '/v1/enrollment-invitations', manager, { partnerId: other, program: 'SOLUTION_PROVIDER' }), 409);
    expectStatus(await n('POST', '/v1/enrollment-invitations', manager, { partnerId: other, program: 'DISTRIBUTOR' }), 422);
    expectStatus(await n('POST', '/v1/enrollment-invitations', manager, { partnerId: other, program: 'NOPE' }), 400);
    expectStatus(await n('POST', '/v1/enrollment-invitations', owner, { partnerId: other, program: 'RESELLER' }), 403);
    expectStatus(await n('POST', `/v1/enrollments/${invited.body.id}/accept`, otherOwner, {}), 422); // the solution-provider facts unknown
    expectStatus(await n('POST', `/v1/enrollments/${invited.body.id}/accept`, owner, {}), 404);
    expectStatus(await n('POST', `/v1/enrollments/${invited.body.id}/decline`, otherOwner, { reason: 'not now' }), 200);
    expectStatus(await n('POST', `/v1/enrollments/${invited.body.id}/decline`, otherOwner, {}), 409); // declined
    const reseller = await n('POST', '/v1/enrollment-invitations', manager, { partnerId: other, program: 'RESELLER' });
    expectStatus(reseller, 201);
    expectStatus(await n('POST', `/v1/enrollments/${reseller.body.id}/accept`, otherOwner, {}), 200);
    expectStatus(await n('GET', `/v1/partners/${other}/enrollments?program=RESELLER&limit=2`, otherOwner), 200);
    expectStatus(await n('GET', `/v1/partners/${other}/enrollments?status=NOPE`, otherOwner), 400);
    expectStatus(await n('GET', `/v1/partners/${other}/enrollments`, owner), 404);
  });

  it('agreements: publish (bad hash, past date), list, get, sign (mismatch, again), contracting entities — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const admin = await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`);
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    // Effective in 2099: never in force, so no other route of this file meets the agreement gate.
    const text = `OpenAPI agreement ${randomUUID()}`;
    const body = { contractingEntity: 'Contract Entity Ltd.', text, textSha256: agreementHash(text), effectiveDate: '2099-01-01', signByDate: '2098-12-01' };
    expectStatus(await n('POST', '/v1/agreements', manager, { ...body, textSha256: agreementHash('other') }), 422);
    expectStatus(await n('POST', '/v1/agreements', manager, { ...body, signByDate: '2001-01-01' }), 422);
    expectStatus(await n('POST', '/v1/agreements', manager, { ...body, textSha256: 'nope' }), 400);
    expectStatus(await n('POST', '/v1/agreements', admin, body), 403);
    const published = await n('POST', '/v1/agreements', manager, body, { 'Idempotency-Key': randomUUID() });
    expectStatus(published, 201);
    const id = published.body.id as string;
    expectStatus(await n('GET', '/v1/agreements', admin), 200);
    expectStatus(await n('GET', `/v1/agreements/${id}`, admin), 200);
    expectStatus(await n('GET', `/v1/agreements/${randomUUID()}`, admin), 404);
    const signature = `/v1/partners/${partnerId}/agreements/${id}/signature`;
    expectStatus(await n('POST', signature, admin, { textSha256: agreementHash('other') }), 409);
    expectStatus(await n('POST', signature, admin, { textSha256: body.textSha256 }), 200);
    expectStatus(await n('POST', signature, admin, { textSha256: body.textSha256 }), 200);
    expectStatus(await n('POST', signature, manager, { textSha256: body.textSha256 }), 403);
    expectStatus(await n('POST', signature, await tokenFor(['partner_admin'], newPartner()), { textSha256: body.textSha256 }), 404);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/contracting-entities`, admin), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/contracting-entities`, await tokenFor(['partner_admin'], newPartner())), 404);
  });

  it('every partner account, eligibility, project specialist, level raise, enrollment and agreement route was exercised with a success answer', () => {
    expect(unexercised('programs')).toEqual([]);
  });
});
