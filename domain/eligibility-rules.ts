/**
 * The conditions of the three programs on the partner account (issue 17 section 2), as tables: each condition
 * `{code, check(facts, balances) → unmet | undefined}` with the fact that caused it as its evidence, a fact never
 * reported unmet as `…-unknown`. domain/eligibility.ts's eligibilityOf() is the one entry point; the processes' own
 * checks (a member, a path) are there.
 */
import { type AccountFacts, CONTRACT_TYPES, type ContractType, type FactKind, type Observed, type Program } from './account.js';
import type { FundsBalance } from './ledger.js';

/** Every code an unmet condition may carry, in no particular order (each program's table fixes its own order). */
export const UNMET_CODES = [
  'program-joined',
  'program-joining',
  'program-membership-unknown',
  'distributor-sub-customer',
  'tier1-distributor-customer',
  'distributor-relationship-unknown',
  'open-resources',
  'open-resources-unknown',
  'account-frozen',
  'frozen-unknown',
  'in-arrears',
  'enterprise-account',
  'enterprise-role-unknown',
  'credit-account',
  'recharge-balance-left',
  'invoiceable-amount',
  'invoiceable-amount-unknown',
  'postpaid-enabled',
  'postpaid-unknown',
  'designated-contract',
  'designated-contract-unknown',
  'program-offline-only',
  'member-not-associated',
  'member-work-residence-missing',
  'partner-only-distribution-or-solution-provider',
  'specialist-already-applied',
  'path-top-level',
  'level-requirement-unmet',
] as const;
export type UnmetCode = (typeof UNMET_CODES)[number];

/** What caused an unmet condition, as JSON: a fed fact (`value` null: never reported), the ledger, a member, a path requirement. */
export type Evidence = { fact: string } & Record<string, unknown>;
export type Unmet = { code: UnmetCode; evidence: Evidence };

/** One condition: undefined when met, else why not (`code` when unmet; its `-unknown` code, or `program-joining`, as the case is). */
export type AccountRule = { code: UnmetCode; check: (facts: AccountFacts, balances: readonly FundsBalance[]) => Unmet | undefined };

// ---- evidence ---------------------------------------------------------------------------------------------------

/** A fed fact as evidence: its kind, subject, value, and who reported it when. */
function factEvidence<V extends object>(fact: FactKind, observed: Observed<V>, subject?: string): Evidence {
  const { source, observedAt, ...value } = observed;
  return { fact, ...(subject !== undefined ? { subject } : {}), value, source, observedAt };
}
export const unknownEvidence = (fact: FactKind, subject?: string): Evidence => ({ fact, ...(subject !== undefined ? { subject } : {}), value: null });

/** Minor units as a JSON number; a sum beyond 2^53 - 1 fails loudly rather than answer a wrong figure. */
function minorUnits(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`ledger sum ${value} exceeds 2^53 - 1 minor units`);
  return Number(value);
}

/** The ledger as evidence: the currencies where `amountOf` is positive, with that amount (undefined: none is). */
function ledgerEvidence(balances: readonly FundsBalance[], field: 'arrears' | 'recharge' | 'creditLimit', also?: 'creditUsed'): Evidence | undefined {
  const held = balances.filter((b) => b[field] > 0n || (also !== undefined && b[also] > 0n));
  if (held.length === 0) return undefined;
  return {
    fact: 'LEDGER',
    balances: held.map((b) => ({ currency: b.currency, [field]: minorUnits(b[field]), ...(also ? { [also]: minorUnits(b[also]) } : {}) })),
  };
}

// ---- the conditions ----------------------------------------------------------------------------------------------

/** Already in `program`, or joining it. */
const notJoinedOrJoining = (program: Program): AccountRule => ({
  code: 'program-joined',
  check: (facts) => {
    const membership = facts.programs[program];
    if (!membership) return { code: 'program-membership-unknown', evidence: unknownEvidence('PROGRAM_MEMBERSHIP', program) };
    if (membership.state === 'NOT_JOINED') return undefined;
    return { code: membership.state === 'JOINED' ? 'program-joined' : 'program-joining', evidence: factEvidence('PROGRAM_MEMBERSHIP', membership, program) };
  },
});

const noOpenResources: AccountRule = {
  code: 'open-resources',
  check: ({ openResources }) => {
    if (!openResources) return { code: 'open-resources-unknown', evidence: unknownEvidence('OPEN_RESOURCES') };
    return openResources.count > 0 ? { code: 'open-resources', evidence: factEvidence('OPEN_RESOURCES', openResources) } : undefined;
  },
};

const notFrozen: AccountRule = {
  code: 'account-frozen',
  check: ({ frozen }) => {
    if (!frozen) return { code: 'frozen-unknown', evidence: unknownEvidence('FROZEN') };
    return frozen.frozen ? { code: 'account-frozen', evidence: factEvidence('FROZEN', frozen) } : undefined;
  },
};

const noArrears: AccountRule = {
  code: 'in-arrears',
  check: (_, balances) => {
    const evidence = ledgerEvidence(balances, 'arrears');
    return evidence ? { code: 'in-arrears', evidence } : undefined;
  },
};

/** A credit account: a credit line granted, or credit still used after the line was lowered. */
const notCreditAccount: AccountRule = {
  code: 'credit-account',
  check: (_, balances) => {
    const evidence = ledgerEvidence(balances, 'creditLimit', 'creditUsed');
    return evidence ? { code: 'credit-account', evidence } : undefined;
  },
};

const noRechargeBalance: AccountRule = {
  code: 'recharge-balance-left',
  check: (_, balances) => {
    const evidence = ledgerEvidence(balances, 'recharge');
    return evidence ? { code: 'recharge-balance-left', evidence } : undefined;
  },
};

const notEnterpriseAccount: AccountRule = {
  code: 'enterprise-account',
  check: ({ enterpriseRole }) => {
    if (!enterpriseRole) return { code: 'enterprise-role-unknown', evidence: unknownEvidence('ENTERPRISE_ROLE') };
    return enterpriseRole.role !== 'NONE' ? { code: 'enterprise-account', evidence: factEvidence('ENTERPRISE_ROLE', enterpriseRole) } : undefined;
  },
};

const notDistributorSubCustomer: AccountRule = {
  code: 'distributor-sub-customer',
  check: ({ distributorRelationship: relationship }) => {
    if (!relationship) return { code: 'distributor-relationship-unknown', evidence: unknownEvidence('DISTRIBUTOR_RELATIONSHIP') };
    return relationship.relation === 'SUB_CUSTOMER' ? { code: 'distributor-sub-customer', evidence: factEvidence('DISTRIBUTOR_RELATIONSHIP', relationship) } : undefined;
  },
};

/** Not a consultative-sale or resale customer of a tier-1 distributor (of a tier-2 one is allowed). */
const notTier1DistributorCustomer: AccountRule = {
  code: 'tier1-distributor-customer',
  check: ({ distributorRelationship: relationship }) => {
    if (!relationship) return { code: 'distributor-relationship-unknown', evidence: unknownEvidence('DISTRIBUTOR_RELATIONSHIP') };
    const tier1 = (relationship.relation === 'CONSULTATIVE_SALE_CUSTOMER' || relationship.relation === 'RESALE_CUSTOMER') && relationship.distributorTier === 1;
    return tier1 ? { code: 'tier1-distributor-customer', evidence: factEvidence('DISTRIBUTOR_RELATIONSHIP', relationship) } : undefined;
  },
};

const noInvoiceableAmount: AccountRule = {
  code: 'invoiceable-amount',
  check: ({ invoiceableAmount }) => {
    if (!invoiceableAmount) return { code: 'invoiceable-amount-unknown', evidence: unknownEvidence('INVOICEABLE_AMOUNT') };
    return invoiceableAmount.amount.minor > 0 ? { code: 'invoiceable-amount', evidence: factEvidence('INVOICEABLE_AMOUNT', invoiceableAmount) } : undefined;
  },
};

const postpaidNotEnabled: AccountRule = {
  code: 'postpaid-enabled',
  check: ({ postpaid }) => {
    if (!postpaid) return { code: 'postpaid-unknown', evidence: unknownEvidence('POSTPAID') };
    return postpaid.enabled ? { code: 'postpaid-enabled', evidence: factEvidence('POSTPAID', postpaid) } : undefined;
  },
};

/** One rule per designated contract type: each signed one is its own reason (each is terminated on its own). */
const noDesignatedContract = (type: ContractType): AccountRule => ({
  code: 'designated-contract',
  check: ({ designatedContracts }) => {
    const contract = designatedContracts[type];
    if (!contract) return { code: 'designated-contract-unknown', evidence: unknownEvidence('DESIGNATED_CONTRACT', type) };
    return contract.signed ? { code: 'designated-contract', evidence: factEvidence('DESIGNATED_CONTRACT', contract, type) } : undefined;
  },
});

const offlineOnly = (program: Program): AccountRule => ({
  code: 'program-offline-only',
  check: () => ({ code: 'program-offline-only', evidence: { fact: 'PROGRAM', program, channel: 'OFFLINE' } }),
});

// ---- the tables ---------------------------------------------------------------------------------------------------

/**
 * Each program's conditions, in the order its answer lists them. The solution-provider plan: the seed's seven reasons
 * in the seed's order. The reseller program: the seed's preconditions (issue 17 section 3). The distributor plan is
 * joined offline only: its one condition always says so.
 */
export const PROGRAM_RULES: Record<Program, readonly AccountRule[]> = {
  SOLUTION_PROVIDER: [notJoinedOrJoining('SOLUTION_PROVIDER'), notDistributorSubCustomer, noOpenResources, notFrozen, noArrears, notEnterpriseAccount, notCreditAccount],
  RESELLER: [
    notJoinedOrJoining('RESELLER'),
    noOpenResources,
    noArrears,
    noRechargeBalance,
    noInvoiceableAmount,
    postpaidNotEnabled,
    ...CONTRACT_TYPES.map(noDesignatedContract),
    notTier1DistributorCustomer,
  ],
  DISTRIBUTOR: [offlineOnly('DISTRIBUTOR')],
};

export const checkAll = (rules: readonly AccountRule[], facts: AccountFacts, balances: readonly FundsBalance[]): Unmet[] =>
  rules.flatMap((rule) => rule.check(facts, balances) ?? []);
