/**
 * The eligibility rules (domain/eligibility.ts), table-driven: for each program, each reason alone on an account that
 * meets everything gives exactly that code with the fact that caused it; all reasons together give all of them in the
 * program's stable order; facts never reported are unmet as unknown, never passed. The project specialist and level
 * raise checks on a hand-made member and path. Every expectation is written by hand, never computed by the rules.
 */
import { describe, expect, it } from 'vitest';
import type { AccountFacts } from '../domain/account.js';
import { loadDevelopmentPaths } from '../domain/development-paths.js';
import { eligibilityOf, type EligibilityContext, type MemberFacts } from '../domain/eligibility.js';
import type { FundsBalance } from '../domain/ledger.js';
import type { PartnerFacts } from '../domain/partner-rules.js';

const AT = '2026-03-01T02:00:00.000Z';
const fed = <const V extends object>(value: V, source = 'billing') => ({ ...value, source, observedAt: AT });

/** An account that meets every condition of every program (the distributor plan aside: offline only). */
function clean(): AccountFacts {
  return {
    programs: { SOLUTION_PROVIDER: fed({ state: 'NOT_JOINED' as const }), RESELLER: fed({ state: 'NOT_JOINED' as const }), DISTRIBUTOR: fed({ state: 'NOT_JOINED' as const }) },
    distributorRelationship: fed({ relation: 'NONE' as const }),
    openResources: fed({ count: 0 }),
    frozen: fed({ frozen: false }),
    invoiceableAmount: fed({ amount: { currency: 'CNY', minor: 0 } }),
    postpaid: fed({ enabled: false }),
    designatedContracts: {
      OFFLINE_DIRECT: fed({ signed: false }, 'contracts'),
      TELESALES_AUTHORISED_DISCOUNT: fed({ signed: false }, 'contracts'),
      DIRECT_SPECIAL_PRICE: fed({ signed: false }, 'contracts'),
    },
    enterpriseRole: fed({ role: 'NONE' as const }, 'iam'),
    instruments: [],
  };
}
/** Nothing ever reported. */
const unknownAccount = (): AccountFacts => ({
  programs: { SOLUTION_PROVIDER: null, RESELLER: null, DISTRIBUTOR: null },
  distributorRelationship: null,
  openResources: null,
  frozen: null,
  invoiceableAmount: null,
  postpaid: null,
  designatedContracts: { OFFLINE_DIRECT: null, TELESALES_AUTHORISED_DISCOUNT: null, DIRECT_SPECIAL_PRICE: null },
  enterpriseRole: null,
  instruments: [],
});
const funds = (b: Partial<Omit<FundsBalance, 'currency'>>, currency = 'CNY'): FundsBalance => ({
  currency,
  recharge: 0n,
  creditLimit: 0n,
  credit: 0n,
  creditUsed: 0n,
  arrears: 0n,
  balance: 0n,
  ...b,
});

type Reason = { name: string; facts?: (f: AccountFacts) => void; balances?: FundsBalance[]; unmet: { code: string; evidence: Record<string, unknown> } };

// The seed's seven reasons for the solution-provider plan, in the seed's order (joined and joining are one reason).
const SOLUTION_PROVIDER_REASONS: Reason[] = [
  {
    name: 'already joined',
    facts: (f) => void (f.programs.SOLUTION_PROVIDER = fed({ state: 'JOINED' })),
    unmet: { code: 'program-joined', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'JOINED' }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'a sub-customer of another distributor',
    facts: (f) => void (f.distributorRelationship = fed({ relation: 'SUB_CUSTOMER', distributorId: 'D-7' })),
    unmet: { code: 'distributor-sub-customer', evidence: { fact: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'SUB_CUSTOMER', distributorId: 'D-7' }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'resources not closed',
    facts: (f) => void (f.openResources = fed({ count: 3 })),
    unmet: { code: 'open-resources', evidence: { fact: 'OPEN_RESOURCES', value: { count: 3 }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'frozen',
    facts: (f) => void (f.frozen = fed({ frozen: true })),
    unmet: { code: 'account-frozen', evidence: { fact: 'FROZEN', value: { frozen: true }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'in arrears',
    balances: [funds({ arrears: 1_000n, balance: 0n })],
    unmet: { code: 'in-arrears', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', arrears: 1_000 }] } },
  },
  {
    name: 'an enterprise master account',
    facts: (f) => void (f.enterpriseRole = fed({ role: 'MASTER' }, 'iam')),
    unmet: { code: 'enterprise-account', evidence: { fact: 'ENTERPRISE_ROLE', value: { role: 'MASTER' }, source: 'iam', observedAt: AT } },
  },
  {
    name: 'a credit account',
    balances: [funds({ creditLimit: 5_000n, credit: 3_000n, creditUsed: 2_000n, balance: 3_000n })],
    unmet: { code: 'credit-account', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', creditLimit: 5_000, creditUsed: 2_000 }] } },
  },
];

const RESELLER_REASONS: Reason[] = [
  {
    name: 'joining already',
    facts: (f) => void (f.programs.RESELLER = fed({ state: 'JOINING' })),
    unmet: { code: 'program-joining', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINING' }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'resources not closed',
    facts: (f) => void (f.openResources = fed({ count: 1 })),
    unmet: { code: 'open-resources', evidence: { fact: 'OPEN_RESOURCES', value: { count: 1 }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'in arrears (in two currencies)',
    balances: [funds({ arrears: 250n }), funds({ arrears: 99n }, 'USD')],
    unmet: { code: 'in-arrears', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', arrears: 250 }, { currency: 'USD', arrears: 99 }] } },
  },
  {
    name: 'a balance left in the recharge account',
    balances: [funds({ recharge: 1_500n, balance: 1_500n })],
    unmet: { code: 'recharge-balance-left', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', recharge: 1_500 }] } },
  },
  {
    name: 'an invoiceable amount',
    facts: (f) => void (f.invoiceableAmount = fed({ amount: { currency: 'CNY', minor: 12_345 } })),
    unmet: { code: 'invoiceable-amount', evidence: { fact: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 12_345 } }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'postpaid enabled',
    facts: (f) => void (f.postpaid = fed({ enabled: true })),
    unmet: { code: 'postpaid-enabled', evidence: { fact: 'POSTPAID', value: { enabled: true }, source: 'billing', observedAt: AT } },
  },
  {
    name: 'an offline direct contract',
    facts: (f) => void (f.designatedContracts.OFFLINE_DIRECT = fed({ signed: true, contractId: 'C-1' }, 'contracts')),
    unmet: { code: 'designated-contract', evidence: { fact: 'DESIGNATED_CONTRACT', subject: 'OFFLINE_DIRECT', value: { signed: true, contractId: 'C-1' }, source: 'contracts', observedAt: AT } },
  },
  {
    name: 'a telesales authorised discount',
    facts: (f) => void (f.designatedContracts.TELESALES_AUTHORISED_DISCOUNT = fed({ signed: true }, 'contracts')),
    unmet: { code: 'designated-contract', evidence: { fact: 'DESIGNATED_CONTRACT', subject: 'TELESALES_AUTHORISED_DISCOUNT', value: { signed: true }, source: 'contracts', observedAt: AT } },
  },
  {
    name: 'a direct special price',
    facts: (f) => void (f.designatedContracts.DIRECT_SPECIAL_PRICE = fed({ signed: true }, 'contracts')),
    unmet: { code: 'designated-contract', evidence: { fact: 'DESIGNATED_CONTRACT', subject: 'DIRECT_SPECIAL_PRICE', value: { signed: true }, source: 'contracts', observedAt: AT } },
  },
  {
    name: 'a resale customer of a tier-1 distributor',
    facts: (f) => void (f.distributorRelationship = fed({ relation: 'RESALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 })),
    unmet: {
      code: 'tier1-distributor-customer',
      evidence: { fact: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'RESALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 }, source: 'billing', observedAt: AT },
    },
  },
];

const apply = (reasons: readonly Reason[]) => {
  const facts = clean();
  for (const r of reasons) r.facts?.(facts);
  return { facts, balances: reasons.flatMap((r) => r.balances ?? []) };
};

describe('the solution-provider plan: the seed seven reasons', () => {
  it('an account meeting every condition is eligible', () => {
    expect(eligibilityOf('SOLUTION_PROVIDER', clean(), [])).toEqual({ program: 'SOLUTION_PROVIDER', eligible: true, unmet: [] });
  });

  it.each(SOLUTION_PROVIDER_REASONS.map((r) => [r.name, r] as const))('%s alone: exactly that reason', (_, reason) => {
    const { facts, balances } = apply([reason]);
    expect(eligibilityOf('SOLUTION_PROVIDER', facts, balances)).toEqual({ program: 'SOLUTION_PROVIDER', eligible: false, unmet: [reason.unmet] });
  });

  it('all seven together: all seven, in the seed order', () => {
    const { facts, balances } = apply(SOLUTION_PROVIDER_REASONS);
    const result = eligibilityOf('SOLUTION_PROVIDER', facts, balances);
    expect(result.eligible).toBe(false);
    expect(result.unmet.map((u) => u.code)).toEqual(['program-joined', 'distributor-sub-customer', 'open-resources', 'account-frozen', 'in-arrears', 'enterprise-account', 'credit-account']);
    expect(result.unmet).toEqual(SOLUTION_PROVIDER_REASONS.map((r) => r.unmet));
  });

  it('joining is the same reason as joined, with its own code; a sub account is an enterprise account too', () => {
    const facts = clean();
    facts.programs.SOLUTION_PROVIDER = fed({ state: 'JOINING' });
    facts.enterpriseRole = fed({ role: 'SUB' }, 'iam');
    expect(eligibilityOf('SOLUTION_PROVIDER', facts, []).unmet).toEqual([
      { code: 'program-joining', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'JOINING' }, source: 'billing', observedAt: AT } },
      { code: 'enterprise-account', evidence: { fact: 'ENTERPRISE_ROLE', value: { role: 'SUB' }, source: 'iam', observedAt: AT } },
    ]);
  });

  it("what the plan does not ask about is no reason: another program joined, a tier-1 distributor's resale customer, a recharge balance, a credit line lowered to zero with nothing used", () => {
    const facts = clean();
    facts.programs.RESELLER = fed({ state: 'JOINED' });
    facts.distributorRelationship = fed({ relation: 'RESALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 });
    facts.postpaid = fed({ enabled: true });
    expect(eligibilityOf('SOLUTION_PROVIDER', facts, [funds({ recharge: 700n, balance: 700n })]).eligible).toBe(true);
  });

  it('credit still used after the line was lowered to zero is a credit account', () => {
    expect(eligibilityOf('SOLUTION_PROVIDER', clean(), [funds({ creditLimit: 0n, credit: -300n, creditUsed: 300n, balance: -300n })]).unmet).toEqual([
      { code: 'credit-account', evidence: { fact: 'LEDGER', balances: [{ currency: 'CNY', creditLimit: 0, creditUsed: 300 }] } },
    ]);
  });

  it('facts never reported: each is unmet as unknown (value null), never passed; an empty ledger is no arrears and no credit', () => {
    expect(eligibilityOf('SOLUTION_PROVIDER', unknownAccount(), [])).toEqual({
      program: 'SOLUTION_PROVIDER',
      eligible: false,
      unmet: [
        { code: 'program-membership-unknown', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: null } },
        { code: 'distributor-relationship-unknown', evidence: { fact: 'DISTRIBUTOR_RELATIONSHIP', value: null } },
        { code: 'open-resources-unknown', evidence: { fact: 'OPEN_RESOURCES', value: null } },
        { code: 'frozen-unknown', evidence: { fact: 'FROZEN', value: null } },
        { code: 'enterprise-role-unknown', evidence: { fact: 'ENTERPRISE_ROLE', value: null } },
      ],
    });
  });
});

describe('the reseller program', () => {
  it('an account meeting every condition is eligible; a tier-2 distributor customer is allowed', () => {
    const facts = clean();
    facts.distributorRelationship = fed({ relation: 'CONSULTATIVE_SALE_CUSTOMER', distributorId: 'D-2', distributorTier: 2 });
    expect(eligibilityOf('RESELLER', facts, [])).toEqual({ program: 'RESELLER', eligible: true, unmet: [] });
  });

  it.each(RESELLER_REASONS.map((r) => [r.name, r] as const))('%s alone: exactly that reason', (_, reason) => {
    const { facts, balances } = apply([reason]);
    expect(eligibilityOf('RESELLER', facts, balances)).toEqual({ program: 'RESELLER', eligible: false, unmet: [reason.unmet] });
  });

  it('a consultative-sale customer of a tier-1 distributor, and already joined', () => {
    const facts = clean();
    facts.programs.RESELLER = fed({ state: 'JOINED' });
    facts.distributorRelationship = fed({ relation: 'CONSULTATIVE_SALE_CUSTOMER', distributorId: 'D-3', distributorTier: 1 });
    expect(eligibilityOf('RESELLER', facts, []).unmet.map((u) => u.code)).toEqual(['program-joined', 'tier1-distributor-customer']);
  });

  it('all reasons together: all of them, in the stable order', () => {
    const { facts, balances } = apply(RESELLER_REASONS);
    const result = eligibilityOf('RESELLER', facts, balances);
    expect(result.unmet.map((u) => u.code)).toEqual([
      'program-joining',
      'open-resources',
      'in-arrears',
      'recharge-balance-left',
      'invoiceable-amount',
      'postpaid-enabled',
      'designated-contract',
      'designated-contract',
      'designated-contract',
      'tier1-distributor-customer',
    ]);
    expect(result.unmet).toEqual(RESELLER_REASONS.map((r) => r.unmet));
  });

  it('facts never reported: each unknown, a designated contract per type', () => {
    expect(eligibilityOf('RESELLER', unknownAccount(), []).unmet).toEqual([
      { code: 'program-membership-unknown', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: null } },
      { code: 'open-resources-unknown', evidence: { fact: 'OPEN_RESOURCES', value: null } },
      { code: 'invoiceable-amount-unknown', evidence: { fact: 'INVOICEABLE_AMOUNT', value: null } },
      { code: 'postpaid-unknown', evidence: { fact: 'POSTPAID', value: null } },
      { code: 'designated-contract-unknown', evidence: { fact: 'DESIGNATED_CONTRACT', subject: 'OFFLINE_DIRECT', value: null } },
      { code: 'designated-contract-unknown', evidence: { fact: 'DESIGNATED_CONTRACT', subject: 'TELESALES_AUTHORISED_DISCOUNT', value: null } },
      { code: 'designated-contract-unknown', evidence: { fact: 'DESIGNATED_CONTRACT', subject: 'DIRECT_SPECIAL_PRICE', value: null } },
      { code: 'distributor-relationship-unknown', evidence: { fact: 'DISTRIBUTOR_RELATIONSHIP', value: null } },
    ]);
  });
});

describe('the distributor plan', () => {
  it('is joined offline only: the one reason, whatever the account', () => {
    const offline = { code: 'program-offline-only', evidence: { fact: 'PROGRAM', program: 'DISTRIBUTOR', channel: 'OFFLINE' } };
    expect(eligibilityOf('DISTRIBUTOR', clean(), [])).toEqual({ program: 'DISTRIBUTOR', eligible: false, unmet: [offline] });
    expect(eligibilityOf('DISTRIBUTOR', unknownAccount(), []).unmet).toEqual([offline]);
  });
});

describe('a project specialist', () => {
  const MEMBER = '0b6a36a4-5d4c-4d1e-9d2a-1f0c2b3a4d5e';
  const resellerAccount = () => {
    const facts = clean();
    facts.programs.RESELLER = fed({ state: 'JOINED' });
    return facts;
  };
  const check = (facts: AccountFacts, member: MemberFacts | null, last: { id: string; status: string } | null = null) =>
    eligibilityOf('PROJECT_SPECIALIST', facts, [], { projectSpecialist: { memberId: MEMBER, member, lastSpecialistApplication: last } });
  const active: MemberFacts = { id: MEMBER, active: true, workResidence: 'Hangzhou' };

  it('an active member with a work residence, of a reseller, never applied: eligible', () => {
    expect(check(resellerAccount(), active)).toEqual({ program: 'PROJECT_SPECIALIST', eligible: true, unmet: [] });
  });

  it.each([
    ['not a member of the partner', null, { code: 'member-not-associated', evidence: { fact: 'MEMBER', memberId: MEMBER, found: false, active: false, workResidence: null } }],
    ['deactivated', { ...active, active: false }, { code: 'member-not-associated', evidence: { fact: 'MEMBER', memberId: MEMBER, found: true, active: false, workResidence: 'Hangzhou' } }],
    ['no work residence', { ...active, workResidence: null }, { code: 'member-work-residence-missing', evidence: { fact: 'MEMBER', memberId: MEMBER, found: true, active: true, workResidence: null } }],
  ] as const)('%s: exactly that reason', (_, member, unmet) => {
    expect(check(resellerAccount(), member).unmet).toEqual([unmet]);
  });

  it('a partner only in the solution-provider or distribution plans cannot apply; with the reseller program beside them it can', () => {
    const facts = clean();
    facts.programs.SOLUTION_PROVIDER = fed({ state: 'JOINED' });
    facts.programs.DISTRIBUTOR = fed({ state: 'JOINED' });
    expect(check(facts, active).unmet).toEqual([
      { code: 'partner-only-distribution-or-solution-provider', evidence: { fact: 'PROGRAM_MEMBERSHIP', joined: ['SOLUTION_PROVIDER', 'DISTRIBUTOR'], RESELLER: 'NOT_JOINED' } },
    ]);
    facts.programs.RESELLER = fed({ state: 'JOINED' });
    expect(check(facts, active).eligible).toBe(true);
  });

  it('memberships never reported: unknown for the ones that would decide it', () => {
    const facts = unknownAccount();
    expect(check(facts, active).unmet).toEqual([
      { code: 'program-membership-unknown', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: null } },
      { code: 'program-membership-unknown', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'DISTRIBUTOR', value: null } },
    ]);
    facts.programs.SOLUTION_PROVIDER = fed({ state: 'JOINED' });
    expect(check(facts, active).unmet).toEqual([{ code: 'program-membership-unknown', evidence: { fact: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: null } }]);
  });

  it('the extension point: a pending application is a reason, a rejected or cancelled one is not', () => {
    expect(check(resellerAccount(), active, { id: 'A-1', status: 'PENDING' }).unmet).toEqual([
      { code: 'specialist-already-applied', evidence: { fact: 'SPECIALIST_APPLICATION', memberId: MEMBER, applicationId: 'A-1', status: 'PENDING' } },
    ]);
    expect(check(resellerAccount(), active, { id: 'A-1', status: 'REJECTED' }).eligible).toBe(true);
    expect(check(resellerAccount(), active, { id: 'A-1', status: 'CANCELLED' }).eligible).toBe(true);
  });

  it('every reason together, in order', () => {
    const facts = clean();
    facts.programs.SOLUTION_PROVIDER = fed({ state: 'JOINED' });
    expect(check(facts, { ...active, workResidence: null }, { id: 'A-2', status: 'APPROVED' }).unmet.map((u) => u.code)).toEqual([
      'member-work-residence-missing',
      'specialist-already-applied',
      'partner-only-distribution-or-solution-provider',
    ]);
  });

  it('a deactivated member without a work residence: both reasons (each fixed on its own)', () => {
    expect(check(resellerAccount(), { id: MEMBER, active: false, workResidence: null }).unmet.map((u) => u.code)).toEqual(['member-not-associated', 'member-work-residence-missing']);
  });

  it('without the member the check cannot run', () => {
    expect(() => eligibilityOf('PROJECT_SPECIALIST', clean(), [])).toThrow(TypeError);
  });
});

describe('a level raise', () => {
  const TODAY = '2026-06-01';
  const path = loadDevelopmentPaths({
    version: 'test',
    paths: [
      {
        id: 'TEST_PATH',
        name: 'Test path',
        review: { month: 3, day: 1, windowWorkingDays: 10, materials: ['ANNUAL_REPORT'] },
        onFail: 'DOWNGRADE',
        levels: [
          { level: 'BASIC', name: 'Basic', requirements: [{ kind: 'FULL_TIME_EXPERTS', min: 1 }] },
          {
            level: 'HIGH',
            name: 'High',
            requirements: [
              { kind: 'ACTIVE_CERTIFICATES', category: 'ADVANCED_CLOUD_SOFTWARE', min: 2 },
              { kind: 'EXPERTS_WITH_CERTIFICATION', certification: 'CLOUD_PROFESSIONAL', min: 1 },
            ],
          },
        ],
      },
    ],
  }).paths[0]!;
  const certificate = { type: 'ADVANCED_CLOUD_SOFTWARE', category: 'ADVANCED_CLOUD_SOFTWARE', validFrom: '2026-01-01', validTo: '2027-12-31', active: true };
  const professional = { active: true, fullTime: true, fullTimeSince: '2025-01-01', registeredOn: '2025-01-01', certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2026-01-01', validTo: '2027-01-01' }] };
  const check = (currentLevel: string | null, partnerFacts: PartnerFacts) => {
    const context: EligibilityContext = { levelUp: { path, currentLevel, partnerFacts, today: TODAY } };
    return eligibilityOf('LEVEL_UP', unknownAccount(), [], context);
  };

  it("not on the path: its lowest level's requirements; account facts play no part", () => {
    expect(check(null, { experts: [], certificates: [] }).unmet).toEqual([
      {
        code: 'level-requirement-unmet',
        evidence: {
          fact: 'PATH_REQUIREMENT',
          pathId: 'TEST_PATH',
          currentLevel: null,
          level: 'BASIC',
          levelName: 'Basic',
          requirement: { kind: 'FULL_TIME_EXPERTS', min: 1 },
          description: 'at least 1 full-time experts registered',
          required: 1,
          actual: 0,
          today: TODAY,
        },
      },
    ]);
    expect(check(null, { experts: [professional], certificates: [] })).toEqual({ program: 'LEVEL_UP', eligible: true, unmet: [] });
  });

  it('at BASIC: every unmet requirement of HIGH, with actual against required', () => {
    const unmet = check('BASIC', { experts: [], certificates: [certificate] }).unmet;
    expect(unmet.map((u) => [u.code, u.evidence.level, u.evidence.required, u.evidence.actual])).toEqual([
      ['level-requirement-unmet', 'HIGH', 2, 1],
      ['level-requirement-unmet', 'HIGH', 1, 0],
    ]);
    expect(check('BASIC', { experts: [professional], certificates: [certificate, certificate] }).eligible).toBe(true);
  });

  it('at the top level there is nothing to raise', () => {
    expect(check('HIGH', { experts: [professional], certificates: [] }).unmet).toEqual([
      { code: 'path-top-level', evidence: { fact: 'PATH_MEMBERSHIP', pathId: 'TEST_PATH', level: 'HIGH' } },
    ]);
  });
});
