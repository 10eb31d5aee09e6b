/**
 * The access-matrix entries of customer facts, customer reports (报备) and invitations (issue 18 sections 0 and 2).
 *
 * A report protects its enterprise once, so every allowed call that consumes or creates a report (POST a report,
 * withdraw, review) works on an enterprise of its own, made per request; the reads share one report of OWN. The
 * invitation routes' one allowed caller is the matrix's customer (MATRIX_CUSTOMER): its account belongs to an
 * enterprise OWN reported and invited it to, made once; the customer accepts once (201) and its GET answers 200 before
 * (VALID) and after (ACCEPTED). The invitation POST issues links of reports of their own, so the customer's link stays
 * valid. Vendor staff hold customer.expand and act on a partner's behalf; another partner's staff are answered 404.
 */
import { randomUUID } from 'node:crypto';
import { call, tokenFor } from './app.js';
import { MATRIX_CUSTOMER, type MatrixTable } from './access-matrix.js';
import { LIST_QUERY, OWN, own, unique } from './access-matrix-table.js';
import { enterprises, freshCreditCode, insertCustomerFacts, reportableFacts } from './customer-fixtures.js';

export function customerEntries(base: () => string): MatrixTable {
  const send = async (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await call(base(), method, path, token, body, headers);
    if (res.status >= 300) throw new Error(`setup: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };
  // Facts go straight into the table: the matrix's own requests already come close to the per-address rate limit.
  const feed = async (customerId: string, creditCode: string) => {
    const now = new Date().toISOString();
    await insertCustomerFacts(customerId, reportableFacts(creditCode, now.slice(0, 10), now));
  };
  /** A fresh enterprise in the records with one reportable account. */
  const reportable = async () => {
    const creditCode = freshCreditCode();
    await enterprises(creditCode);
    await feed(unique('C-mx'), creditCode);
    return creditCode;
  };
  const ownAdmin = () => tokenFor(['partner_admin'], OWN, 'matrix-setup-partner');
  const report = async (partnerId: string, body: Record<string, unknown> = {}) =>
    (await send(await tokenFor(['partner_admin'], partnerId, `${partnerId}-setup`), 'POST', `/v1/partners/${partnerId}/customer-reports`, { creditCode: await reportable(), ...body })) as { id: string };

  let shared: Promise<{ id: string }> | undefined;
  const ownReport = () => (shared ??= report(OWN));
  /** OWN's report of MATRIX_CUSTOMER's enterprise, invited: the link's token. */
  let link: Promise<string> | undefined;
  const customerLink = () =>
    (link ??= (async () => {
      const creditCode = freshCreditCode();
      await enterprises(creditCode);
      await feed(MATRIX_CUSTOMER, creditCode);
      const admin = await ownAdmin();
      const r = (await send(admin, 'POST', `/v1/partners/${OWN}/customer-reports`, { creditCode })) as { id: string };
      return ((await send(admin, 'POST', `/v1/customer-reports/${r.id}/invitation`, { mode: 'RESELLER' })) as { token: string }).token;
    })());
  const byOwnId = { success: 200, partnerOwned: true, partnerInPath: true } as const;
  return {
    'POST /v1/customers/:customerId/facts': {
      success: 201,
      partnerOwned: false,
      request: () => ({
        params: { customerId: unique('C-mx-feed') },
        body: { source: 'billing', facts: [{ kind: 'FROZEN', value: { frozen: false }, observedAt: new Date().toISOString() }] },
        headers: { 'Idempotency-Key': randomUUID() },
      }),
    },
    'GET /v1/customers/:customerId': { success: 200, partnerOwned: false, request: async () => (await customerLink(), { params: { customerId: MATRIX_CUSTOMER } }) },
    'POST /v1/partners/:partnerId/customer-reports': { success: 201, partnerOwned: true, partnerInPath: true, request: async (_, fx) => ({ params: own(fx), body: { creditCode: await reportable() } }) },
    'GET /v1/partners/:partnerId/customer-reports': { success: 200, partnerOwned: true, partnerInPath: true, request: async (_, fx) => (await ownReport(), { params: own(fx), query: LIST_QUERY }) },
    'GET /v1/partners/:partnerId/customers': { success: 200, partnerOwned: true, partnerInPath: true, request: async (_, fx) => ({ params: own(fx), query: LIST_QUERY }) },
    'GET /v1/customer-reports/:id': { ...byOwnId, request: async () => ({ params: { id: (await ownReport()).id } }) },
    // Its own report per request: two links issued at once on one report answer 409 action-in-progress (retry).
    'POST /v1/customer-reports/:id/invitation': { ...byOwnId, success: 201, request: async () => ({ params: { id: (await report(OWN)).id }, body: { mode: 'CONSULTATIVE' } }) },
    'POST /v1/customer-reports/:id/withdraw': { ...byOwnId, request: async () => ({ params: { id: (await report(OWN)).id }, body: { reason: 'access matrix' } }) },
    'POST /v1/customer-reports/:id/review': {
      success: 200,
      partnerOwned: false,
      request: async () => ({ params: { id: (await report(unique('P-mx-cr'), { manualReview: true, justification: 'access matrix' })).id }, body: { decision: 'REJECT', note: 'access matrix' } }),
    },
    'GET /v1/customer-invitations/:token': { success: 200, partnerOwned: false, request: async () => ({ params: { token: await customerLink() } }) },
    'POST /v1/customer-invitations/:token/accept': { success: 201, partnerOwned: false, request: async () => ({ params: { token: await customerLink() } }) },
  };
}
