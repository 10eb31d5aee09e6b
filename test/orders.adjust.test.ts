/**
 * Price adjustment of marketplace orders (交易调价) on the real API + PostgreSQL: only the order's salesperson partner
 * (partner_admin, partner_sales), only while PENDING_PAYMENT (payment freezes it: 409), only between the floor and the
 * list unit price inclusive (422 naming unitPrice and the bound: figures picked by hand), in the order's currency; If-Match
 * required (428) and current (412) — two adjustments racing with one ETag: exactly one lands; each adjustment in the
 * history (who, when, from → to, reason) and announced (marketplace-order.price-adjusted, in the same transaction); this
 * order only (a renewal keeps its own list price); another partner 404; the agreement gate (403). Every refusal writes
 * nothing. The gate test runs last: a version in force gates every partner of this worker's database until the file ends.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC } from '../domain/events.js';
import { tokenFor } from './support/app.js';
import { agreementSteps, shanghaiDate } from './support/agreement.js';
import { cny, feedOrders, marketplaceOrder } from './support/access-matrix-orders.js';
import { expectOk, expectProblem, fields, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'orders-adjust-test', api: true });
const { api } = env;
let vendor: string;
let manager: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_admin']);
  manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'manager-orders');
});
const agreements = agreementSteps(env, () => manager);

async function newPartner() {
  const partnerId = `P-adj-${randomUUID().slice(0, 8)}`;
  return {
    partnerId,
    admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`),
    sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`),
    finance: await tokenFor(['partner_finance'], partnerId, `${partnerId}-finance`),
  };
}
/** A fresh order of the partner (list 10 000, floor 8 000, 3 units unless said), fed by the marketplace. */
const newOrder = async (partnerId: string, over: Record<string, unknown> = {}) => (await feedOrders(env.base, [marketplaceOrder(partnerId, over)]))[0]!.id;
const adjust = (id: string, token: string, minor: number, ifMatch: string | undefined, extra: Record<string, string> = {}, currency = 'CNY') =>
  api('POST', `/v1/marketplace-orders/${id}/price-adjustments`, token, { unitPrice: { currency, minor }, reason: `to ${minor}` }, { ...(ifMatch ? { 'If-Match': ifMatch } : {}), ...extra });
const etag = async (id: string) => (await api('GET', `/v1/marketplace-orders/${id}`, vendor)).headers.get('etag')!;
/** The order's row, its history and its messages: a refused adjustment must leave them as they were. */
const stateOf = async (id: string) => {
  const order = await api('GET', `/v1/marketplace-orders/${id}`, vendor);
  const messages = await env.prisma.outbox.count({ where: { topic: MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC, aggregateId: id } });
  return JSON.stringify({ order: order.body, messages });
};

describe('bounds', () => {
  it('between the floor and the list unit price, both inclusive; outside them 422 naming unitPrice and the bound', async () => {
    const p = await newPartner();
    const id = await newOrder(p.partnerId); // list 10 000, floor 8 000
    const before = await stateOf(id);
    const below = await adjust(id, p.sales, 7_999, '"1"');
    expectProblem(below, 422, 'order-price-out-of-bounds');
    expect(fields(below)).toEqual(['unitPrice']);
    expect(below.body).toMatchObject({ bound: 'floor', limit: cny(8_000) });
    expect(below.body.errors[0].message).toContain('8000');
    const above = await adjust(id, p.sales, 10_001, '"1"');
    expectProblem(above, 422, 'order-price-out-of-bounds');
    expect(above.body).toMatchObject({ bound: 'list', limit: cny(10_000) });
    const usd = await adjust(id, p.sales, 9_000, '"1"', {}, 'USD');
    expectProblem(usd, 422, 'order-currency-mismatch');
    expect(fields(usd)).toEqual(['unitPrice.currency']);
    expectProblem(await adjust(id, p.sales, 10_000, '"1"'), 422, 'order-price-unchanged'); // the list price it has
    expect(await stateOf(id)).toBe(before);

    // The floor itself, then the list price itself: both allowed.
    const atFloor = await adjust(id, p.sales, 8_000, '"1"');
    expectOk(atFloor, 201);
    expect(atFloor.headers.get('etag')).toBe('"2"');
    expect(atFloor.body).toMatchObject({ unitPrice: cny(8_000), total: cny(24_000), version: 2, listUnitPrice: cny(10_000), floorUnitPrice: cny(8_000) });
    const atList = await adjust(id, p.admin, 10_000, '"2"');
    expectOk(atList, 201);
    expect(atList.body).toMatchObject({ unitPrice: cny(10_000), total: cny(30_000), version: 3 });
  });
});

describe('If-Match and concurrency', () => {
  it('without If-Match 428, a malformed one 400, a stale one 412 with the current version; nothing written', async () => {
    const p = await newPartner();
    const id = await newOrder(p.partnerId);
    const before = await stateOf(id);
    const missing = await adjust(id, p.sales, 9_000, undefined);
    expectProblem(missing, 428, 'precondition-required');
    expect(fields(missing)).toEqual(['If-Match']);
    for (const bad of ['1', 'W/"1"', '*', '"1", "2"', '"0"']) expect(fields(await adjust(id, p.sales, 9_000, bad)), bad).toEqual(['If-Match']);
    const stale = await adjust(id, p.sales, 9_000, '"7"');
    expectProblem(stale, 412, 'precondition-failed');
    expect(stale.body).toMatchObject({ currentVersion: 1 });
    expect(await stateOf(id)).toBe(before);
    // The ETag read: accepted; the same ETag again is stale now.
    expectOk(await adjust(id, p.sales, 9_000, await etag(id)), 201);
    expectProblem(await adjust(id, p.sales, 8_500, '"1"'), 412, 'precondition-failed');
  });

  it('adjustments racing with the same ETag: exactly one lands, every other is 412, the history holds one', async () => {
    const p = await newPartner();
    const id = await newOrder(p.partnerId);
    const tag = await etag(id);
    const prices = Array.from({ length: 8 }, (_, i) => 8_000 + 100 * i);
    const answers = await Promise.all(prices.map((minor, i) => adjust(id, i % 2 ? p.admin : p.sales, minor, tag)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 412, 412, 412, 412, 412, 412, 412]);
    const won = answers.find((a) => a.status === 201)!;
    const order = await api('GET', `/v1/marketplace-orders/${id}`, vendor);
    expect(order.body.version).toBe(2);
    expect(order.body.unitPrice).toEqual(won.body.unitPrice);
    expect(order.body.history.filter((e: { type: string }) => e.type === 'PRICE_ADJUSTED')).toHaveLength(1);
    expect(await env.prisma.outbox.count({ where: { topic: MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC, aggregateId: id } })).toBe(1);
  });
});

describe('what may be adjusted, by whom', () => {
  it('payment freezes the price (409); a cancelled order too; an Idempotency-Key retry answers the first adjustment', async () => {
    const p = await newPartner();
    const order = marketplaceOrder(p.partnerId);
    await feedOrders(env.base, [order]);
    const key = { 'Idempotency-Key': randomUUID() };
    const first = await adjust(order.id, p.sales, 9_500, '"1"', key);
    expectOk(first, 201);
    const retry = await adjust(order.id, p.sales, 9_500, '"1"', key);
    expectOk(retry, 201);
    expect(retry.body).toEqual(first.body);
    expectProblem(await adjust(order.id, p.sales, 9_400, '"1"', key), 422, 'idempotency-key-reused');
    // The marketplace feeds the payment: the price is frozen at 9 500.
    await feedOrders(env.base, [{ ...order, state: 'PAID' }]);
    const before = await stateOf(order.id);
    const frozen = await adjust(order.id, p.sales, 9_000, '"3"');
    expectProblem(frozen, 409, 'order-price-frozen');
    expect(frozen.body).toMatchObject({ currentState: 'PAID' });
    expect(await stateOf(order.id)).toBe(before);
    expect(JSON.parse(before).order).toMatchObject({ unitPrice: cny(9_500), total: cny(28_500), state: 'PAID', priceAdjustable: false });
    const cancelled = await newOrder(p.partnerId, { state: 'CANCELLED' });
    expectProblem(await adjust(cancelled, p.sales, 9_000, '"1"'), 409, 'order-price-frozen');
  });

  it("another partner's staff get 404 (never the order); finance and vendor staff may not adjust (403); nothing written", async () => {
    const p = await newPartner();
    const q = await newPartner();
    const id = await newOrder(p.partnerId);
    const before = await stateOf(id);
    expectProblem(await adjust(id, q.admin, 9_000, '"1"'), 404, 'not-found');
    expectProblem(await adjust(id, q.sales, 9_000, undefined), 404, 'not-found');
    expectProblem(await adjust(`MO-${randomUUID().slice(0, 8)}`, p.sales, 9_000, '"1"'), 404, 'not-found');
    expectProblem(await adjust(id, p.finance, 9_000, '"1"'), 403, 'forbidden');
    expectProblem(await adjust(id, vendor, 9_000, '"1"'), 403, 'forbidden');
    expect(await stateOf(id)).toBe(before);
  });

  it('every adjustment is in the history (who, when, from → to, reason) and announced in its transaction; a renewal keeps its own list price', async () => {
    const p = await newPartner();
    const original = marketplaceOrder(p.partnerId);
    const renewal = marketplaceOrder(p.partnerId, { renewalOf: original.id, placedAt: '2027-11-30T10:00:00+08:00' });
    await feedOrders(env.base, [original, renewal]);
    const started = Date.now();
    expectOk(await adjust(original.id, p.sales, 9_000, '"1"'), 201);
    expectOk(await adjust(original.id, p.admin, 8_200, '"2"'), 201);
    const order = (await api('GET', `/v1/marketplace-orders/${original.id}`, p.sales)).body;
    const adjustments = order.history.filter((e: { type: string }) => e.type === 'PRICE_ADJUSTED');
    expect(adjustments.map((e: { seq: number; actor: string; fromUnitPrice: unknown; toUnitPrice: unknown; reason: string }) => [e.seq, e.actor, e.fromUnitPrice, e.toUnitPrice, e.reason])).toEqual([
      [2, `${p.partnerId}-sales`, cny(10_000), cny(9_000), 'to 9000'],
      [3, `${p.partnerId}-admin`, cny(9_000), cny(8_200), 'to 8200'],
    ]);
    for (const e of adjustments) expect(Date.parse(e.at)).toBeGreaterThanOrEqual(started - 1000);
    const messages = await env.outbox(MARKETPLACE_ORDER_PRICE_ADJUSTED_TOPIC, original.id);
    expect(messages.map((m) => m.payload)).toEqual([
      expect.objectContaining({ partnerId: p.partnerId, orderId: original.id, fromUnitPrice: cny(10_000), toUnitPrice: cny(9_000), total: cny(27_000), version: 2, adjustedBy: `${p.partnerId}-sales` }),
      expect.objectContaining({ fromUnitPrice: cny(9_000), toUnitPrice: cny(8_200), total: cny(24_600), version: 3, reason: 'to 8200' }),
    ]);
    // The renewal is another order: its own list price, its own history, untouched.
    const renewed = (await api('GET', `/v1/marketplace-orders/${renewal.id}`, p.sales)).body;
    expect(renewed).toMatchObject({ renewalOf: original.id, unitPrice: cny(10_000), version: 1 });
  });
});

describe('the agreement gate', () => {
  it('an agreement in force and unsigned refuses the adjustment (403), writing nothing; signed, it goes through', async () => {
    const p = await newPartner();
    const id = await newOrder(p.partnerId);
    const today = shanghaiDate(0);
    const inForce = await agreements.publish({ effectiveDate: today, signByDate: today });
    const before = await stateOf(id);
    const gated = await adjust(id, p.sales, 9_000, '"1"');
    expectProblem(gated, 403, 'agreement-signature-required');
    expect(gated.body).toMatchObject({ agreementId: inForce.id, version: inForce.version });
    expect(await stateOf(id)).toBe(before);
    // Another partner still meets the 404 first: the gate never tells whose the order is.
    expectProblem(await adjust(id, (await newPartner()).sales, 9_000, '"1"'), 404, 'not-found');
    expectOk(await agreements.sign(p.partnerId, p.admin, inForce.id, inForce.textSha256));
    expectOk(await adjust(id, p.sales, 9_000, '"1"'), 201);
  });
});
