/**
 * The OpenAPI contract, funds routes (issue 18 section 4): real allocations, reclaims, spends, the customer's funds and
 * the partner's statement — successes and refusals — each answer validated against the schema the document gives for
 * that route and status (support/openapi-contract.ts); every funds route answered a success.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { associate, cny, newCustomer } from './support/funds.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { apps, checked, unexercised } = useContract();
let vendor: string;
beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

describe('contract: real answers match the document', () => {
  it('funds: allocate, spend, reclaim, read the funds and the statement — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const customerId = newCustomer();
    const feeder = await tokenFor(['vendor_system'], undefined, 'oa-billing');
    const finance = await tokenFor(['partner_finance'], partnerId);
    const stranger = await tokenFor(['partner_finance'], newPartner());
    const key = () => ({ 'Idempotency-Key': randomUUID() });
    expectStatus(await n('POST', `/v1/partners/${partnerId}/account/ledger-entries`, feeder, { source: 'billing', entries: [{ kind: 'RECHARGE', key: randomUUID(), amount: cny(1_000), occurredAt: '2026-03-01T00:00:00Z' }] }, key()), 201);
    await associate(apps.normal.prisma, partnerId, customerId);
    const customer = `/v1/partners/${partnerId}/customers/${customerId}`;

    expectStatus(await n('POST', `${customer}/allocations`, finance, { amount: cny(600), memo: 'contract' }, key()), 201);
    expectStatus(await n('POST', `${customer}/allocations`, finance, { amount: cny(600) }, key()), 422); // beyond the balance
    expectStatus(await n('POST', `${customer}/allocations`, finance, { amount: cny(1) }), 400); // no Idempotency-Key
    expectStatus(await n('POST', `${customer}/allocations`, finance, { amount: cny(0) }, key()), 400);
    expectStatus(await n('POST', `/v1/partners/${partnerId}/customers/${newCustomer()}/allocations`, finance, { amount: cny(1) }, key()), 404);
    expectStatus(await n('POST', `${customer}/allocations`, await tokenFor(['partner_sales'], partnerId), { amount: cny(1) }, key()), 403);

    expectStatus(await n('POST', `/v1/customers/${customerId}/spend`, feeder, { source: 'billing', key: randomUUID(), amount: cny(100), occurredAt: '2026-03-02T00:00:00Z' }, key()), 201);
    expectStatus(await n('POST', `/v1/customers/${customerId}/spend`, feeder, { source: 'billing', key: randomUUID(), amount: cny(501), occurredAt: '2026-03-02T00:00:00Z' }, key()), 422);
    expectStatus(await n('POST', `/v1/customers/${customerId}/spend`, finance, { source: 'billing', key: randomUUID(), amount: cny(1), occurredAt: '2026-03-02T00:00:00Z' }, key()), 403);

    expectStatus(await n('POST', `${customer}/reclaims`, finance, { currency: 'CNY', minor: 200 }, key()), 201);
    expectStatus(await n('POST', `${customer}/reclaims`, finance, { currency: 'CNY', minor: 301 }, key()), 422);
    expectStatus(await n('POST', `${customer}/reclaims`, finance, { currency: 'CNY' }, key()), 201);
    expectStatus(await n('POST', `/v1/partners/${partnerId}/customers/${newCustomer()}/reclaims`, finance, { currency: 'CNY' }, key()), 404);

    expectStatus(await n('GET', `${customer}/funds`, finance), 200);
    expectStatus(await n('GET', `${customer}/funds`, vendor), 200);
    expectStatus(await n('GET', `${customer}/funds`, stranger), 404);

    const statement = await n('GET', `/v1/partners/${partnerId}/statement?from=2026-01-01T00:00:00Z`, finance);
    expectStatus(statement, 200);
    expect(statement.body.currencies[0].closing).toEqual({ recharge: 900, credit: 0, balance: 900 }); // 1 000 − 600 + 200 + 300
    // The same statement as CSV, by the format parameter and by Accept: documented under the same 200.
    expectStatus(await n('GET', `/v1/partners/${partnerId}/statement?from=2026-01-01T00:00:00Z&format=csv`, finance), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/statement?from=2026-01-01T00:00:00Z`, finance, undefined, { Accept: 'text/csv' }), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/statement`, stranger), 404);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/statement?format=xml`, finance), 400);
  });

  it('every funds route was exercised with a success answer', () => {
    expect(unexercised('funds')).toEqual([]);
  });
});
