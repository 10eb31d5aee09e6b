// Request and response schemas of the funds routes (issue 18 section 4, docs/funds.md). Only the routes' own answers
// carry an OpenAPI id (api/docs/openapi.ts registers the answers).
import { z } from 'zod';
import { FUNDS_MOVEMENTS } from '../../domain/funds.js';
import { LEDGER_ACCOUNT_KINDS } from '../../domain/ledger.js';
import { moneySchema } from '../../domain/money.js';
import { instant } from '../kit/schemas.js';

const minor = z.number().int().describe('minor units (fen, cents)');
const memo = z
  .string()
  .trim()
  .min(1)
  .max(500)
  .refine((v) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(v) && v.isWellFormed(), 'must be well-formed text without control characters');
const positiveMoney = moneySchema.refine((m) => m.minor > 0, { message: 'must be more than zero', path: ['minor'] });

export const customerId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');

export const allocationBody = z.strictObject({ amount: positiveMoney.describe('taken from the partner’s balance: recharge first, then credit'), memo: memo.optional() });
export const reclaimBody = z.strictObject({
  currency: moneySchema.shape.currency,
  minor: z.number().int('must be an integer amount of minor units').min(1).max(Number.MAX_SAFE_INTEGER).optional().describe('at most what is unspent; omitted: all of it'),
  memo: memo.optional(),
});
const source = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z][a-z0-9-]*$/, 'lowercase letters, digits and -, starting with a letter (e.g. billing)')
  .describe('the system reporting: kept with the transfer');
export const spendBody = z.strictObject({
  source,
  key: z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII only').describe("the feeder's key of the spend: one transfer per source, forever"),
  amount: positiveMoney,
  occurredAt: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
    const year = new Date(v).getUTCFullYear();
    return year >= 2000 && year <= 9999;
  }, 'must be between the years 2000 and 9999'),
  memo: memo.optional(),
});

const balance = z.strictObject({ recharge: minor, credit: minor, balance: minor.describe('recharge + credit') });
const split = z.strictObject({ recharge: minor, credit: minor });

export const fundsTransferSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    customerId: z.string(),
    kind: z.enum(FUNDS_MOVEMENTS),
    source: z.string(),
    key: z.string().describe("the movement's key: unique per source, forever"),
    occurredAt: instant,
    receivedAt: instant,
    memo: z.string().nullable(),
    amount: moneySchema,
    split: split.describe('what an allocation drew from, or a reclaim returned to, the recharge and the credit (zeros for a spend)'),
    postings: z
      .array(z.strictObject({ account: z.enum(LEDGER_ACCOUNT_KINDS), currency: z.string(), amount: z.number().int().describe('minor units: positive debit, negative credit') }))
      .describe('summing to zero'),
    balanceAfter: balance.describe("the partner's funds in this currency right after this transfer"),
    unspentAfter: minor.describe("the customer's unspent allocation right after this transfer"),
  })
  .meta({ id: 'FundsTransfer', description: 'One funds movement: a balanced ledger transfer.' });

export const customerFundsSchema = z
  .strictObject({
    partnerId: z.string(),
    customerId: z.string(),
    association: z.strictObject({ mode: z.enum(['RESELLER', 'CONSULTATIVE']) }).nullable().describe('the open association with this partner; null: none now'),
    funds: z.array(
      z.strictObject({
        currency: z.string(),
        allocated: minor,
        reclaimed: minor,
        spent: minor,
        unspent: minor.describe('allocated − reclaimed − spent'),
        creditOutstanding: minor.describe('what the allocations drew on credit and no reclaim returned: a reclaim returns credit first, up to this'),
      }),
    ),
  })
  .meta({ id: 'CustomerFunds' });

const totals = z.strictObject({ recharge: minor, credit: minor, balance: minor });
export const statementSchema = z
  .strictObject({
    partnerId: z.string(),
    from: instant,
    to: instant,
    currencies: z.array(
      z.strictObject({
        currency: z.string(),
        opening: totals.describe('before the first movement at or after `from`'),
        lines: z.array(
          z.strictObject({
            transferId: z.uuid(),
            kind: z.string(),
            customerId: z.string().nullable(),
            occurredAt: instant,
            memo: z.string().nullable(),
            recharge: minor.describe('change of the recharge balance'),
            credit: minor.describe('change of the available credit'),
            change: minor.describe('change of the balance'),
            runningRecharge: minor,
            runningCredit: minor,
            runningBalance: minor,
          }),
        ),
        closing: totals.describe('after the last movement before `to`'),
      }),
    ),
  })
  .meta({ id: 'FundsStatement', description: "The partner's balance (recharge + credit) over a period: opening, each movement with its running balance, closing; per currency." });

export type FundsTransferView = z.output<typeof fundsTransferSchema>;
export type CustomerFundsView = z.output<typeof customerFundsSchema>;
export type StatementView = z.output<typeof statementSchema>;
