/**
 * The access-matrix entries of the routes the operations page added (issue 20 §4): a year of a business calendar —
 * public data like the calendar itself, so every authenticated caller reads it — and the list of incentive runs, the
 * vendor's (incentive.readAll). The list is read after a run exists, so that its answer has an item to check against
 * the response schema.
 */
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { RUN_PERIOD } from './access-matrix-table.js';

/** Lists whose items are no partner's data (see CATALOG_LISTS in access-matrix-table.ts): the reason, per route. */
export const OPERATIONS_CATALOG: Record<string, string> = {
  'GET /v1/admin/incentive-runs': "the vendor's monthly generation runs: one per period for every partner, naming none",
};

/** The entries; `base` is the normal-mode API's address, where the list's run is started once (joined if going). */
export function operationsEntries(base: () => string): MatrixTable {
  let runStarted: Promise<void> | undefined;
  async function startRun() {
    const res = await call(base(), 'POST', '/v1/admin/incentive-runs', await tokenFor(['vendor_admin'], undefined, 'matrix-setup'), { period: RUN_PERIOD });
    if (res.status !== 202) throw new Error(`setup: incentive run answered ${res.status} ${JSON.stringify(res.body)}`);
  }
  return {
    'GET /v1/calendars/:name/years/:year': { success: 200, partnerOwned: false, request: () => ({ params: { name: 'CN', year: '2026' } }) },
    'GET /v1/admin/incentive-runs': {
      success: 200,
      partnerOwned: false,
      request: async () => {
        await (runStarted ??= startRun());
        return { query: { limit: '5' } };
      },
    },
  };
}
