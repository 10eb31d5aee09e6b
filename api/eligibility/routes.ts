/** HTTP route of the eligibility preflight. Rules in api/eligibility/client.ts; the conditions in domain/eligibility.ts. */
import { z } from 'zod';
import { developmentPaths } from '../../domain/development-paths.js';
import { ELIGIBILITY_PROGRAMS } from '../../domain/eligibility.js';
import type { EligibilityClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { eligibilitySchema } from './schemas.js';
import { partnerId } from '../kit/validation.js';

const pathIds = developmentPaths.paths.map((p) => p.id) as [string, ...string[]];

/** memberId belongs to PROJECT_SPECIALIST and pathId to LEVEL_UP: required there, refused elsewhere (a query that means nothing). */
export const eligibilityQuery = z
  .strictObject({
    program: z
      .enum(ELIGIBILITY_PROGRAMS, { error: `must be one of ${ELIGIBILITY_PROGRAMS.join(', ')}` })
      .describe('a program to join, or PROJECT_SPECIALIST (with memberId) or LEVEL_UP (with pathId)'),
    memberId: z.uuid('must be a member id (UUID)').optional().describe('with program=PROJECT_SPECIALIST: the member to apply for'),
    pathId: z.enum(pathIds, { error: `must be a development path id: ${pathIds.join(', ')}` }).optional().describe('with program=LEVEL_UP: the path whose next level is asked for'),
  })
  .superRefine((q, ctx) => {
    const needs = { memberId: 'PROJECT_SPECIALIST', pathId: 'LEVEL_UP' } as const;
    for (const [field, program] of Object.entries(needs) as [keyof typeof needs, string][]) {
      if (q.program === program && q[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required with program=${program}` });
      if (q.program !== program && q[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: `only with program=${program}` });
    }
  });

export function eligibilityRoutes(eligibility: EligibilityClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/eligibility',
      permission: 'account.read',
      summary:
        'Whether the partner may join a program (SOLUTION_PROVIDER, RESELLER, DISTRIBUTOR) or start a gated process (PROJECT_SPECIALIST with memberId, LEVEL_UP with pathId): every unmet condition at once, each with its stable code, message and remedy in the language of Accept-Language (zh-CN by default, or en) and the fact that caused it. A fact never reported is unmet as unknown, never passed.',
      params: z.strictObject({ partnerId }),
      query: eligibilityQuery,
      responses: { 200: eligibilitySchema },
      problems: [404],
      localized: true,
      handler: async ({ principal, params, query, language }) => ({ status: 200, body: await eligibility.eligibility(principal, params.partnerId, query, language) }),
    }),
  ];
}
