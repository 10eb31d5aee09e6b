/**
 * The marketplace's order feed (POST /v1/marketplace-orders, vendor_system): a batch of up to 100 orders, one
 * transaction, all or nothing, Idempotency-Key required. Each order is new (CREATED: priced at its list unit price), or
 * one already fed: the same state again changes nothing (UNCHANGED), a later state moves it forward (STATE_CHANGED),
 * and anything else is refused for the whole batch, naming the order's field:
 * - a state the order already left (stale: PAID cannot go back to PENDING_PAYMENT) or cannot reach (contradictory: a
 *   CANCELLED order cannot be PAID) → 409 `order-state-refused` naming `orders.N.state`, with the current state;
 * - what the marketplace fed before, fed otherwise (customer, product, quantity, prices, salesperson, renewalOf,
 *   placedAt) → 422 `order-feed-contradicts` naming `orders.N.<field>`: an order never changes what it sold; a
 *   renewal or a re-priced sale is another order with its own id.
 */
import type { Principal } from '../../domain/auth.js';
import type { Money } from '../../domain/money.js';
import { type OrderState, stateMove } from '../../domain/order.js';
import { type FieldError, Problem } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { reserveIdempotency } from '../kit/idempotency.js';
import { type OrderRow, ordersByIds, orderRow, summaryOf } from './rows.js';
import type { OrderFeedView } from './schemas.js';

type Tx = Prisma.TransactionClient;
type Outcome = OrderFeedView['items'][number]['outcome'];

export type FedOrder = {
  id: string;
  partnerId: string;
  customerId: string;
  productId: string;
  quantity: number;
  listUnitPrice: Money;
  floorUnitPrice: Money;
  state: OrderState;
  placedAt: string;
  renewalOf?: string | undefined;
};
export type OrderFeed = { orders: FedOrder[] };

/** The fields an order keeps as first fed, each read from the stored row as the feed spells it. */
const KEPT: [keyof FedOrder, (row: OrderRow, fed: FedOrder) => boolean][] = [
  ['partnerId', (row, fed) => row.partnerId === fed.partnerId],
  ['customerId', (row, fed) => row.customerId === fed.customerId],
  ['productId', (row, fed) => row.productId === fed.productId],
  ['quantity', (row, fed) => row.quantity === fed.quantity],
  ['listUnitPrice', (row, fed) => row.currency === fed.listUnitPrice.currency && row.listUnitPrice === BigInt(fed.listUnitPrice.minor)],
  ['floorUnitPrice', (row, fed) => row.currency === fed.floorUnitPrice.currency && row.floorUnitPrice === BigInt(fed.floorUnitPrice.minor)],
  ['renewalOf', (row, fed) => row.renewalOf === (fed.renewalOf ?? null)],
  ['placedAt', (row, fed) => row.placedAt.getTime() === new Date(fed.placedAt).getTime()],
];

function contradictions(row: OrderRow, fed: FedOrder, at: number): FieldError[] {
  return KEPT.filter(([, same]) => !same(row, fed)).map(([field]) => ({
    field: `orders.${at}.${field}`,
    message: `order ${fed.id} was fed with another ${field}: what an order sold never changes (a renewal or a new price is another order)`,
  }));
}

/** One fed order: created, moved forward, left as it is, or the batch refused. `row` is locked for the transaction. */
async function feedOne(tx: Tx, principal: Principal, feedId: string, fed: FedOrder, at: number, now: Date): Promise<Outcome> {
  const list = BigInt(fed.listUnitPrice.minor);
  const created = await tx.$queryRaw<{ id: string }[]>`
    INSERT INTO marketplace_order (id, partner_id, customer_id, product_id, quantity, currency, list_unit_price, floor_unit_price, unit_price,
                                   state, renewal_of, placed_at, version, fed_by, created_at, updated_at)
    VALUES (${fed.id}, ${fed.partnerId}, ${fed.customerId}, ${fed.productId}, ${fed.quantity}, ${fed.listUnitPrice.currency}, ${list},
            ${BigInt(fed.floorUnitPrice.minor)}, ${list}, ${fed.state}, ${fed.renewalOf ?? null}, ${new Date(fed.placedAt)}, 1, ${principal.sub}, ${now}, ${now})
    ON CONFLICT (id) DO NOTHING
    RETURNING id`;
  if (created.length) {
    await tx.$executeRaw`
      INSERT INTO marketplace_order_event (order_id, seq, type, from_state, to_state, to_unit_price, actor, at, feed_id)
      VALUES (${fed.id}, 1, 'FED', NULL, ${fed.state}, ${list}, ${principal.sub}, ${now}, ${feedId})`;
    return 'CREATED';
  }
  const row = (await orderRow(tx, fed.id, true))!;
  const contradicted = contradictions(row, fed, at);
  if (contradicted.length) {
    throw new Problem(422, 'order-feed-contradicts', 'The request cannot be processed', contradicted.map((e) => `${e.field}: ${e.message}`).join('; '), contradicted, { orderId: fed.id });
  }
  const move = stateMove(row.state, fed.state);
  if (move === 'same') return 'UNCHANGED';
  if (move !== 'forward') {
    const why = move === 'stale' ? `it already left ${fed.state} (a stale state)` : `no state change leads from ${row.state} to ${fed.state}`;
    const message = `order ${fed.id} is ${row.state}: it cannot become ${fed.state} — ${why}`;
    throw new Problem(409, 'order-state-refused', 'The request conflicts with the current state', message, [{ field: `orders.${at}.state`, message }], {
      orderId: fed.id,
      currentState: row.state,
    });
  }
  await tx.$executeRaw`UPDATE marketplace_order SET state = ${fed.state}, version = version + 1, updated_at = ${now} WHERE id = ${fed.id}`;
  await tx.$executeRaw`
    INSERT INTO marketplace_order_event (order_id, seq, type, from_state, to_state, to_unit_price, actor, at, feed_id)
    VALUES (${fed.id}, ${row.version + 1}, 'STATE_CHANGED', ${row.state}, ${fed.state}, ${row.unitPrice}, ${principal.sub}, ${now}, ${feedId})`;
  return 'STATE_CHANGED';
}

/** What a feed did to each of its orders, as recorded under its reservation (a retry answers the first result). */
async function recordedOutcomes(tx: Tx, feedId: string): Promise<Map<string, Outcome>> {
  const rows = await tx.$queryRaw<{ orderId: string; type: string }[]>`SELECT order_id AS "orderId", type FROM marketplace_order_event WHERE feed_id = ${feedId}`;
  return new Map(rows.map((r) => [r.orderId, r.type === 'FED' ? 'CREATED' : 'STATE_CHANGED']));
}

export async function feedOrders(prisma: PrismaClient, principal: Principal, feed: OrderFeed, key: string, now: Date): Promise<OrderFeedView> {
  return prisma.$transaction(async (tx) => {
    const { id: feedId, replay } = await reserveIdempotency(tx, `${principal.sub} POST /v1/marketplace-orders`, key, feed);
    const outcomes = replay ? await recordedOutcomes(tx, feedId) : new Map<string, Outcome>();
    if (!replay) {
      // Orders are locked in id order: two feeds naming the same orders in other orders never deadlock.
      const byId = [...feed.orders.entries()].sort(([, a], [, b]) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      for (const [at, fed] of byId) outcomes.set(fed.id, await feedOne(tx, principal, feedId, fed, at, now));
    }
    const rows = await ordersByIds(tx, feed.orders.map((o) => o.id));
    return { items: feed.orders.map((o) => ({ ...summaryOf(rows.get(o.id)!), outcome: outcomes.get(o.id) ?? 'UNCHANGED' })) };
  });
}
