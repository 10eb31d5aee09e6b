/** HTTP routes of the reviewer queue (docs/review-queue.md). Validation here; the queue's rules in client.ts. */
import { z } from 'zod';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { partnerId, text } from '../kit/validation.js';
import { CLAIM_FILTERS, createReviewQueueClient, type ReviewQueueClient, type ReviewQueueClientDeps } from './client.js';
import { isItemIdOf, REVIEW_KIND_TERMS, REVIEW_KINDS } from './kinds.js';
import { claimAnswerSchema, releasedAnswerSchema, reviewQueuePageSchema } from './schemas.js';

export const queueQuery = z.strictObject({
  kind: z.enum(REVIEW_KINDS).optional(),
  claim: z.enum(CLAIM_FILTERS).default('any'),
  partnerId: partnerId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z.string().max(500).optional(),
});

/** The item's id has its kind's shape: a UUID, or a path review's `<pathId>-<partnerId>-<year>`. */
const itemParams = z
  .strictObject({ kind: z.enum(REVIEW_KINDS), id: z.string().min(1).max(200) })
  .superRefine((p, ctx) => {
    if (!isItemIdOf(p.kind, p.id)) ctx.addIssue({ code: 'custom', path: ['id'], message: REVIEW_KIND_TERMS[p.kind].uuidIds ? `must be a ${p.kind} id (UUID)` : 'must be a path review id (<pathId>-<partnerId>-<year>)' });
  });

export const assignBody = z.strictObject({ reviewer: text(200).describe("the reviewer's sub") });

export function reviewQueueRoutes(queue: ReviewQueueClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/review-queue',
      permission: 'review.queue',
      summary:
        "Every item waiting for the vendor's decision (certifications IN_REVIEW, path reviews SUBMITTED, specialist applications SUBMITTED, enrollments IN_REVIEW, level raises SUBMITTED, customer reports IN_MANUAL_REVIEW) of the kinds whose decide permission the caller holds, soonest review due first (none last), then submitted first; each with its subject, its claim, and its detail and decide routes. claim: mine, unclaimed, others (claimed by someone else) or any.",
      query: queueQuery,
      responses: { 200: reviewQueuePageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await queue.list(principal, query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/review-queue/:kind/:id/claim',
      permission: 'review.queue',
      summary:
        "Claim a waiting item for yourself (needs the kind's decide permission too): while the claim holds, only you may decide it. Claiming your own claim again answers it (200); another reviewer's → 409 review-claimed naming claimedBy; an item not waiting for a decision → 404.",
      params: itemParams,
      responses: { 200: claimAnswerSchema },
      problems: [404, 409],
      handler: async ({ principal, params }) => ({ status: 200, body: await queue.claim(principal, params.kind, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/review-queue/:kind/:id/assign',
      permission: 'review.assign',
      summary: "Assign a waiting item to a reviewer (their sub), replacing anyone's claim; the claim names you as assignedBy. An item not waiting for a decision → 404.",
      params: itemParams,
      body: assignBody,
      responses: { 200: claimAnswerSchema },
      problems: [404],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await queue.assign(principal, params.kind, params.id, body.reviewer) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/review-queue/:kind/:id/claim',
      permission: 'review.queue',
      summary:
        "Release a claim: your own, or anyone's with review.assign (200, the item unclaimed; also when nothing was claimed). Another reviewer's claim without review.assign → 409 review-claimed; an item neither waiting nor claimed → 404.",
      params: itemParams,
      // 200 with the unclaimed state, not 204: every answer of this API is JSON its document describes.
      responses: { 200: releasedAnswerSchema },
      problems: [404, 409],
      handler: async ({ principal, params }) => {
        await queue.release(principal, params.kind, params.id);
        return { status: 200, body: { claim: null } };
      },
    }),
  ];
}

/** The routes over a client of their own (one line in api/app.ts routesOf). */
export const reviewQueueRoutesOf = (deps: ReviewQueueClientDeps) => reviewQueueRoutes(createReviewQueueClient(deps));
