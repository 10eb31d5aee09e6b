/**
 * The effective permissions of partner staff: a token whose (partnerId, sub) has a member record gets that member's
 * roles and permissions (built-in roles and the partner's custom roles), an inactive member is refused everywhere.
 * Resolved members are cached briefly in this process; every member or role change clears the cache at once.
 */
import { isPartnerAssignable, PARTNER_ROLES, type Permission, permissionsOfRoles, type Principal, type Role } from '../../domain/auth.js';
import { Problem } from '../../domain/problems.js';
import type { PrismaClient } from '../../prisma/generated/client.js';
import { isUuid } from '../kit/validation.js';

/** How long a resolved member is trusted without reading the database again. Writes here clear it at once. */
export const PRINCIPAL_CACHE_MS = 5_000;
const CACHE_MAX_ENTRIES = 10_000;
type Resolved = { kind: 'none' } | { kind: 'inactive' } | { kind: 'member'; memberId: string; roles: Role[]; permissions: Permission[] };
const principalCache = new Map<string, { at: number; resolved: Resolved }>();

/** Forget every resolved member: called after any member or role change (and by tests). */
export const invalidatePrincipalCache = () => principalCache.clear();


function deactivated(partnerId: string): Problem {
  return new Problem(403, 'membership-deactivated', 'Not allowed', `Your membership of partner ${partnerId} is deactivated.`);
}

async function resolve(prisma: PrismaClient, partnerId: string, sub: string): Promise<Resolved> {
  const member = await prisma.partnerMember.findUnique({ where: { partnerId_sub: { partnerId, sub } }, include: { roles: true } });
  if (!member) return { kind: 'none' };
  if (!member.active) return { kind: 'inactive' };
  const names = member.roles.map((r) => r.role);
  const builtIn = names.filter((r): r is Role => (PARTNER_ROLES as readonly string[]).includes(r));
  const customIds = names.filter(isUuid);
  const custom = customIds.length ? await prisma.partnerRole.findMany({ where: { partnerId, id: { in: customIds } } }) : [];
  const permissions = new Set<Permission>(permissionsOfRoles(builtIn));
  for (const role of custom) for (const p of role.permissions) if (isPartnerAssignable(p)) permissions.add(p);
  return { kind: 'member', memberId: member.id, roles: builtIn, permissions: [...permissions] };
}

/** For mountRoutes: partner staff with a member record get the member's roles and permissions. */
export async function resolvePrincipal(prisma: PrismaClient, principal: Principal): Promise<Principal> {
  const partnerId = principal.partnerId;
  if (partnerId === undefined) return principal;
  const key = `${partnerId}\n${principal.sub}`;
  const now = Date.now();
  let cached = principalCache.get(key);
  if (!cached || now - cached.at > PRINCIPAL_CACHE_MS) {
    cached = { at: now, resolved: await resolve(prisma, partnerId, principal.sub) };
    if (principalCache.size >= CACHE_MAX_ENTRIES) principalCache.clear();
    principalCache.set(key, cached);
  }
  const { resolved } = cached;
  if (resolved.kind === 'none') return principal;
  if (resolved.kind === 'inactive') throw deactivated(partnerId);
  return { ...principal, roles: resolved.roles, permissions: resolved.permissions, memberId: resolved.memberId };
}
