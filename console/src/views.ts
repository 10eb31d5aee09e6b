/**
 * Which pages of the console a caller sees, by the roles its token names. Display only: the API decides every
 * request by the permissions of those roles (domain/auth.ts), so a page shown to a role that cannot use it would
 * only meet 403s — these lists follow the permissions each page's routes need.
 */
import type { Claims } from './session';

export type View = 'inbox' | 'reviews' | 'operations';

/** `review.queue` (GET /v1/review-queue): whoever decides reviews of some kind. */
const REVIEWERS = ['vendor_reviewer', 'vendor_ecosystem_manager', 'vendor_admin'];
/** `opportunity.share` and the vendor's reads (runs, calendars): the vendor's operations staff. */
const OPERATORS = ['vendor_staff', 'vendor_ecosystem_manager', 'vendor_admin'];

export function viewsOf(claims: Claims): View[] {
  if (claims.partnerId) return ['inbox'];
  return [...(claims.roles.some((role) => REVIEWERS.includes(role)) ? (['reviews'] as const) : []), ...(claims.roles.some((role) => OPERATORS.includes(role)) ? (['operations'] as const) : [])];
}

/** Each page's path under /console. */
export const VIEW_PATHS: Record<View, string> = { inbox: '/inbox', reviews: '/reviews', operations: '/operations' };
