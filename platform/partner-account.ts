/**
 * The partner account's reads that decisions are made on, for the API and the activities alike (the API never imports
 * activities, the worker never imports the API): the current fed facts and the funds of issue 17 section 1
 * (docs/account.md), the project specialist rules' facts — the member as the partner's organization holds it and its
 * latest application — and the level raise's — the partner's level on the path and its live facts — for
 * domain/eligibility.ts. One loader for each preflight (GET eligibility, the API's check before starting) and for the
 * submission (activities/specialist.ts, activities/level-raise.ts: inside the transaction that records it), so the
 * preflight never answers otherwise than the process. `db` is a client or a transaction: call them inside the transaction that decides.
 */
import { createHash } from 'node:crypto';
import { type AccountFacts, accountFactsOf, type FactKind, type Program } from '../domain/account.js';
import { pathById } from '../domain/development-paths.js';
import { instrumentListText, type VoidableInstrument, voidableInstruments } from '../domain/enrollment.js';
import { type Eligibility, eligibilityOf, type LevelUpContext, type SpecialistContext } from '../domain/eligibility.js';
import { type AccountSums, balanceOf, type FundsBalance, type LedgerAccountKind } from '../domain/ledger.js';
import type { Prisma, PrismaClient } from '../prisma/generated/client.js';
import { loadPartnerFacts } from './partner-facts.js';

type Db = PrismaClient | Prisma.TransactionClient;

/** The current observation of each (kind, subject) of the partner's account, picked by the database. */
export async function currentAccountFacts(db: Db, partnerId: string): Promise<AccountFacts> {
  const rows = await db.$queryRaw<{ id: bigint; kind: FactKind; subject: string; value: unknown; source: string; observed_at: Date }[]>`
    SELECT DISTINCT ON (kind, subject) id, kind, subject, value, source, observed_at
    FROM partner_account_fact WHERE partner_id = ${partnerId}
    ORDER BY kind, subject, observed_at DESC, id DESC`;
  return accountFactsOf(rows.map((r) => ({ kind: r.kind, subject: r.subject, value: r.value, source: r.source, observedAt: r.observed_at, seq: r.id })));
}

/** The sums of the partner's postings per currency and account kind: one SQL aggregate, nothing stored. */
export async function accountSums(db: Db, partnerId: string): Promise<Map<string, AccountSums>> {
  const rows = await db.$queryRaw<{ currency: string; kind: LedgerAccountKind; total: bigint }[]>`
    SELECT a.currency, a.kind, coalesce(sum(p.amount), 0)::bigint AS total
    FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id
    WHERE a.partner_id = ${partnerId}
    GROUP BY a.currency, a.kind`;
  const sums = new Map<string, AccountSums>();
  for (const r of rows) sums.set(r.currency, { ...sums.get(r.currency), [r.kind]: BigInt(r.total) });
  return sums;
}

/** The partner's funds per currency (ordered by currency), derived from the ledger's sums. */
export async function fundsBalances(db: Db, partnerId: string): Promise<FundsBalance[]> {
  const sums = await accountSums(db, partnerId);
  return [...sums.keys()].sort().map((currency) => balanceOf(currency, sums.get(currency)!));
}


/** The member (of this partner only: another partner's member reads as not associated) and its latest application. */
export async function specialistContextOf(db: Db, partnerId: string, memberId: string): Promise<SpecialistContext> {
  // One query after the other: `db` may be a transaction's single connection.
  const member = await db.partnerMember.findFirst({ where: { id: memberId, partnerId }, select: { id: true, active: true, workResidence: true } });
  const last = await db.specialistApplication.findFirst({ where: { memberId, partnerId }, orderBy: [{ submittedAt: 'desc' }, { id: 'desc' }], select: { id: true, status: true } });
  return { memberId, member, lastSpecialistApplication: last };
}

/** Every unmet PROJECT_SPECIALIST condition for `memberId` of `partnerId`, read through `db` (a transaction, when deciding). */
export async function specialistEligibility(db: Db, partnerId: string, memberId: string): Promise<Eligibility> {
  const facts = await currentAccountFacts(db, partnerId);
  const balances = await fundsBalances(db, partnerId);
  const projectSpecialist = await specialistContextOf(db, partnerId, memberId);
  return eligibilityOf('PROJECT_SPECIALIST', facts, balances, { projectSpecialist });
}

/**
 * The partner's place on `pathId` (its current level, null when not on the path) and its live facts, judged on the
 * local date `today` — what the LEVEL_UP rules decide on. Undefined for a path that is not one.
 */
export async function levelUpContextOf(db: Db, partnerId: string, pathId: string, today: string): Promise<LevelUpContext | undefined> {
  const path = pathById(pathId);
  if (!path) return undefined;
  const membership = await db.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId } }, select: { level: true } });
  // loadPartnerFacts reads experts and certificates only, which a transaction's client answers alike.
  const partnerFacts = await loadPartnerFacts(db as PrismaClient, partnerId);
  return { path, currentLevel: membership?.level ?? null, partnerFacts, today };
}

/** Every unmet LEVEL_UP condition for the next level of `context`'s path, read through `db` (a transaction, when deciding). */
export async function levelUpEligibility(db: Db, partnerId: string, levelUp: LevelUpContext): Promise<Eligibility> {
  const facts = await currentAccountFacts(db, partnerId);
  const balances = await fundsBalances(db, partnerId);
  return eligibilityOf('LEVEL_UP', facts, balances, { levelUp });
}

/**
 * Every unmet condition of `program` (SOLUTION_PROVIDER, RESELLER, DISTRIBUTOR) for the partner, read through `db`:
 * the enrollment's request and, again, the transaction that records the joining (activities/enrollment-joining.ts).
 */
export async function programEligibility(db: Db, partnerId: string, program: Program): Promise<Eligibility> {
  const facts = await currentAccountFacts(db, partnerId);
  const balances = await fundsBalances(db, partnerId);
  return eligibilityOf(program, facts, balances);
}

/**
 * The unused vouchers, coupons and stored-value cards joining the reseller program would void, and the SHA-256 of
 * that list: the partner confirms the hash, and the joining refuses a list that changed meanwhile.
 */
export async function voidableInstrumentsOf(db: Db, partnerId: string): Promise<{ instruments: VoidableInstrument[]; hash: string }> {
  const instruments = voidableInstruments(await currentAccountFacts(db, partnerId));
  return { instruments, hash: instrumentListHash(instruments) };
}

/** The SHA-256 (hex) of a list of instruments, as the partner confirms it. */
export const instrumentListHash = (instruments: readonly VoidableInstrument[]) => createHash('sha256').update(instrumentListText(instruments)).digest('hex');
