// Response schemas of marketplace orders (see api/kit/schemas.ts for the pieces every process shares). Only the routes'
// own answers carry an OpenAPI id.
import { z } from 'zod';
import { moneySchema } from '../../domain/money.js';
import { ORDER_STATES } from '../../domain/order.js';
import { instant } from '../kit/schemas.js';

const state = z.enum(ORDER_STATES);

const orderFields = {
  id: z.string().describe("the marketplace's order id"),
  partnerId: z.string().describe('the salesperson partner: the only partner that sees the order and may adjust its price'),
  customerId: z.string(),
  productId: z.string(),
  quantity: z.number().int().min(1),
  listUnitPrice: moneySchema,
  floorUnitPrice: moneySchema,
  unitPrice: moneySchema.describe('the price per unit the customer pays: the list price until adjusted'),
  total: moneySchema.describe('unitPrice × quantity'),
  state,
  priceAdjustable: z.boolean().describe('PENDING_PAYMENT: the salesperson may still adjust the unit price; payment freezes it'),
  renewalOf: z.string().nullable().describe('the order this one renews, as the marketplace said (a renewal is its own order, at its own list price)'),
  placedAt: instant,
  version: z.number().int().min(1).describe('the ETag of GET /v1/marketplace-orders/:id, which If-Match names'),
  updatedAt: instant,
};

export const orderSummarySchema = z.strictObject(orderFields);

export const orderEventSchema = z.strictObject({
  seq: z.number().int().min(1).describe("the order's version after it"),
  type: z.enum(['FED', 'STATE_CHANGED', 'PRICE_ADJUSTED']),
  fromState: state.nullable(),
  toState: state,
  fromUnitPrice: moneySchema.nullable(),
  toUnitPrice: moneySchema,
  reason: z.string().nullable(),
  actor: z.string().describe("who: the token subject of the feeder, or of the partner's staff member who adjusted"),
  at: instant,
  adjustmentId: z.string().nullable(),
});

export const orderSchema = z
  .strictObject({ ...orderFields, history: z.array(orderEventSchema).describe('every event, oldest first: fed, state changes, price adjustments (who, when, from → to, reason)') })
  .meta({ id: 'MarketplaceOrder' });

export const orderPageSchema = z.strictObject({ items: z.array(orderSummarySchema), nextCursor: z.string().nullable() }).meta({ id: 'MarketplaceOrderPage' });

export const orderFeedSchema = z
  .strictObject({
    items: z.array(
      z.strictObject({
        ...orderFields,
        outcome: z.enum(['CREATED', 'STATE_CHANGED', 'UNCHANGED']).describe('what the feed did to the order'),
      }),
    ),
  })
  .meta({ id: 'MarketplaceOrderFeed' });

export type OrderSummaryView = z.output<typeof orderSummarySchema>;
export type OrderView = z.output<typeof orderSchema>;
export type OrderEventView = z.output<typeof orderEventSchema>;
export type OrderFeedView = z.output<typeof orderFeedSchema>;
