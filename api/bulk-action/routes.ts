/** HTTP routes of bulk actions (docs/bulk-actions.md). Validation here; each item's behaviour is the single route's. */
import { z } from 'zod';
import { BULK_ACTION_KINDS, type BulkActionKind, MAX_BULK_ITEMS } from '../../workflows/bulk-action/contract.js';
import { REJECT_REASONS } from '../../workflows/opportunity/contract.js';
import { reviewBody as certificationDecision } from '../certification/routes.js';
import { reviewBody as customerReportDecision } from '../customers/routes.js';
import { reviewBody as enrollmentDecision } from '../enrollment/routes.js';
import { verifyBody } from '../incentive/routes.js';
import { INCENTIVE_ID } from '../incentive/client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import { reviewBody as levelRaiseDecision } from '../level-raise/routes.js';
import { decisionBody as pathReviewDecision } from '../path-review/routes.js';
import { reviewBody as specialistDecision } from '../specialist/routes.js';
import type { BulkActionClient, BulkActionRequest } from './client.js';
import { bulkActionPageSchema, bulkActionSchema } from './schemas.js';

const item = z.strictObject({
  opportunityId: z.uuid('must be an opportunity id (UUID)'),
  reasonCode: z.enum(REJECT_REASONS).optional(),
  note: text(2000).optional(),
});
const items = <T extends z.ZodType>(one: T) => z.array(one).min(1).max(MAX_BULK_ITEMS);

/** Each incentive with what POST /v1/incentives/:id/verify takes: headcount, total and materials (its own schema). */
const incentiveItem = verifyBody.safeExtend({ incentiveId: z.string().regex(INCENTIVE_ID, 'must be an incentive id (<partnerId>-<YYYY-MM>)') });

const uuidId = (what: string) => z.uuid(`must be a ${what} id (UUID)`);
/**
 * Each review with its kind, its id (as the kind's routes spell it) and what the kind's decide route takes (its own
 * schema: the decisions it knows, a note where it needs one).
 */
const reviewItem = z.discriminatedUnion(
  'review',
  [
    certificationDecision.safeExtend({ review: z.literal('certification'), id: uuidId('certification application') }),
    pathReviewDecision.safeExtend({
      review: z.literal('path-review'),
      id: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}-[A-Za-z0-9_-]{1,64}-\d{4}$/, 'must be a path review id (<pathId>-<partnerId>-<year>)'),
    }),
    specialistDecision.safeExtend({ review: z.literal('specialist'), id: uuidId('specialist application') }),
    enrollmentDecision.safeExtend({ review: z.literal('enrollment'), id: uuidId('enrollment') }),
    levelRaiseDecision.safeExtend({ review: z.literal('level-raise'), id: uuidId('level raise') }),
    customerReportDecision.safeExtend({ review: z.literal('customer-report'), id: uuidId('customer report') }),
  ],
  { error: 'review must be one of certification, path-review, specialist, enrollment, level-raise, customer-report' },
);

/** The items a job of each kind takes. */
const ITEMS_OF = {
  'opportunity.accept': items(item),
  'opportunity.reject': items(item),
  'incentive.verify': items(incentiveItem),
  'review.decide': items(reviewItem),
} satisfies Record<BulkActionKind, z.ZodType>;

/** A request schema as the document shows it (what clients send), as api/docs/openapi.ts writes one. */
const documented = (schema: z.ZodType) => {
  const { $schema: _schema, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
  return json;
};

/**
 * The body is one object (as every route's): its `kind` says which items it takes. The items are checked by their
 * kind's schema, each issue at its own field (`items.3.opportunityId`); the document shows every kind's item (a union
 * would report an item that fits no kind at the item, not at its field). Rejecting takes a reason per item, as the
 * single reject route does; accepting takes the id alone.
 */
export const bulkActionBody = z
  .strictObject({
    kind: z.enum(BULK_ACTION_KINDS),
    items: z
      .array(z.looseObject({}))
      .min(1)
      .max(MAX_BULK_ITEMS)
      .meta({
        description: "the kind's items: opportunity.accept and opportunity.reject an opportunity each, incentive.verify an incentive each, review.decide a review each",
        items: { anyOf: [item, incentiveItem, reviewItem].map(documented) },
      }),
  })
  .transform((body, ctx): BulkActionRequest => {
    const parsed = ITEMS_OF[body.kind].safeParse(body.items);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ ...issue, path: ['items', ...issue.path] } as Parameters<typeof ctx.addIssue>[0]);
      return z.NEVER;
    }
    if (body.kind === 'opportunity.accept' || body.kind === 'opportunity.reject') {
      const opportunities = parsed.data as z.output<typeof item>[];
      opportunities.forEach((it, index) => {
        if (body.kind === 'opportunity.reject' && it.reasonCode === undefined) {
          ctx.addIssue({ code: 'custom', path: ['items', index, 'reasonCode'], message: 'required to reject' });
        }
        for (const field of ['reasonCode', 'note'] as const) {
          if (body.kind === 'opportunity.accept' && it[field] !== undefined) {
            ctx.addIssue({ code: 'custom', path: ['items', index, field], message: 'only with opportunity.reject' });
          }
        }
      });
    }
    return { kind: body.kind, items: parsed.data } as BulkActionRequest;
  });

const idParams = z.strictObject({ id: z.uuid('must be a bulk action id (UUID)') });

const listQuery = z.strictObject({
  kind: z.enum(BULK_ACTION_KINDS).optional(),
  partnerId: partnerId.optional().describe("the vendor: that partner's jobs (a partner's staff: their own partner only)"),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export function bulkActionRoutes(bulk: BulkActionClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/bulk-actions',
      // Every staff role may reach the route; what the job does needs its kind's permission, checked by the client
      // before anything is recorded (403 as the kit answers): opportunity.act to accept or reject, incentive.verify to
      // verify, review.queue and each item's review permission (certification.review …) to decide.
      permission: 'opportunity.read',
      summary:
        "Act on many items (1 to 1,000) in one durable job, each as its single route does, each with its own result (DONE with the new status, REFUSED with the single route's problem, FAILED after retries): accept or reject the partner's opportunities (opportunity.accept, opportunity.reject: opportunity.act), verify its incentives with headcount, total and materials (incentive.verify: incentive.verify), decide the vendor's reviews of any kind (review.decide: review.queue and each kind's review permission). 202 with the job and its Location; progress with GET. Idempotency-Key required: a retry answers the same job (200), another body with the key 422; the same item twice 422.",
      body: bulkActionBody,
      responses: { 200: bulkActionSchema, 202: bulkActionSchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, body, req }) => {
        const { job, replay } = await bulk.submit(principal, body, idempotencyKeyOf(req));
        return { status: replay ? 200 : 202, body: job, headers: { Location: `/v1/bulk-actions/${job.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/bulk-actions',
      permission: 'opportunity.read',
      summary:
        "The bulk actions the caller may read, newest first, each with its counts by outcome (the results: GET /v1/bulk-actions/{id}) — so a job outlives the page that started it. A partner's staff: their partner's jobs. The vendor: the review decisions it may read (its own; every one with review.queue), or, with partnerId, that partner's jobs of the kinds it reads every partner's of. Filter by kind; pages with limit and cursor.",
      query: listQuery,
      responses: { 200: bulkActionPageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await bulk.list(principal, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/bulk-actions/:id',
      permission: 'opportunity.read',
      summary:
        "A bulk action's progress (counts by outcome) and each item's result. A partner's job is its partner's staff's and the vendor's to read (another partner's is 404); a review decision's job is its requester's and the vendor reviewers' (review.queue).",
      params: idParams,
      responses: { 200: bulkActionSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await bulk.get(principal, params.id) }),
    }),
  ];
}
