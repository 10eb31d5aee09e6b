/**
 * GET /v1/me: the caller as the API sees it, for a client that shows what the caller may do (the console chooses its
 * pages and actions from `permissions`, never from role names). Any valid token may ask ('signedIn'): the answer is
 * about the caller alone. The principal is the one every route authorizes with — a partner member's stored roles
 * resolved (api/members/principals.ts), a deactivated member refused — so the permissions listed are exactly those
 * can() grants, and a client deciding from them never offers what the API would refuse.
 */
import { can, PERMISSIONS, type Principal } from '../../domain/auth.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { type MeView, meSchema } from './schemas.js';

export function meOf(principal: Principal): MeView {
  return {
    sub: principal.sub,
    roles: [...principal.roles],
    partnerId: principal.partnerId ?? null,
    customerId: principal.customerId ?? null,
    memberId: principal.memberId ?? null,
    permissions: PERMISSIONS.filter((permission) => can(principal, permission)),
  };
}

export function meRoutes(): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/me',
      permission: 'signedIn',
      summary: 'The caller: subject, roles, partner or customer, and the effective permissions',
      responses: { 200: meSchema },
      // Permissions change with a member's roles: a cached answer would offer what is no longer allowed.
      handler: async ({ principal }) => ({ status: 200, body: meOf(principal), headers: { 'Cache-Control': 'no-store' } }),
    }),
  ];
}
