/**
 * The only door into the partner account's tables (partner_account_fact, ledger_account, ledger_transfer,
 * ledger_posting). There is no workflow: the facts and entries are other systems' records, written as they arrive.
 *
 * Rules: only the feeding machine identity (account.feed) writes, for any partner; every feed carries an
 * Idempotency-Key, and one request is one transaction, so a refused request writes nothing (its key included). Facts
 * are appended as observed; the account reads the latest observation of each. Ledger entries are recorded one by one
 * under the partner's ledger lock, each checked against the balances it is recorded on (domain/ledger.ts checkEntry); an
 * entry whose (source, key) is already recorded is that transfer again when it is the same entry, and refused when it is
 * another. Reads: partner staff their own partner's account only (another partner's answers 404, as if absent), vendor
 * staff holding account.readAll any partner's.
 *
 * currentAccountFacts() and fundsBalances() are the read module the eligibility rules and the money issue build on.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { FactKind } from '../../domain/account.js';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { type AccountSums, balanceOf, checkEntry, currencyOf, type FundsBalance, type LedgerAccountKind, type LedgerEntry, postingsOf, withPostings } from '../../domain/ledger.js';
import { type FieldError, Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { accountSums, currentAccountFacts, fundsBalances } from '../../platform/partner-account.js';
import type { AccountView, FactChangeView, TransferView } from './schemas.js';
import { reserveIdempotency } from '../kit/idempotency.js';
import { dateKey, decodeCursor, encodeCursor, keyset, page } from '../kit/pagination.js';
import { isUuid } from '../kit/validation.js';
import { isUniqueViolation } from '../../platform/db.js';

type Tx = Prisma.TransactionClient;

export type FactInput = { kind: FactKind; subject?: string | undefined; value: Record<string, unknown>; observedAt: string };
export type FactFeed = { source: string; facts: FactInput[] };
export type LedgerFeed = { source: string; entries: LedgerEntry[] };

/** A bigint sum as a JSON number; beyond 2^53 - 1 minor units a sum would lose precision, so it fails loudly instead. */
function safeNumber(value: bigint): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < -BigInt(Number.MAX_SAFE_INTEGER)) throw new Error(`ledger sum ${value} exceeds 2^53 - 1 minor units`);
  return Number(value);
}

const balanceView = (b: FundsBalance) => ({
  currency: b.currency,
  recharge: safeNumber(b.recharge),
  creditLimit: safeNumber(b.creditLimit),
  credit: safeNumber(b.credit),
  creditUsed: safeNumber(b.creditUsed),
  arrears: safeNumber(b.arrears),
  balance: safeNumber(b.balance),
});

type FactRow = Prisma.PartnerAccountFactGetPayload<object>;
const factView = (r: FactRow): FactChangeView => ({
  id: r.id.toString(),
  partnerId: r.partnerId,
  kind: r.kind as FactKind,
  subject: r.subject,
  value: r.value as Record<string, unknown>,
  source: r.source,
  observedAt: r.observedAt.toISOString(),
  receivedAt: r.receivedAt.toISOString(),
});

const transferInclude = { postings: { include: { account: true }, orderBy: { id: 'asc' } } } as const;
type TransferRow = Prisma.LedgerTransferGetPayload<{ include: typeof transferInclude }>;
const transferView = (r: TransferRow): TransferView => ({
  id: r.id,
  partnerId: r.partnerId,
  kind: r.kind as TransferView['kind'],
  source: r.source,
  key: r.feederKey,
  occurredAt: r.occurredAt.toISOString(),
  receivedAt: r.receivedAt.toISOString(),
  memo: r.memo,
  postings: r.postings.map((p) => ({ account: p.account.kind as LedgerAccountKind, currency: p.currency, amount: safeNumber(p.amount) })),
});

const ledgerPages = keyset('occurredAt', { key: dateKey, isId: isUuid });

/**
 * The facts' history pages: newest received first, by (receivedAt, id) — the id a bigint the kit's keyset cannot
 * compare as a string, so the condition is spelled here; the cursor is the kit's, parsed as strictly.
 */
const factPages = {
  orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }] as const,
  after(cursor: string | undefined): Prisma.PartnerAccountFactWhereInput {
    if (!cursor) return {};
    const at = decodeCursor(cursor, dateKey, (id) => /^[1-9][0-9]{0,18}$/.test(id) && BigInt(id) <= 2n ** 63n - 1n);
    return { OR: [{ receivedAt: { lt: at.key } }, { receivedAt: at.key, id: { lt: BigInt(at.id) } }] };
  },
};
const keyReused = (field: string, detail: string) => new Problem(422, 'ledger-key-reused', 'The request cannot be processed', detail, [{ field, message: detail }]);

function requireKey(idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) throw problems.validation([{ field: 'Idempotency-Key', message: 'required: a feed is retried safely only with one' }]);
  return idempotencyKey;
}

export function createAccountClient({ prisma }: { prisma: PrismaClient }) {
  function scope(principal: Principal, partnerId: string): void {
    if (!canSeePartner(principal, partnerId, 'account.readAll')) throw problems.notFound(`Partner ${partnerId}`);
  }

  /** Creates the partner's accounts the postings need (once), and answers their ids by kind. */
  async function accountIds(tx: Tx, partnerId: string, currency: string, kinds: LedgerAccountKind[]): Promise<Map<LedgerAccountKind, bigint>> {
    await tx.ledgerAccount.createMany({ data: kinds.map((kind) => ({ partnerId, kind, currency })), skipDuplicates: true });
    const rows = await tx.ledgerAccount.findMany({ where: { partnerId, currency, kind: { in: kinds } } });
    return new Map(rows.map((r) => [r.kind as LedgerAccountKind, r.id]));
  }

  /** One entry: the transfer already recorded under its key, or a new one checked against `sums` (updated in place). */
  async function recordEntry(tx: Tx, principal: Principal, partnerId: string, source: string, entry: LedgerEntry, at: number, sums: Map<string, AccountSums>) {
    const entryHash = createHash('sha256').update(JSON.stringify({ partnerId, entry })).digest('hex');
    const existing = await tx.ledgerTransfer.findUnique({ where: { source_feederKey: { source, feederKey: entry.key } } });
    if (existing) {
      if (existing.entryHash !== entryHash) throw keyReused(`entries.${at}.key`, `Source ${source} already fed entry ${entry.key} with other content (or for another partner).`);
      return;
    }
    const currency = currencyOf(entry);
    const before = sums.get(currency) ?? {};
    const refusals = checkEntry(balanceOf(currency, before), entry);
    if (refusals.length) {
      const errors: FieldError[] = refusals.map((r) => ({ field: `entries.${at}.${r.field}`, message: r.message }));
      throw new Problem(422, 'ledger-entry-refused', 'The request cannot be processed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
    }
    const postings = postingsOf(entry);
    const ids = await accountIds(tx, partnerId, currency, postings.map((p) => p.account));
    await tx.ledgerTransfer.create({
      data: {
        id: randomUUID(),
        partnerId,
        kind: entry.kind,
        source,
        feederKey: entry.key,
        entryHash,
        occurredAt: new Date(entry.occurredAt),
        memo: entry.memo ?? null,
        actor: principal.sub,
        postings: { create: postings.map((p) => ({ accountId: ids.get(p.account)!, amount: p.amount, currency: p.currency })) },
      },
    });
    sums.set(currency, withPostings(before, postings));
  }

  return {
    async feedFacts(principal: Principal, partnerId: string, feed: FactFeed, idempotencyKey: string | undefined): Promise<{ feedId: string; items: FactChangeView[] }> {
      const key = requireKey(idempotencyKey);
      return prisma.$transaction(async (tx) => {
        const { id: feedId, replay } = await reserveIdempotency(tx, `${principal.sub} POST /v1/partners/${partnerId}/account/facts`, key, feed);
        if (!replay) {
          await tx.partnerAccountFact.createMany({
            data: feed.facts.map((f) => ({
              partnerId,
              kind: f.kind,
              subject: f.subject ?? '',
              value: f.value as Prisma.InputJsonObject,
              source: feed.source,
              observedAt: new Date(f.observedAt),
              feedId,
              actor: principal.sub,
            })),
          });
        }
        const rows = await tx.partnerAccountFact.findMany({ where: { feedId }, orderBy: { id: 'asc' } });
        return { feedId, items: rows.map(factView) };
      });
    },

    async feedLedger(principal: Principal, partnerId: string, feed: LedgerFeed, idempotencyKey: string | undefined): Promise<{ items: TransferView[] }> {
      const key = requireKey(idempotencyKey);
      try {
        return await prisma.$transaction(async (tx) => {
          // A retry answers what the first request recorded: the transfers of the same keys (recorded again: nothing).
          await reserveIdempotency(tx, `${principal.sub} POST /v1/partners/${partnerId}/account/ledger-entries`, key, feed);
          // One feed at a time per partner: each entry is checked against balances no other feed is changing.
          await tx.$queryRaw`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended(${`ledger ${partnerId}`}, 0))`;
          const sums = await accountSums(tx, partnerId);
          for (const [at, entry] of feed.entries.entries()) await recordEntry(tx, principal, partnerId, feed.source, entry, at, sums);
          const rows = await tx.ledgerTransfer.findMany({
            where: { source: feed.source, feederKey: { in: feed.entries.map((e) => e.key) } },
            include: transferInclude,
          });
          const byKey = new Map(rows.map((r) => [r.feederKey, r]));
          return { items: feed.entries.map((e) => transferView(byKey.get(e.key)!)) };
        });
      } catch (error) {
        // Another partner's feed recorded the same (source, key) a moment before: the same refusal as when it is seen.
        if (isUniqueViolation(error)) throw keyReused('entries', `Source ${feed.source} fed one of these keys for another request at the same time; retry to see which.`);
        throw error;
      }
    },

    async getAccount(principal: Principal, partnerId: string): Promise<AccountView> {
      scope(principal, partnerId);
      const [facts, balances] = await Promise.all([currentAccountFacts(prisma, partnerId), fundsBalances(prisma, partnerId)]);
      return { partnerId, facts: facts as AccountView['facts'], balances: balances.map(balanceView) };
    },

    /** Every fed observation of the partner's facts (of one kind, and subject), newest received first: the history the account's current values are the latest of. */
    async listFacts(principal: Principal, partnerId: string, query: { kind?: FactKind | undefined; subject?: string | undefined; limit: number; cursor?: string | undefined }) {
      scope(principal, partnerId);
      const rows = await prisma.partnerAccountFact.findMany({
        where: { partnerId, ...(query.kind ? { kind: query.kind } : {}), ...(query.subject !== undefined ? { subject: query.subject } : {}), ...factPages.after(query.cursor) },
        orderBy: [...factPages.orderBy],
        take: query.limit + 1,
      });
      const { items, nextCursor } = page(rows, query.limit, (r) => encodeCursor(r.receivedAt, r.id.toString()));
      return { items: items.map(factView), nextCursor };
    },

    async listLedger(principal: Principal, partnerId: string, query: { limit: number; cursor?: string | undefined }) {
      scope(principal, partnerId);
      const rows = await prisma.ledgerTransfer.findMany({
        where: { partnerId, ...ledgerPages.after(query.cursor) },
        orderBy: ledgerPages.orderBy,
        take: query.limit + 1,
        include: transferInclude,
      });
      const { items, nextCursor } = ledgerPages.page(rows, query.limit);
      return { items: items.map(transferView), nextCursor };
    },
  };
}

export type AccountClient = ReturnType<typeof createAccountClient>;
