/**
 * Refunds of a customer's consumption, fed by billing (issue 18 section 3, seed: the refunds of what the customer
 * consumed during the associated period go to the partner's account). Each refund names its consumption's instant: the
 * association whose period [associatedAt, unlinkedAt) holds it decides — its partner is refunded on its recharge by a
 * REFUND transfer on the ledger (VENDOR_REVENUE +, PARTNER_RECHARGE −), also long after the unlink; consumption outside
 * any association is refunded to the customer, which moves nothing of any partner's: it is recorded (routedTo
 * CUSTOMER) and said so.
 *
 * Nothing lost, nothing counted twice: a refund is one row per (source, key), forever; fed again with the same content
 * it answers its first routing, with other content 422 `refund-key-reused`. The ledger transfer's key is
 * `<source>/<key>` under the source `partnerflow:refunds`, so the ledger too holds it once. All refunds of a request are
 * one transaction: all or none.
 */
import { createHash, randomUUID } from 'node:crypto';
import { refundPostings } from '../../domain/ledger.js';
import { CUSTOMER_REFUNDED_TOPIC } from '../../domain/events.js';
import { Problem } from '../../domain/problems.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { accountIds, lockPartnerLedger } from '../../platform/funds.js';
import type { RefundView } from './schemas.js';

type Tx = Prisma.TransactionClient;

/** The ledger source of refund transfers (the feed's sources are lowercase words: no feeder can take it). */
export const REFUNDS_SOURCE = 'partnerflow:refunds';
export const refundMessageKey = (refundId: string) => `${CUSTOMER_REFUNDED_TOPIC}-${refundId}`;

export type RefundInput = { key: string; consumedAt: string; amount: { currency: string; minor: number }; memo?: string | undefined };

type RefundRow = {
  id: string; customerId: string; source: string; key: string; entryHash: string; consumedAt: Date; currency: string; minor: bigint; memo: string | null;
  routedTo: 'PARTNER' | 'CUSTOMER'; partnerId: string | null; associationId: string | null; transferId: string | null; receivedAt: Date;
};

const SELECT = `SELECT id::text AS id, customer_id AS "customerId", source, refund_key AS key, entry_hash AS "entryHash", consumed_at AS "consumedAt", currency, minor, memo,
  routed_to AS "routedTo", partner_id AS "partnerId", association_id::text AS "associationId", transfer_id AS "transferId", received_at AS "receivedAt" FROM customer_refund`;

const viewOf = (r: RefundRow): RefundView => ({
  id: r.id,
  customerId: r.customerId,
  source: r.source,
  key: r.key,
  consumedAt: r.consumedAt.toISOString(),
  amount: { currency: r.currency, minor: Number(r.minor) },
  memo: r.memo,
  routedTo: r.routedTo,
  partnerId: r.partnerId,
  associationId: r.associationId,
  transferId: r.transferId,
  receivedAt: r.receivedAt.toISOString(),
});

const hashOf = (customerId: string, r: RefundInput) =>
  createHash('sha256').update(JSON.stringify({ customerId, consumedAt: new Date(r.consumedAt).toISOString(), currency: r.amount.currency, minor: r.amount.minor })).digest('hex');

/** The association whose period holds `at`: associated at or before it, and not unlinked by then. */
async function associationAt(tx: Tx, customerId: string, at: Date): Promise<{ id: string; partnerId: string } | undefined> {
  const [row] = await tx.$queryRawUnsafe<{ id: string; partnerId: string }[]>(
    `SELECT id::text AS id, partner_id AS "partnerId" FROM customer_association
     WHERE customer_id = $1 AND associated_at <= $2::timestamptz AND (unlinked_at IS NULL OR unlinked_at > $2::timestamptz)
     ORDER BY associated_at DESC LIMIT 1`,
    customerId, at.toISOString(),
  );
  return row;
}

/** Records each refund once, routed; answers each as routed (the first routing for one fed before). Also the messages to announce. */
export async function recordRefunds(tx: Tx, customerId: string, source: string, refunds: readonly RefundInput[], actor: string): Promise<{ items: RefundView[]; dedupeKeys: string[] }> {
  const items: RefundView[] = [];
  const dedupeKeys: string[] = [];
  for (const [i, r] of refunds.entries()) {
    const hash = hashOf(customerId, r);
    // One refund key at a time, whoever feeds it: the second waits and finds the first's row.
    await tx.$queryRawUnsafe(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended($1, 0))`, `refund ${source}/${r.key}`);
    const [existing] = await tx.$queryRawUnsafe<RefundRow[]>(`${SELECT} WHERE source = $1 AND refund_key = $2`, source, r.key);
    if (existing) {
      if (existing.entryHash !== hash) {
        throw new Problem(422, 'refund-key-reused', 'The request cannot be processed', `Source ${source} already fed refund ${r.key} with other content.`, [
          { field: `refunds[${i}].key`, message: 'already fed with other content (customer, consumedAt or amount)' },
        ]);
      }
      items.push(viewOf(existing));
      continue;
    }
    const consumedAt = new Date(r.consumedAt);
    const association = await associationAt(tx, customerId, consumedAt);
    const id = randomUUID();
    let transferId: string | null = null;
    if (association) {
      const { partnerId } = association;
      await lockPartnerLedger(tx, partnerId);
      transferId = randomUUID();
      const postings = refundPostings(r.amount.currency, BigInt(r.amount.minor));
      const ids = await accountIds(tx, partnerId, customerId, r.amount.currency, postings.map((p) => p.account));
      await tx.$executeRawUnsafe(
        `INSERT INTO ledger_transfer (id, partner_id, customer_id, kind, source, feeder_key, entry_hash, occurred_at, memo, actor)
         VALUES ($1, $2, $3, 'REFUND', $4, $5, $6, now(), $7, $8)`,
        transferId, partnerId, customerId, REFUNDS_SOURCE, `${source}/${r.key}`, hash, r.memo ?? `refund of ${customerId}'s consumption at ${consumedAt.toISOString()}`, actor,
      );
      for (const p of postings) {
        await tx.$executeRawUnsafe(`INSERT INTO ledger_posting (transfer_id, account_id, amount, currency) VALUES ($1, $2, $3, $4)`, transferId, ids.get(p.account)!, p.amount, p.currency);
      }
    }
    await tx.$executeRawUnsafe(
      `INSERT INTO customer_refund (id, customer_id, source, refund_key, entry_hash, consumed_at, currency, minor, memo, routed_to, partner_id, association_id, transfer_id, actor)
       VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9, $10, $11, $12::uuid, $13, $14)`,
      id, customerId, source, r.key, hash, consumedAt.toISOString(), r.amount.currency, r.amount.minor, r.memo ?? null,
      association ? 'PARTNER' : 'CUSTOMER', association?.partnerId ?? null, association?.id ?? null, transferId, actor,
    );
    const [row] = await tx.$queryRawUnsafe<RefundRow[]>(`${SELECT} WHERE id = $1::uuid`, id);
    if (association) {
      const dedupeKey = refundMessageKey(id);
      await tx.outbox.createMany({
        data: [{ topic: CUSTOMER_REFUNDED_TOPIC, aggregateId: id, dedupeKey, dueAt: row!.receivedAt, payload: { refundId: id, partnerId: association.partnerId, customerId, associationId: association.id, transferId, consumedAt: consumedAt.toISOString(), amount: r.amount } }],
        skipDuplicates: true,
      });
      dedupeKeys.push(dedupeKey);
    }
    items.push(viewOf(row!));
  }
  return { items, dedupeKeys };
}
