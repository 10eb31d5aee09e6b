// Response schemas of the partner account (see api/kit/schemas.ts for the pieces every process shares). Only the
// routes' own answers carry an OpenAPI id: a schema named only inside another would not resolve (api/docs/openapi.ts
// registers the answers).
import { z } from 'zod';
import { CONTRACT_TYPES, FACT_KINDS, FACT_VALUES, INSTRUMENT_KINDS, PROGRAMS } from '../../domain/account.js';
import { LEDGER_ACCOUNT_KINDS, TRANSFER_KINDS } from '../../domain/ledger.js';
import { instant } from '../kit/schemas.js';

const observedBy = { source: z.string().describe('the system that reported it'), observedAt: instant.describe('when that system observed it') };
/** A kind's value as answered: the value's own fields beside where and when it was observed; null: never fed. */
const observed = (value: z.ZodObject) => value.extend(observedBy).nullable();
const perKey = <K extends string>(keys: readonly K[], value: z.ZodType) => z.strictObject(Object.fromEntries(keys.map((k) => [k, value])) as Record<K, z.ZodType>);

/** Discriminated-union values (the distributor relationship) extend each option. */
const distributorRelationship = z
  .union(FACT_VALUES.DISTRIBUTOR_RELATIONSHIP.options.map((option) => option.extend(observedBy)) as unknown as [z.ZodType, z.ZodType, z.ZodType])
  .nullable();

export const accountFactsSchema = z
  .strictObject({
    programs: perKey(PROGRAMS, observed(FACT_VALUES.PROGRAM_MEMBERSHIP)).describe('the membership of each partner program'),
    distributorRelationship,
    openResources: observed(FACT_VALUES.OPEN_RESOURCES),
    frozen: observed(FACT_VALUES.FROZEN),
    invoiceableAmount: observed(FACT_VALUES.INVOICEABLE_AMOUNT),
    postpaid: observed(FACT_VALUES.POSTPAID),
    designatedContracts: perKey(CONTRACT_TYPES, observed(FACT_VALUES.DESIGNATED_CONTRACT)).describe('each designated contract type signed with the vendor, or not'),
    enterpriseRole: observed(FACT_VALUES.ENTERPRISE_ROLE),
    instruments: z
      .array(FACT_VALUES.VOUCHER.extend({ kind: z.enum(INSTRUMENT_KINDS), id: z.string().describe("the issuer's id") }).extend(observedBy))
      .describe("the account's vouchers, discount coupons and stored-value cards, each in its latest state"),
  })
  .describe('The latest observation of each fact (null: never fed, unknown).');

const minor = z.number().int().describe('minor units (fen, cents)');
export const fundsBalanceSchema = z
  .strictObject({
    currency: z.string(),
    recharge: minor.describe('recharge balance: money paid in, less what charges and repayments drew from it'),
    creditLimit: minor.describe('the credit limit granted'),
    credit: minor.describe('available credit: limit minus used (negative when the limit was lowered below what is used)'),
    creditUsed: minor.describe('credit drawn by charges and not paid back'),
    arrears: minor.describe('what the partner owes beyond recharge and credit'),
    balance: minor.describe('recharge + credit'),
  })
  .describe("A partner's funds in one currency, summed from the ledger's postings (never stored).");

export const accountSchema = z
  .strictObject({ partnerId: z.string(), facts: accountFactsSchema, balances: z.array(fundsBalanceSchema).describe('one per currency the ledger holds, by currency') })
  .meta({ id: 'PartnerAccount' });

export const factChangeSchema = z
  .strictObject({
    id: z.string().describe('receipt order among all fed facts'),
    partnerId: z.string(),
    kind: z.enum(FACT_KINDS),
    subject: z.string().describe("the program, contract type or instrument id the fact is about; '' for account-wide kinds"),
    value: z.record(z.string(), z.unknown()).describe("the kind's value, as fed"),
    source: z.string(),
    observedAt: instant,
    receivedAt: instant,
  })
  .describe('One fed observation, as stored.');

export const factFeedSchema = z
  .strictObject({ feedId: z.uuid().describe("this feed's id (the same for a retry with its Idempotency-Key)"), items: z.array(factChangeSchema) })
  .meta({ id: 'AccountFactFeed' });

export const transferSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    kind: z.enum(TRANSFER_KINDS),
    source: z.string(),
    key: z.string().describe("the feeder's key of the entry, unique per source"),
    occurredAt: instant,
    receivedAt: instant,
    memo: z.string().nullable(),
    postings: z
      .array(z.strictObject({ account: z.enum(LEDGER_ACCOUNT_KINDS), currency: z.string(), amount: z.number().int().describe('minor units: positive debit, negative credit') }))
      .describe('summing to zero per currency'),
  })
  .describe('One ledger entry as recorded: a balanced transfer.');

export const transferFeedSchema = z.strictObject({ items: z.array(transferSchema).describe('one per fed entry, in the order fed') }).meta({ id: 'LedgerFeed' });

export const factPageSchema = z
  .strictObject({ items: z.array(factChangeSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'AccountFactPage', description: 'Newest received first.' });

export const transferPageSchema = z
  .strictObject({ items: z.array(transferSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'LedgerPage', description: 'Newest first (by occurredAt).' });

export type AccountView = z.output<typeof accountSchema>;
export type FactChangeView = z.output<typeof factChangeSchema>;
export type TransferView = z.output<typeof transferSchema>;
