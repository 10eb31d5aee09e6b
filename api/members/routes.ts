/** HTTP routes of a partner's organization: members, their roles, and custom roles. Rules in api/members/client.ts. */
import { z } from 'zod';
import { PERMISSIONS } from '../../domain/auth.js';
import type { MembersClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { customRoleSchema, memberListSchema, memberSchema, roleListSchema } from './schemas.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';

/** A built-in role name or a custom role id; whether it exists is the client's question (422 when not). */
const roleRef = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'a built-in role name or a custom role id');
const roleRefs = z.array(roleRef).max(20);
const roleName = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9 ._-]*$/, 'letters, digits, space, ., _ and - only, starting with a letter or digit');
const permissions = z.array(z.enum(PERMISSIONS)).min(1).max(PERMISSIONS.length);

const partnerParams = z.strictObject({ partnerId });
const memberParams = z.strictObject({ partnerId, memberId: z.uuid('must be a member id (UUID)') });
const roleParams = z.strictObject({ partnerId, roleId: z.uuid('must be a custom role id (UUID)') });

/** Where the member works from (its work residence, e.g. a city), as the partner writes it. */
const workResidence = text(200).describe('where the member works from, e.g. a city');
export const newMemberBody = z.strictObject({ sub: text(200), displayName: text(200), roles: roleRefs.default([]), workResidence: workResidence.optional() });
export const memberChangeBody = z
  .strictObject({
    displayName: text(200).optional(),
    active: z.boolean().optional(),
    roles: roleRefs.optional(),
    workResidence: workResidence.nullable().optional().describe('null: no longer said'),
  })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of displayName, active, roles, workResidence');
export const newRoleBody = z.strictObject({ name: roleName, permissions });
export const roleChangeBody = z
  .strictObject({ name: roleName.optional(), permissions: permissions.optional() })
  .refine((b) => Object.keys(b).length > 0, 'name at least one of name, permissions');

export function memberRoutes(members: MembersClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/members',
      permission: 'member.manage',
      summary: "The partner's members with their roles.",
      params: partnerParams,
      responses: { 200: memberListSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await members.listMembers(principal, params.partnerId) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/members',
      permission: 'member.manage',
      summary: "Add a member (by token subject) with roles; its roles then replace its token's (for yourself, or a sub seen managing the partner by token: keeping every permission it holds).",
      params: partnerParams,
      body: newMemberBody,
      responses: { 201: memberSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => {
        const member = await members.createMember(principal, params.partnerId, body, idempotencyKeyOf(req));
        return { status: 201, body: member, headers: { Location: `/v1/partners/${params.partnerId}/members/${member.id}` } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/partners/:partnerId/members/:memberId',
      permission: 'member.manage',
      summary: "Change a member's roles (the whole set), display name, work residence, or deactivate / reactivate it (a grant); never your own member.manage, nor the partner's last member manager (409).",
      params: memberParams,
      body: memberChangeBody,
      responses: { 200: memberSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await members.updateMember(principal, params.partnerId, params.memberId, body),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/roles',
      permission: 'role.manage',
      summary: "The partner's custom roles, and the built-in partner roles.",
      params: partnerParams,
      responses: { 200: roleListSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await members.listRoles(principal, params.partnerId) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/roles',
      permission: 'role.manage',
      summary: 'Create a custom role: partner-assignable permissions the caller holds itself.',
      params: partnerParams,
      body: newRoleBody,
      responses: { 201: customRoleSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => {
        const role = await members.createRole(principal, params.partnerId, body, idempotencyKeyOf(req));
        return { status: 201, body: role, headers: { Location: `/v1/partners/${params.partnerId}/roles/${role.id}` } };
      },
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/partners/:partnerId/roles/:roleId',
      permission: 'role.manage',
      summary: "Rename a custom role or replace its permissions; takes effect for its members at once (never taking member.manage from yourself or the last manager).",
      params: roleParams,
      body: roleChangeBody,
      responses: { 200: customRoleSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await members.updateRole(principal, params.partnerId, params.roleId, body),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/partners/:partnerId/roles/:roleId',
      permission: 'role.manage',
      summary: 'Delete a custom role no member holds (409 listing the members that still do); answers the deleted role.',
      params: roleParams,
      responses: { 200: customRoleSchema },
      problems: [404, 409],
      handler: async ({ principal, params }) => ({ status: 200, body: await members.deleteRole(principal, params.partnerId, params.roleId) }),
    }),
  ];
}
