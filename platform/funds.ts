/**
 * The funds movements on the ledger (issue 18 section 4, docs/funds.md): allocate to a customer, reclaim what it has
 * not spent, record its spending — for the API (api/funds/client.ts) and a Temporal activity (the unlink) alike. Every
 * function takes the caller's transaction: the caller commits the movement together with what it decided on it.
 *
 * Rules (domain/funds.ts): allocation recharge first, then credit; reclaim credit first, then recharge; spending never
 * touches the partner's balance. Each movement is one balanced transfer whose key (unique per source, forever) makes it
 * idempotent: the same key with the same movement is that transfer again, with another 422 `funds-key-reused`.
 *
 * Concurrency: every movement takes the partner's ledger lock (the same transaction-scoped advisory lock as the feed of
 * api/account/client.ts), then reads the balance it decides on; so movements of one partner are decided one at a
 * time, each on the balance the previous one left. The database refuses whatever would still overdraw an account
 * (ledger_balance, prisma/migrations/0030_funds.sql): the code's check gives the answer a name, the database's makes
 * it true.
 */
import { createHash, randomUUID } from 'node:crypto';
import { FUNDS_ALLOCATED_TOPIC, FUNDS_RECLAIMED_TOPIC } from '../domain/events.js';
import { allocatable, allocationSplit, type CustomerFunds, customerFundsOf, type CustomerSums, type FundsMovement, fundsPostings, reclaimSplit, type Split } from '../domain/funds.js';
import type { LedgerAccountKind } from '../domain/ledger.js';
import type { Money } from '../domain/money.js';
import { Problem, problems } from '../domain/problems.js';
import type { Prisma } from '../prisma/generated/client.js';
import { fundsBalances } from './partner-account.js';

type Tx = Prisma.TransactionClient;

/** The source of the transfers partnerflow makes: the feed's sources are lowercase words, so no feeder can take it. */
export const FUNDS_SOURCE = 'partnerflow:funds';

export type FundsTransfer = {
  id: string;
  partnerId: string;
  customerId: string;
  kind: FundsMovement;
  source: string;
  key: string;
  occurredAt: Date;
  receivedAt: Date;
  memo: string | null;
  amount: Money;
  /** What an allocation drew from, or a reclaim returned to, the partner's recharge and credit (zero for a spend). */
  split: Split;
  postings: { account: LedgerAccountKind; currency: string; amount: bigint }[];
  /** The partner's funds right after this transfer, and the customer's unspent allocation. */
  balanceAfter: { recharge: bigint; credit: bigint; balance: bigint };
  unspentAfter: bigint;
};

const keyReused = (key: string) =>
  new Problem(422, 'funds-key-reused', 'The request cannot be processed', `Key ${key} already moved other funds (another amount, customer or movement).`, [
    { field: 'Idempotency-Key', message: 'already used for another funds movement' },
  ]);

/** The partner's ledger lock: held to the end of the transaction; the account feed takes the same one. */
export async function lockPartnerLedger(tx: Tx, partnerId: string): Promise<void> {
  await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended(${`ledger ${partnerId}`}, 0))`;
}

/** The open association of the customer with this partner, if any (another partner's reads as none). */
export async function openAssociation(tx: Tx, partnerId: string, customerId: string): Promise<{ mode: 'RESELLER' | 'CONSULTATIVE' } | undefined> {
  const rows = await tx.$queryRaw<{ mode: 'RESELLER' | 'CONSULTATIVE' }[]>`
    SELECT mode FROM customer_association WHERE open_customer_id = ${customerId} AND partner_id = ${partnerId}`;
  return rows[0];
}

/** The partner the customer is associated with now, if any. */
async function associatedPartner(tx: Tx, customerId: string): Promise<string | undefined> {
  const rows = await tx.$queryRaw<{ partner_id: string }[]>`SELECT partner_id FROM customer_association WHERE open_customer_id = ${customerId}`;
  return rows[0]?.partner_id;
}

/** The customer's funds from the partner, per currency (ordered): none when nothing was ever allocated. */
export async function customerFunds(db: Tx, partnerId: string, customerId: string): Promise<CustomerFunds[]> {
  const allocation = await db.$queryRaw<{ currency: string; kind: FundsMovement; total: bigint }[]>`
    SELECT a.currency, t.kind, sum(p.amount)::bigint AS total
    FROM ledger_account a JOIN ledger_posting p ON p.account_id = a.id JOIN ledger_transfer t ON t.id = p.transfer_id
    WHERE a.partner_id = ${partnerId} AND a.customer_id = ${customerId} AND a.kind = 'CUSTOMER_ALLOCATION'
    GROUP BY a.currency, t.kind`;
  const creditLine = await db.$queryRaw<{ currency: string; total: bigint }[]>`
    SELECT a.currency, sum(p.amount)::bigint AS total
    FROM ledger_transfer t JOIN ledger_posting p ON p.transfer_id = t.id JOIN ledger_account a ON a.id = p.account_id
    WHERE t.partner_id = ${partnerId} AND t.customer_id = ${customerId} AND a.kind = 'PARTNER_CREDIT_LINE'
    GROUP BY a.currency`;
  const sums = new Map<string, CustomerSums>();
  for (const r of allocation) {
    const s = sums.get(r.currency) ?? { currency: r.currency, allocation: {}, creditLine: 0n };
    s.allocation[r.kind] = BigInt(r.total);
    sums.set(r.currency, s);
  }
  for (const r of creditLine) if (sums.has(r.currency)) sums.get(r.currency)!.creditLine = BigInt(r.total);
  return [...sums.keys()].sort().map((c) => customerFundsOf(sums.get(c)!));
}

/** The accounts the postings need (created once), by kind; the allocation account is the customer's. Refunds post through it too (api/unlink/refunds.ts). */
export async function accountIds(tx: Tx, partnerId: string, customerId: string, currency: string, kinds: readonly LedgerAccountKind[]): Promise<Map<LedgerAccountKind, bigint>> {
  const ids = new Map<LedgerAccountKind, bigint>();
  for (const kind of kinds) {
    const customer = kind === 'CUSTOMER_ALLOCATION' ? customerId : null;
    await tx.$executeRaw`INSERT INTO ledger_account (partner_id, kind, currency, customer_id) VALUES (${partnerId}, ${kind}, ${currency}, ${customer}) ON CONFLICT DO NOTHING`;
    const [row] = await tx.$queryRaw<{ id: bigint }[]>`
      SELECT id FROM ledger_account WHERE partner_id = ${partnerId} AND kind = ${kind} AND currency = ${currency} AND customer_id IS NOT DISTINCT FROM ${customer}`;
    ids.set(kind, row!.id);
  }
  return ids;
}

type TransferRow = { id: string; partner_id: string; customer_id: string; kind: FundsMovement; source: string; feeder_key: string; entry_hash: string; occurred_at: Date; received_at: Date; memo: string | null };

async function transferByKey(tx: Tx, source: string, key: string): Promise<TransferRow | undefined> {
  const rows = await tx.$queryRaw<TransferRow[]>`
    SELECT id, partner_id, customer_id, kind, source, feeder_key, entry_hash, occurred_at, received_at, memo
    FROM ledger_transfer WHERE source = ${source} AND feeder_key = ${key}`;
  return rows[0];
}

/** A recorded transfer as answered: its postings, and the balances right after it (postings of the partner up to its last one). */
async function transferOf(tx: Tx, row: TransferRow): Promise<FundsTransfer> {
  const postings = await tx.$queryRaw<{ id: bigint; kind: LedgerAccountKind; currency: string; amount: bigint }[]>`
    SELECT p.id, a.kind, p.currency, p.amount FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id WHERE p.transfer_id = ${row.id} ORDER BY p.id`;
  const currency = postings[0]!.currency;
  const last = postings[postings.length - 1]!.id;
  // Movements of one partner are posted under its ledger lock, so the posting ids order them: what precedes the
  // transfer's last posting is the ledger as it stood right after it, whatever came later.
  const after = await tx.$queryRaw<{ kind: LedgerAccountKind; total: bigint }[]>`
    SELECT a.kind, sum(p.amount)::bigint AS total FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id
    WHERE a.partner_id = ${row.partner_id} AND a.currency = ${currency} AND p.id <= ${last}
      AND (a.kind IN ('PARTNER_RECHARGE', 'PARTNER_CREDIT_LINE') OR (a.kind = 'CUSTOMER_ALLOCATION' AND a.customer_id = ${row.customer_id}))
    GROUP BY a.kind`;
  const sum = (kind: LedgerAccountKind) => BigInt(after.find((r) => r.kind === kind)?.total ?? 0n);
  const leg = (kind: LedgerAccountKind) => postings.filter((p) => p.kind === kind).reduce((a, p) => a + BigInt(p.amount), 0n);
  const allocationLeg = leg('CUSTOMER_ALLOCATION');
  const split = row.kind === 'ALLOCATION' ? { recharge: leg('PARTNER_RECHARGE'), credit: leg('PARTNER_CREDIT_LINE') } : row.kind === 'RECLAIM' ? { recharge: -leg('PARTNER_RECHARGE'), credit: -leg('PARTNER_CREDIT_LINE') } : { recharge: 0n, credit: 0n };
  const recharge = -sum('PARTNER_RECHARGE');
  const credit = -sum('PARTNER_CREDIT_LINE');
  return {
    id: row.id,
    partnerId: row.partner_id,
    customerId: row.customer_id,
    kind: row.kind,
    source: row.source,
    key: row.feeder_key,
    occurredAt: row.occurred_at,
    receivedAt: row.received_at,
    memo: row.memo,
    amount: { currency, minor: Number(allocationLeg < 0n ? -allocationLeg : allocationLeg) },
    split,
    postings: postings.map((p) => ({ account: p.kind, currency: p.currency, amount: BigInt(p.amount) })),
    balanceAfter: { recharge, credit, balance: recharge + credit },
    unspentAfter: -sum('CUSTOMER_ALLOCATION'),
  };
}

type Movement = { partnerId: string; customerId: string; kind: FundsMovement; source: string; key: string; currency: string; amount: bigint; split?: Split; occurredAt: Date; memo?: string | undefined; actor: string };

/** What makes two movements under one key the same movement: the partner, customer, kind, currency and amount. */
const hashOf = (m: Pick<Movement, 'partnerId' | 'customerId' | 'kind' | 'currency' | 'amount'>) =>
  createHash('sha256').update(JSON.stringify({ partnerId: m.partnerId, customerId: m.customerId, kind: m.kind, currency: m.currency, amount: String(m.amount) })).digest('hex');

/** The transfer already recorded under the movement's key (the same movement: it again; another: 422), if any. */
async function recorded(tx: Tx, source: string, key: string, hash: string): Promise<FundsTransfer | undefined> {
  const existing = await transferByKey(tx, source, key);
  if (!existing) return undefined;
  if (existing.entry_hash !== hash) throw keyReused(key);
  return transferOf(tx, existing);
}

async function record(tx: Tx, m: Movement): Promise<FundsTransfer> {
  const postings = fundsPostings(m.kind, m.amount, m.split);
  const ids = await accountIds(tx, m.partnerId, m.customerId, m.currency, postings.map((p) => p.account));
  const id = randomUUID();
  await tx.$executeRaw`
    INSERT INTO ledger_transfer (id, partner_id, customer_id, kind, source, feeder_key, entry_hash, occurred_at, memo, actor)
    VALUES (${id}, ${m.partnerId}, ${m.customerId}, ${m.kind}, ${m.source}, ${m.key}, ${hashOf(m)}, ${m.occurredAt}, ${m.memo ?? null}, ${m.actor})`;
  for (const p of postings) {
    await tx.$executeRaw`INSERT INTO ledger_posting (transfer_id, account_id, amount, currency) VALUES (${id}, ${ids.get(p.account)!}, ${p.amount}, ${m.currency})`;
  }
  const transfer = await transferOf(tx, (await transferByKey(tx, m.source, m.key))!);
  if (m.kind !== 'CUSTOMER_SPEND') {
    const topic = m.kind === 'ALLOCATION' ? FUNDS_ALLOCATED_TOPIC : FUNDS_RECLAIMED_TOPIC;
    const payload = {
      partnerId: m.partnerId,
      customerId: m.customerId,
      transferId: id,
      amount: transfer.amount,
      [m.kind === 'ALLOCATION' ? 'drawn' : 'returned']: { recharge: Number(transfer.split.recharge), credit: Number(transfer.split.credit) },
      balanceAfter: { recharge: Number(transfer.balanceAfter.recharge), credit: Number(transfer.balanceAfter.credit), balance: Number(transfer.balanceAfter.balance) },
      occurredAt: m.occurredAt.toISOString(),
    };
    await tx.outbox.createMany({ data: [{ topic, aggregateId: id, dedupeKey: fundsMessageKey(id), payload, dueAt: m.occurredAt }], skipDuplicates: true });
  }
  return transfer;
}

/** The outbox message of an allocation or reclaim (announceFromApi starts it after the commit). */
export const fundsMessageKey = (transferId: string) => `funds:${transferId}`;

export type AllocationRequest = { partnerId: string; customerId: string; amount: Money; key: string; actor: string; memo?: string | undefined; at?: Date };

/**
 * Allocates `amount` from the partner's balance to its associated RESELLER customer: recharge first, then credit.
 * Refused: 404 when the customer is not associated with this partner (another partner's association is not revealed),
 * 422 `customer-consultative` in consultative mode, 422 `funds-insufficient` beyond the balance.
 */
export async function allocate(tx: Tx, request: AllocationRequest): Promise<FundsTransfer> {
  const { partnerId, customerId, amount } = request;
  const movement = { partnerId, customerId, kind: 'ALLOCATION' as const, source: FUNDS_SOURCE, key: request.key, currency: amount.currency, amount: BigInt(amount.minor), occurredAt: request.at ?? new Date(), memo: request.memo, actor: request.actor };
  await lockPartnerLedger(tx, partnerId);
  const again = await recorded(tx, FUNDS_SOURCE, request.key, hashOf(movement));
  if (again) return again;
  const association = await openAssociation(tx, partnerId, customerId);
  if (!association) throw problems.notFound(`Customer ${customerId} associated with partner ${partnerId}`);
  if (association.mode !== 'RESELLER') {
    throw problems.unprocessable('customer-consultative', `Customer ${customerId} is associated with partner ${partnerId} in CONSULTATIVE mode: funds are allocated to RESELLER customers only.`, 'customerId');
  }
  const balance = (await fundsBalances(tx, partnerId)).find((b) => b.currency === amount.currency) ?? { recharge: 0n, credit: 0n };
  const split = allocationSplit(balance, movement.amount);
  if (!split) {
    throw problems.unprocessable(
      'funds-insufficient',
      `The partner's balance allows allocating at most ${allocatable(balance)} ${amount.currency} minor units (recharge ${balance.recharge}, available credit ${balance.credit}); ${amount.minor} asked.`,
      'amount.minor',
    );
  }
  return record(tx, { ...movement, split });
}

export type ReclaimRequest = { partnerId: string; customerId: string; currency: string; minor?: number | undefined; key: string; actor: string; memo?: string | undefined; at?: Date };

/**
 * Returns unspent funds of the customer to the partner — `minor`, or all that is unspent — credit first, then recharge.
 * Undefined when all was asked and nothing is unspent (nothing recorded). 404 when the partner never allocated to the
 * customer; 422 `funds-unspent-exceeded` beyond what is unspent.
 */
export async function reclaim(tx: Tx, request: ReclaimRequest): Promise<FundsTransfer | undefined> {
  const { partnerId, customerId, currency } = request;
  await lockPartnerLedger(tx, partnerId);
  const existing = await transferByKey(tx, FUNDS_SOURCE, request.key);
  const funds = (await customerFunds(tx, partnerId, customerId)).find((f) => f.currency === currency);
  if (existing) {
    // The amount of an "all" reclaim is what was unspent then: the same request is the same transfer.
    const amount = request.minor !== undefined ? BigInt(request.minor) : BigInt((await transferOf(tx, existing)).amount.minor);
    return (await recorded(tx, FUNDS_SOURCE, request.key, hashOf({ partnerId, customerId, kind: 'RECLAIM', currency, amount })))!;
  }
  if (!funds) throw problems.notFound(`Funds in ${currency} of customer ${customerId} from partner ${partnerId}`);
  const amount = request.minor !== undefined ? BigInt(request.minor) : funds.unspent;
  if (request.minor === undefined && amount === 0n) return undefined;
  const balance = (await fundsBalances(tx, partnerId)).find((b) => b.currency === currency)!;
  const split = reclaimSplit(funds.unspent, funds.creditOutstanding, balance.creditUsed, amount);
  if (!split) throw problems.unprocessable('funds-unspent-exceeded', `Customer ${customerId} has ${funds.unspent} ${currency} minor units unspent; ${amount} asked.`, 'minor');
  return record(tx, { partnerId, customerId, kind: 'RECLAIM', source: FUNDS_SOURCE, key: request.key, currency, amount, split, occurredAt: request.at ?? new Date(), memo: request.memo, actor: request.actor });
}

/**
 * Every currency's unspent funds of the customer back to the partner (the unlink): one reclaim per currency, each keyed
 * `<key>/<currency>`, so the activity retried records nothing twice. Currencies with nothing unspent record nothing.
 */
export async function reclaimUnspent(tx: Tx, request: { partnerId: string; customerId: string; key: string; actor: string; memo?: string; at?: Date }): Promise<FundsTransfer[]> {
  await lockPartnerLedger(tx, request.partnerId);
  const transfers: FundsTransfer[] = [];
  for (const funds of await customerFunds(tx, request.partnerId, request.customerId)) {
    const done = await reclaim(tx, { ...request, currency: funds.currency, key: `${request.key}/${funds.currency}` });
    if (done) transfers.push(done);
  }
  return transfers;
}

export type SpendRequest = { customerId: string; source: string; key: string; amount: Money; occurredAt: Date; memo?: string | undefined; actor: string };

/**
 * The customer's spending of its allocation, as billing feeds it: reduces the allocation of the partner it is
 * associated with, never the partner's balance. The feeder's key is one transfer per source. 422
 * `customer-not-associated`, or `allocation-exceeded` beyond what is unspent.
 */
export async function recordSpend(tx: Tx, request: SpendRequest): Promise<FundsTransfer> {
  const { customerId, amount } = request;
  const before = await transferByKey(tx, request.source, request.key);
  const partnerId = before?.partner_id ?? (await associatedPartner(tx, customerId));
  if (!partnerId) throw problems.unprocessable('customer-not-associated', `Customer ${customerId} is associated with no partner: it has no allocation to spend.`, 'customerId');
  const movement: Movement = { partnerId, customerId, kind: 'CUSTOMER_SPEND', source: request.source, key: request.key, currency: amount.currency, amount: BigInt(amount.minor), occurredAt: request.occurredAt, memo: request.memo, actor: request.actor };
  await lockPartnerLedger(tx, partnerId);
  const again = await transferByKey(tx, request.source, request.key);
  if (again) {
    if (again.entry_hash !== hashOf(movement)) throw new Problem(422, 'ledger-key-reused', 'The request cannot be processed', `Source ${request.source} already fed ${request.key} with other content.`, [{ field: 'key', message: 'already fed with other content' }]);
    return transferOf(tx, again);
  }
  const unspent = (await customerFunds(tx, partnerId, customerId)).find((f) => f.currency === amount.currency)?.unspent ?? 0n;
  if (movement.amount > unspent) {
    throw problems.unprocessable('allocation-exceeded', `Customer ${customerId} has ${unspent} ${amount.currency} minor units of allocation unspent; ${amount.minor} fed.`, 'amount.minor');
  }
  return record(tx, movement);
}
