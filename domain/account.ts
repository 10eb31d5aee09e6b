/**
 * The facts of a partner's account that the cloud's other systems own (billing, IAM, contracts) and feed to
 * partnerflow (issue 17): their kinds, the JSON value of each kind, and the account as the latest observation of each.
 *
 * A kind holds one fact per account, or one per `subject` when the account has several: a membership per program, a
 * designated contract per contract type, a voucher, coupon or stored-value card per issuer's id. Every observation is
 * kept (append-only); the current value of a (kind, subject) is its latest observation by the feeder's observedAt,
 * ties broken by receipt order, so an older observation arriving late never overrides a newer one. A fact never fed
 * is absent (null): unknown, which is not the same as false — the eligibility rules decide what unknown means.
 */
import { z } from 'zod';
import { moneySchema } from './money.js';

export const PROGRAMS = ['SOLUTION_PROVIDER', 'RESELLER', 'DISTRIBUTOR'] as const;
export type Program = (typeof PROGRAMS)[number];
/** NOT_JOINED: never joined or left; JOINING: applied, not yet through; JOINED. */
export const PROGRAM_STATES = ['NOT_JOINED', 'JOINING', 'JOINED'] as const;

export const CONTRACT_TYPES = ['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'] as const;
export type ContractType = (typeof CONTRACT_TYPES)[number];

export const INSTRUMENT_KINDS = ['VOUCHER', 'COUPON', 'STORED_VALUE_CARD'] as const;
export type InstrumentKind = (typeof INSTRUMENT_KINDS)[number];
export const INSTRUMENT_STATES = ['ACTIVE', 'USED', 'EXPIRED', 'VOIDED'] as const;

export const FACT_KINDS = [
  'PROGRAM_MEMBERSHIP',
  'DISTRIBUTOR_RELATIONSHIP',
  'OPEN_RESOURCES',
  'FROZEN',
  'INVOICEABLE_AMOUNT',
  'POSTPAID',
  'DESIGNATED_CONTRACT',
  'ENTERPRISE_ROLE',
  ...INSTRUMENT_KINDS,
] as const;
export type FactKind = (typeof FACT_KINDS)[number];

const id = z.string().min(1).max(128).regex(/^[A-Za-z0-9._:-]+$/, 'letters, digits, ., _, : and - only');

/**
 * The relationship to a distributor: none; a sub-customer of a distributor; a consultative-sale or resale customer
 * of one, whose tier (1 or 2) the feeder names.
 */
const distributorRelationship = z.discriminatedUnion('relation', [
  z.strictObject({ relation: z.literal('NONE') }),
  z.strictObject({ relation: z.literal('SUB_CUSTOMER'), distributorId: id }),
  z.strictObject({ relation: z.enum(['CONSULTATIVE_SALE_CUSTOMER', 'RESALE_CUSTOMER']), distributorId: id, distributorTier: z.union([z.literal(1), z.literal(2)]) }),
]);

// PostgreSQL's jsonb cannot hold NUL, and control characters or lone surrogates are never meant: refused here.
const text = (max: number) =>
  z
    .string()
    .trim()
    .min(1)
    .max(max)
    .refine((v) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(v) && v.isWellFormed(), 'must be well-formed text without control characters');
const instrument = z.strictObject({ issuer: text(200), amount: moneySchema, state: z.enum(INSTRUMENT_STATES) });

/** Each kind's value, validated before it is written. */
export const FACT_VALUES = {
  PROGRAM_MEMBERSHIP: z.strictObject({ state: z.enum(PROGRAM_STATES) }),
  DISTRIBUTOR_RELATIONSHIP: distributorRelationship,
  OPEN_RESOURCES: z.strictObject({ count: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('resources of the account not yet closed') }),
  FROZEN: z.strictObject({ frozen: z.boolean() }),
  INVOICEABLE_AMOUNT: z.strictObject({ amount: moneySchema.describe('the amount still invoiceable') }),
  POSTPAID: z.strictObject({ enabled: z.boolean() }),
  DESIGNATED_CONTRACT: z.strictObject({ signed: z.boolean(), contractId: id.optional() }),
  ENTERPRISE_ROLE: z.strictObject({ role: z.enum(['MASTER', 'SUB', 'NONE']) }),
  VOUCHER: instrument,
  COUPON: instrument,
  STORED_VALUE_CARD: instrument,
} satisfies Record<FactKind, z.ZodType>;
export type FactValue<K extends FactKind> = z.output<(typeof FACT_VALUES)[K]>;

/** The subject a kind's facts are told apart by ('' for the account-wide kinds). */
export const FACT_SUBJECTS: Record<FactKind, z.ZodType<string> | undefined> = {
  PROGRAM_MEMBERSHIP: z.enum(PROGRAMS),
  DISTRIBUTOR_RELATIONSHIP: undefined,
  OPEN_RESOURCES: undefined,
  FROZEN: undefined,
  INVOICEABLE_AMOUNT: undefined,
  POSTPAID: undefined,
  DESIGNATED_CONTRACT: z.enum(CONTRACT_TYPES),
  ENTERPRISE_ROLE: undefined,
  VOUCHER: id.describe("the issuer's id of the voucher"),
  COUPON: id.describe("the issuer's id of the coupon"),
  STORED_VALUE_CARD: id.describe("the issuer's id of the card"),
};

/** One observation as stored: value already validated for its kind; `seq` orders receipt (the row's id). */
export type FactObservation = { kind: FactKind; subject: string; value: unknown; source: string; observedAt: Date; seq: bigint };
/** A current fact as answered: its value and where and when it was observed. */
export type Observed<V> = V & { source: string; observedAt: string };

export type AccountFacts = {
  programs: Record<Program, Observed<FactValue<'PROGRAM_MEMBERSHIP'>> | null>;
  distributorRelationship: Observed<FactValue<'DISTRIBUTOR_RELATIONSHIP'>> | null;
  openResources: Observed<FactValue<'OPEN_RESOURCES'>> | null;
  frozen: Observed<FactValue<'FROZEN'>> | null;
  invoiceableAmount: Observed<FactValue<'INVOICEABLE_AMOUNT'>> | null;
  postpaid: Observed<FactValue<'POSTPAID'>> | null;
  designatedContracts: Record<ContractType, Observed<FactValue<'DESIGNATED_CONTRACT'>> | null>;
  enterpriseRole: Observed<FactValue<'ENTERPRISE_ROLE'>> | null;
  instruments: Observed<FactValue<'VOUCHER'> & { kind: InstrumentKind; id: string }>[];
};

const isInstrument = (kind: FactKind): kind is InstrumentKind => (INSTRUMENT_KINDS as readonly string[]).includes(kind);
const byKindThenId = (a: { kind: string; id: string }, b: { kind: string; id: string }) =>
  a.kind === b.kind ? (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) : a.kind < b.kind ? -1 : 1;

/**
 * The account from the current observation of each (kind, subject) — the latest per observedAt, ties to the one
 * received later; the database picks them (platform/partner-account.ts), and this picks again so that any list of observations
 * reads the same.
 */
export function accountFactsOf(observations: readonly FactObservation[]): AccountFacts {
  const latest = new Map<string, FactObservation>();
  for (const o of observations) {
    const key = `${o.kind}\n${o.subject}`;
    const held = latest.get(key);
    const newer = !held || o.observedAt > held.observedAt || (o.observedAt.getTime() === held.observedAt.getTime() && o.seq > held.seq);
    if (newer) latest.set(key, o);
  }
  const observed = <V>(o: FactObservation | undefined): Observed<V> | null =>
    o ? { ...(o.value as V), source: o.source, observedAt: o.observedAt.toISOString() } : null;
  const one = <K extends FactKind>(kind: K, subject = '') => observed<FactValue<K>>(latest.get(`${kind}\n${subject}`));
  return {
    programs: { SOLUTION_PROVIDER: one('PROGRAM_MEMBERSHIP', 'SOLUTION_PROVIDER'), RESELLER: one('PROGRAM_MEMBERSHIP', 'RESELLER'), DISTRIBUTOR: one('PROGRAM_MEMBERSHIP', 'DISTRIBUTOR') },
    distributorRelationship: one('DISTRIBUTOR_RELATIONSHIP'),
    openResources: one('OPEN_RESOURCES'),
    frozen: one('FROZEN'),
    invoiceableAmount: one('INVOICEABLE_AMOUNT'),
    postpaid: one('POSTPAID'),
    designatedContracts: {
      OFFLINE_DIRECT: one('DESIGNATED_CONTRACT', 'OFFLINE_DIRECT'),
      TELESALES_AUTHORISED_DISCOUNT: one('DESIGNATED_CONTRACT', 'TELESALES_AUTHORISED_DISCOUNT'),
      DIRECT_SPECIAL_PRICE: one('DESIGNATED_CONTRACT', 'DIRECT_SPECIAL_PRICE'),
    },
    enterpriseRole: one('ENTERPRISE_ROLE'),
    instruments: [...latest.values()]
      .filter((o): o is FactObservation & { kind: InstrumentKind } => isInstrument(o.kind))
      .map((o) => ({ kind: o.kind, id: o.subject, ...observed<FactValue<'VOUCHER'>>(o)! }))
      .sort(byKindThenId),
  };
}
