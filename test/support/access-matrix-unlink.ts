/**
 * The access-matrix entries of unlinks and refunds (issue 18 section 3).
 *
 * An unlink is one open per customer, and each allowed POST consumes what it acts on, so every object is made once and
 * shared: refused calls (which run first, one at a time) must leave it as it was, and the one allowed call then uses
 * it. OWN's customer A (associated by SQL, its facts clear) is previewed and unlinked by OWN's admin; OWN's customer C
 * asks to unlink (its own token, through the API) and OWN's admin objects to that request, which every reader reads.
 *
 * The customer routes' one allowed caller is the matrix's customer (MATRIX_CUSTOMER), associated with OWN when the
 * customer-report entries' invitation is accepted — an allowed call, so it happens after every refused write. The
 * refused writes' requests are made before any read's (the matrix makes them first), so a read's request marks that the
 * allowed calls have begun: before, the customer's writes answer placeholders (a refused call never reaches the
 * object); after, they wait for the association (the acceptance is planned before them, but may still be running in
 * another lane). Then OWN asks to unlink it (U-p), the customer reads U-p and objects to it, and — declared after the
 * objection (api/unlink/routes.ts), so planned after it — asks for its own unlink once U-p is no longer open.
 */
import { randomUUID } from 'node:crypto';
import { DEFAULT_UNLINK_TERMS } from '../../domain/unlink.js';
import type { PrismaClient } from '../../platform/db.js';
import { openAssociationOf, openUnlinkOf, unlinkPlan } from '../../platform/unlink.js';
import { call, tokenFor } from './app.js';
import { MATRIX_CUSTOMER, type MatrixTable } from './access-matrix.js';
import { OWN, own, unique } from './access-matrix-table.js';
import { customerToken, insertCustomerFacts } from './customer-fixtures.js';

const fresh = () => ({ 'Idempotency-Key': randomUUID() });
const PLACEHOLDER_HASH = '0'.repeat(64);
const clearFacts = () => {
  const observedAt = new Date(Date.now() - 60_000).toISOString();
  return [
    { kind: 'FROZEN', value: { frozen: false }, observedAt },
    { kind: 'RESERVED_INSTANCES', value: { count: 0 }, observedAt },
    { kind: 'SUPPORT_PLANS', value: { count: 0 }, observedAt },
  ];
};

export function unlinkEntries(base: () => string, prisma: () => PrismaClient): MatrixTable {
  const send = async (token: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
    const res = await call(base(), method, path, token, body, headers);
    if (res.status >= 300) throw new Error(`setup: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  /** What an unlink of the customer would do now: the hash its preview answers (the fixtures' own read of it). */
  const hashOf = async (customerId: string) => {
    const association = (await openAssociationOf(prisma(), customerId))!;
    return (await unlinkPlan(prisma(), association, new Date(), 'Asia/Shanghai', DEFAULT_UNLINK_TERMS)).hash;
  };
  const ownCustomer = async (prefix: string) => {
    const customerId = unique(prefix);
    await prisma().$executeRawUnsafe(
      `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by) VALUES ($1::uuid, $2, $3, '91330100799655058B', 'RESELLER', now(), 'matrix')`,
      randomUUID(), OWN, customerId,
    );
    await insertCustomerFacts(customerId, clearFacts());
    return customerId;
  };
  const once = <T>(make: () => Promise<T>) => {
    let made: Promise<T> | undefined;
    return () => (made ??= make());
  };
  const customerA = once(() => ownCustomer('C-mx-ula'));
  /** C's own request to unlink from OWN: OWN's admin objects to it. */
  const customerRequest = once(async () => {
    const customerId = await ownCustomer('C-mx-ulc');
    return send(await customerToken(customerId), 'POST', '/v1/customer/unlinks', { previewHash: await hashOf(customerId) }, fresh());
  });
  /** Set by the first read's request: the refused writes have all been prepared, the allowed calls are under way. */
  let allowedCallsBegun = false;
  const reading = () => {
    allowedCallsBegun = true;
  };
  const until = async (what: string, probe: () => Promise<boolean>) => {
    for (let i = 0; i < 600; i++) {
      if (await probe()) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`setup: waited a minute for ${what}`);
  };
  /** OWN's request to unlink MATRIX_CUSTOMER, once its invitation was accepted; undefined while the refused writes are prepared. */
  let partnerRequest: Promise<{ id: string }> | undefined;
  const matrixCustomerRequest = async () => {
    if (!allowedCallsBegun) return undefined;
    await until(`${MATRIX_CUSTOMER}'s association (the invitation accepted)`, async () => (await openAssociationOf(prisma(), MATRIX_CUSTOMER)) !== undefined);
    return (partnerRequest ??= (async () => {
      await insertCustomerFacts(MATRIX_CUSTOMER, clearFacts());
      const admin = await tokenFor(['partner_admin'], OWN, 'matrix-setup-unlink');
      return send(admin, 'POST', `/v1/partners/${OWN}/customers/${MATRIX_CUSTOMER}/unlinks`, { previewHash: await hashOf(MATRIX_CUSTOMER) }, fresh());
    })());
  };
  const byOwnId = { success: 200, partnerOwned: true, partnerInPath: true } as const;
  return {
    'GET /v1/partners/:partnerId/customers/:customerId/unlink-preview': { ...byOwnId, request: async (_, fx) => (reading(), { params: own(fx, { customerId: await customerA() }) }) },
    'POST /v1/partners/:partnerId/customers/:customerId/unlinks': {
      ...byOwnId,
      success: 201,
      request: async (_, fx) => {
        const customerId = await customerA();
        return { params: own(fx, { customerId }), body: { previewHash: await hashOf(customerId) }, headers: fresh() };
      },
    },
    'GET /v1/unlinks/:id': { ...byOwnId, request: async () => (reading(), { params: { id: (await customerRequest()).id } }) },
    'POST /v1/unlinks/:id/objection': { ...byOwnId, request: async () => ({ params: { id: (await customerRequest()).id }, body: { reason: 'access matrix' } }) },
    'GET /v1/customer/unlink-preview': { success: 200, partnerOwned: false, request: async () => (reading(), await matrixCustomerRequest(), {}) },
    'GET /v1/customer/unlinks/:id': { success: 200, partnerOwned: false, request: async () => (reading(), { params: { id: (await matrixCustomerRequest())!.id } }) },
    'POST /v1/customer/unlinks/:id/objection': { success: 200, partnerOwned: false, request: async () => ({ params: { id: (await matrixCustomerRequest())?.id ?? randomUUID() }, body: {} }) },
    'POST /v1/customer/unlinks': {
      success: 201,
      partnerOwned: false,
      request: async () => {
        if (!(await matrixCustomerRequest())) return { body: { previewHash: PLACEHOLDER_HASH }, headers: fresh() };
        // Its own request once OWN's is no longer open (the customer's objection, planned before it).
        await until(`the objection to ${MATRIX_CUSTOMER}'s unlink`, async () => (await openUnlinkOf(prisma(), MATRIX_CUSTOMER)) === undefined);
        return { body: { previewHash: await hashOf(MATRIX_CUSTOMER) }, headers: fresh() };
      },
    },
    'POST /v1/customers/:customerId/refunds': {
      success: 201,
      partnerOwned: false,
      request: () => ({
        params: { customerId: unique('C-mx-refund') },
        body: { source: 'matrix-billing', refunds: [{ key: randomUUID(), consumedAt: '2026-03-02T00:00:00Z', amount: { currency: 'CNY', minor: 1 } }] },
        headers: fresh(),
      }),
    },
  };
}
