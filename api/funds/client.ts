/**
 * The funds routes' rules (issue 18 section 4, docs/funds.md): who may move whose funds, the Idempotency-Key, the
 * agreement gate, the webhook announced after the commit. The movements themselves are platform/funds.ts's (shared
 * with the unlink activity); the statement is read here.
 *
 * Every money POST requires an Idempotency-Key and is one transaction with its reservation: a retry answers the first
 * result (the same transfer: the reservation's id is the movement's key), another body with the key 422, and a refused
 * request writes nothing, its key included. Reads: the partner's own staff (account.read), vendor staff any partner's
 * (account.readAll); another partner's answers 404, as if absent.
 */
import type { Client } from '@temporalio/client';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { type StatementMovement, statementCsv, statementOf, type Statement } from '../../domain/funds.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { requireSignedAgreement } from '../../platform/agreement-gate.js';
import { allocate, customerFunds, FUNDS_SOURCE, fundsMessageKey, type FundsTransfer, openAssociation, reclaim, recordSpend } from '../../platform/funds.js';
import { announceFromApi } from '../../platform/outbox-dispatch.js';
import { reserveIdempotency } from '../kit/idempotency.js';
import type { CustomerFundsView, FundsTransferView, StatementView } from './schemas.js';

export type FundsClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string };

/** A statement holds at most this many movements: a longer period is asked in parts (422 naming `to`). */
export const STATEMENT_MAX_LINES = 10_000;

/** A bigint sum as a JSON number; beyond 2^53 - 1 minor units it would lose precision, so it fails loudly instead. */
function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`ledger sum ${value} exceeds 2^53 - 1 minor units`);
  return Number(value);
}
const totalsView = (t: { recharge: bigint; credit: bigint; balance: bigint }) => ({ recharge: safeNumber(t.recharge), credit: safeNumber(t.credit), balance: safeNumber(t.balance) });

export const transferView = (t: FundsTransfer): FundsTransferView => ({
  id: t.id,
  partnerId: t.partnerId,
  customerId: t.customerId,
  kind: t.kind,
  source: t.source,
  key: t.key,
  occurredAt: t.occurredAt.toISOString(),
  receivedAt: t.receivedAt.toISOString(),
  memo: t.memo,
  amount: t.amount,
  split: { recharge: safeNumber(t.split.recharge), credit: safeNumber(t.split.credit) },
  postings: t.postings.map((p) => ({ account: p.account, currency: p.currency, amount: safeNumber(p.amount) })),
  balanceAfter: totalsView(t.balanceAfter),
  unspentAfter: safeNumber(t.unspentAfter),
});

const statementView = (partnerId: string, from: Date, to: Date, statements: Statement[]): StatementView => ({
  partnerId,
  from: from.toISOString(),
  to: to.toISOString(),
  currencies: statements.map((s) => ({
    currency: s.currency,
    opening: totalsView(s.opening),
    lines: s.lines.map((l) => ({
      transferId: l.transferId,
      kind: l.kind,
      customerId: l.customerId,
      occurredAt: l.occurredAt.toISOString(),
      memo: l.memo,
      recharge: safeNumber(l.recharge),
      credit: safeNumber(l.credit),
      change: safeNumber(l.change),
      runningRecharge: safeNumber(l.runningRecharge),
      runningCredit: safeNumber(l.runningCredit),
      runningBalance: safeNumber(l.runningBalance),
    })),
    closing: totalsView(s.closing),
  })),
});

function requireKey(idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) throw problems.validation([{ field: 'Idempotency-Key', message: 'required: a money movement is retried safely only with one' }]);
  return idempotencyKey;
}

/** Partner-side movements: the partner's own staff only (another partner's is 404, as if absent). */
function ownPartner(principal: Principal, partnerId: string): void {
  if (principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
}

/**
 * The partner's statement in [from, to): per currency, the balance before `from`, each movement of the recharge or the
 * credit in order (occurredAt, then the order it was posted in) with the balance after it, and the balance before `to`.
 * Customer spending moves no partner account, so it is on the customer's funds, not here.
 */
export async function loadStatement(db: PrismaClient | Prisma.TransactionClient, partnerId: string, from: Date, to: Date): Promise<Statement[]> {
  const opening = await db.$queryRaw<{ currency: string; kind: string; total: bigint }[]>`
    SELECT a.currency, a.kind, sum(p.amount)::bigint AS total
    FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id JOIN ledger_transfer t ON t.id = p.transfer_id
    WHERE a.partner_id = ${partnerId} AND a.kind IN ('PARTNER_RECHARGE', 'PARTNER_CREDIT_LINE') AND t.occurred_at < ${from}
    GROUP BY a.currency, a.kind`;
  const rows = await db.$queryRaw<{ id: string; kind: string; customer_id: string | null; occurred_at: Date; memo: string | null; currency: string; recharge: bigint; credit: bigint }[]>`
    SELECT t.id, t.kind, t.customer_id, t.occurred_at, t.memo, a.currency,
           coalesce(-sum(p.amount) FILTER (WHERE a.kind = 'PARTNER_RECHARGE'), 0)::bigint AS recharge,
           coalesce(-sum(p.amount) FILTER (WHERE a.kind = 'PARTNER_CREDIT_LINE'), 0)::bigint AS credit
    FROM ledger_transfer t JOIN ledger_posting p ON p.transfer_id = t.id JOIN ledger_account a ON a.id = p.account_id
    WHERE t.partner_id = ${partnerId} AND a.kind IN ('PARTNER_RECHARGE', 'PARTNER_CREDIT_LINE') AND t.occurred_at >= ${from} AND t.occurred_at < ${to}
    GROUP BY t.id, a.currency
    ORDER BY a.currency, t.occurred_at, min(p.id)
    LIMIT ${STATEMENT_MAX_LINES + 1}`;
  if (rows.length > STATEMENT_MAX_LINES) {
    throw problems.unprocessable('statement-too-long', `The period holds more than ${STATEMENT_MAX_LINES} movements: ask for it in shorter periods.`, 'query.to');
  }
  const currencies = [...new Set([...opening.map((o) => o.currency), ...rows.map((r) => r.currency)])].sort();
  return currencies.map((currency) => {
    const sum = (kind: string) => -BigInt(opening.find((o) => o.currency === currency && o.kind === kind)?.total ?? 0n);
    const movements: StatementMovement[] = rows
      .filter((r) => r.currency === currency)
      .map((r) => ({ transferId: r.id, kind: r.kind, customerId: r.customer_id, occurredAt: r.occurred_at, memo: r.memo, recharge: BigInt(r.recharge), credit: BigInt(r.credit) }));
    return statementOf(currency, { recharge: sum('PARTNER_RECHARGE'), credit: sum('PARTNER_CREDIT_LINE') }, movements);
  });
}

export function createFundsClient({ prisma, temporal, taskQueue }: FundsClientDeps) {
  /** One money POST: its reservation, the agreement gate and the movement in one transaction; the webhook after the commit. */
  async function moveFunds(principal: Principal, route: string, partnerId: string, idempotencyKey: string | undefined, body: unknown, move: (tx: Prisma.TransactionClient, key: string) => Promise<FundsTransfer | undefined>) {
    const key = requireKey(idempotencyKey);
    ownPartner(principal, partnerId);
    const transfer = await prisma.$transaction(async (tx) => {
      const reservation = await reserveIdempotency(tx, `${principal.sub} ${route}`, key, body);
      // A retry is the movement of the first request again (its key is the reservation's id), gated or not since.
      if (!reservation.replay) await requireSignedAgreement(tx, partnerId);
      return move(tx, `api:${reservation.id}`);
    });
    if (!transfer) throw problems.unprocessable('nothing-to-reclaim', 'The customer has nothing unspent in this currency.', 'currency');
    await announceFromApi(prisma, temporal, taskQueue, [fundsMessageKey(transfer.id)]);
    return transferView(transfer);
  }

  return {
    async allocate(principal: Principal, partnerId: string, customerId: string, body: { amount: { currency: string; minor: number }; memo?: string | undefined }, idempotencyKey: string | undefined) {
      return moveFunds(principal, `POST /v1/partners/${partnerId}/customers/${customerId}/allocations`, partnerId, idempotencyKey, body, (tx, key) =>
        allocate(tx, { partnerId, customerId, amount: body.amount, key, actor: principal.sub, memo: body.memo }),
      );
    },

    async reclaim(principal: Principal, partnerId: string, customerId: string, body: { currency: string; minor?: number | undefined; memo?: string | undefined }, idempotencyKey: string | undefined) {
      return moveFunds(principal, `POST /v1/partners/${partnerId}/customers/${customerId}/reclaims`, partnerId, idempotencyKey, body, (tx, key) =>
        reclaim(tx, { partnerId, customerId, currency: body.currency, minor: body.minor, key, actor: principal.sub, memo: body.memo }),
      );
    },

    async spend(principal: Principal, customerId: string, body: { source: string; key: string; amount: { currency: string; minor: number }; occurredAt: string; memo?: string | undefined }, idempotencyKey: string | undefined): Promise<FundsTransferView> {
      const key = requireKey(idempotencyKey);
      if (body.source === FUNDS_SOURCE) throw problems.validation([{ field: 'source', message: 'is partnerflow’s own' }]);
      const transfer = await prisma.$transaction(async (tx) => {
        await reserveIdempotency(tx, `${principal.sub} POST /v1/customers/${customerId}/spend`, key, body);
        return recordSpend(tx, { customerId, source: body.source, key: body.key, amount: body.amount, occurredAt: new Date(body.occurredAt), memo: body.memo, actor: principal.sub });
      });
      return transferView(transfer);
    },

    async customerFunds(principal: Principal, partnerId: string, customerId: string): Promise<CustomerFundsView> {
      if (!canSeePartner(principal, partnerId, 'account.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      return prisma.$transaction(async (tx) => {
        const association = await openAssociation(tx, partnerId, customerId);
        const funds = await customerFunds(tx, partnerId, customerId);
        // Neither associated with this partner nor ever allocated to by it: as if absent (another partner's customer is not revealed).
        if (!association && funds.length === 0) throw problems.notFound(`Customer ${customerId} of partner ${partnerId}`);
        return {
          partnerId,
          customerId,
          association: association ? { mode: association.mode } : null,
          funds: funds.map((f) => ({
            currency: f.currency,
            allocated: safeNumber(f.allocated),
            reclaimed: safeNumber(f.reclaimed),
            spent: safeNumber(f.spent),
            unspent: safeNumber(f.unspent),
            creditOutstanding: safeNumber(f.creditOutstanding),
          })),
        };
      });
    },

    async statement(principal: Principal, partnerId: string, period: { from: Date; to: Date }): Promise<{ view: StatementView; csv: () => string }> {
      if (!canSeePartner(principal, partnerId, 'account.readAll')) throw problems.notFound(`Partner ${partnerId}`);
      // One snapshot: the opening and the movements agree even while the partner's ledger moves.
      const statements = await prisma.$transaction((tx) => loadStatement(tx, partnerId, period.from, period.to), { isolationLevel: 'RepeatableRead' });
      return { view: statementView(partnerId, period.from, period.to, statements), csv: () => statementCsv(partnerId, period.from, period.to, statements) };
    },
  };
}

export type FundsClient = ReturnType<typeof createFundsClient>;
