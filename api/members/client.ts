/**
 * The only door into the members and custom-roles tables: partner members, their roles, custom roles, and the
 * effective permissions of partner staff (resolvePrincipal, mounted as mountRoutes' resolver).
 *
 * Rules: partner staff manage only their own partner (another partner answers 404); vendor staff holding the
 * permission (vendor_admin) manage any partner. Nobody grants a permission they do not hold (vendor staff may
 * grant any partner-assignable one); reactivating a member grants its roles again. Custom roles hold partner-assignable
 * permissions only. The partner always keeps a member manager, nobody demotes or deactivates themselves, and a new record
 * never silently downgrades a token-only admin (api/members/rules.ts). Every change of a partner takes its
 * organization lock first; every refusal happens inside the transaction that would have written, so a refused request
 * changes nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  isPartnerAssignable,
  PARTNER_ROLES,
  type Permission,
  permissionsOfRoles,
  type Principal,
  ROLES,
} from '../../domain/auth.js';
import { Problem, problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import type { CustomRoleView, MemberView, RoleListView } from './schemas.js';
import { isUuid } from '../kit/validation.js';
import { reserveIdempotentId } from '../kit/idempotency.js';
import { invalidatePrincipalCache, resolvePrincipal } from './principals.js';
import { isUniqueViolation } from '../../platform/db.js';
import {
  checkGrant,
  checkManagersKept,
  checkNoSilentDowngrade,
  loadOrganization,
  lockOrganization,
  permissionsOfRefs,
  withRole,
  withSeat,
} from './rules.js';

type Tx = Prisma.TransactionClient;
type MemberRow = Prisma.PartnerMemberGetPayload<{ include: { roles: true } }>;
type RoleRow = Prisma.PartnerRoleGetPayload<object>;

export type NewMember = { sub: string; displayName: string; roles: string[]; workResidence?: string | undefined };
/** workResidence null: no longer said. */
export type MemberChange = { displayName?: string; active?: boolean; roles?: string[]; workResidence?: string | null | undefined };
export type NewRole = { name: string; permissions: Permission[] };
export type RoleChange = { name?: string; permissions?: Permission[] };

// ---- views ------------------------------------------------------------------------------------------------------

const memberView = (row: MemberRow): MemberView => ({
  id: row.id,
  partnerId: row.partnerId,
  sub: row.sub,
  displayName: row.displayName,
  active: row.active,
  workResidence: row.workResidence,
  roles: row.roles.map((r) => r.role).sort(),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const roleView = (row: RoleRow): CustomRoleView => ({
  id: row.id,
  partnerId: row.partnerId,
  name: row.name,
  permissions: row.permissions.filter(isPartnerAssignable),
  createdBy: row.createdBy,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

// ---- the client ----------------------------------------------------------------------------------------------

export function createMembersClient({ prisma }: { prisma: PrismaClient }) {
  /** Partner staff only inside their own partner; another partner's answers like a missing one. */
  function scope(principal: Principal, partnerId: string): void {
    if (principal.partnerId !== undefined && principal.partnerId !== partnerId) throw problems.notFound(`Partner ${partnerId}`);
  }

  const normalizeRefs = (refs: string[]) => [...new Set(refs.map((r) => (isUuid(r) ? r.toLowerCase() : r)))];

  // Ids are stored as lowercase UUIDs; the routes accept either case.
  async function findMember(tx: Tx | PrismaClient, partnerId: string, memberId: string): Promise<MemberRow> {
    memberId = memberId.toLowerCase();
    const row = await tx.partnerMember.findUnique({ where: { id: memberId }, include: { roles: true } });
    if (!row || row.partnerId !== partnerId) throw problems.notFound(`Member ${memberId}`);
    return row;
  }

  async function findRole(tx: Tx | PrismaClient, partnerId: string, roleId: string): Promise<RoleRow> {
    roleId = roleId.toLowerCase();
    const row = await tx.partnerRole.findUnique({ where: { id: roleId } });
    if (!row || row.partnerId !== partnerId) throw problems.notFound(`Role ${roleId}`);
    return row;
  }

  function checkRoleName(name: string): void {
    if ((ROLES as readonly string[]).some((r) => r.toLowerCase() === name.toLowerCase())) {
      throw problems.unprocessable('role-name-reserved', `${name} is the name of a built-in role; choose another.`, 'name');
    }
  }

  /** Runs a write holding the partner's organization lock; a unique violation becomes 409, and any success clears the principal cache. */
  async function write<T>(partnerId: string, conflict: () => Problem, work: (tx: Tx) => Promise<T>): Promise<T> {
    try {
      const result = await prisma.$transaction(async (tx) => {
        await lockOrganization(tx, partnerId);
        return work(tx);
      });
      invalidatePrincipalCache();
      return result;
    } catch (error) {
      if (isUniqueViolation(error)) throw conflict();
      throw error;
    }
  }

  return {
    /** For mountRoutes: partner staff with a member record get the member's roles and permissions. */
    resolvePrincipal: (principal: Principal) => resolvePrincipal(prisma, principal),

    async listMembers(principal: Principal, partnerId: string): Promise<{ items: MemberView[] }> {
      scope(principal, partnerId);
      const rows = await prisma.partnerMember.findMany({ where: { partnerId }, include: { roles: true }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] });
      return { items: rows.map(memberView) };
    },

    async createMember(principal: Principal, partnerId: string, request: NewMember, idempotencyKey?: string): Promise<MemberView> {
      scope(principal, partnerId);
      const roles = normalizeRefs(request.roles);
      return write(
        partnerId,
        () => problems.conflict('member-exists', `Partner ${partnerId} already has a member with sub ${request.sub}.`),
        async (tx) => {
          const id = idempotencyKey
            ? await reserveIdempotentId(tx, `${principal.sub} POST /v1/partners/${partnerId}/members`, idempotencyKey, request)
            : randomUUID();
          const existing = await tx.partnerMember.findUnique({ where: { id }, include: { roles: true } });
          if (existing) return memberView(existing); // a retry: the first result stands
          const granted = await permissionsOfRefs(tx, partnerId, roles);
          checkGrant(principal, granted, 'roles');
          const taken = await tx.partnerMember.findUnique({ where: { partnerId_sub: { partnerId, sub: request.sub } } });
          if (taken) throw problems.conflict('member-exists', `Partner ${partnerId} already has a member with sub ${request.sub} (${taken.id}).`);
          await checkNoSilentDowngrade(tx, principal, partnerId, request.sub, granted);
          const row = await tx.partnerMember.create({
            data: {
              id,
              partnerId,
              sub: request.sub,
              displayName: request.displayName,
              workResidence: request.workResidence ?? null,
              roles: { create: roles.map((role) => ({ role })) },
            },
            include: { roles: true },
          });
          return memberView(row);
        },
      );
    },

    async updateMember(principal: Principal, partnerId: string, memberId: string, change: MemberChange): Promise<MemberView> {
      scope(principal, partnerId);
      return write(
        partnerId,
        () => problems.conflict('concurrent-change', 'The member changed at the same time; retry.'),
        async (tx) => {
          const current = await findMember(tx, partnerId, memberId);
          const had = current.roles.map((r) => r.role);
          const roles = change.roles ? normalizeRefs(change.roles) : had;
          const active = change.active ?? current.active;
          // Only what is added is a grant; taking a role away needs no more than member.manage…
          const added = roles.filter((r) => !had.includes(r));
          if (added.length) checkGrant(principal, await permissionsOfRefs(tx, partnerId, added), 'roles');
          // …but reactivating gives back every role the member holds: a grant of all of them.
          if (active && !current.active) checkGrant(principal, await permissionsOfRefs(tx, partnerId, roles), 'active');
          const org = await loadOrganization(tx, partnerId);
          checkManagersKept(principal, partnerId, org, withSeat(org, { id: current.id, sub: current.sub, active, roles }), 'roles');
          if (change.roles) {
            await tx.partnerMemberRole.deleteMany({ where: { memberId: current.id, role: { notIn: roles } } });
            if (added.length) await tx.partnerMemberRole.createMany({ data: added.map((role) => ({ memberId: current.id, role })), skipDuplicates: true });
          }
          const row = await tx.partnerMember.update({
            where: { id: current.id },
            data: {
              ...(change.displayName !== undefined ? { displayName: change.displayName } : {}),
              ...(change.active !== undefined ? { active: change.active } : {}),
              ...(change.workResidence !== undefined ? { workResidence: change.workResidence } : {}),
              updatedAt: new Date(),
            },
            include: { roles: true },
          });
          return memberView(row);
        },
      );
    },

    async listRoles(principal: Principal, partnerId: string): Promise<RoleListView> {
      scope(principal, partnerId);
      const rows = await prisma.partnerRole.findMany({ where: { partnerId }, orderBy: [{ name: 'asc' }] });
      return { items: rows.map(roleView), builtIn: PARTNER_ROLES.map((name) => ({ name, permissions: permissionsOfRoles([name]) })) };
    },

    async createRole(principal: Principal, partnerId: string, request: NewRole, idempotencyKey?: string): Promise<CustomRoleView> {
      scope(principal, partnerId);
      checkRoleName(request.name);
      const permissions = [...new Set(request.permissions)];
      checkGrant(principal, permissions, 'permissions');
      return write(
        partnerId,
        () => problems.conflict('role-exists', `Partner ${partnerId} already has a role named ${request.name}.`),
        async (tx) => {
          const id = idempotencyKey
            ? await reserveIdempotentId(tx, `${principal.sub} POST /v1/partners/${partnerId}/roles`, idempotencyKey, request)
            : randomUUID();
          const existing = await tx.partnerRole.findUnique({ where: { id } });
          if (existing) return roleView(existing);
          const taken = await tx.partnerRole.findUnique({ where: { partnerId_name: { partnerId, name: request.name } } });
          if (taken) throw problems.conflict('role-exists', `Partner ${partnerId} already has a role named ${request.name} (${taken.id}).`);
          const row = await tx.partnerRole.create({ data: { id, partnerId, name: request.name, permissions, createdBy: principal.sub } });
          return roleView(row);
        },
      );
    },

    async updateRole(principal: Principal, partnerId: string, roleId: string, change: RoleChange): Promise<CustomRoleView> {
      scope(principal, partnerId);
      if (change.name !== undefined) checkRoleName(change.name);
      const permissions = change.permissions ? [...new Set(change.permissions)] : undefined;
      return write(
        partnerId,
        () => problems.conflict('role-exists', `Partner ${partnerId} already has a role named ${change.name}.`),
        async (tx) => {
          const current = await findRole(tx, partnerId, roleId);
          if (permissions) {
            // Only permissions the role gains are a grant; what it loses, its members lose (the partner keeps a manager).
            checkGrant(principal, permissions.filter((p) => !current.permissions.includes(p)), 'permissions');
            const org = await loadOrganization(tx, partnerId);
            checkManagersKept(principal, partnerId, org, withRole(org, current.id, permissions), 'permissions');
          }
          const row = await tx.partnerRole.update({
            where: { id: current.id },
            data: { ...(change.name !== undefined ? { name: change.name } : {}), ...(permissions ? { permissions } : {}), updatedAt: new Date() },
          });
          return roleView(row);
        },
      );
    },

    async deleteRole(principal: Principal, partnerId: string, roleId: string): Promise<CustomRoleView> {
      scope(principal, partnerId);
      return write(
        partnerId,
        () => problems.conflict('concurrent-change', 'The role changed at the same time; retry.'),
        async (tx) => {
          const row = await findRole(tx, partnerId, roleId);
          await tx.$queryRaw`SELECT id FROM partner_role WHERE id = ${row.id} FOR UPDATE`;
          const holders = await tx.partnerMember.findMany({
            where: { partnerId, roles: { some: { role: row.id } } },
            select: { id: true, sub: true, displayName: true },
            orderBy: { createdAt: 'asc' },
          });
          if (holders.length) {
            throw problems.conflict(
              'role-in-use',
              `Role ${row.name} is still assigned to ${holders.length} member(s): ${holders.map((m) => `${m.displayName} (${m.sub})`).join(', ')}. Take it away from them first.`,
              { members: holders },
            );
          }
          await tx.partnerRole.delete({ where: { id: row.id } });
          return roleView(row);
        },
      );
    },
  };
}

export type MembersClient = ReturnType<typeof createMembersClient>;
