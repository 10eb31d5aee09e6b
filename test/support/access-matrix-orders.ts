/**
 * Marketplace orders (issue 18 section 5) in the access matrix, and the order fixtures the orders tests share. Orders
 * are fed by the marketplace's machine identity; each belongs to its salesperson partner. The matrix feeds a fresh
 * order per feed call (a fresh Idempotency-Key), reads one order of OWN (so the vendor's list holds an item that is not
 * OTHER's), and adjusts the price of a fresh PENDING_PAYMENT order of OWN per request, with its current ETag, so every
 * allowed adjustment succeeds alike and every refused one leaves its own order as it was.
 */
import { randomUUID } from 'node:crypto';
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { LIST_QUERY, OWN } from './access-matrix-table.js';

export const cny = (minor: number) => ({ currency: 'CNY', minor });

/** A marketplace order as the marketplace feeds it: list 10 000 fen, floor 8 000, 3 units, PENDING_PAYMENT. */
export const marketplaceOrder = (partnerId: string, over: Record<string, unknown> = {}) => ({
  id: `MO-${randomUUID().slice(0, 13)}`,
  partnerId,
  customerId: `C-${randomUUID().slice(0, 8)}`,
  productId: 'ecs.g7.large',
  quantity: 3,
  listUnitPrice: cny(10_000),
  floorUnitPrice: cny(8_000),
  state: 'PENDING_PAYMENT',
  placedAt: '2026-11-30T10:00:00+08:00',
  ...over,
});

/** Feeds orders as the marketplace (a fresh Idempotency-Key); throws unless 201. */
export async function feedOrders(base: string, orders: unknown[]): Promise<{ id: string; version: number }[]> {
  const feeder = await tokenFor(['vendor_system'], undefined, 'marketplace');
  const res = await call(base, 'POST', '/v1/marketplace-orders', feeder, { orders }, { 'Idempotency-Key': randomUUID() });
  if (res.status !== 201) throw new Error(`setup: POST /v1/marketplace-orders answered ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.items;
}

export function orderEntries(base: () => string): MatrixTable {
  let shared: Promise<{ id: string }> | undefined;
  const ownOrder = () => (shared ??= feedOrders(base(), [marketplaceOrder(OWN)]).then(([o]) => o!));
  return {
    'POST /v1/marketplace-orders': {
      success: 201,
      partnerOwned: false,
      request: () => ({ body: { orders: [marketplaceOrder(OWN)] }, headers: { 'Idempotency-Key': randomUUID() } }),
    },
    'GET /v1/marketplace-orders': { success: 200, partnerOwned: false, request: async () => (await ownOrder(), { query: LIST_QUERY }) },
    'GET /v1/marketplace-orders/:id': { success: 200, partnerOwned: true, partnerInPath: true, request: async () => ({ params: { id: (await ownOrder()).id } }) },
    'POST /v1/marketplace-orders/:id/price-adjustments': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: async () => {
        const [order] = await feedOrders(base(), [marketplaceOrder(OWN)]);
        return { params: { id: order!.id }, body: { unitPrice: cny(9_000), reason: 'access matrix' }, headers: { 'If-Match': `"${order!.version}"` } };
      },
    },
  };
}
