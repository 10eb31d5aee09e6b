/** HTTP routes of level raises (提升等级). Validation here; behaviour in the workflow. */
import { z } from 'zod';
import { LEVEL_RAISE_DECISIONS, LEVEL_RAISE_STATUSES } from '../../workflows/level-raise/contract.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { noteRequiredUnless, optionalNote } from '../kit/reviewed-application-routes.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import type { LevelRaiseClient } from './client.js';
import { levelRaisePageSchema, levelRaiseSchema } from './schemas.js';

const raiseId = z.string().uuid('must be a level raise id (UUID)');
/** A path id's shape; whether the path exists is the client's 422. */
const pathId = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be a development path id (UPPER_SNAKE_CASE, GET /v1/paths)');

export const raiseBody = z.strictObject({ pathId });
export const listQuery = z.strictObject({
  status: z.enum(LEVEL_RAISE_STATUSES).optional(),
  pathId: pathId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});
export const reviewBody = z.strictObject({ decision: z.enum(LEVEL_RAISE_DECISIONS), note: optionalNote }).superRefine(noteRequiredUnless('APPROVE'));
export const withdrawBody = z.strictObject({ reason: text(2000).optional() });

export function levelRaiseRoutes(raises: LevelRaiseClient): RouteDef[] {
  const idParams = z.strictObject({ id: raiseId });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/level-raises',
      permission: 'levelRaise.request',
      summary:
        "Ask for the next level of a development path: SUBMITTED for the vendor's review (due in the review SLA's working days). Refused with 422 level-raise-not-eligible listing every unmet requirement (as GET /v1/partners/{partnerId}/eligibility?program=LEVEL_UP, in the language of Accept-Language); another raise of the path under review → 409 level-raise-already-open.",
      params: z.strictObject({ partnerId }),
      body: raiseBody,
      responses: { 201: levelRaiseSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      localized: true,
      handler: async ({ principal, params, body, req, language }) => {
        const view = await raises.request(principal, params.partnerId, body, language, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/level-raises/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/level-raises',
      permission: 'levelRaise.read',
      summary: "The partner's level raises, newest first; another partner's staff are answered 404, as if the partner did not exist.",
      params: z.strictObject({ partnerId }),
      query: listQuery,
      responses: { 200: levelRaisePageSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({ status: 200, body: await raises.list(principal, params.partnerId, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/level-raises/:id',
      permission: 'levelRaise.read',
      summary: 'A level raise: path, from and to level, status, review due date (UTC and local) with its explanation, decision, history.',
      params: idParams,
      responses: { 200: levelRaiseSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await raises.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/level-raises/:id/review',
      permission: 'levelRaise.review',
      summary:
        "Decide a raise SUBMITTED: APPROVE (the partner's level on the path becomes toLevel, once; 409 level-changed if it is no longer fromLevel) or REJECT (with the reason as note).",
      params: idParams,
      body: reviewBody,
      responses: { 200: levelRaiseSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await raises.review(principal, params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/level-raises/:id/withdraw',
      permission: 'levelRaise.request',
      summary: 'Withdraw a raise SUBMITTED (the partner), with an optional reason.',
      params: idParams,
      body: withdrawBody,
      responses: { 200: levelRaiseSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await raises.withdraw(principal, params.id, body.reason) }),
    }),
  ];
}
