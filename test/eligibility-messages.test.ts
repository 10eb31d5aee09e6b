/**
 * What an unmet eligibility condition says (domain/eligibility-messages.ts): the language an Accept-Language header
 * picks (zh-CN by default), the seed's seven reasons in zh-CN and in English with their remedies — texts written by
 * hand — and every code of domain/eligibility.ts with a message and a remedy in both languages.
 */
import { describe, expect, it } from 'vitest';
import { type Evidence, UNMET_CODES, type Unmet, type UnmetCode } from '../domain/eligibility.js';
import { describeUnmet, formatMoney, languageOf, MESSAGES } from '../domain/eligibility-messages.js';

const AT = '2026-03-01T02:00:00.000Z';
const fact = (name: string, value: Record<string, unknown> | null, subject?: string): Evidence => ({
  fact: name,
  ...(subject ? { subject } : {}),
  value,
  ...(value ? { source: 'billing', observedAt: AT } : {}),
});

describe('the language of Accept-Language', () => {
  it.each([
    [undefined, 'zh-CN'],
    ['', 'zh-CN'],
    ['en', 'en'],
    ['en-US,en;q=0.9', 'en'],
    ['zh-CN', 'zh-CN'],
    ['zh-TW', 'zh-CN'],
    ['zh', 'zh-CN'],
    ['fr-FR', 'zh-CN'],
    ['fr-FR, en;q=0.5', 'en'],
    ['zh-CN;q=0.4, en;q=0.8', 'en'],
    ['en;q=0.5, zh;q=0.5', 'en'],
    ['en;q=0', 'zh-CN'],
    ['*', 'zh-CN'],
    ['english', 'zh-CN'],
    [';;;q=,', 'zh-CN'],
  ] as const)('%j → %s', (header, language) => {
    expect(languageOf(header)).toBe(language);
  });
});

describe('amounts in their currency', () => {
  it('minor units by the currency exponent, in each language', () => {
    expect(formatMoney('CNY', 123_456, 'zh-CN')).toBe('¥1,234.56');
    expect(formatMoney('CNY', 123_456, 'en')).toBe('CN¥1,234.56');
    expect(formatMoney('JPY', 500, 'en')).toBe('¥500');
  });
});

// The seed's seven reasons for the solution-provider plan, each with its evidence and its texts written out.
const SEVEN: [Unmet, { zh: [string, string]; en: [string, string] }][] = [
  [
    { code: 'program-joined', evidence: fact('PROGRAM_MEMBERSHIP', { state: 'JOINED' }, 'SOLUTION_PROVIDER') },
    { zh: ['已加入解决方案提供商计划。', '无需再次加入。'], en: ['Already in the solution-provider plan.', 'Nothing to do: the partner is already in it.'] },
  ],
  [
    { code: 'distributor-sub-customer', evidence: fact('DISTRIBUTOR_RELATIONSHIP', { relation: 'SUB_CUSTOMER', distributorId: 'D-7' }) },
    {
      zh: ['是其他分销商（D-7）的子客户。', '在控制台申请与当前合作伙伴解除关联。'],
      en: ['A sub-customer of another distributor (D-7).', 'Apply in the console to unlink from your current partner.'],
    },
  ],
  [
    { code: 'open-resources', evidence: fact('OPEN_RESOURCES', { count: 3 }) },
    { zh: ['有 3 个资源尚未关闭。', '在控制台关闭这些资源（释放或退订）。'], en: ['3 resource(s) not closed.', 'Close the resources in the console (release or unsubscribe them).'] },
  ],
  [
    { code: 'account-frozen', evidence: fact('FROZEN', { frozen: true }) },
    { zh: ['账号已冻结。', '联系客服了解冻结原因并申请解冻。'], en: ['The account is frozen.', 'Contact customer service to learn why, and have the account unfrozen.'] },
  ],
  [
    { code: 'in-arrears', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', arrears: 1_000 }, { currency: 'USD', arrears: 250 }] } },
    { zh: ['账号欠费：¥10.00、US$2.50。', '充值以结清欠款。'], en: ['The account is in arrears: CN¥10.00, $2.50.', 'Recharge to clear the arrears.'] },
  ],
  [
    { code: 'enterprise-account', evidence: fact('ENTERPRISE_ROLE', { role: 'SUB' }) },
    {
      zh: ['是企业子账号。', '在控制台的企业管理中解除企业主子账号关系。'],
      en: ['An enterprise sub account.', "Leave the enterprise's master/sub account relationship in the console's enterprise management."],
    },
  ],
  [
    { code: 'credit-account', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', creditLimit: 500_000, creditUsed: 0 }] } },
    {
      zh: ['是信控账号（信用额度 ¥5,000.00）。', '还清已用信用额度，并联系您的客户经理关闭信用额度。'],
      en: ['A credit account (credit limit CN¥5,000.00).', 'Repay the credit used and ask your account manager to close the credit line.'],
    },
  ],
];

describe('the seed seven reasons, in zh-CN and in English', () => {
  it.each(SEVEN.map(([unmet, texts]) => [unmet.code, unmet, texts] as const))('%s', (_, unmet, { zh, en }) => {
    expect(describeUnmet(unmet, 'zh-CN')).toEqual({ code: unmet.code, message: zh[0], remedy: zh[1], evidence: unmet.evidence });
    expect(describeUnmet(unmet, 'en')).toEqual({ code: unmet.code, message: en[0], remedy: en[1], evidence: unmet.evidence });
  });

  it('a fact never reported says which, and who has not reported it', () => {
    const frozen: Unmet = { code: 'frozen-unknown', evidence: fact('FROZEN', null) };
    expect(describeUnmet(frozen, 'zh-CN')).toMatchObject({ message: '尚不知道账号是否冻结：计费系统尚未报告。', remedy: '请在计费系统报告后再查询；如一直未知，请联系您的渠道经理。' });
    expect(describeUnmet(frozen, 'en')).toMatchObject({
      message: 'Not yet known: the billing system has not reported whether the account is frozen.',
      remedy: "Ask again once the billing system has reported it; if it stays unknown, ask your partner manager to have it reported.",
    });
    const membership: Unmet = { code: 'program-membership-unknown', evidence: fact('PROGRAM_MEMBERSHIP', null, 'RESELLER') };
    expect(describeUnmet(membership, 'en').message).toBe("Not yet known: the cloud platform has not reported the program membership (reseller program).");
    const contract: Unmet = { code: 'designated-contract-unknown', evidence: fact('DESIGNATED_CONTRACT', null, 'DIRECT_SPECIAL_PRICE') };
    expect(describeUnmet(contract, 'zh-CN').message).toBe('尚不知道指定合同的签署状态（直销特价）：合同系统尚未报告。');
  });
});

/** An evidence of each code, as the rules make it. */
const SAMPLE: Record<UnmetCode, Evidence> = {
  'program-joined': fact('PROGRAM_MEMBERSHIP', { state: 'JOINED' }, 'RESELLER'),
  'program-joining': fact('PROGRAM_MEMBERSHIP', { state: 'JOINING' }, 'RESELLER'),
  'program-membership-unknown': fact('PROGRAM_MEMBERSHIP', null, 'DISTRIBUTOR'),
  'distributor-sub-customer': fact('DISTRIBUTOR_RELATIONSHIP', { relation: 'SUB_CUSTOMER', distributorId: 'D-7' }),
  'tier1-distributor-customer': fact('DISTRIBUTOR_RELATIONSHIP', { relation: 'CONSULTATIVE_SALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 }),
  'distributor-relationship-unknown': fact('DISTRIBUTOR_RELATIONSHIP', null),
  'open-resources': fact('OPEN_RESOURCES', { count: 1 }),
  'open-resources-unknown': fact('OPEN_RESOURCES', null),
  'account-frozen': fact('FROZEN', { frozen: true }),
  'frozen-unknown': fact('FROZEN', null),
  'in-arrears': { fact: 'LEDGER', balances: [{ currency: 'CNY', arrears: 1 }] },
  'enterprise-account': fact('ENTERPRISE_ROLE', { role: 'MASTER' }),
  'enterprise-role-unknown': fact('ENTERPRISE_ROLE', null),
  'credit-account': { fact: 'LEDGER', balances: [{ currency: 'CNY', creditLimit: 1, creditUsed: 0 }] },
  'recharge-balance-left': { fact: 'LEDGER', balances: [{ currency: 'CNY', recharge: 1 }] },
  'invoiceable-amount': fact('INVOICEABLE_AMOUNT', { amount: { currency: 'CNY', minor: 1 } }),
  'invoiceable-amount-unknown': fact('INVOICEABLE_AMOUNT', null),
  'postpaid-enabled': fact('POSTPAID', { enabled: true }),
  'postpaid-unknown': fact('POSTPAID', null),
  'designated-contract': fact('DESIGNATED_CONTRACT', { signed: true, contractId: 'C-1' }, 'OFFLINE_DIRECT'),
  'designated-contract-unknown': fact('DESIGNATED_CONTRACT', null, 'TELESALES_AUTHORISED_DISCOUNT'),
  'program-offline-only': { fact: 'PROGRAM', program: 'DISTRIBUTOR', channel: 'OFFLINE' },
  'member-not-associated': { fact: 'MEMBER', memberId: 'M-1', found: false, active: false, workResidence: null },
  'member-work-residence-missing': { fact: 'MEMBER', memberId: 'M-1', found: true, active: true, workResidence: null },
  'partner-only-distribution-or-solution-provider': { fact: 'PROGRAM_MEMBERSHIP', joined: ['DISTRIBUTOR'], RESELLER: 'NOT_JOINED' },
  'specialist-already-applied': { fact: 'SPECIALIST_APPLICATION', memberId: 'M-1', applicationId: 'A-1', status: 'PENDING' },
  'path-top-level': { fact: 'PATH_MEMBERSHIP', pathId: 'SOFTWARE', level: 'ADVANCED' },
  'level-requirement-unmet': {
    fact: 'PATH_REQUIREMENT',
    pathId: 'SOFTWARE',
    currentLevel: null,
    level: 'CERTIFIED',
    levelName: 'Certified software partner',
    requirement: { kind: 'FULL_TIME_EXPERTS', min: 2 },
    description: 'at least 2 full-time experts registered',
    required: 2,
    actual: 1,
    today: '2026-06-01',
  },
};

describe('every code has its texts', () => {
  it.each(UNMET_CODES.map((code) => [code]))('%s: a message and a remedy in zh-CN and en, nothing left undefined', (code) => {
    const zh = MESSAGES[code](SAMPLE[code], 'zh-CN');
    const en = MESSAGES[code](SAMPLE[code], 'en');
    for (const text of [zh.message, zh.remedy, en.message, en.remedy]) {
      expect(text.length).toBeGreaterThan(3);
      expect(text).not.toMatch(/undefined|null|NaN|\[object/);
    }
    // Chinese in zh-CN, none in English.
    expect(zh.message + zh.remedy).toMatch(/[\u4e00-\u9fff]/);
    expect(en.message + en.remedy).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('a level requirement names the level, what is required and what there is', () => {
    const e = SAMPLE['level-requirement-unmet'];
    expect(MESSAGES['level-requirement-unmet'](e, 'zh-CN')).toEqual({ message: '未满足 CERTIFIED 级别的要求：至少 2 名全职专家（实际 1）。', remedy: '登记更多全职专家，并由云厂商完成认定。' });
    expect(MESSAGES['level-requirement-unmet'](e, 'en')).toEqual({
      message: 'Not met for CERTIFIED: at least 2 full-time experts registered (actual 1).',
      remedy: 'Register more full-time experts and have the vendor attest them.',
    });
  });
});
