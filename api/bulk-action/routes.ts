/** HTTP routes of bulk actions (docs/bulk-actions.md). Validation here; each item's behaviour is the single route's. */
import { z } from 'zod';
import { BULK_ACTION_KINDS, MAX_BULK_ITEMS } from '../../workflows/bulk-action/contract.js';
import { REJECT_REASONS } from '../../workflows/opportunity/contract.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { idempotencyKeyOf, text } from '../kit/validation.js';
import type { BulkActionClient } from './client.js';
import { bulkActionSchema } from './schemas.js';

const item = z.strictObject({
  opportunityId: z.uuid('must be an opportunity id (UUID)'),
  reasonCode: z.enum(REJECT_REASONS).optional(),
  note: text(2000).optional(),
});

/** Rejecting takes a reason per item, as the single reject route does; accepting takes the id alone. */
export const bulkActionBody = z
  .strictObject({ kind: z.enum(BULK_ACTION_KINDS), items: z.array(item).min(1).max(MAX_BULK_ITEMS) })
  .superRefine((body, ctx) => {
    body.items.forEach((it, index) => {
      if (body.kind === 'opportunity.reject' && it.reasonCode === undefined) {
        ctx.addIssue({ code: 'custom', path: ['items', index, 'reasonCode'], message: 'required to reject' });
      }
      for (const field of ['reasonCode', 'note'] as const) {
        if (body.kind === 'opportunity.accept' && it[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: ['items', index, field], message: 'only with opportunity.reject' });
        }
      }
    });
  });

const idParams = z.strictObject({ id: z.uuid('must be a bulk action id (UUID)') });

export function bulkActionRoutes(bulk: BulkActionClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/bulk-actions',
      permission: 'opportunity.act',
      summary:
        "Accept or reject many of the partner's opportunities (1 to 1,000) in one durable job: each item does what the single route does, and gets its own result (DONE with the new status, REFUSED with the single route's problem, FAILED after retries). 202 with the job and its Location; progress with GET. Idempotency-Key required: a retry answers the same job (200), another body with the key 422; a duplicate opportunity 422.",
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
      path: '/v1/bulk-actions/:id',
      permission: 'opportunity.read',
      summary: "A bulk action's progress (counts by outcome) and each item's result; another partner's is 404.",
      params: idParams,
      responses: { 200: bulkActionSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await bulk.get(principal, params.id) }),
    }),
  ];
}
