/**
 * HTTP routes of marketplace orders (交易调价): the marketplace's feed, the reads, and the salesperson partner's price
 * adjustment. Validation here; the rules in api/orders/client.ts and api/orders/feed.ts, the pure ones in domain/order.ts.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { moneySchema } from '../../domain/money.js';
import { etagOf, ORDER_ID, ORDER_STATES, versionOfIfMatch } from '../../domain/order.js';
import { problems } from '../../domain/problems.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import type { OrdersClient } from './client.js';
import type { FedOrder } from './feed.js';
import { orderFeedSchema, orderPageSchema, orderSchema } from './schemas.js';

const orderId = z.string().regex(ORDER_ID, 'letters, digits, ., _ and -, starting with a letter or digit, at most 64 characters');
const reference = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'letters, digits, ., _, : and -, starting with a letter or digit, at most 64 characters');
const placedAt = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 2000 && year <= 9999;
}, 'must be between the years 2000 and 9999');

const fedOrder = z
  .strictObject({
    id: orderId.describe("the marketplace's order id: fed again, the same order"),
    partnerId: partnerId.describe('the salesperson partner'),
    customerId: reference,
    productId: reference,
    quantity: z.number().int().min(1).max(1_000_000),
    listUnitPrice: moneySchema.describe('the price per unit before any adjustment (minor units)'),
    floorUnitPrice: moneySchema.describe('the lowest unit price the salesperson may set; in the list price\'s currency, not above it'),
    state: z.enum(ORDER_STATES),
    placedAt: placedAt.describe('when the marketplace placed the order'),
    renewalOf: orderId.optional().describe('the order this one renews: a renewal is its own order, at its own list price'),
  })
  .superRefine((o, ctx) => {
    if (o.floorUnitPrice.currency !== o.listUnitPrice.currency) {
      ctx.addIssue({ code: 'custom', path: ['floorUnitPrice', 'currency'], message: `must be the list price's currency, ${o.listUnitPrice.currency}` });
    } else if (o.floorUnitPrice.minor > o.listUnitPrice.minor) {
      ctx.addIssue({ code: 'custom', path: ['floorUnitPrice', 'minor'], message: `must not be above the list unit price, ${o.listUnitPrice.minor}` });
    }
    if (BigInt(o.listUnitPrice.minor) * BigInt(o.quantity) > BigInt(Number.MAX_SAFE_INTEGER)) {
      ctx.addIssue({ code: 'custom', path: ['quantity'], message: 'the list total (list unit price × quantity) must stay below 2^53 minor units' });
    }
    if (o.renewalOf === o.id) ctx.addIssue({ code: 'custom', path: ['renewalOf'], message: 'an order does not renew itself' });
  });

export const orderFeedBody = z.strictObject({ orders: z.array(fedOrder).min(1).max(100) }).superRefine((body, ctx) => {
  const seen = new Set<string>();
  body.orders.forEach((order, i) => {
    if (seen.has(order.id)) ctx.addIssue({ code: 'custom', path: ['orders', i, 'id'], message: 'another order of this request has the same id' });
    seen.add(order.id);
  });
});

export const priceAdjustmentBody = z.strictObject({
  unitPrice: moneySchema.describe("the new price per unit, in the order's currency, between its floor and list unit prices (inclusive)"),
  reason: text(500).describe('why: kept in the order history'),
});

const orderQuery = z.strictObject({
  partnerId: partnerId.optional().describe("vendor staff: one salesperson partner's orders; partner staff: only their own partner"),
  customerId: reference.optional(),
  state: z.enum(ORDER_STATES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});
const idParams = z.strictObject({ id: orderId });

/** The version If-Match names (one strong ETag, as GET answers it); undefined when absent; 400 otherwise. */
function ifMatchOf(req: Request): number | undefined {
  const header = req.get('if-match');
  if (header === undefined) return undefined;
  const version = versionOfIfMatch(header);
  if (version === undefined) throw problems.validation([{ field: 'If-Match', message: 'must be the ETag of the order read, e.g. "3" (one strong ETag; not * nor W/)' }]);
  return version;
}

export function orderRoutes(orders: OrdersClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/marketplace-orders',
      permission: 'order.feed',
      summary:
        "Feed marketplace orders (the marketplace; up to 100, all or nothing): a new order is priced at its list unit price; fed again, the same state changes nothing and a later one moves it forward. A state it left or cannot reach is 409 order-state-refused, another value of what it sold 422 order-feed-contradicts, each naming orders.N.<field>. Idempotency-Key required.",
      body: orderFeedBody,
      responses: { 201: orderFeedSchema },
      problems: [409, 422],
      idempotencyKey: true,
      handler: async ({ principal, body, req }) => ({ status: 201, body: await orders.feed(principal, body as { orders: FedOrder[] }, idempotencyKeyOf(req)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/marketplace-orders',
      permission: 'order.read',
      summary: "Marketplace orders, newest placed first (keyset pages): partner staff their own partner's (it is the salesperson), vendor staff any partner's.",
      query: orderQuery,
      responses: { 200: orderPageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await orders.list(principal, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/marketplace-orders/:id',
      permission: 'order.read',
      summary: 'A marketplace order with its history (fed, state changes, price adjustments: who, when, from → to, reason). ETag: its version, which a price adjustment names in If-Match.',
      params: idParams,
      responses: { 200: orderSchema },
      problems: [404],
      handler: async ({ principal, params }) => {
        const order = await orders.get(principal, params.id);
        return { status: 200, body: order, headers: { ETag: etagOf(order.version) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/marketplace-orders/:id/price-adjustments',
      permission: 'order.adjustPrice',
      summary:
        "The order's salesperson partner adjusts its unit price, this order only, while it is PENDING_PAYMENT (then 409 order-price-frozen), between its floor and list unit prices (422 order-price-out-of-bounds naming unitPrice and the bound) in its currency. If-Match: the ETag read (428 without, 412 when the order changed since). Gated by the agreement in force. Idempotency-Key optional: a retry answers the order as the first adjustment left it.",
      params: idParams,
      body: priceAdjustmentBody,
      responses: { 201: orderSchema },
      problems: [404, 409, 412, 422, 428],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => {
        const order = await orders.adjustPrice(principal, params.id, body, ifMatchOf(req), idempotencyKeyOf(req));
        return { status: 201, body: order, headers: { ETag: etagOf(order.version), Location: `/v1/marketplace-orders/${order.id}` } };
      },
    }),
  ];
}
