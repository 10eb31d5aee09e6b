/**
 * What the caller's roles may do on the operations page. Display only, like views.ts: the API decides every request by
 * the permissions of the token's roles (domain/auth.ts); these lists follow that table, so that a section a role
 * cannot use says so instead of offering a button that would only meet a 403.
 */
import type { Claims } from '../session';

/** The permissions the page's actions need, with the roles that hold them (domain/auth.ts ROLE_PERMISSIONS). */
const HOLDERS = {
  /** POST /v1/opportunities. */
  'opportunity.share': ['vendor_staff', 'vendor_ecosystem_manager', 'vendor_admin'],
  /** POST /v1/admin/incentive-runs. */
  'incentive.run': ['vendor_ecosystem_manager', 'vendor_admin'],
  /** POST /v1/admin/path-reviews. */
  'pathReview.run': ['vendor_ecosystem_manager', 'vendor_admin'],
  /** POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver. */
  'webhook.manage': ['vendor_admin'],
} as const;

export type OperationsPermission = keyof typeof HOLDERS;

export function may(claims: Claims | undefined, permission: OperationsPermission): boolean {
  const holders: readonly string[] = HOLDERS[permission];
  return !!claims && !claims.partnerId && claims.roles.some((role) => holders.includes(role));
}
