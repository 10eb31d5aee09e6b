/**
 * The audit log's read route (issue 19 section 3, docs/audit.md): who did what to which object, when, under which
 * request id — for the vendor's auditors only (audit.read; no staff role holds it: separation of duties).
 */
import { defineRoute, type RouteDef } from '../kit/http.js';
import type { AuditClient } from './client.js';
import { auditPageSchema, auditQuery } from './schemas.js';

export function auditRoutes(audit: AuditClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/admin/audit',
      permission: 'audit.read',
      summary:
        'The audit log: one row per successful state-changing call (actor, the actor’s partner, method and route, target, status, request id, time), newest first, in keyset pages; filtered by actor, partnerId, action, target and the period [from, to), each exact, all together. 400 naming the field for a malformed filter, a `to` not after `from`, or a cursor this API did not emit.',
      query: auditQuery,
      responses: { 200: auditPageSchema },
      handler: async ({ query }) => ({ status: 200, body: await audit.list(query) }),
    }),
  ];
}
