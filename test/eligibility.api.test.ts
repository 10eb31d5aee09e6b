/**
 * The eligibility preflight on the real API + PostgreSQL, with the facts fed through the real feed routes (as
 * test/account.test.ts feeds them): the seed's seven reasons for the solution-provider plan listed at once with their
 * remedies, in zh-CN by default and in English on Accept-Language; fed fixes make the partner eligible; facts never
 * fed are unknown; the reseller and distributor programs; a project specialist's member; a level raise's path; bad
 * queries naming their field; and who may ask about whom (own partner only, another partner's 404, vendor staff any).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { eligibilitySchema } from '../api/eligibility/schemas.js';
import { tokenFor } from './support/app.js';
import { expectProblem, fields, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'eligibility-test', api: true });
const { api } = env;
let feeder: string;
let vendor: string;

beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
  vendor = await tokenFor(['vendor_admin']);
});

const newPartner = () => `P-elig-${randomUUID().slice(0, 8)}`;
const key = () => ({ 'Idempotency-Key': randomUUID() });
const cny = (minor: number) => ({ currency: 'CNY', minor });
type Fact = { kind: string; subject?: string; value: Record<string, unknown> };
async function feed(partnerId: string, facts: Fact[], observedAt: string) {
  const res = await api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'billing', facts: facts.map((f) => ({ ...f, observedAt })) }, key());
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}
async function ledger(partnerId: string, entries: Record<string, unknown>[]) {
  const res = await api('POST', `/v1/partners/${partnerId}/account/ledger-entries`, feeder, { source: 'billing', entries }, key());
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}
async function eligibility(partnerId: string, query: string, token?: string, headers: Record<string, string> = {}) {
  const res = await api('GET', `/v1/partners/${partnerId}/eligibility?${query}`, token ?? (await tokenFor(['partner_admin'], partnerId)), undefined, headers);
  if (res.status === 200) expect(eligibilitySchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  return res;
}
const codes = (res: { body: { unmet: { code: string }[] } }) => res.body.unmet.map((u) => u.code);

/** Everything the plans ask about, reported as met. */
const CLEAN: Fact[] = [
  { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'NOT_JOINED' } },
  { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' } },
  { kind: 'PROGRAM_MEMBERSHIP', subject: 'DISTRIBUTOR', value: { state: 'NOT_JOINED' } },
  { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' } },
  { kind: 'OPEN_RESOURCES', value: { count: 0 } },
  { kind: 'FROZEN', value: { frozen: false } },
  { kind: 'INVOICEABLE_AMOUNT', value: { amount: cny(0) } },
  { kind: 'POSTPAID', value: { enabled: false } },
  { kind: 'DESIGNATED_CONTRACT', subject: 'OFFLINE_DIRECT', value: { signed: false } },
  { kind: 'DESIGNATED_CONTRACT', subject: 'TELESALES_AUTHORISED_DISCOUNT', value: { signed: false } },
  { kind: 'DESIGNATED_CONTRACT', subject: 'DIRECT_SPECIAL_PRICE', value: { signed: false } },
  { kind: 'ENTERPRISE_ROLE', value: { role: 'NONE' } },
];

describe('the solution-provider plan: the walkthrough', () => {
  it('seven facts fed → all seven reasons with remedies (zh-CN, or en) → the fixes fed → eligible', async () => {
    const partnerId = newPartner();
    await feed(
      partnerId,
      [
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'JOINING' } },
        { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'SUB_CUSTOMER', distributorId: 'D-7' } },
        { kind: 'OPEN_RESOURCES', value: { count: 2 } },
        { kind: 'FROZEN', value: { frozen: true } },
        { kind: 'ENTERPRISE_ROLE', value: { role: 'MASTER' } },
      ],
      '2026-03-01T10:00:00+08:00',
    );
    await ledger(partnerId, [
      { kind: 'CREDIT_LIMIT_CHANGE', key: `${partnerId}-limit`, change: cny(5_000), occurredAt: '2026-03-01T09:00:00+08:00' },
      { kind: 'CHARGE', key: `${partnerId}-bill`, amount: cny(6_000), drawn: { credit: 5_000, arrears: 1_000 }, occurredAt: '2026-03-02T09:00:00+08:00' },
    ]);

    const zh = await eligibility(partnerId, 'program=SOLUTION_PROVIDER');
    expect(zh.status, JSON.stringify(zh.body)).toBe(200);
    expect(zh.headers.get('content-language')).toBe('zh-CN');
    expect(zh.body).toMatchObject({ partnerId, program: 'SOLUTION_PROVIDER', eligible: false, language: 'zh-CN' });
    expect(zh.body.unmet).toEqual([
      {
        code: 'program-joining',
        message: '正在加入解决方案提供商计划：申请尚未完成。',
        remedy: '等待当前申请处理完成，或撤回后重新申请。',
        evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'JOINING' }, source: 'billing', observedAt: '2026-03-01T02:00:00.000Z' },
      },
      {
        code: 'distributor-sub-customer',
        message: '是其他分销商（D-7）的子客户。',
        remedy: '在控制台申请与当前合作伙伴解除关联。',
        evidence: { fact: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'SUB_CUSTOMER', distributorId: 'D-7' }, source: 'billing', observedAt: '2026-03-01T02:00:00.000Z' },
      },
      {
        code: 'open-resources',
        message: '有 2 个资源尚未关闭。',
        remedy: '在控制台关闭这些资源（释放或退订）。',
        evidence: { fact: 'OPEN_RESOURCES', value: { count: 2 }, source: 'billing', observedAt: '2026-03-01T02:00:00.000Z' },
      },
      {
        code: 'account-frozen',
        message: '账号已冻结。',
        remedy: '联系客服了解冻结原因并申请解冻。',
        evidence: { fact: 'FROZEN', value: { frozen: true }, source: 'billing', observedAt: '2026-03-01T02:00:00.000Z' },
      },
      { code: 'in-arrears', message: '账号欠费：¥10.00。', remedy: '充值以结清欠款。', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', arrears: 1_000 }] } },
      {
        code: 'enterprise-account',
        message: '是企业主账号。',
        remedy: '在控制台的企业管理中解除企业主子账号关系。',
        evidence: { fact: 'ENTERPRISE_ROLE', value: { role: 'MASTER' }, source: 'billing', observedAt: '2026-03-01T02:00:00.000Z' },
      },
      {
        code: 'credit-account',
        message: '是信控账号（信用额度 ¥50.00）。',
        remedy: '还清已用信用额度，并联系您的客户经理关闭信用额度。',
        evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', creditLimit: 5_000, creditUsed: 5_000 }] },
      },
    ]);

    const en = await eligibility(partnerId, 'program=SOLUTION_PROVIDER', undefined, { 'Accept-Language': 'en-GB,en;q=0.9,zh;q=0.5' });
    expect(en.headers.get('content-language')).toBe('en');
    expect(en.body.language).toBe('en');
    expect(codes(en)).toEqual(codes(zh));
    expect(en.body.unmet.map((u: { message: string }) => u.message)).toEqual([
      'Already joining the solution-provider plan: an application is in progress.',
      'A sub-customer of another distributor (D-7).',
      '2 resource(s) not closed.',
      'The account is frozen.',
      'The account is in arrears: CN¥10.00.',
      'An enterprise master account.',
      'A credit account (credit limit CN¥50.00).',
    ]);
    expect(en.body.unmet[4].remedy).toBe('Recharge to clear the arrears.');

    // The fixes: newer observations, the arrears and the used credit repaid, the credit line closed.
    await feed(
      partnerId,
      [
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'NOT_JOINED' } },
        { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' } },
        { kind: 'OPEN_RESOURCES', value: { count: 0 } },
        { kind: 'FROZEN', value: { frozen: false } },
        { kind: 'ENTERPRISE_ROLE', value: { role: 'NONE' } },
      ],
      '2026-03-05T10:00:00+08:00',
    );
    await ledger(partnerId, [
      { kind: 'ARREARS_REPAYMENT', key: `${partnerId}-repay`, amount: cny(1_000), from: 'CASH', occurredAt: '2026-03-05T09:00:00+08:00' },
      { kind: 'CREDIT_REPAYMENT', key: `${partnerId}-credit`, amount: cny(5_000), from: 'CASH', occurredAt: '2026-03-05T09:10:00+08:00' },
      { kind: 'CREDIT_LIMIT_CHANGE', key: `${partnerId}-close`, change: cny(-5_000), occurredAt: '2026-03-05T09:20:00+08:00' },
    ]);
    const after = await eligibility(partnerId, 'program=SOLUTION_PROVIDER');
    expect(after.body).toEqual({ partnerId, program: 'SOLUTION_PROVIDER', eligible: true, language: 'zh-CN', unmet: [] });
  });

  it('a partner nothing was fed for: every fact the plan needs is unknown, not passed', async () => {
    const res = await eligibility(newPartner(), 'program=SOLUTION_PROVIDER');
    expect(res.status).toBe(200);
    expect(res.body.eligible).toBe(false);
    expect(codes(res)).toEqual(['program-membership-unknown', 'distributor-relationship-unknown', 'open-resources-unknown', 'frozen-unknown', 'enterprise-role-unknown']);
    expect(res.body.unmet[3]).toEqual({ code: 'frozen-unknown', message: '尚不知道账号是否冻结：计费系统尚未报告。', remedy: '请在计费系统报告后再查询；如一直未知，请联系您的渠道经理。', evidence: { fact: 'FROZEN', value: null } });
  });
});

describe('the reseller and distributor programs', () => {
  it('reseller: a recharge balance, an invoiceable amount, postpaid, a contract, a tier-1 customer — every one listed', async () => {
    const partnerId = newPartner();
    await feed(partnerId, CLEAN, '2026-03-01T00:00:00Z');
    expect((await eligibility(partnerId, 'program=RESELLER')).body.eligible).toBe(true);
    await feed(
      partnerId,
      [
        { kind: 'INVOICEABLE_AMOUNT', value: { amount: cny(12_345) } },
        { kind: 'POSTPAID', value: { enabled: true } },
        { kind: 'DESIGNATED_CONTRACT', subject: 'DIRECT_SPECIAL_PRICE', value: { signed: true, contractId: 'C-9' } },
        { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'CONSULTATIVE_SALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 } },
      ],
      '2026-03-02T00:00:00Z',
    );
    await ledger(partnerId, [{ kind: 'RECHARGE', key: `${partnerId}-pay`, amount: cny(800), occurredAt: '2026-03-02T00:00:00Z' }]);
    const res = await eligibility(partnerId, 'program=RESELLER', undefined, { 'Accept-Language': 'en' });
    expect(codes(res)).toEqual(['recharge-balance-left', 'invoiceable-amount', 'postpaid-enabled', 'designated-contract', 'tier1-distributor-customer']);
    expect(res.body.unmet[1].message).toBe('CN¥123.45 is still invoiceable.');
    expect(res.body.unmet[3]).toMatchObject({ message: 'A designated contract is signed with the vendor: direct special price (C-9).', evidence: { subject: 'DIRECT_SPECIAL_PRICE' } });
  });

  it('distributor: offline only, and the answer says how to apply', async () => {
    const res = await eligibility(newPartner(), 'program=DISTRIBUTOR');
    expect(res.body).toMatchObject({
      eligible: false,
      unmet: [{ code: 'program-offline-only', message: '分销商计划只能线下申请。', remedy: '请联系您的渠道经理，线下提交申请材料。', evidence: { fact: 'PROGRAM', program: 'DISTRIBUTOR', channel: 'OFFLINE' } }],
    });
  });
});

describe('a project specialist and a level raise', () => {
  it("the member: associated and active, with a work residence; another partner's member is not associated", async () => {
    const partnerId = newPartner();
    await feed(partnerId, [...CLEAN, { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' } }], '2026-03-01T00:00:00Z');
    const add = (partner: string, sub: string, workResidence?: string) =>
      api('POST', `/v1/partners/${partner}/members`, vendor, { sub, displayName: sub, roles: ['partner_sales'], ...(workResidence ? { workResidence } : {}) });
    const withResidence = await add(partnerId, 'ps-1', 'Hangzhou');
    const without = await add(partnerId, 'ps-2');
    const elsewhere = await add(newPartner(), 'ps-3', 'Beijing');
    for (const r of [withResidence, without, elsewhere]) expect(r.status, JSON.stringify(r.body)).toBe(201);

    expect((await eligibility(partnerId, `program=PROJECT_SPECIALIST&memberId=${withResidence.body.id}`)).body).toMatchObject({ eligible: true, unmet: [] });
    expect(codes(await eligibility(partnerId, `program=PROJECT_SPECIALIST&memberId=${without.body.id}`))).toEqual(['member-work-residence-missing']);
    const other = await eligibility(partnerId, `program=PROJECT_SPECIALIST&memberId=${elsewhere.body.id}`);
    expect(other.body.unmet).toEqual([
      expect.objectContaining({ code: 'member-not-associated', evidence: { fact: 'MEMBER', memberId: elsewhere.body.id, found: false, active: false, workResidence: null } }),
    ]);
    // Deactivated: no longer associated.
    expect((await api('PATCH', `/v1/partners/${partnerId}/members/${withResidence.body.id}`, vendor, { active: false })).status).toBe(200);
    expect(codes(await eligibility(partnerId, `program=PROJECT_SPECIALIST&memberId=${withResidence.body.id}`))).toEqual(['member-not-associated']);
    // Only in the solution-provider plan: cannot apply.
    await feed(
      partnerId,
      [
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' } },
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'JOINED' } },
      ],
      '2026-03-02T00:00:00Z',
    );
    expect(codes(await eligibility(partnerId, `program=PROJECT_SPECIALIST&memberId=${without.body.id}`))).toEqual([
      'member-work-residence-missing',
      'partner-only-distribution-or-solution-provider',
    ]);
  });

  it("the path: the next level's unmet requirements as the path requirements evaluate them; at the top nothing to raise", async () => {
    const partnerId = newPartner();
    // Not on SOFTWARE: its lowest level, CERTIFIED (1 ADVANCED_CLOUD_SOFTWARE certificate, 2 full-time experts).
    const first = await eligibility(partnerId, 'program=LEVEL_UP&pathId=SOFTWARE', undefined, { 'Accept-Language': 'en' });
    expect(first.body.unmet.map((u: { evidence: Record<string, unknown> }) => [u.evidence.level, u.evidence.required, u.evidence.actual])).toEqual([
      ['CERTIFIED', 1, 0],
      ['CERTIFIED', 2, 0],
    ]);
    expect(first.body.unmet[1]).toMatchObject({
      code: 'level-requirement-unmet',
      message: 'Not met for CERTIFIED: at least 2 full-time experts registered (actual 0).',
      remedy: 'Register more full-time experts and have the vendor attest them.',
    });
    // The same items the requirements route answers.
    const requirements = await api('GET', `/v1/partners/${partnerId}/paths/SOFTWARE/requirements?level=CERTIFIED`, vendor);
    expect(requirements.body.items.filter((i: { met: boolean }) => !i.met).map((i: { description: string }) => i.description)).toEqual(
      first.body.unmet.map((u: { evidence: { description: string } }) => u.evidence.description),
    );
    expect((await api('PUT', `/v1/partners/${partnerId}/paths/SOFTWARE`, vendor, { level: 'ADVANCED' })).status).toBe(200);
    const top = await eligibility(partnerId, 'program=LEVEL_UP&pathId=SOFTWARE');
    expect(top.body.unmet).toEqual([expect.objectContaining({ code: 'path-top-level', evidence: { fact: 'PATH_MEMBERSHIP', pathId: 'SOFTWARE', level: 'ADVANCED' } })]);
  });
});

describe('bad queries and who may ask', () => {
  it.each([
    ['', ['query.program']],
    ['program=PLATINUM', ['query.program']],
    ['program=PROJECT_SPECIALIST', ['query.memberId']],
    ['program=PROJECT_SPECIALIST&memberId=42', ['query.memberId']],
    ['program=LEVEL_UP', ['query.pathId']],
    ['program=LEVEL_UP&pathId=NOPE', ['query.pathId']],
    ['program=RESELLER&pathId=SOFTWARE', ['query.pathId']],
    [`program=RESELLER&memberId=${randomUUID()}`, ['query.memberId']],
    ['program=RESELLER&lang=en', ['query.lang']],
  ])('%j → 400 naming %j', async (query, named) => {
    const res = await eligibility(newPartner(), query);
    expectProblem(res, 400, 'validation-error');
    expect(fields(res)).toEqual(named);
  });

  it("own partner only (another partner's 404, as if absent); vendor staff any; sales and the feeder 403", async () => {
    const partnerId = newPartner();
    const ask = async (roles: Parameters<typeof tokenFor>[0], partner?: string) => (await eligibility(partnerId, 'program=DISTRIBUTOR', await tokenFor(roles, partner))).status;
    expect(await ask(['partner_admin'], partnerId)).toBe(200);
    expect(await ask(['partner_finance'], partnerId)).toBe(200);
    expect(await ask(['vendor_staff'])).toBe(200);
    expect(await ask(['vendor_reviewer'])).toBe(200);
    expect(await ask(['partner_admin'], newPartner())).toBe(404);
    expect(await ask(['partner_sales'], partnerId)).toBe(403);
    expect(await ask(['vendor_system'])).toBe(403);
    expect((await api('GET', `/v1/partners/${partnerId}/eligibility?program=DISTRIBUTOR`)).status).toBe(401);
  });
});
