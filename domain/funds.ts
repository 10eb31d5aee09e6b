/**
 * Funds allocated to customers (issue 18 section 4, seed 拨款), as rules on the ledger of domain/ledger.ts: what an
 * allocation draws, what a reclaim returns and where, what each posts, and a statement's running balances. Nothing here
 * touches the database; platform/funds.ts records the movements (the API and the unlink activity alike) and the
 * database refuses any posting that would overdraw an account (prisma/migrations/0030_funds.sql).
 *
 * The partner's balance is its recharge balance plus its available credit (账户余额 = 充值账户余额 + 信用账户余额).
 *
 * - An **allocation** to an associated customer in RESELLER mode moves money from the partner's balance into the
 *   customer's allocation account: **recharge first, then credit** — the partner's own money before money it owes.
 *   Never more than the balance holds (recharge and credit, each counted only when positive).
 * - The customer's **spending** of its allocation (fed by billing) reduces the allocation and is the vendor's revenue;
 *   it does **not** reduce the partner's balance (seed): the partner paid when it allocated.
 * - A **reclaim** returns what is unspent (all, or an amount up to it) to where it came from: **credit first**, as far
 *   as this customer's allocations drew on credit and were not yet returned to it, and never beyond the credit the
 *   partner still uses (credit repaid meanwhile was paid in cash, so that part returns to the recharge); **the rest to
 *   the recharge**. Which allocation's money a spend consumed is not tracked: money is fungible in the customer's
 *   account, and returning credit first keeps the partner's debt to the vendor as small as the movements allow.
 */
import type { FundsBalance, LedgerAccountKind } from './ledger.js';

/** The movements partnerflow makes on the ledger for funds (the fed entries are domain/ledger.ts's). */
export const FUNDS_MOVEMENTS = ['ALLOCATION', 'RECLAIM', 'CUSTOMER_SPEND'] as const;
export type FundsMovement = (typeof FUNDS_MOVEMENTS)[number];

/** What a movement takes from (allocation) or gives back to (reclaim) the partner's recharge and credit. */
export type Split = { recharge: bigint; credit: bigint };

export type FundsPosting = { account: LedgerAccountKind; amount: bigint };

const positive = (v: bigint) => (v > 0n ? v : 0n);
const min = (...values: bigint[]) => values.reduce((a, b) => (b < a ? b : a));

/** What the partner may allocate now: its recharge and its available credit, each only when positive. */
export const allocatable = (balance: Pick<FundsBalance, 'recharge' | 'credit'>): bigint => positive(balance.recharge) + positive(balance.credit);

/** An allocation of `amount`: recharge first, then credit; undefined when the balance cannot cover it. */
export function allocationSplit(balance: Pick<FundsBalance, 'recharge' | 'credit'>, amount: bigint): Split | undefined {
  if (amount <= 0n || amount > allocatable(balance)) return undefined;
  const recharge = min(amount, positive(balance.recharge));
  return { recharge, credit: amount - recharge };
}

/**
 * A reclaim of `amount` (at most `unspent`): credit first, up to what this customer's allocations still owe the credit
 * line (`creditOutstanding`) and to what the partner uses of its credit; the rest to the recharge. Undefined beyond
 * what is unspent.
 */
export function reclaimSplit(unspent: bigint, creditOutstanding: bigint, creditUsed: bigint, amount: bigint): Split | undefined {
  if (amount <= 0n || amount > unspent) return undefined;
  const credit = min(amount, positive(creditOutstanding), positive(creditUsed));
  return { recharge: amount - credit, credit };
}

/** The postings of a movement: debits positive, credits negative, zero legs left out; they sum to zero. */
export function fundsPostings(kind: FundsMovement, amount: bigint, split?: Split): FundsPosting[] {
  const leg = (account: LedgerAccountKind, value: bigint): FundsPosting[] => (value === 0n ? [] : [{ account, amount: value }]);
  switch (kind) {
    case 'ALLOCATION':
      return [...leg('PARTNER_RECHARGE', split!.recharge), ...leg('PARTNER_CREDIT_LINE', split!.credit), ...leg('CUSTOMER_ALLOCATION', -amount)];
    case 'RECLAIM':
      return [...leg('CUSTOMER_ALLOCATION', amount), ...leg('PARTNER_CREDIT_LINE', -split!.credit), ...leg('PARTNER_RECHARGE', -split!.recharge)];
    case 'CUSTOMER_SPEND':
      return [...leg('CUSTOMER_ALLOCATION', amount), ...leg('VENDOR_REVENUE', -amount)];
  }
}

/** One customer's funds from one partner in one currency, from its transfers' postings. */
export type CustomerFunds = { currency: string; allocated: bigint; reclaimed: bigint; spent: bigint; unspent: bigint; creditOutstanding: bigint };

/** The sums a customer's funds derive from: its allocation account's postings per movement, and its credit-line postings. */
export type CustomerSums = { currency: string; allocation: Partial<Record<FundsMovement, bigint>>; creditLine: bigint };

export function customerFundsOf(sums: CustomerSums): CustomerFunds {
  const allocated = -(sums.allocation.ALLOCATION ?? 0n);
  const reclaimed = sums.allocation.RECLAIM ?? 0n;
  const spent = sums.allocation.CUSTOMER_SPEND ?? 0n;
  return { currency: sums.currency, allocated, reclaimed, spent, unspent: allocated - reclaimed - spent, creditOutstanding: sums.creditLine };
}

/** A transfer as the statement sees it: what it changed on the partner's recharge and credit (postings' negations). */
export type StatementMovement = { transferId: string; kind: string; customerId: string | null; occurredAt: Date; memo: string | null; recharge: bigint; credit: bigint };
export type StatementLine = StatementMovement & { change: bigint; runningRecharge: bigint; runningCredit: bigint; runningBalance: bigint };
export type Statement = {
  currency: string;
  opening: { recharge: bigint; credit: bigint; balance: bigint };
  lines: StatementLine[];
  closing: { recharge: bigint; credit: bigint; balance: bigint };
};

/** Running balances from the opening, in the movements' order (balance = recharge + credit after each). */
export function statementOf(currency: string, opening: { recharge: bigint; credit: bigint }, movements: readonly StatementMovement[]): Statement {
  let recharge = opening.recharge;
  let credit = opening.credit;
  const lines = movements.map((m) => {
    recharge += m.recharge;
    credit += m.credit;
    return { ...m, change: m.recharge + m.credit, runningRecharge: recharge, runningCredit: credit, runningBalance: recharge + credit };
  });
  return {
    currency,
    opening: { recharge: opening.recharge, credit: opening.credit, balance: opening.recharge + opening.credit },
    lines,
    closing: { recharge, credit, balance: recharge + credit },
  };
}

/** The statement as CSV (RFC 4180: CRLF, fields quoted when they hold a comma, quote or line break). */
export function statementCsv(partnerId: string, from: Date, to: Date, statements: readonly Statement[]): string {
  const field = (v: string) => (/[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
  // A memo is fed text: a leading =, +, - or @ would be a formula to a spreadsheet, so it is quoted as text.
  const text = (v: string) => field(/^[=+\-@\t\r]/.test(v) ? `'${v}` : v);
  const rows: string[][] = [['partnerId', 'currency', 'line', 'occurredAt', 'kind', 'transferId', 'customerId', 'memo', 'recharge', 'credit', 'change', 'runningRecharge', 'runningCredit', 'runningBalance']];
  for (const s of statements) {
    const total = (line: string, at: Date, b: { recharge: bigint; credit: bigint; balance: bigint }) => [partnerId, s.currency, line, at.toISOString(), '', '', '', '', '', '', '', String(b.recharge), String(b.credit), String(b.balance)];
    rows.push(total('OPENING', from, s.opening));
    for (const l of s.lines) {
      rows.push([partnerId, s.currency, 'MOVEMENT', l.occurredAt.toISOString(), l.kind, l.transferId, l.customerId ?? '', l.memo ?? '', String(l.recharge), String(l.credit), String(l.change), String(l.runningRecharge), String(l.runningCredit), String(l.runningBalance)]);
    }
    rows.push(total('CLOSING', to, s.closing));
  }
  return rows.map((r) => r.map((v, i) => (i === 7 ? text(v) : field(v))).join(',')).join('\r\n') + '\r\n';
}
