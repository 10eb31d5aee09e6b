/**
 * Marketplace orders on the real API + PostgreSQL, the feed and the reads: the marketplace's machine identity
 * (vendor_system, order.feed) feeds batches all or nothing with an Idempotency-Key (required; a retry answers the first
 * result, another body 422); a new order is priced at its list price; fed again, the same state changes nothing, a
 * later one moves it forward, a stale or contradictory one is 409 naming orders.N.state and another value of what it
 * sold 422 naming the field — each refusal writing nothing; who may read whose orders (the salesperson partner's staff
 * its own, another partner 404 and an empty list, vendor staff any); the order table's own guard at the database.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { orderFeedSchema, orderPageSchema, orderSchema } from '../api/orders/schemas.js';
import { tokenFor } from './support/app.js';
import { cny, marketplaceOrder } from './support/access-matrix-orders.js';
import { expectOk, expectProblem, fields, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'orders-api-test', api: true });
const { api } = env;
let feeder: string;
let vendor: string;
beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'marketplace');
  vendor = await tokenFor(['vendor_staff']);
});

const newPartner = () => `P-ord-${randomUUID().slice(0, 8)}`;
const key = () => ({ 'Idempotency-Key': randomUUID() });
const feed = (orders: unknown[], headers: Record<string, string> = key()) => api('POST', '/v1/marketplace-orders', feeder, { orders }, headers);
/** Every row of the order tables and the idempotency keys: a refused feed must leave the counts as they were. */
const rows = async () => {
  const [counts] = await env.prisma.$queryRaw<{ orders: bigint; events: bigint; keys: bigint; moved: Date | null }[]>`
    SELECT (SELECT count(*) FROM marketplace_order) AS orders, (SELECT count(*) FROM marketplace_order_event) AS events,
           (SELECT count(*) FROM idempotency_key WHERE scope LIKE '% POST /v1/marketplace-orders') AS keys,
           (SELECT max(updated_at) FROM marketplace_order) AS moved`;
  return JSON.stringify(counts, (_, v) => (typeof v === 'bigint' ? Number(v) : v));
};

describe('the feed', () => {
  it('creates orders at their list price, moves them forward, and leaves a same state as it is', async () => {
    const partnerId = newPartner();
    const a = marketplaceOrder(partnerId);
    const b = marketplaceOrder(partnerId, { quantity: 1, listUnitPrice: cny(99_900), floorUnitPrice: cny(99_900), state: 'PAID' });
    const first = await feed([a, b]);
    expectOk(first, 201);
    expect(orderFeedSchema.safeParse(first.body).success).toBe(true);
    expect(first.body.items.map((o: { id: string; outcome: string; state: string; unitPrice: unknown; total: unknown; version: number }) => [o.id, o.outcome, o.state, o.unitPrice, o.total, o.version])).toEqual([
      [a.id, 'CREATED', 'PENDING_PAYMENT', cny(10_000), cny(30_000), 1],
      [b.id, 'CREATED', 'PAID', cny(99_900), cny(99_900), 1],
    ]);
    // Fed again: a's payment moves it forward; b fed as it is changes nothing.
    const second = await feed([{ ...a, state: 'PAID' }, b]);
    expectOk(second, 201);
    expect(second.body.items.map((o: { outcome: string; state: string; version: number }) => [o.outcome, o.state, o.version])).toEqual([
      ['STATE_CHANGED', 'PAID', 2],
      ['UNCHANGED', 'PAID', 1],
    ]);
    // PAID → REFUNDED forward; a new order first seen CANCELLED is recorded as such; a pending order fed REFUNDED (its
    // payment never fed) moves forward past the state it skipped.
    const c = marketplaceOrder(partnerId, { state: 'CANCELLED' });
    const d = marketplaceOrder(partnerId);
    expectOk(await feed([d]), 201);
    const third = await feed([{ ...a, state: 'REFUNDED' }, c, { ...d, state: 'REFUNDED' }]);
    expect(third.body.items.map((o: { outcome: string; state: string }) => [o.outcome, o.state])).toEqual([
      ['STATE_CHANGED', 'REFUNDED'],
      ['CREATED', 'CANCELLED'],
      ['STATE_CHANGED', 'REFUNDED'],
    ]);
    const order = await api('GET', `/v1/marketplace-orders/${a.id}`, vendor);
    expectOk(order);
    expect(orderSchema.safeParse(order.body).success).toBe(true);
    expect(order.headers.get('etag')).toBe('"3"');
    expect(order.body.history.map((e: { seq: number; type: string; fromState: string | null; toState: string; actor: string }) => [e.seq, e.type, e.fromState, e.toState, e.actor])).toEqual([
      [1, 'FED', null, 'PENDING_PAYMENT', 'marketplace'],
      [2, 'STATE_CHANGED', 'PENDING_PAYMENT', 'PAID', 'marketplace'],
      [3, 'STATE_CHANGED', 'PAID', 'REFUNDED', 'marketplace'],
    ]);
    expect(order.body).toMatchObject({ partnerId, customerId: a.customerId, productId: 'ecs.g7.large', quantity: 3, priceAdjustable: false, renewalOf: null, placedAt: '2026-11-30T02:00:00.000Z' });
  });

  it('Idempotency-Key is required; a retry answers the first result and writes nothing; another body with it is 422', async () => {
    const o = marketplaceOrder(newPartner());
    const before = await rows();
    expect(fields(await feed([o], {}))).toEqual(['Idempotency-Key']);
    expect(await rows()).toBe(before);
    const headers = key();
    const first = await feed([o], headers);
    expectOk(first, 201);
    const again = await feed([o], headers);
    expectOk(again, 201);
    expect(again.body).toEqual(first.body); // CREATED, as the first answer said
    const after = await rows();
    expectProblem(await feed([{ ...o, state: 'PAID' }], headers), 422, 'idempotency-key-reused');
    expect(await rows()).toBe(after);
  });

  it('a stale or contradictory state is 409 naming it, another value of what was sold 422 naming it: the whole batch writes nothing', async () => {
    const partnerId = newPartner();
    const paid = marketplaceOrder(partnerId, { state: 'PAID' });
    const cancelled = marketplaceOrder(partnerId, { state: 'CANCELLED' });
    expectOk(await feed([paid, cancelled]), 201);
    const fresh = marketplaceOrder(partnerId);
    const before = await rows();
    // PAID cannot go back to PENDING_PAYMENT (a stale message), even beside a good new order.
    const stale = await feed([fresh, { ...paid, state: 'PENDING_PAYMENT' }]);
    expectProblem(stale, 409, 'order-state-refused');
    expect(fields(stale)).toEqual(['orders.1.state']);
    expect(stale.body).toMatchObject({ orderId: paid.id, currentState: 'PAID' });
    // CANCELLED cannot be PAID, and PAID cannot be CANCELLED: no path leads there.
    expect(fields(await feed([{ ...cancelled, state: 'PAID' }]))).toEqual(['orders.0.state']);
    expectProblem(await feed([{ ...paid, state: 'CANCELLED' }]), 409, 'order-state-refused');
    // What an order sold never changes: a new price or customer is another order.
    const contradicts = await feed([fresh, { ...paid, listUnitPrice: cny(12_000), customerId: 'C-other' }]);
    expectProblem(contradicts, 422, 'order-feed-contradicts');
    expect(fields(contradicts)).toEqual(['orders.1.customerId', 'orders.1.listUnitPrice']);
    expect(fields(await feed([{ ...paid, partnerId: 'P-someone-else' }]))).toEqual(['orders.0.partnerId']);
    expect(fields(await feed([{ ...paid, placedAt: '2026-11-30T10:00:01+08:00' }]))).toEqual(['orders.0.placedAt']);
    expect(await rows()).toBe(before);
    expect((await api('GET', `/v1/marketplace-orders/${fresh.id}`, vendor)).status).toBe(404);
  });

  it('bad input is 400 naming the field, and writes nothing', async () => {
    const o = marketplaceOrder(newPartner());
    const before = await rows();
    const cases: [unknown[], string[]][] = [
      [[{ ...o, floorUnitPrice: cny(10_001) }], ['orders.0.floorUnitPrice.minor']],
      [[{ ...o, floorUnitPrice: { currency: 'USD', minor: 100 } }], ['orders.0.floorUnitPrice.currency']],
      [[{ ...o, listUnitPrice: { currency: 'CNY', minor: 100.5 } }], ['orders.0.listUnitPrice.minor']],
      [[{ ...o, listUnitPrice: { currency: 'XXY', minor: 100 }, floorUnitPrice: { currency: 'XXY', minor: 100 } }], ['orders.0.listUnitPrice.currency', 'orders.0.floorUnitPrice.currency']],
      [[{ ...o, quantity: 0 }], ['orders.0.quantity']],
      [[{ ...o, listUnitPrice: cny(Number.MAX_SAFE_INTEGER), floorUnitPrice: cny(0) }], ['orders.0.quantity']],
      [[{ ...o, state: 'SHIPPED' }], ['orders.0.state']],
      [[{ ...o, id: '../x' }], ['orders.0.id']],
      [[{ ...o, renewalOf: o.id }], ['orders.0.renewalOf']],
      [[o, { ...o }], ['orders.1.id']],
      [[], ['orders']],
      [[{ ...o, unitPrice: cny(9_000) }], ['orders.0.unitPrice']],
    ];
    for (const [orders, named] of cases) {
      const res = await feed(orders);
      expectProblem(res, 400, 'validation-error');
      expect(fields(res), JSON.stringify(orders).slice(0, 200)).toEqual(named);
    }
    expect(await rows()).toBe(before);
  });
});

describe('reads', () => {
  it("partner staff read their own partner's orders; another partner's are 404 and its lists empty; vendor staff read any", async () => {
    const partnerId = newPartner();
    const other = newPartner();
    const mine = [marketplaceOrder(partnerId, { placedAt: '2026-11-01T00:00:00Z' }), marketplaceOrder(partnerId, { placedAt: '2026-11-02T00:00:00Z', state: 'PAID' }), marketplaceOrder(partnerId, { placedAt: '2026-11-03T00:00:00Z' })];
    const theirs = marketplaceOrder(other);
    expectOk(await feed([...mine, theirs]), 201);
    for (const role of ['partner_admin', 'partner_sales', 'partner_finance'] as const) {
      const token = await tokenFor([role], partnerId);
      expectOk(await api('GET', `/v1/marketplace-orders/${mine[0]!.id}`, token));
      expectProblem(await api('GET', `/v1/marketplace-orders/${theirs.id}`, token), 404, 'not-found');
    }
    const sales = await tokenFor(['partner_sales'], partnerId);
    // Newest placed first, in keyset pages.
    const first = await api('GET', '/v1/marketplace-orders?limit=2', sales);
    expectOk(first);
    expect(orderPageSchema.safeParse(first.body).success).toBe(true);
    const second = await api('GET', `/v1/marketplace-orders?limit=2&cursor=${first.body.nextCursor}`, sales);
    expect([...first.body.items, ...second.body.items].map((o: { id: string }) => o.id)).toEqual([mine[2]!.id, mine[1]!.id, mine[0]!.id]);
    expect(second.body.nextCursor).toBeNull();
    expect((await api('GET', '/v1/marketplace-orders?state=PAID', sales)).body.items.map((o: { id: string }) => o.id)).toEqual([mine[1]!.id]);
    expect((await api('GET', `/v1/marketplace-orders?partnerId=${other}`, sales)).body.items).toEqual([]);
    // Vendor staff: any partner's, narrowed by partner or customer.
    expect((await api('GET', `/v1/marketplace-orders?partnerId=${other}`, vendor)).body.items.map((o: { id: string }) => o.id)).toEqual([theirs.id]);
    expect((await api('GET', `/v1/marketplace-orders?customerId=${theirs.customerId}`, vendor)).body.items.map((o: { id: string }) => o.id)).toEqual([theirs.id]);
    expectOk(await api('GET', `/v1/marketplace-orders/${theirs.id}`, vendor));
    // The feeder feeds and reads nothing; a malformed id or cursor is 400.
    expectProblem(await api('GET', `/v1/marketplace-orders/${theirs.id}`, feeder), 403);
    expect(fields(await api('GET', '/v1/marketplace-orders/a%20b', vendor))).toEqual(['path.id']);
    expect(fields(await api('GET', '/v1/marketplace-orders?cursor=bm90LWEtY3Vyc29y', vendor))).toEqual(['query.cursor']);
  });
});

describe('the database', () => {
  it('refuses what the rules refuse, whatever code writes: fed values, backward states, prices out of bounds or frozen, history changes', async () => {
    const partnerId = newPartner();
    const pending = marketplaceOrder(partnerId);
    const paid = marketplaceOrder(partnerId, { state: 'PAID' });
    expectOk(await feed([pending, paid]), 201);
    const refused = async (sql: string, pattern: RegExp) => expect(env.prisma.$executeRawUnsafe(sql)).rejects.toThrow(pattern);
    await refused(`UPDATE marketplace_order SET list_unit_price = 20000, version = version + 1 WHERE id = '${pending.id}'`, /what the marketplace fed never changes/);
    await refused(`UPDATE marketplace_order SET unit_price = 9000 WHERE id = '${pending.id}'`, /the version moves by one/);
    await refused(`UPDATE marketplace_order SET unit_price = 7999, version = version + 1 WHERE id = '${pending.id}'`, /check constraint/);
    await refused(`UPDATE marketplace_order SET unit_price = 10001, version = version + 1 WHERE id = '${pending.id}'`, /check constraint/);
    await refused(`UPDATE marketplace_order SET unit_price = 9000, version = version + 1 WHERE id = '${paid.id}'`, /the unit price is frozen in state PAID/);
    await refused(`UPDATE marketplace_order SET state = 'PENDING_PAYMENT', version = version + 1 WHERE id = '${paid.id}'`, /state PAID cannot become PENDING_PAYMENT/);
    await refused(`DELETE FROM marketplace_order WHERE id = '${paid.id}'`, /never deleted/);
    await refused(`UPDATE marketplace_order_event SET reason = 'x' WHERE order_id = '${paid.id}'`, /append-only/);
    await refused(`DELETE FROM marketplace_order_event WHERE order_id = '${paid.id}'`, /append-only/);
    // What the rules allow passes: one step, the price within the bounds while pending.
    expect(await env.prisma.$executeRawUnsafe(`UPDATE marketplace_order SET unit_price = 8000, version = version + 1 WHERE id = '${pending.id}'`)).toBe(1);
  });
});
