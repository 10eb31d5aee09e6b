/**
 * Bulk actions (issue 20 section 5, docs/bulk-actions.md) in the access matrix. The route admits every staff role
 * (opportunity.read); what a job does needs its kind's permission, checked in the handler with the kit's 403 — the
 * matrix's job accepts opportunities, so it demands opportunity.act: any partner's staff holding it may submit (202),
 * the vendor and partner_finance may not. The kinds' other permissions (incentive.verify, review.queue and each review
 * kind's) are shown in test/bulk-action.kinds.test.ts. The matrix's jobs name an opportunity id nothing holds (each
 * item REFUSED 404), so no call changes another entry's objects. Reading a job is partner-scoped: one job of OWN,
 * submitted once by OWN's sales member, is 404 to every other partner's staff.
 */
import { randomUUID } from 'node:crypto';
import { call, tokenFor } from './app.js';
import type { MatrixEntry, MatrixTable } from './access-matrix.js';
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
  // What this entry's request demands beyond the route's permission (opportunity.read, which every staff role holds):
  // the permission of its kind, checked in the handler — accepting opportunities, opportunity.act.
  const submit: MatrixEntry = {
    success: 202,
    partnerOwned: false,
    alsoDemands: 'opportunity.act',
    request: () => ({ body: nothingHeld(), headers: { 'Idempotency-Key': randomUUID() } }),
  };
  return {
    'POST /v1/bulk-actions': submit,
    // The list is the caller's own: every staff role reads it (200). Naming OWN, with OWN's job recorded, the vendor sees
    // that job (a leak could show) and every other partner's staff see nothing of it (checked for foreign items).
    'GET /v1/bulk-actions': { success: 200, partnerOwned: false, request: async () => (await job(), { query: { partnerId: OWN } }) },
    'GET /v1/bulk-actions/:id': { success: 200, partnerOwned: true, partnerInPath: true, request: async () => ({ params: { id: await job() } }) },
  };
}
