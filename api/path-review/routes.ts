/** HTTP routes of the annual development-path review: the vendor's cycle, the partner's actions, the vendor's decision. Behaviour in the workflows. */
import { z } from 'zod';
import { PATH_REVIEW_DECISIONS, PATH_REVIEW_STATUSES } from '../../workflows/path-review/contract.js';
import type { PathReviewsClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { applicationRoutes, noteRequiredUnless, optionalNote } from '../kit/reviewed-application-routes.js';
import { pathReviewCycleSchema, pathReviewPageSchema, pathReviewSchema } from './schemas.js';
import { partnerId } from '../kit/validation.js';

/** A path id, level or material kind's shape; whether the data has it is the client's (or the workflow's) 422. */
const code = (what: string) => z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, `must be a ${what} (UPPER_SNAKE_CASE, GET /v1/paths)`);
const year = z.coerce.number().int('must be a year').min(2000, 'must be a year from 2000').max(9999, 'must be a year up to 9999');
/** `<pathId>-<partnerId>-<year>`. */
const reviewId = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}-[A-Za-z0-9_-]{1,64}-\d{4}$/, 'must be a path review id (<pathId>-<partnerId>-<year>)');
const idParams = z.strictObject({ id: reviewId });

export const startBody = z.strictObject({ pathId: code('path id'), year: z.number().int('must be a year') });

export const listQuery = z.strictObject({
  pathId: code('path id').optional(),
  year: year.optional(),
  status: z.enum(PATH_REVIEW_STATUSES).optional(),
  partnerId: partnerId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export const decisionBody = z
  .strictObject({ decision: z.enum(PATH_REVIEW_DECISIONS), note: optionalNote, newLevel: code('level').optional() })
  .superRefine((body, ctx) => {
    noteRequiredUnless('PASS')(body, ctx);
    if (body.decision !== 'PASS' && body.newLevel !== undefined) ctx.addIssue({ code: 'custom', path: ['newLevel'], message: 'newLevel goes with PASS only' });
  });

export function pathReviewRoutes(reviews: PathReviewsClient): RouteDef[] {
  const review = applicationRoutes({
    door: reviews,
    id: reviewId,
    permissions: { read: 'pathReview.read', act: 'pathReview.act' },
    view: pathReviewSchema,
    materialKind: code('review material kind'),
  });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/admin/path-reviews',
      permission: 'pathReview.run',
      summary:
        "Start a path's annual review cycle for a year (one review per member, window = N working days in each partner's calendar). " +
        'Idempotent by path and year: joins a cycle in progress; a new run after one has finished starts no review twice.',
      body: startBody,
      responses: { 202: pathReviewCycleSchema },
      problems: [422],
      handler: async ({ principal, body }) => ({
        status: 202,
        body: await reviews.startCycle(principal, body.pathId, body.year),
        headers: { Location: `/v1/admin/path-reviews/${body.pathId}/${body.year}` },
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/path-reviews/:pathId/:year',
      permission: 'pathReview.readAll',
      summary: "A cycle's progress: members done of total, reviews opened.",
      params: z.strictObject({ pathId: code('path id'), year }),
      responses: { 200: pathReviewCycleSchema },
      problems: [404],
      handler: async ({ params }) => ({ status: 200, body: await reviews.cycle(params.pathId, params.year) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/path-reviews',
      permission: 'pathReview.read',
      summary: 'List path reviews, newest year first; partners see only their own.',
      query: listQuery,
      responses: { 200: pathReviewPageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await reviews.list(principal, query) }),
    }),
    review.get('A review: status, level, window end (UTC and local), reminders, materials, decision, history, the membership change it wrote.'),
    defineRoute({
      method: 'post',
      path: '/v1/path-reviews/:id/apply',
      permission: 'pathReview.act',
      summary: 'Apply for review (OPEN → APPLIED) while the window is open: every requirement item must be met (a refusal lists every unmet one).',
      params: idParams,
      responses: { 200: pathReviewSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params }) => ({ status: 200, body: await reviews.apply(principal, params.id) }),
    }),
    ...review.files(),
    review.setMaterials("Set which uploaded file is the material of each of the path's review kinds (in order; a kind set again is replaced)."),
    review.submit('Submit the APPLIED review before the window closes: every material kind set (a refusal lists the missing kinds).'),
    review.supplement('Answer a supplement request before its deadline (set the new materials first): back to SUBMITTED.'),
    review.decide({
      path: 'decision',
      permission: 'pathReview.decide',
      summary:
        'Decide a SUBMITTED review: PASS (level kept, or raised with newLevel), FAIL (level lowered or path left per the path rule) or ' +
        'REQUEST_SUPPLEMENT (10 working days); FAIL and REQUEST_SUPPLEMENT need a note.',
      body: decisionBody,
    }),
  ];
}
