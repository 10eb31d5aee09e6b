/**
 * The OpenAPI contract, customer routes (issue 18 sections 0 and 2): real requests to the customer facts feed and
 * read, customer reports (report, list, get, review, invitation, withdraw), the customer's invitation and acceptance,
 * and the partner's customers — successes and refusals — each answer validated against the schema the document gives
 * for that route and status (support/openapi-contract.ts); every route of the area answered a success.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { customerToken, enterprises, freshCreditCode, freshCustomer, reportableFacts } from './support/customer-fixtures.js';
import { tokenFor } from './support/app.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { checked, unexercised } = useContract();

describe('contract: real answers match the document', () => {
  it('customers: facts fed and read, reports made, refused, reviewed, invited, withdrawn, an invitation seen and accepted — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const key = () => ({ 'Idempotency-Key': randomUUID() });
    const feeder = await tokenFor(['vendor_system'], undefined, 'oa-billing');
    const vendor = await tokenFor(['vendor_staff'], undefined, 'oa-vendor');
    const manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'oa-manager');
    const partnerId = newPartner();
    const sales = await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`);
    const stranger = await tokenFor(['partner_admin'], newPartner());
    const now = new Date().toISOString();
    const enterprise = async () => {
      const creditCode = freshCreditCode();
      const customerId = freshCustomer('oa');
      await enterprises(creditCode);
      expectStatus(await n('POST', `/v1/customers/${customerId}/facts`, feeder, { source: 'billing', facts: reportableFacts(creditCode, now.slice(0, 10), now) }, key()), 201);
      return { creditCode, customerId };
    };

    const a = await enterprise();
    expectStatus(await n('POST', `/v1/customers/${a.customerId}/facts`, feeder, { source: 'billing', facts: [] }, key()), 400);
    expectStatus(await n('POST', `/v1/customers/${a.customerId}/facts`, sales, { source: 'billing', facts: reportableFacts(a.creditCode, now.slice(0, 10), now) }, key()), 403);
    expectStatus(await n('GET', `/v1/customers/${a.customerId}`, vendor), 200);
    expectStatus(await n('GET', `/v1/customers/${freshCustomer('none')}`, vendor), 404);
    expectStatus(await n('GET', `/v1/customers/${a.customerId}`, sales), 403);

    const reports = `/v1/partners/${partnerId}/customer-reports`;
    const made = await n('POST', reports, sales, { creditCode: a.creditCode }, { 'Accept-Language': 'en' });
    expectStatus(made, 201);
    const id = made.body.id as string;
    expectStatus(await n('POST', reports, sales, { creditCode: a.creditCode }), 409);
    expectStatus(await n('POST', `/v1/partners/${newPartner()}/customer-reports`, await tokenFor(['partner_sales'], 'P-oa-x'), { creditCode: a.creditCode }), 404);
    expectStatus(await n('POST', reports, sales, { creditCode: freshCreditCode() }), 422);
    expectStatus(await n('POST', reports, sales, { creditCode: 'nope' }), 400);
    expectStatus(await n('GET', `${reports}?limit=1`, sales), 200);
    expectStatus(await n('GET', reports, stranger), 404);
    expectStatus(await n('GET', `/v1/customer-reports/${id}`, sales), 200);
    expectStatus(await n('GET', `/v1/customer-reports/${id}`, stranger), 404);
    expectStatus(await n('POST', `/v1/customer-reports/${id}/review`, manager, { decision: 'APPROVE' }), 409);

    const invited = await n('POST', `/v1/customer-reports/${id}/invitation`, sales, { mode: 'RESELLER' });
    expectStatus(invited, 201);
    expectStatus(await n('POST', `/v1/customer-reports/${id}/invitation`, sales, { mode: 'BOTH' }), 400);
    const link = `/v1/customer-invitations/${invited.body.token}`;
    const customer = await customerToken(a.customerId);
    expectStatus(await n('GET', link, customer), 200);
    expectStatus(await n('GET', `/v1/customer-invitations/${'A'.repeat(43)}`, customer), 404);
    const b = await enterprise();
    expectStatus(await n('GET', link, await customerToken(b.customerId)), 403);
    expectStatus(await n('POST', `${link}/accept`, customer), 201);
    expectStatus(await n('POST', `${link}/accept`, customer), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/customers?limit=5`, sales), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/customers`, stranger), 404);
    expectStatus(await n('POST', `/v1/customer-reports/${id}/withdraw`, sales, {}), 409);

    // A report the rules refuse, asked for manual review, rejected; another withdrawn.
    const refused = await n('POST', reports, sales, { creditCode: a.creditCode, manualReview: true, justification: 'already ours' });
    expectStatus(refused, 201);
    expectStatus(await n('POST', `/v1/customer-reports/${refused.body.id}/review`, sales, { decision: 'REJECT', note: 'no' }), 403);
    expectStatus(await n('POST', `/v1/customer-reports/${refused.body.id}/review`, manager, { decision: 'REJECT' }), 400);
    expectStatus(await n('POST', `/v1/customer-reports/${refused.body.id}/review`, manager, { decision: 'REJECT', note: 'associated already' }), 200);
    const other = await n('POST', reports, sales, { creditCode: b.creditCode });
    expectStatus(await n('POST', `/v1/customer-reports/${other.body.id}/withdraw`, sales, { reason: 'not now' }), 200);
    expectStatus(await n('POST', `/v1/customer-reports/${other.body.id}/withdraw`, stranger, {}), 404);
  });

  it('every customer route was exercised with a success answer', () => {
    expect(unexercised('customers')).toEqual([]);
  });
});
