/**
 * What an unlink of a customer would do now and every reason it cannot (issue 18 section 3, docs/unlink.md), read
 * alike by the API's preview and request (api/unlink/client.ts, which refuses before anything starts) and by the
 * request's activity (activities/unlink.ts, which decides again in the transaction that records it): the same reads,
 * so the preview's hash is the one the activity recomputes.
 */
import { reclaimSplit } from '../domain/funds.js';
import { factsUnmet, limitUnmet, previewHash, type UnlinkOutcome, type UnlinkTerms, type UnlinkUnmet } from '../domain/unlink.js';
import { limitWindowStart } from '../domain/unlink.js';
import type { Prisma } from '../prisma/generated/client.js';
import { accountFacts } from './customer-queries.js';
import { customerFunds } from './funds.js';
import { fundsBalances } from './partner-account.js';

type Db = Prisma.TransactionClient;

export type OpenAssociation = { id: string; partnerId: string; customerId: string; mode: string; associatedAt: Date };

/** The customer's open association (with whichever partner), if any. */
export async function openAssociationOf(db: Db, customerId: string): Promise<OpenAssociation | undefined> {
  const [row] = await db.$queryRawUnsafe<OpenAssociation[]>(
    `SELECT id::text AS id, partner_id AS "partnerId", customer_id AS "customerId", mode, associated_at AS "associatedAt"
     FROM customer_association WHERE open_customer_id = $1`,
    customerId,
  );
  return row;
}

/** The customer's unlink in its objection window, if any. */
export async function openUnlinkOf(db: Db, customerId: string): Promise<string | undefined> {
  const [row] = await db.$queryRawUnsafe<{ id: string }[]>(`SELECT id::text AS id FROM customer_unlink WHERE open_customer_id = $1`, customerId);
  return row?.id;
}

export type UnlinkPlan = { outcome: UnlinkOutcome; unmet: UnlinkUnmet[]; hash: string };

/**
 * What unlinking `association` at `at` would do — the association ended, per currency what is unspent and where it
 * returns (credit first as far as this customer's allocations drew on credit and the partner still uses it, the rest to
 * the recharge: platform/funds.ts's reclaim) — and every reason that refuses it: the customer's facts, and the limit
 * (its requests of any outcome since `limitMonths` calendar months before `at`, in the partner's zone).
 */
export async function unlinkPlan(db: Db, association: OpenAssociation, at: Date, zone: string, terms: UnlinkTerms): Promise<UnlinkPlan> {
  const { partnerId, customerId } = association;
  const facts = await accountFacts((sql, ...params) => db.$queryRawUnsafe(sql, ...params), customerId);
  const since = limitWindowStart(at.toISOString(), terms.limitMonths, zone);
  const requests = await db.$queryRawUnsafe<{ requestedAt: Date }[]>(
    `SELECT requested_at AS "requestedAt" FROM customer_unlink WHERE customer_id = $1 AND requested_at > $2::timestamptz ORDER BY requested_at`,
    customerId,
    since,
  );
  const unmet = [...factsUnmet(facts), ...limitUnmet({ customerId, at: at.toISOString(), zone, terms, requestedAts: requests.map((r) => r.requestedAt.toISOString()) })];
  const balances = await fundsBalances(db, partnerId);
  const reclaim: UnlinkOutcome['reclaim'] = [];
  for (const f of await customerFunds(db, partnerId, customerId)) {
    if (f.unspent <= 0n) continue;
    const creditUsed = balances.find((b) => b.currency === f.currency)?.creditUsed ?? 0n;
    const split = reclaimSplit(f.unspent, f.creditOutstanding, creditUsed, f.unspent)!;
    reclaim.push({ currency: f.currency, unspent: Number(f.unspent), toCredit: Number(split.credit), toRecharge: Number(split.recharge) });
  }
  const outcome: UnlinkOutcome = {
    partnerId,
    customerId,
    association: { id: association.id, mode: association.mode, associatedAt: association.associatedAt.toISOString() },
    reclaim,
    unmet: unmet.map((u) => u.code),
  };
  return { outcome, unmet, hash: previewHash(outcome) };
}
