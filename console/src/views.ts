/**
 * Which pages of the console a caller sees, by its effective permissions (GET /v1/me, me.ts) — never by role names,
 * so a partner member's custom role counts like a built-in one. Display only: the API decides every request, and a
 * page is shown exactly when the caller holds what the page's routes need.
 */
import { holds, type Me, useMe } from './me';

export type View = 'inbox' | 'reviews' | 'operations';

export function viewsOf(me: Me): View[] {
  const views: View[] = [];
  // The inbox is a partner's: what waits for its staff, read from the partner's own lists.
  if (me.partnerId) views.push('inbox');
  // GET /v1/review-queue.
  if (holds(me, 'review.queue')) views.push('reviews');
  // The vendor's operations (POST /v1/opportunities, and the vendor's reads beside it): whoever shares opportunities.
  if (holds(me, 'opportunity.share')) views.push('operations');
  return views;
}

/** The signed-in caller's pages; undefined while GET /v1/me loads, and the read's error when it failed. */
export function useViews(): { views: View[] | undefined; error: Error | null } {
  const me = useMe();
  return { views: me.data ? viewsOf(me.data) : undefined, error: me.error };
}

/** Each page's path under /console. */
export const VIEW_PATHS: Record<View, string> = { inbox: '/inbox', reviews: '/reviews', operations: '/operations' };
