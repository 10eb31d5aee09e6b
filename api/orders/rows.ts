/**
 * The marketplace order tables as the orders client reads them (raw SQL: one statement per read, columns named as the
 * views name them), and the rows → views. Shared by the feed (api/orders/feed.ts) and the client (api/orders/client.ts).
 */
import type { OrderState } from '../../domain/order.js';
import { priceAdjustable, totalOf } from '../../domain/order.js';
import { Prisma, type PrismaClient } from '../../prisma/generated/client.js';
import type { OrderEventView, OrderSummaryView, OrderView } from './schemas.js';

export type Db = PrismaClient | Prisma.TransactionClient;

export type OrderRow = {
  id: string;
  partnerId: string;
  customerId: string;
  productId: string;
  quantity: number;
  currency: string;
  listUnitPrice: bigint;
  floorUnitPrice: bigint;
  unitPrice: bigint;
  state: OrderState;
  renewalOf: string | null;
  placedAt: Date;
  version: number;
  updatedAt: Date;
};

export const ORDER_COLUMNS = Prisma.sql`id, partner_id AS "partnerId", customer_id AS "customerId", product_id AS "productId", quantity, currency,
  list_unit_price AS "listUnitPrice", floor_unit_price AS "floorUnitPrice", unit_price AS "unitPrice", state, renewal_of AS "renewalOf",
  placed_at AS "placedAt", version, updated_at AS "updatedAt"`;

type EventRow = {
  seq: number;
  type: OrderEventView['type'];
  fromState: OrderState | null;
  toState: OrderState;
  fromUnitPrice: bigint | null;
  toUnitPrice: bigint;
  reason: string | null;
  actor: string;
  at: Date;
  adjustmentId: string | null;
};

/** The order, locked for this transaction when `forUpdate`; undefined when there is none. */
export async function orderRow(db: Db, id: string, forUpdate = false): Promise<OrderRow | undefined> {
  const rows = await db.$queryRaw<OrderRow[]>`SELECT ${ORDER_COLUMNS} FROM marketplace_order WHERE id = ${id} ${forUpdate ? Prisma.sql`FOR UPDATE` : Prisma.empty}`;
  return rows[0];
}

export async function ordersByIds(db: Db, ids: readonly string[]): Promise<Map<string, OrderRow>> {
  const rows = await db.$queryRaw<OrderRow[]>`SELECT ${ORDER_COLUMNS} FROM marketplace_order WHERE id = ANY(${[...ids]}::text[])`;
  return new Map(rows.map((r) => [r.id, r]));
}

/** The order's history, oldest first. */
export async function historyOf(db: Db, orderId: string): Promise<EventRow[]> {
  return db.$queryRaw<EventRow[]>`
    SELECT seq, type, from_state AS "fromState", to_state AS "toState", from_unit_price AS "fromUnitPrice", to_unit_price AS "toUnitPrice",
           reason, actor, at, adjustment_id::text AS "adjustmentId"
    FROM marketplace_order_event WHERE order_id = ${orderId} ORDER BY seq`;
}

/** A bigint of minor units as a JSON number; the columns' CHECKs and the feed's limits keep them below 2^53. */
const minorOf = (value: bigint) => {
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw new RangeError(`${value} minor units exceed 2^53 - 1`);
  return Number(value);
};

export function summaryOf(row: OrderRow): OrderSummaryView {
  const money = (minor: bigint) => ({ currency: row.currency, minor: minorOf(minor) });
  return {
    id: row.id,
    partnerId: row.partnerId,
    customerId: row.customerId,
    productId: row.productId,
    quantity: row.quantity,
    listUnitPrice: money(row.listUnitPrice),
    floorUnitPrice: money(row.floorUnitPrice),
    unitPrice: money(row.unitPrice),
    total: { currency: row.currency, minor: totalOf(minorOf(row.unitPrice), row.quantity) },
    state: row.state,
    priceAdjustable: priceAdjustable(row.state),
    renewalOf: row.renewalOf,
    placedAt: row.placedAt.toISOString(),
    version: row.version,
    updatedAt: row.updatedAt.toISOString(),
  };
}

export function viewOf(row: OrderRow, history: EventRow[]): OrderView {
  const money = (minor: bigint) => ({ currency: row.currency, minor: minorOf(minor) });
  return {
    ...summaryOf(row),
    history: history.map((e) => ({
      seq: e.seq,
      type: e.type,
      fromState: e.fromState,
      toState: e.toState,
      fromUnitPrice: e.fromUnitPrice === null ? null : money(e.fromUnitPrice),
      toUnitPrice: money(e.toUnitPrice),
      reason: e.reason,
      actor: e.actor,
      at: e.at.toISOString(),
      adjustmentId: e.adjustmentId,
    })),
  };
}
