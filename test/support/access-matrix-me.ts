/**
 * The access-matrix entry of GET /v1/me (issue 20): any valid token may ask who it is ('signedIn' in the policy), so
 * every role answers 200 — the customer, the machine identities, the auditor and the operator included — while no
 * token is 401, and an IAM sub-user or a deactivated member is 403 as everywhere. The answer is about the caller
 * alone: nothing of a partner to hide from the other partner's staff.
 */
import type { MatrixTable } from './access-matrix.js';

export const meEntries = (): MatrixTable => ({
  'GET /v1/me': { success: 200, partnerOwned: false, request: () => ({}) },
});
