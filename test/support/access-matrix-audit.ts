/**
 * The access-matrix entry of the audit log's read route (issue 19 section 3, docs/audit.md): the vendor auditor alone
 * reads it (audit.read); every other role is refused, partner staff included, whose rows it also holds. The matrix's
 * own set-up (OWN's members and roles, made by OWN's administrator) writes rows naming OWN, so the auditor's answer
 * is a page of real rows, checked against the route's response schema.
 */
import type { MatrixTable } from './access-matrix.js';
import { OWN } from './access-matrix-table.js';

export function auditEntries(): MatrixTable {
  return {
    'GET /v1/admin/audit': { success: 200, partnerOwned: false, request: () => ({ query: { partnerId: OWN, limit: '5' } }) },
  };
}
