/**
 * What the caller may do on the operations page, by its effective permissions (GET /v1/me, me.ts) — never by role
 * names. Display only: the API decides every request; a section whose action the caller may not take says so instead
 * of offering a button that would only meet a 403.
 */
import { holds, type Me } from '../me';

/** The permissions the page's actions need: POST /v1/opportunities, POST /v1/admin/incentive-runs, POST /v1/admin/path-reviews, and redelivering a webhook delivery. */
export type OperationsPermission = 'opportunity.share' | 'incentive.run' | 'pathReview.run' | 'webhook.manage';

/** The vendor's operations are the vendor's: partner staff are never offered them, whatever they hold. */
export function may(me: Me | undefined, permission: OperationsPermission): boolean {
  return Boolean(me) && !me?.partnerId && holds(me, permission);
}
