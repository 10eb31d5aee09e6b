/**
 * The only door into the marketplace order tables (marketplace_order, marketplace_order_event). There is no workflow:
 * nothing waits — an order's payment is the marketplace's, fed when it happens, and an adjustment is one decision
 * taken at once (docs/orders.md says why).
 *
 * Rules: the marketplace (order.feed) feeds orders (api/orders/feed.ts). Reads: partner staff see the orders whose
 * salesperson is their partner (another partner's answers 404, as if absent; its lists are empty), vendor staff holding
 * order.readAll every order. A price adjustment is the salesperson partner's (order.adjustPrice), checked in this
 * order, each refusal writing nothing: another partner's order 404 · the agreement in force unsigned 403 · no If-Match
 * 428 · another currency or a price outside [floor, list] 422 naming unitPrice · payment froze the price 409 · If-Match
 * not the current version 412 (two adjustments racing with one ETag: one wins, the other 412) · the price it already
 * has 422. The adjustment, its history row and its `marketplace-order.price-adjusted` message are one transaction.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC } from '../../domain/events.js';
import type { Money } from '../../domain/money.js';
import { ORDER_ID, type OrderState, priceAdjustable, priceRefusal, totalOf } from '../../domain/order.js';
import { Problem, problems } from '../../domain/problems.js';
import { Prisma, type PrismaClient } from '../../prisma/generated/client.js';
import { requireSignedAgreement } from '../../platform/agreement-gate.js';
import { announceFromApi } from '../../platform/outbox-dispatch.js';
import { reserveIdempotency } from '../kit/idempotency.js';
import { dateKey, decodeCursor, encodeCursor, page } from '../kit/pagination.js';
import { listScope } from '../kit/scoping.js';
import { feedOrders, type OrderFeed } from './feed.js';
import { type Db, historyOf, ORDER_COLUMNS, type OrderRow, orderRow, summaryOf, viewOf } from './rows.js';
import type { OrderFeedView, OrderSummaryView, OrderView } from './schemas.js';

export type OrdersClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string; now?: () => Date };
export type OrderQuery = { partnerId?: string | undefined; customerId?: string | undefined; state?: OrderState | undefined; limit: number; cursor?: string | undefined };
export type PriceAdjustment = { unitPrice: Money; reason: string };

const messageKey = (orderId: string, version: number) => `${MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC}:${orderId}:${version}`;

function requireKey(idempotencyKey: string | undefined): string {
  if (idempotencyKey === undefined) throw problems.validation([{ field: 'Idempotency-Key', message: 'required: a feed is retried safely only with one' }]);
  return idempotencyKey;
}

const precondition = (status: 412 | 428, detail: string, message: string, extensions: Record<string, unknown> = {}) =>
  new Problem(status, status === 428 ? 'precondition-required' : 'precondition-failed', status === 428 ? 'Precondition required' : 'Precondition failed', detail, [
    { field: 'If-Match', message },
  ], extensions);

export function createOrdersClient({ temporal, prisma, taskQueue, now = () => new Date() }: OrdersClientDeps) {
  /** The order, if the caller may see it: another partner's is 404, exactly as one that does not exist. */
  async function visible(db: Db, principal: Principal, id: string): Promise<OrderRow> {
    const row = ORDER_ID.test(id) ? await orderRow(db, id) : undefined;
    if (!row || !canSeePartner(principal, row.partnerId, 'order.readAll')) throw problems.notFound(`Marketplace order ${id}`);
    return row;
  }
  const viewOfOrder = async (db: Db, row: OrderRow) => viewOf(row, await historyOf(db, row.id));

  return {
    async feed(principal: Principal, feed: OrderFeed, idempotencyKey: string | undefined): Promise<OrderFeedView> {
      return feedOrders(prisma, principal, feed, requireKey(idempotencyKey), now());
    },

    async get(principal: Principal, id: string): Promise<OrderView> {
      return viewOfOrder(prisma, await visible(prisma, principal, id));
    },

    /** Newest placed first (keyset pages); partner staff their partner's orders only. */
    async list(principal: Principal, query: OrderQuery): Promise<{ items: OrderSummaryView[]; nextCursor: string | null }> {
      const scope = listScope(principal, 'order.readAll', query.partnerId);
      const after = query.cursor ? decodeCursor(query.cursor, dateKey, (id) => ORDER_ID.test(id)) : undefined;
      if (!scope) return { items: [], nextCursor: null };
      const conditions = [
        scope.partnerId !== undefined ? Prisma.sql`partner_id = ${scope.partnerId}` : undefined,
        query.customerId !== undefined ? Prisma.sql`customer_id = ${query.customerId}` : undefined,
        query.state !== undefined ? Prisma.sql`state = ${query.state}` : undefined,
        after ? Prisma.sql`(placed_at, id) < (${after.key}::timestamptz, ${after.id}::text)` : undefined,
      ].filter((c): c is Prisma.Sql => c !== undefined);
      const where = conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
      const rows = await prisma.$queryRaw<OrderRow[]>`
        SELECT ${ORDER_COLUMNS} FROM marketplace_order ${where} ORDER BY placed_at DESC, id DESC LIMIT ${query.limit + 1}`;
      const { items, nextCursor } = page(rows, query.limit, (r) => encodeCursor(r.placedAt, r.id));
      return { items: items.map(summaryOf), nextCursor };
    },

    /**
     * The salesperson partner adjusts the order's unit price. `expectedVersion`: the If-Match header's version
     * (undefined: none sent). With an Idempotency-Key a retry answers the order as it is (the first adjustment stands).
     */
    async adjustPrice(principal: Principal, id: string, adjustment: PriceAdjustment, expectedVersion: number | undefined, idempotencyKey?: string): Promise<OrderView> {
      const found = ORDER_ID.test(id) ? await orderRow(prisma, id) : undefined;
      // The salesperson's own staff only: any other caller is answered as if the order did not exist.
      if (!found || found.partnerId !== principal.partnerId) throw problems.notFound(`Marketplace order ${id}`);
      await requireSignedAgreement(prisma, found.partnerId, now());
      if (expectedVersion === undefined) {
        throw precondition(428, `Send If-Match with the order's ETag (GET /v1/marketplace-orders/${id}): concurrent adjustments are refused by it.`, 'required: the ETag of the order read');
      }
      const refused = priceRefusal(
        { currency: found.currency, floorUnitPrice: Number(found.floorUnitPrice), listUnitPrice: Number(found.listUnitPrice) },
        adjustment.unitPrice,
      );
      if (refused) {
        const code = refused.kind === 'currency' ? 'order-currency-mismatch' : 'order-price-out-of-bounds';
        const extensions = refused.kind === 'bound' ? { bound: refused.bound, limit: { currency: found.currency, minor: refused.limit } } : {};
        throw new Problem(422, code, 'The request cannot be processed', `${refused.field} ${refused.message}.`, [{ field: refused.field, message: refused.message }], extensions);
      }
      const at = now();
      const view = await prisma.$transaction(async (tx) => {
        const reserved = idempotencyKey
          ? await reserveIdempotency(tx, `${principal.sub} POST /v1/marketplace-orders/${id}/price-adjustments`, idempotencyKey, { adjustment, expectedVersion })
          : { id: randomUUID(), replay: false };
        const row = (await orderRow(tx, id, true))!;
        if (reserved.replay) return viewOfOrder(tx, row);
        if (!priceAdjustable(row.state)) {
          throw problems.conflict('order-price-frozen', `Order ${id} is ${row.state}: its unit price can no longer be adjusted (payment freezes it).`, { orderId: id, currentState: row.state });
        }
        if (row.version !== expectedVersion) {
          throw precondition(412, `Order ${id} is at version ${row.version}, not ${expectedVersion}: it changed since it was read; read it again.`, `the current version is ${row.version}`, {
            currentVersion: row.version,
          });
        }
        const to = BigInt(adjustment.unitPrice.minor);
        if (to === row.unitPrice) throw problems.unprocessable('order-price-unchanged', `unitPrice is already order ${id}'s unit price.`, 'unitPrice');
        const version = row.version + 1;
        await tx.$executeRaw`UPDATE marketplace_order SET unit_price = ${to}, version = ${version}, updated_at = ${at} WHERE id = ${id}`;
        await tx.$executeRaw`
          INSERT INTO marketplace_order_event (order_id, seq, type, from_state, to_state, from_unit_price, to_unit_price, reason, actor, actor_partner_id, at, adjustment_id)
          VALUES (${id}, ${version}, 'PRICE_ADJUSTED', ${row.state}, ${row.state}, ${row.unitPrice}, ${to}, ${adjustment.reason}, ${principal.sub}, ${row.partnerId}, ${at}, ${reserved.id}::uuid)`;
        const money = (minor: bigint | number) => ({ currency: row.currency, minor: Number(minor) });
        const payload = {
          partnerId: row.partnerId,
          orderId: id,
          customerId: row.customerId,
          productId: row.productId,
          quantity: row.quantity,
          fromUnitPrice: money(row.unitPrice),
          toUnitPrice: money(to),
          total: money(totalOf(Number(to), row.quantity)),
          reason: adjustment.reason,
          adjustedBy: principal.sub,
          adjustedAt: at.toISOString(),
          version,
        };
        await tx.outbox.createMany({ data: [{ topic: MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC, aggregateId: id, dedupeKey: messageKey(id, version), payload, dueAt: at }] });
        return viewOfOrder(tx, (await orderRow(tx, id))!);
      });
      await announceFromApi(prisma, temporal, taskQueue, [messageKey(id, view.version)]);
      return view;
    },
  };
}

export type OrdersClient = ReturnType<typeof createOrdersClient>;
