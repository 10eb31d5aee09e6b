/** HTTP routes of development paths: the catalog, a partner's memberships, live requirement evaluation. Rules in api/paths/client.ts. */
import { z } from 'zod';
import type { PathsClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { developmentPathListSchema, pathMembershipListSchema, pathMembershipSchema, requirementEvaluationSchema } from './schemas.js';
import { partnerId, text } from '../kit/validation.js';

/** A path id or level's shape; whether the data has it is the client's 404 (path) or 422 (level). */
const code = (what: string) => z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, `must be a ${what} (UPPER_SNAKE_CASE, GET /v1/paths)`);

const partnerParams = z.strictObject({ partnerId });
const pathParams = z.strictObject({ partnerId, pathId: code('path id') });

export const requirementsQuery = z.strictObject({ level: code('level').optional() });
export const setMembershipBody = z.strictObject({ level: code('level'), note: text(2000).optional() });
export const removeMembershipQuery = z.strictObject({ note: text(2000).optional() });

export function pathRoutes(paths: PathsClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/paths',
      permission: 'path.read',
      summary: 'The development paths: levels (lowest first) with their requirement items, review settings, consequence of a failed review.',
      responses: { 200: developmentPathListSchema },
      handler: async () => ({ status: 200, body: paths.paths() }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/paths',
      permission: 'path.read',
      summary: "The partner's path memberships: level, since when, and the change history (newest first).",
      params: partnerParams,
      responses: { 200: pathMembershipListSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await paths.memberships(principal, params.partnerId) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/paths/:pathId/requirements',
      permission: 'path.read',
      summary:
        "Live evaluation of every requirement item of the partner's current level (or ?level=), met or not, with actual vs required; " +
        'not a member and no level named → 409 not-a-member.',
      params: pathParams,
      query: requirementsQuery,
      responses: { 200: requirementEvaluationSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, query }) => ({
        status: 200,
        body: await paths.requirements(principal, params.partnerId, params.pathId, query.level),
      }),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/partners/:partnerId/paths/:pathId',
      permission: 'path.manage',
      summary: 'Put the partner on the path at a level (join, or change level); every change is kept in its history.',
      params: pathParams,
      body: setMembershipBody,
      responses: { 200: pathMembershipSchema },
      problems: [404, 422],
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await paths.setMembership(principal, params.partnerId, params.pathId, body),
      }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/partners/:partnerId/paths/:pathId',
      permission: 'path.manage',
      summary: "Remove the partner from the path (?note= is kept in the history); answers the partner's remaining memberships.",
      params: pathParams,
      query: removeMembershipQuery,
      responses: { 200: pathMembershipListSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({
        status: 200,
        body: await paths.removeMembership(principal, params.partnerId, params.pathId, query.note),
      }),
    }),
  ];
}
