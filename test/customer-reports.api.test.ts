/**
 * Customer facts and customer reports through the real API (issue 18 sections 0 and 2): the facts feed (latest
 * observation wins), every refusal reason alone and all together in both languages, an enterprise not in the records,
 * the cap (CUSTOMER_REPORT_OPEN_CAP=2 for this file), the database's one protection per enterprise, partner scoping,
 * idempotent creation, and no refused request changing anything.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerEnterpriseFacts, enterprises, feedCustomer, freshCreditCode, freshCustomer, freshPartner } from './support/customer-fixtures.js';
import { tokenFor } from './support/app.js';
import { ZONE } from './support/calendar.js';
import { expectOk, expectProblem, fields, useTestEnv } from './support/env.js';

// Read by the API's client and the worker's activities when they start (beforeAll).
process.env.CUSTOMER_REPORT_OPEN_CAP = '2';
const env = useTestEnv({ taskQueue: 'customer-reports-api-test', api: true });
const { api } = env;
let vendor: string;
let system: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff'], undefined, 'vendor-cr');
  system = await tokenFor(['vendor_system'], undefined, 'billing-system');
});

const today = async () => DateTime.fromMillis(await env.currentTimeMs()).setZone(ZONE);
const countReports = async (partnerId: string) => (await env.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM customer_report WHERE partner_id = $1`, partnerId))[0]!.n;
const reportAs = (partnerId: string, token: string, body: unknown, language = 'en') =>
  api('POST', `/v1/partners/${partnerId}/customer-reports`, token, body, { 'Accept-Language': language });

async function partner(prefix: string) {
  const partnerId = freshPartner(prefix);
  return { partnerId, token: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`) };
}

/** An enterprise in the records with one account whose facts are `facts` (registered `registeredDaysAgo` local days ago). */
async function enterpriseWith(opts: { registeredDaysAgo?: number; directContract?: boolean; followed?: boolean; associated?: boolean; only?: boolean } = {}) {
  const creditCode = freshCreditCode();
  const customerId = freshCustomer('api');
  await enterprises(creditCode);
  const now = await today();
  const observedAt = now.toUTC().toISO()!;
  const registeredOn = now.minus({ days: opts.registeredDaysAgo ?? 0 }).toISODate()!;
  await feedCustomer(api, customerId, opts.only ? [{ kind: 'ENTERPRISE', value: { creditCode }, observedAt }] : customerEnterpriseFacts(creditCode, registeredOn, observedAt, opts));
  if (opts.associated) {
    await env.prisma.customerAssociation.create({ data: { id: randomUUID(), partnerId: freshPartner('holder'), customerId, creditCode, mode: 'RESELLER', associatedAt: new Date(), associatedBy: 'test' } });
  }
  return { creditCode, customerId };
}

describe('customer facts', () => {
  it('are fed with an Idempotency-Key and read by the vendor: the latest observation wins, a late older one is kept but never wins', async () => {
    const customerId = freshCustomer('facts');
    const code = freshCreditCode();
    const feed = { source: 'iam', facts: [{ kind: 'ENTERPRISE', value: { creditCode: code }, observedAt: '2026-11-02T08:00:00+08:00' }, { kind: 'FROZEN', value: { frozen: true }, observedAt: '2026-11-02T08:00:00+08:00' }] };
    expectProblem(await api('POST', `/v1/customers/${customerId}/facts`, system, feed), 400);
    const key = randomUUID();
    const first = await api('POST', `/v1/customers/${customerId}/facts`, system, feed, { 'Idempotency-Key': key });
    expectOk(first, 201);
    expect(first.body.items.map((i: { kind: string }) => i.kind)).toEqual(['ENTERPRISE', 'FROZEN']);
    const again = await api('POST', `/v1/customers/${customerId}/facts`, system, feed, { 'Idempotency-Key': key });
    expect(again.body).toEqual(first.body);
    await feedCustomer(api, customerId, [{ kind: 'FROZEN', value: { frozen: false }, observedAt: '2026-11-03T08:00:00+08:00' }]);
    await feedCustomer(api, customerId, [{ kind: 'FROZEN', value: { frozen: true }, observedAt: '2026-11-01T08:00:00+08:00' }]);
    const read = await api('GET', `/v1/customers/${customerId}`, vendor);
    expectOk(read);
    expect(read.body).toEqual({
      customerId,
      facts: { ENTERPRISE: { creditCode: code }, REGISTERED: null, FROZEN: { frozen: false }, RESERVED_INSTANCES: null, SUPPORT_PLANS: null, DIRECT_CONTRACT: null, DIRECT_SALES_SPEND: null },
      association: null,
    });
    const bad = await api('POST', `/v1/customers/${customerId}/facts`, system, { source: 'iam', facts: [{ kind: 'ENTERPRISE', value: { creditCode: 'nope' }, observedAt: '2026-11-02T08:00:00+08:00' }] }, { 'Idempotency-Key': randomUUID() });
    expectProblem(bad, 400);
    expect(fields(bad)).toEqual(['facts.0.value.creditCode']);
    expectProblem(await api('GET', `/v1/customers/${freshCustomer('none')}`, vendor), 404);
    const { token } = await partner('facts');
    expectProblem(await api('GET', `/v1/customers/${customerId}`, token), 403);
    expectProblem(await api('POST', `/v1/customers/${customerId}/facts`, vendor, feed, { 'Idempotency-Key': randomUUID() }), 403);
  });
});

describe('refusals: every reason, alone and together, in the request language', () => {
  const cases = [
    ['customer-already-associated', { associated: true }],
    ['customer-direct-contract', { directContract: true }],
    ['customer-registered-too-long-ago', { registeredDaysAgo: 8 }],
    ['customer-spend-followed-by-direct-sales', { followed: true }],
  ] as const;
  it.each(cases)('%s alone: 422 with its code, message and remedy; nothing recorded', async (code, opts) => {
    const e = await enterpriseWith(opts);
    const p = await partner('ref');
    const res = await reportAs(p.partnerId, p.token, { creditCode: e.creditCode });
    expectProblem(res, 422, 'customer-not-reportable');
    expect(res.headers.get('content-language')).toBe('en');
    expect(res.body.unmet).toEqual([expect.objectContaining({ code, message: expect.stringContaining(e.customerId), remedy: expect.stringContaining('manual review') })]);
    expect(fields(res)).toEqual(['creditCode']);
    expect(JSON.stringify(res.body)).not.toContain('holder'); // an association never says which partner holds it
    expect(await countReports(p.partnerId)).toBe(0);
  });

  it('7 local days after the registration is still reportable; the 8th is not', async () => {
    const e = await enterpriseWith({ registeredDaysAgo: 7 });
    const p = await partner('ref7');
    expectOk(await reportAs(p.partnerId, p.token, { creditCode: e.creditCode }), 201);
  });

  it('all four together, each said once in stable order, in zh-CN by default; unknown facts are reasons too', async () => {
    const e = await enterpriseWith({ associated: true, directContract: true, registeredDaysAgo: 30, followed: true });
    const p = await partner('all');
    const res = await api('POST', `/v1/partners/${p.partnerId}/customer-reports`, p.token, { creditCode: e.creditCode });
    expectProblem(res, 422, 'customer-not-reportable');
    expect(res.headers.get('content-language')).toBe('zh-CN');
    expect(res.body.unmet.map((u: { code: string }) => u.code)).toEqual(['customer-already-associated', 'customer-direct-contract', 'customer-registered-too-long-ago', 'customer-spend-followed-by-direct-sales']);
    expect(res.body.unmet[2].message).toMatch(/注册于 .* 已超过 7 天/);
    expect(res.body.errors).toHaveLength(4);

    const unknown = await enterpriseWith({ only: true });
    const u = await reportAs(p.partnerId, p.token, { creditCode: unknown.creditCode });
    expectProblem(u, 422, 'customer-not-reportable');
    expect(u.body.unmet.map((x: { evidence: { fact: string } }) => x.evidence.fact)).toEqual(['DIRECT_CONTRACT', 'REGISTERED', 'DIRECT_SALES_SPEND']);
    expect(u.body.unmet[0].message).toMatch(/^Not yet known/);
    expect(await countReports(p.partnerId)).toBe(0);
  });

  it('an enterprise not in the records: 422 unknown-enterprise naming creditCode; a malformed code: 400', async () => {
    const p = await partner('unk');
    const res = await reportAs(p.partnerId, p.token, { creditCode: freshCreditCode() });
    expectProblem(res, 422, 'unknown-enterprise');
    expect(fields(res)).toEqual(['creditCode']);
    expect(fields(await reportAs(p.partnerId, p.token, { creditCode: '91330100799655058I' }))).toEqual(['creditCode']);
    expect(fields(await reportAs(p.partnerId, p.token, { creditCode: freshCreditCode(), manualReview: true }))).toEqual(['justification']);
    expect(await countReports(p.partnerId)).toBe(0);
  });
});

describe('the cap, the database, the scoping', () => {
  it('at most 2 open reports (this file\'s cap): the third is 422 naming the cap; a withdrawal makes room', async () => {
    const p = await partner('cap');
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const res = await reportAs(p.partnerId, p.token, { creditCode: (await enterpriseWith()).creditCode });
      expectOk(res, 201);
      ids.push(res.body.id);
    }
    const third = (await enterpriseWith()).creditCode;
    const refused = await reportAs(p.partnerId, p.token, { creditCode: third });
    expectProblem(refused, 422, 'customer-report-cap-reached');
    expect(refused.body).toMatchObject({ cap: 2, errors: [{ field: 'creditCode' }] });
    expect(await countReports(p.partnerId)).toBe(2);
    expectOk(await api('POST', `/v1/customer-reports/${ids[0]}/withdraw`, p.token, {}));
    expectOk(await reportAs(p.partnerId, p.token, { creditCode: third }), 201);
  });

  it('one protected report per enterprise is the database\'s rule, and one open report per partner and enterprise', async () => {
    const e = await enterpriseWith();
    const p = await partner('db');
    const first = await reportAs(p.partnerId, p.token, { creditCode: e.creditCode });
    expectOk(first, 201);
    const again = await reportAs(p.partnerId, p.token, { creditCode: e.creditCode });
    expectProblem(again, 409, 'customer-report-already-open');
    expect(again.body.reportId).toBe(first.body.id);
    const insert = (partnerId: string) =>
      env.prisma.$executeRawUnsafe(
        `INSERT INTO customer_report (id, partner_id, credit_code, status, reported_by, reported_at, manual_review, protection_days, protected_from, protected_until, last_seq, updated_at)
         VALUES ($1::uuid, $2, $3, 'PROTECTED', 'sql', now(), false, 15, now(), now() + interval '15 days', 1, now())`,
        randomUUID(), partnerId, e.creditCode,
      );
    await expect(insert(freshPartner('sql'))).rejects.toThrow(/customer_report_protected_credit_code_key/);
  });

  it('two partners racing for one enterprise: one is protected, the other 409 customer-already-reported (the database decides)', async () => {
    const e = await enterpriseWith();
    const [p, q] = [await partner('race1'), await partner('race2')];
    const answers = await Promise.all([reportAs(p.partnerId, p.token, { creditCode: e.creditCode }), reportAs(q.partnerId, q.token, { creditCode: e.creditCode })]);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    const lost = answers.find((a) => a.status === 409)!;
    expectProblem(lost, 409, 'customer-already-reported');
    const won = answers.find((a) => a.status === 201)!;
    expect(JSON.stringify(lost.body)).not.toContain(won.body.partnerId);
    const [held] = await env.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM customer_report WHERE credit_code = $1`, e.creditCode);
    expect(held!.n).toBe(1);
  });

  it("another partner's report, list, invitation and customers are 404; the vendor reads them; a retried creation is the same report", async () => {
    const e = await enterpriseWith();
    const p = await partner('own');
    const key = randomUUID();
    const created = await api('POST', `/v1/partners/${p.partnerId}/customer-reports`, p.token, { creditCode: e.creditCode }, { 'Idempotency-Key': key });
    expectOk(created, 201);
    const retried = await api('POST', `/v1/partners/${p.partnerId}/customer-reports`, p.token, { creditCode: e.creditCode }, { 'Idempotency-Key': key });
    expectOk(retried, 201);
    expect(retried.body.id).toBe(created.body.id);
    expect(await countReports(p.partnerId)).toBe(1);

    const other = await partner('other');
    const id = created.body.id;
    expectProblem(await api('GET', `/v1/customer-reports/${id}`, other.token), 404);
    expectProblem(await api('GET', `/v1/partners/${p.partnerId}/customer-reports`, other.token), 404);
    expectProblem(await api('GET', `/v1/partners/${p.partnerId}/customers`, other.token), 404);
    expectProblem(await api('POST', `/v1/customer-reports/${id}/invitation`, other.token, { mode: 'RESELLER' }), 404);
    expectProblem(await api('POST', `/v1/customer-reports/${id}/withdraw`, other.token, {}), 404);
    expectProblem(await api('POST', `/v1/partners/${p.partnerId}/customer-reports`, other.token, { creditCode: e.creditCode }), 404);
    expectOk(await api('GET', `/v1/customer-reports/${id}`, vendor));
    expect((await api('GET', `/v1/partners/${p.partnerId}/customer-reports`, vendor)).body.items.map((r: { id: string }) => r.id)).toEqual([id]);
    expectOk(await api('POST', `/v1/customer-reports/${id}/invitation`, vendor, { mode: 'RESELLER' }), 201); // the vendor may act for the partner
    expectProblem(await api('POST', `/v1/customer-reports/${id}/review`, await tokenFor(['vendor_ecosystem_manager'], undefined, 'eco'), { decision: 'APPROVE' }), 409, 'not-in-review');
    expectProblem(await api('GET', `/v1/customer-invitations/${'x'.repeat(43)}`, await tokenFor(['partner_admin'], p.partnerId)), 403);
  });
});
