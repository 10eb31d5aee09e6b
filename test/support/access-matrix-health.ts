/**
 * The access-matrix entries of the orchestrator's probes (issue 19 section 4): liveness and readiness are public, like
 * /healthz (test/support/access-matrix-table.ts), and answer every caller alike — 200 while the test stack's database
 * and Temporal answer.
 */
import type { MatrixTable } from './access-matrix.js';

export const healthEntries = (): MatrixTable => ({
  'GET /livez': { success: 200, partnerOwned: false, request: () => ({}) },
  'GET /readyz': { success: 200, partnerOwned: false, request: () => ({}) },
});
