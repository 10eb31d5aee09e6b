/**
 * Which partner's rows a list answers. Staff holding the process's read-all permission (the vendor's) see every
 * partner's, or the one they filter by; partner staff see their own partner's only, and a partner asking for another
 * partner's list gets an empty one — as if that partner had none, never a hint that it exists.
 */
import { can, type Permission, type Principal } from '../../domain/auth.js';

/** The `where` piece of the list's query, or null: answer an empty page. */
export function listScope(principal: Principal, readAll: Permission, requested: string | undefined): { partnerId?: string } | null {
  if (can(principal, readAll)) return requested ? { partnerId: requested } : {};
  return requested && requested !== principal.partnerId ? null : { partnerId: principal.partnerId! };
}
