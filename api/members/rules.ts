/**
 * What a change of a partner's members and roles may do: nobody grants a permission they do not hold (vendor staff
 * may grant any partner-assignable one), and the organization stays manageable. api/members/client.ts calls these
 * inside the transaction that would write, after lockOrganization(), so two changes of one partner never judge the
 * same old state (two admins demoting each other at once: the second one sees the first's result).
 *
 * "Managers" are the partner's active members whose stored roles (built-in or custom) grant member.manage. A partner
 * admin known only from its token (no member record: the bootstrap owner) is no stored manager; its token's roles
 * count until a record for its sub exists.
 * - last-member-manager (409): no change takes away the last manager — unless the caller is itself such a token-only
 *   admin of the partner (it keeps member.manage: the partner stays manageable).
 * - self-deactivation / self-demotion (422): nobody deactivates their own record or takes member.manage from it.
 * - self-downgrade (422): a record for the caller's own sub must grant every permission the caller holds.
 * - token-admin-downgrade (422): a record for a sub the audit log shows changing this partner's members or roles
 *   without a record (it did so with a partner_admin token: the only partner role holding member.manage and
 *   role.manage) must grant every partner_admin permission; to demote it, create it so and then change it, under the
 *   rules above. A sub never seen acting cannot be told from anyone else: a record for it is taken as given.
 */
import {
  can,
  isPartnerAssignable,
  isPartnerRole,
  PARTNER_ASSIGNABLE_PERMISSIONS,
  PARTNER_ROLES,
  type Permission,
  permissionsOfRoles,
  type Principal,
  type Role,
  ROLES,
} from '../../domain/auth.js';
import { Problem, problems } from '../../domain/problems.js';
import type { Prisma } from '../../prisma/generated/client.js';
import { isUuid } from '../kit/validation.js';

type Tx = Prisma.TransactionClient;

/** One member as the rules see it: its stored role references (built-in names, custom role ids). */
export type Seat = { id: string; sub: string; active: boolean; roles: readonly string[] };
export type Organization = { seats: readonly Seat[]; customRoles: ReadonlyMap<string, readonly string[]> };

/** Every change of a partner's members and roles takes this lock first (and holds it to the end of the transaction). */
export async function lockOrganization(tx: Tx, partnerId: string): Promise<void> {
  await tx.$queryRaw`SELECT pg_advisory_xact_lock(hashtext(${`partner-members:${partnerId}`}))::text`;
}

export async function loadOrganization(tx: Tx, partnerId: string): Promise<Organization> {
  const members = await tx.partnerMember.findMany({ where: { partnerId }, include: { roles: true } });
  const roles = await tx.partnerRole.findMany({ where: { partnerId }, select: { id: true, permissions: true } });
  return {
    seats: members.map((m) => ({ id: m.id, sub: m.sub, active: m.active, roles: m.roles.map((r) => r.role) })),
    customRoles: new Map(roles.map((r) => [r.id, r.permissions])),
  };
}

export const withSeat = (org: Organization, seat: Seat): Organization => ({ ...org, seats: org.seats.map((s) => (s.id === seat.id ? seat : s)) });
export const withRole = (org: Organization, roleId: string, permissions: readonly string[]): Organization => ({
  ...org,
  customRoles: new Map(org.customRoles).set(roleId, permissions),
});

// ---- grants: nobody grants what they lack ----------------------------------------------------------------------

/** What the caller may grant: its own partner-assignable permissions; vendor staff any partner-assignable one. */
function grantable(principal: Principal): Set<Permission> {
  if (principal.partnerId === undefined) return new Set(PARTNER_ASSIGNABLE_PERMISSIONS);
  return new Set(PARTNER_ASSIGNABLE_PERMISSIONS.filter((p) => can(principal, p)));
}

export function checkGrant(principal: Principal, permissions: Iterable<Permission>, field: string): void {
  const mine = grantable(principal);
  for (const permission of permissions) {
    if (!isPartnerAssignable(permission)) {
      throw problems.unprocessable('permission-not-assignable', `${permission} is a vendor permission; partner roles cannot hold it.`, field);
    }
    if (!mine.has(permission)) {
      throw problems.unprocessable('permission-not-grantable', `You cannot grant ${permission}: you do not hold it yourself.`, field);
    }
  }
}

/** Role references (built-in partner role names, custom role ids of this partner) → their permissions; locks the custom roles. */
export async function permissionsOfRefs(tx: Tx, partnerId: string, refs: string[]): Promise<Set<Permission>> {
  const builtIn = refs.filter((r) => (ROLES as readonly string[]).includes(r)) as Role[];
  const vendor = builtIn.filter((r) => !isPartnerRole(r));
  if (vendor.length) throw problems.unprocessable('role-not-assignable', `${vendor.join(', ')} is a vendor role; members of a partner cannot hold it.`, 'roles');
  const ids = refs.filter((r) => !(ROLES as readonly string[]).includes(r));
  const notIds = ids.filter((r) => !isUuid(r));
  // FOR SHARE: a role cannot be deleted while an assignment to it is being written (DELETE takes FOR UPDATE).
  const found = ids.length && !notIds.length
    ? await tx.$queryRaw<{ id: string; permissions: string[] }[]>`SELECT id, permissions FROM partner_role WHERE partner_id = ${partnerId} AND id = ANY(${ids.map((i) => i.toLowerCase())}::text[]) FOR SHARE`
    : [];
  const unknown = [...notIds, ...ids.filter((id) => isUuid(id) && !found.some((f) => f.id === id.toLowerCase()))];
  if (unknown.length) {
    throw problems.unprocessable('unknown-role', `Unknown role(s): ${unknown.join(', ')} — neither a built-in partner role (${PARTNER_ROLES.join(', ')}) nor a custom role of partner ${partnerId}.`, 'roles');
  }
  const permissions = new Set<Permission>(permissionsOfRoles(builtIn));
  for (const role of found) for (const p of role.permissions) if (isPartnerAssignable(p)) permissions.add(p);
  return permissions;
}

// ---- managers -----------------------------------------------------------------------------------------------------

const BUILT_IN = new Set<string>(PARTNER_ROLES);

function permissionsOf(org: Organization, roles: readonly string[]): Set<Permission> {
  const permissions = new Set<Permission>(permissionsOfRoles(roles.filter((r): r is Role => BUILT_IN.has(r))));
  for (const role of roles) for (const p of org.customRoles.get(role) ?? []) if (isPartnerAssignable(p)) permissions.add(p);
  return permissions;
}

const managersOf = (org: Organization) => new Set(org.seats.filter((s) => s.active && permissionsOf(org, s.roles).has('member.manage')).map((s) => s.id));

const refuse = (status: 409 | 422, code: string, detail: string, field: string, extensions?: Record<string, unknown>) =>
  new Problem(status, code, status === 409 ? 'The request conflicts with the current state' : 'The request cannot be processed', detail, [{ field, message: detail }], extensions);

/**
 * Refuses turning `before` into `after` when it deactivates or demotes the caller's own record, or leaves the partner
 * without a manager. `field` names what the change touched (roles, permissions); a deactivation names `active`.
 */
export function checkManagersKept(principal: Principal, partnerId: string, before: Organization, after: Organization, field: string): void {
  const was = managersOf(before);
  const is = managersOf(after);
  const own = principal.partnerId === partnerId ? before.seats.find((s) => s.sub === principal.sub) : undefined;
  const ownAfter = own && after.seats.find((s) => s.id === own.id);
  if (own && ownAfter && own.active && !ownAfter.active) {
    throw refuse(422, 'self-deactivation', 'You cannot deactivate your own membership; another member manager can.', 'active');
  }
  if (own && was.has(own.id) && !is.has(own.id)) {
    throw refuse(422, 'self-demotion', 'You cannot take member.manage from yourself; another member manager can.', field);
  }
  const lost = after.seats.filter((s) => was.has(s.id) && !is.has(s.id));
  const tokenOnlyAdmin = principal.partnerId === partnerId && !own && can(principal, 'member.manage');
  if (lost.length && is.size === 0 && !tokenOnlyAdmin) {
    const names = lost.map((s) => s.sub).join(', ');
    throw refuse(
      409,
      'last-member-manager',
      `${names} is the last active member holding member.manage in partner ${partnerId}; give it to another member first.`,
      lost.every((s) => !s.active) ? 'active' : field,
      { members: lost.map((s) => ({ id: s.id, sub: s.sub })) },
    );
  }
}

/** The audited actions (api/kit/http.ts: `METHOD path`) of the member and role routes (api/members/routes.ts). */
export const MEMBER_MANAGEMENT_ACTIONS = [
  'POST /v1/partners/:partnerId/members',
  'PATCH /v1/partners/:partnerId/members/:memberId',
  'POST /v1/partners/:partnerId/roles',
  'PATCH /v1/partners/:partnerId/roles/:roleId',
  'DELETE /v1/partners/:partnerId/roles/:roleId',
];

/** Refuses a new record for `sub` (which has none yet) that grants less than the token-only admin it would replace. */
export async function checkNoSilentDowngrade(tx: Tx, principal: Principal, partnerId: string, sub: string, granted: ReadonlySet<Permission>): Promise<void> {
  const missingOf = (held: readonly Permission[]) => held.filter((p) => !granted.has(p));
  if (principal.partnerId === partnerId && sub === principal.sub) {
    const missing = missingOf(PARTNER_ASSIGNABLE_PERMISSIONS.filter((p) => can(principal, p)));
    if (missing.length) {
      throw refuse(422, 'self-downgrade', `A member record for yourself must keep what you hold; it lacks ${missing.join(', ')}.`, 'roles', { missing });
    }
    return;
  }
  const seen = await tx.auditLog.findFirst({ where: { actorPartnerId: partnerId, actor: sub, action: { in: MEMBER_MANAGEMENT_ACTIONS } }, select: { id: true } });
  const missing = seen ? missingOf(permissionsOfRoles(['partner_admin'])) : [];
  if (missing.length) {
    throw refuse(
      422,
      'token-admin-downgrade',
      `${sub} manages partner ${partnerId} with its token's partner_admin; a record for it must grant every partner_admin permission (then change it): it lacks ${missing.join(', ')}.`,
      'roles',
      { missing },
    );
  }
}
