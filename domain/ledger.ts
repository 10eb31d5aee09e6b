/**
 * The partner's funds as a double-entry ledger (issue 17): what each fed entry posts, and how the balances derive
 * from the sums of postings. Nothing here is stored: the database keeps the postings (append-only, every transfer
 * balanced, prisma/migrations/0020_partner_account.sql) and sums them; this module says what the sums mean.
 *
 * Signs: a posting's amount is positive on the debit side, negative on the credit side, in minor units; a transfer's
 * postings sum to zero in each currency. Seen from the vendor's books, a partner's recharge balance and available credit
 * are what the vendor owes or grants (credit-normal: their balance is minus the sum), its arrears what the partner owes
 * (debit-normal: the sum itself).
 *
 * How a charge is split: the feeder (billing) says which account it drew from — `drawn.recharge`, `drawn.credit`,
 * `drawn.arrears`, summing to the charge. Billing decided the deduction when it billed (it may have used credit first on
 * a postpaid account, or let a part fall into arrears); a rule applied here again could split the same charge otherwise
 * and the two books would disagree, and a rule depends on the order entries arrive in, which an append-only ledger can
 * never correct afterwards. What is checked here is that no draw exceeds what the account holds when the entry is
 * recorded (checkEntry): a charge arriving before the recharge it drew on is refused and fed again after it.
 */
import { z } from 'zod';
import { moneySchema } from './money.js';

/**
 * Partner-side accounts, then the vendor's counter accounts: one of each per partner and currency. Then the one kind
 * with a customer dimension (issue 18, domain/funds.ts): a customer's unspent allocation from the partner, one per
 * partner, customer and currency.
 */
export const LEDGER_ACCOUNT_KINDS = ['PARTNER_RECHARGE', 'PARTNER_CREDIT_LINE', 'PARTNER_ARREARS', 'VENDOR_CASH', 'VENDOR_CREDIT_GRANTED', 'VENDOR_REVENUE', 'CUSTOMER_ALLOCATION'] as const;
export type LedgerAccountKind = (typeof LEDGER_ACCOUNT_KINDS)[number];

export const ENTRY_KINDS = ['RECHARGE', 'CREDIT_LIMIT_CHANGE', 'CHARGE', 'ARREARS_REPAYMENT', 'CREDIT_REPAYMENT'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

/**
 * Every transfer kind the ledger holds: the fed entries, then the funds movements partnerflow makes (domain/funds.ts),
 * then REFUND: billing refunds consumption a customer made while associated with the partner, to the partner's
 * recharge (issue 18 section 3, docs/unlink.md).
 */
export const TRANSFER_KINDS = [...ENTRY_KINDS, 'ALLOCATION', 'RECLAIM', 'CUSTOMER_SPEND', 'REFUND'] as const;
export type TransferKind = (typeof TRANSFER_KINDS)[number];

/**
 * A refund's postings: the vendor gives back revenue it booked (VENDOR_REVENUE debited) and the partner's recharge
 * grows (PARTNER_RECHARGE credited). Balanced; the recharge only grows, so it never overdraws.
 */
export const refundPostings = (currency: string, minor: bigint): Posting[] => [
  { account: 'VENDOR_REVENUE', currency, amount: minor },
  { account: 'PARTNER_RECHARGE', currency, amount: -minor },
];

/** The feeder's own key of the entry: unique per source system, so the same entry fed twice is one transfer. */
const feederKey = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII only');
const occurredAt = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 2000 && year <= 9999;
}, 'must be between the years 2000 and 9999');
const memo = z.string().trim().min(1).max(500).refine((v) => !/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/.test(v) && v.isWellFormed(), 'must be well-formed text without control characters');
const positiveMoney = moneySchema.refine((m) => m.minor > 0, { message: 'must be more than zero', path: ['minor'] });
const part = z.number().int('must be an integer amount of minor units').min(1).max(Number.MAX_SAFE_INTEGER);
const common = { key: feederKey, occurredAt, memo: memo.optional() };

export const ledgerEntrySchema = z.discriminatedUnion(
  'kind',
  [
    z.strictObject({ kind: z.literal('RECHARGE'), amount: positiveMoney, ...common }).describe('money paid in: raises the recharge balance'),
    z
      .strictObject({
        kind: z.literal('CREDIT_LIMIT_CHANGE'),
        change: z.strictObject({
          currency: moneySchema.shape.currency,
          minor: z.number().int().min(-Number.MAX_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER).refine((v) => v !== 0, 'must not be zero'),
        }),
        ...common,
      })
      .describe('the credit limit raised (positive) or lowered (negative) by `change`'),
    z
      .strictObject({
        kind: z.literal('CHARGE'),
        amount: positiveMoney,
        drawn: z
          .strictObject({ recharge: part.optional(), credit: part.optional(), arrears: part.optional() })
          .refine((d) => d.recharge !== undefined || d.credit !== undefined || d.arrears !== undefined, 'name at least one of recharge, credit, arrears')
          .describe('how billing drew the charge: from the recharge balance, from available credit, and what fell into arrears'),
        ...common,
      })
      // An empty split is refused above, once.
      .refine((e) => Object.keys(e.drawn).length === 0 || (e.drawn.recharge ?? 0) + (e.drawn.credit ?? 0) + (e.drawn.arrears ?? 0) === e.amount.minor, {
        message: 'recharge + credit + arrears must equal amount.minor',
        path: ['drawn'],
      })
      .describe('a charge billed to the partner'),
    z
      .strictObject({ kind: z.literal('ARREARS_REPAYMENT'), amount: positiveMoney, from: z.enum(['CASH', 'RECHARGE']), ...common })
      .describe('arrears paid off, by a payment (CASH) or from the recharge balance'),
    z
      .strictObject({ kind: z.literal('CREDIT_REPAYMENT'), amount: positiveMoney, from: z.enum(['CASH', 'RECHARGE']), ...common })
      .describe('used credit paid back, by a payment (CASH) or from the recharge balance: available credit grows again'),
  ],
  { error: `kind must be one of ${ENTRY_KINDS.join(', ')}` },
);
export type LedgerEntry = z.output<typeof ledgerEntrySchema>;

export type Posting = { account: LedgerAccountKind; currency: string; amount: bigint };

export const currencyOf = (entry: LedgerEntry): string => (entry.kind === 'CREDIT_LIMIT_CHANGE' ? entry.change.currency : entry.amount.currency);

/** The postings an entry makes: debits positive, credits negative, zero legs left out; they always sum to zero. */
export function postingsOf(entry: LedgerEntry): Posting[] {
  const currency = currencyOf(entry);
  const leg = (account: LedgerAccountKind, amount: number): Posting[] => (amount === 0 ? [] : [{ account, currency, amount: BigInt(amount) }]);
  switch (entry.kind) {
    case 'RECHARGE':
      return [...leg('VENDOR_CASH', entry.amount.minor), ...leg('PARTNER_RECHARGE', -entry.amount.minor)];
    case 'CREDIT_LIMIT_CHANGE':
      return [...leg('VENDOR_CREDIT_GRANTED', entry.change.minor), ...leg('PARTNER_CREDIT_LINE', -entry.change.minor)];
    case 'CHARGE':
      return [
        ...leg('PARTNER_RECHARGE', entry.drawn.recharge ?? 0),
        ...leg('PARTNER_CREDIT_LINE', entry.drawn.credit ?? 0),
        ...leg('PARTNER_ARREARS', entry.drawn.arrears ?? 0),
        ...leg('VENDOR_REVENUE', -entry.amount.minor),
      ];
    case 'ARREARS_REPAYMENT':
      return [...leg(entry.from === 'CASH' ? 'VENDOR_CASH' : 'PARTNER_RECHARGE', entry.amount.minor), ...leg('PARTNER_ARREARS', -entry.amount.minor)];
    case 'CREDIT_REPAYMENT':
      return [...leg(entry.from === 'CASH' ? 'VENDOR_CASH' : 'PARTNER_RECHARGE', entry.amount.minor), ...leg('PARTNER_CREDIT_LINE', -entry.amount.minor)];
  }
}

/** The sum of postings per account kind, in one currency (a kind without postings: absent or 0). */
export type AccountSums = Partial<Record<LedgerAccountKind, bigint>>;

/**
 * A partner's funds in one currency, derived from the sums: recharge balance, credit limit, available credit (limit
 * minus used; negative when the limit was lowered below what is used), used credit, arrears, and
 * balance = recharge + credit.
 */
export type FundsBalance = { currency: string; recharge: bigint; creditLimit: bigint; credit: bigint; creditUsed: bigint; arrears: bigint; balance: bigint };

export function balanceOf(currency: string, sums: AccountSums): FundsBalance {
  const sum = (kind: LedgerAccountKind) => sums[kind] ?? 0n;
  const recharge = -sum('PARTNER_RECHARGE');
  const creditLimit = sum('VENDOR_CREDIT_GRANTED');
  const credit = -sum('PARTNER_CREDIT_LINE');
  return { currency, recharge, creditLimit, credit, creditUsed: creditLimit - credit, arrears: sum('PARTNER_ARREARS'), balance: recharge + credit };
}

/** The sums after the postings. */
export function withPostings(sums: AccountSums, postings: readonly Posting[]): AccountSums {
  const next: AccountSums = { ...sums };
  for (const p of postings) next[p.account] = (next[p.account] ?? 0n) + p.amount;
  return next;
}

export type EntryRefusal = { field: string; message: string };

/**
 * What refuses an entry against the balance it would be recorded on (fields relative to the entry): a draw beyond the
 * recharge balance or available credit, a repayment beyond what is owed or beyond the recharge it is paid from, a
 * credit limit lowered below zero. Empty: the entry may be recorded.
 */
export function checkEntry(before: FundsBalance, entry: LedgerEntry): EntryRefusal[] {
  const refusals: EntryRefusal[] = [];
  const atMost = (field: string, wanted: number | undefined, held: bigint, what: string) => {
    if (wanted !== undefined && BigInt(wanted) > held) refusals.push({ field, message: `${wanted} exceeds ${what} (${held} ${before.currency} minor units)` });
  };
  switch (entry.kind) {
    case 'RECHARGE':
      break;
    case 'CREDIT_LIMIT_CHANGE':
      if (before.creditLimit + BigInt(entry.change.minor) < 0n) {
        refusals.push({ field: 'change.minor', message: `would lower the credit limit (${before.creditLimit}) below zero` });
      }
      break;
    case 'CHARGE':
      atMost('drawn.recharge', entry.drawn.recharge, before.recharge, 'the recharge balance');
      atMost('drawn.credit', entry.drawn.credit, before.credit, 'the available credit');
      break;
    case 'ARREARS_REPAYMENT':
      atMost('amount.minor', entry.amount.minor, before.arrears, 'the arrears');
      if (entry.from === 'RECHARGE') atMost('amount.minor', entry.amount.minor, before.recharge, 'the recharge balance it is paid from');
      break;
    case 'CREDIT_REPAYMENT':
      atMost('amount.minor', entry.amount.minor, before.creditUsed, 'the used credit');
      if (entry.from === 'RECHARGE') atMost('amount.minor', entry.amount.minor, before.recharge, 'the recharge balance it is paid from');
      break;
  }
  return refusals;
}
