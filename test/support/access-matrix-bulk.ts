/**
 * Bulk actions (issue 20 section 5, docs/bulk-actions.md) in the access matrix. Submitting acts as the caller's own
 * partner, so any partner's staff with opportunity.act may submit (202) and the vendor may not; the matrix's jobs name
 * an opportunity id nothing holds (each item REFUSED 404), so no call changes another entry's objects. Reading a job is
 * partner-scoped: one job of OWN, submitted once by OWN's sales member, is 404 to every other partner's staff.
 */
import { randomUUID } from 'node:crypto';
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { OWN } from './access-matrix-table.js';

const nothingHeld = () => ({ kind: 'opportunity.accept', items: [{ opportunityId: randomUUID() }] });

export function bulkEntries(base: () => string): MatrixTable {
  let ownJob: Promise<string> | undefined;
  const job = () =>
    (ownJob ??= (async () => {
      const sales = await tokenFor(['partner_sales'], OWN);
      const res = await call(base(), 'POST', '/v1/bulk-actions', sales, nothingHeld(), { 'Idempotency-Key': randomUUID() });
      if (res.status !== 202) throw new Error(`setup: POST /v1/bulk-actions answered ${res.status} ${JSON.stringify(res.body)}`);
      return res.body.id as string;
    })());
  return {
    'POST /v1/bulk-actions': {
      success: 202,
      partnerOwned: false,
      request: () => ({ body: nothingHeld(), headers: { 'Idempotency-Key': randomUUID() } }),
    },
    'GET /v1/bulk-actions/:id': { success: 200, partnerOwned: true, partnerInPath: true, request: async () => ({ params: { id: await job() } }) },
  };
}
