/**
 * The OpenAPI contract, marketplace order routes: real requests to the marketplace's feed, the reads and the price
 * adjustment — successes and refusals (400, 403, 404, 409, 412, 422, 428) — each answer validated against the schema the
 * document gives for that route and status (support/openapi-contract.ts); every route of the area answered a success.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { cny, marketplaceOrder } from './support/access-matrix-orders.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { checked, unexercised } = useContract();

describe('contract: real answers match the document', () => {
  it('marketplace orders: fed, listed, read, adjusted — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const feeder = await tokenFor(['vendor_system'], undefined, 'oa-marketplace');
    const sales = await tokenFor(['partner_sales'], partnerId);
    const vendor = await tokenFor(['vendor_staff']);
    const key = () => ({ 'Idempotency-Key': randomUUID() });
    const order = marketplaceOrder(partnerId);
    const paid = marketplaceOrder(partnerId, { state: 'PAID', renewalOf: order.id });
    expectStatus(await n('POST', '/v1/marketplace-orders', feeder, { orders: [order, paid] }, key()), 201);
    expectStatus(await n('POST', '/v1/marketplace-orders', feeder, { orders: [order] }), 400); // no Idempotency-Key
    expectStatus(await n('POST', '/v1/marketplace-orders', feeder, { orders: [{ ...order, floorUnitPrice: cny(20_000) }] }, key()), 400);
    expectStatus(await n('POST', '/v1/marketplace-orders', feeder, { orders: [{ ...paid, state: 'PENDING_PAYMENT' }] }, key()), 409);
    expectStatus(await n('POST', '/v1/marketplace-orders', feeder, { orders: [{ ...order, quantity: 4 }] }, key()), 422);
    expectStatus(await n('POST', '/v1/marketplace-orders', sales, { orders: [order] }, key()), 403);

    expectStatus(await n('GET', '/v1/marketplace-orders?limit=1', sales), 200);
    expectStatus(await n('GET', `/v1/marketplace-orders?partnerId=${partnerId}&state=PAID`, vendor), 200);
    expectStatus(await n('GET', '/v1/marketplace-orders?cursor=nope', sales), 400);
    const read = await n('GET', `/v1/marketplace-orders/${order.id}`, sales);
    expectStatus(read, 200);
    expect(read.headers.get('etag')).toBe('"1"');
    expectStatus(await n('GET', `/v1/marketplace-orders/${order.id}`, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('GET', `/v1/marketplace-orders/${order.id}`, feeder), 403);

    const adjust = `/v1/marketplace-orders/${order.id}/price-adjustments`;
    const body = { unitPrice: cny(9_000), reason: 'volume discount' };
    expectStatus(await n('POST', adjust, sales, body), 428);
    expectStatus(await n('POST', adjust, sales, body, { 'If-Match': '*' }), 400);
    expectStatus(await n('POST', adjust, sales, { ...body, unitPrice: cny(7_999) }, { 'If-Match': '"1"' }), 422);
    expectStatus(await n('POST', adjust, sales, body, { 'If-Match': '"2"' }), 412);
    expectStatus(await n('POST', adjust, await tokenFor(['partner_sales'], newPartner()), body, { 'If-Match': '"1"' }), 404);
    expectStatus(await n('POST', adjust, vendor, body, { 'If-Match': '"1"' }), 403);
    expectStatus(await n('POST', adjust, sales, body, { 'If-Match': '"1"', ...key() }), 201);
    expectStatus(await n('POST', `/v1/marketplace-orders/${paid.id}/price-adjustments`, sales, body, { 'If-Match': '"1"' }), 409);
  });

  it('every marketplace order route was exercised with a success answer', () => {
    expect(unexercised('orders')).toEqual([]);
  });
});
