/**
 * The access-matrix entries of the funds routes (issue 18 section 4). OWN gets, once, a recharge of 1 000 000 fen fed
 * by the billing identity, a RESELLER customer associated with it (by SQL, as the customer reporting will) and an
 * allocation of 100 000 to that customer; then every allowed allocation moves 1 fen, every allowed reclaim returns 1,
 * every allowed spend spends 1 — each with a fresh Idempotency-Key (and spend key) — so every allowed call succeeds
 * alike and the balance never runs out during the run.
 */
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../../platform/db.js';
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { OWN, own } from './access-matrix-table.js';
import { associate, cny } from './funds.js';

const fresh = () => ({ 'Idempotency-Key': randomUUID() });

export function fundsEntries(base: () => string, prisma: () => PrismaClient): MatrixTable {
  let shared: Promise<string> | undefined;
  const customer = () =>
    (shared ??= (async () => {
      const customerId = `C-mx-${randomUUID().slice(0, 8)}`;
      const feeder = await tokenFor(['vendor_system'], undefined, 'matrix-billing');
      const fed = await call(base(), 'POST', `/v1/partners/${OWN}/account/ledger-entries`, feeder, {
        source: 'matrix-billing',
        entries: [{ kind: 'RECHARGE', key: randomUUID(), amount: cny(1_000_000), occurredAt: '2026-03-01T00:00:00Z' }],
      }, fresh());
      if (fed.status !== 201) throw new Error(`setup: recharge answered ${fed.status} ${JSON.stringify(fed.body)}`);
      await associate(prisma(), OWN, customerId);
      const allocated = await call(base(), 'POST', `/v1/partners/${OWN}/customers/${customerId}/allocations`, await tokenFor(['partner_finance'], OWN, 'matrix-setup-finance'), { amount: cny(100_000) }, fresh());
      if (allocated.status !== 201) throw new Error(`setup: allocation answered ${allocated.status} ${JSON.stringify(allocated.body)}`);
      return customerId;
    })());
  return {
    'POST /v1/partners/:partnerId/customers/:customerId/allocations': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: async (_, fx) => ({ params: own(fx, { customerId: await customer() }), body: { amount: cny(1) }, headers: fresh() }),
    },
    'POST /v1/partners/:partnerId/customers/:customerId/reclaims': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: async (_, fx) => ({ params: own(fx, { customerId: await customer() }), body: { currency: 'CNY', minor: 1 }, headers: fresh() }),
    },
    'GET /v1/partners/:partnerId/customers/:customerId/funds': { success: 200, partnerOwned: true, partnerInPath: true, request: async (_, fx) => ({ params: own(fx, { customerId: await customer() }) }) },
    'POST /v1/customers/:customerId/spend': {
      success: 201,
      partnerOwned: false,
      request: async () => ({
        params: { customerId: await customer() },
        body: { source: 'matrix-billing', key: randomUUID(), amount: cny(1), occurredAt: '2026-03-02T00:00:00Z' },
        headers: fresh(),
      }),
    },
    'GET /v1/partners/:partnerId/statement': { success: 200, partnerOwned: true, partnerInPath: true, request: async (_, fx) => (await customer(), { params: own(fx) }) },
  };
}
