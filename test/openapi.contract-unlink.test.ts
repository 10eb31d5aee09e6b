/**
 * The OpenAPI contract, unlink routes (issue 18 section 3): real previews, requests by either side, objections, reads
 * and refunds — successes and refusals — each answer validated against the schema the document gives for that route
 * and status (support/openapi-contract.ts); every unlink route answered a success.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { customerToken, freshCustomer, insertCustomerFacts } from './support/customer-fixtures.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { apps, checked, unexercised } = useContract();

describe('contract: real answers match the document', () => {
  it('unlinks: previews, requests of both sides, objections, reads, refunds — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const key = () => ({ 'Idempotency-Key': randomUUID() });
    const partnerId = newPartner();
    const admin = await tokenFor(['partner_admin'], partnerId);
    const associated = async (facts: boolean) => {
      const customerId = freshCustomer('oa-ul');
      await apps.normal.prisma.$executeRawUnsafe(
        `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by) VALUES ($1::uuid, $2, $3, '91330100799655058B', 'RESELLER', now() - interval '1 day', 'contract')`,
        randomUUID(), partnerId, customerId,
      );
      const observedAt = new Date(Date.now() - 60_000).toISOString();
      if (facts) {
        await insertCustomerFacts(customerId, [
          { kind: 'FROZEN', value: { frozen: false }, observedAt },
          { kind: 'RESERVED_INSTANCES', value: { count: 0 }, observedAt },
          { kind: 'SUPPORT_PLANS', value: { count: 0 }, observedAt },
        ]);
      }
      return { customerId, token: await customerToken(customerId), path: `/v1/partners/${partnerId}/customers/${customerId}` };
    };

    // The partner asks; the customer objects.
    const a = await associated(true);
    const preview = await n('GET', `${a.path}/unlink-preview`, admin, undefined, { 'Accept-Language': 'en' });
    expectStatus(preview, 200);
    expectStatus(await n('POST', `${a.path}/unlinks`, admin, { previewHash: '0'.repeat(64) }, key()), 409);
    const asked = await n('POST', `${a.path}/unlinks`, admin, { previewHash: preview.body.previewHash }, key());
    expectStatus(asked, 201);
    expectStatus(await n('POST', `${a.path}/unlinks`, admin, { previewHash: preview.body.previewHash }, key()), 409); // one open per customer
    expectStatus(await n('GET', `/v1/unlinks/${asked.body.id}`, admin), 200);
    expectStatus(await n('GET', `/v1/unlinks/${asked.body.id}`, await tokenFor(['vendor_staff'])), 200);
    expectStatus(await n('GET', `/v1/unlinks/${asked.body.id}`, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('GET', `/v1/customer/unlinks/${asked.body.id}`, a.token), 200);
    expectStatus(await n('POST', `/v1/unlinks/${asked.body.id}/objection`, admin, {}), 409); // its own request
    expectStatus(await n('POST', `/v1/customer/unlinks/${asked.body.id}/objection`, a.token, { reason: 'contract' }), 200);
    expectStatus(await n('POST', `/v1/customer/unlinks/${asked.body.id}/objection`, a.token, {}), 409); // closed

    // The customer asks; the partner objects. Refused with every reason while a fact is unknown.
    const b = await associated(false);
    const unknown = await n('GET', '/v1/customer/unlink-preview', b.token);
    expectStatus(unknown, 200);
    expect(unknown.body.unlinkable).toBe(false);
    expectStatus(await n('POST', '/v1/customer/unlinks', b.token, { previewHash: unknown.body.previewHash }, key()), 422);
    const c = await associated(true);
    const mine = await n('GET', '/v1/customer/unlink-preview', c.token);
    const cAsked = await n('POST', '/v1/customer/unlinks', c.token, { previewHash: mine.body.previewHash }, key());
    expectStatus(cAsked, 201);
    expectStatus(await n('POST', `/v1/unlinks/${cAsked.body.id}/objection`, admin, { reason: 'contract' }), 200);
    expectStatus(await n('GET', '/v1/customer/unlink-preview', await customerToken(freshCustomer('oa-none'))), 404);
    expectStatus(await n('GET', `/v1/customer/unlinks/${cAsked.body.id}`, a.token), 404);
    expectStatus(await n('POST', '/v1/customer/unlinks', c.token, { previewHash: 'x' }, key()), 400);

    // Refunds: outside any association (to the customer), during one (to the partner); a key reused with other content.
    const feeder = await tokenFor(['vendor_system'], undefined, 'oa-billing');
    const refund = (k: string, minor: number, consumedAt: string) => ({ source: 'billing', refunds: [{ key: k, consumedAt, amount: { currency: 'CNY', minor } }] });
    const k = randomUUID();
    expectStatus(await n('POST', `/v1/customers/${c.customerId}/refunds`, feeder, refund(k, 100, new Date().toISOString()), key()), 201);
    expectStatus(await n('POST', `/v1/customers/${freshCustomer('oa-out')}/refunds`, feeder, refund(randomUUID(), 100, new Date().toISOString()), key()), 201);
    expectStatus(await n('POST', `/v1/customers/${c.customerId}/refunds`, feeder, refund(k, 101, new Date().toISOString()), key()), 422);
    expectStatus(await n('POST', `/v1/customers/${c.customerId}/refunds`, admin, refund(randomUUID(), 1, new Date().toISOString()), key()), 403);
  });

  it('every unlink route was exercised with a success answer', () => {
    expect(unexercised('unlink')).toEqual([]);
  });
});
