// Response schemas of bulk actions (docs/bulk-actions.md); the shared pieces are in api/kit/schemas.ts.
import { z } from 'zod';
import { BULK_ACTION_KINDS, ITEM_OUTCOMES, JOB_STATUSES } from '../../workflows/bulk-action/contract.js';
import { instant } from '../kit/schemas.js';
import { REVIEW_KINDS } from '../review-queue/kinds.js';

const count = z.number().int().min(0);

/** A job without its per-item results: what GET /v1/bulk-actions lists, and the head of GET /v1/bulk-actions/:id. */
const bulkActionSummarySchema = z.strictObject({
  id: z.uuid(),
  partnerId: z.string().nullable().describe("the partner the job acts for; null for the vendor's review decisions"),
  kind: z.enum(BULK_ACTION_KINDS),
  status: z.enum(JOB_STATUSES),
  requestedBy: z.string(),
  createdAt: instant,
  completedAt: instant.nullable(),
  total: count,
  counts: z.strictObject({ PENDING: count, DONE: count, REFUSED: count, FAILED: count }),
});
export type BulkActionSummary = z.output<typeof bulkActionSummarySchema>;

export const bulkActionSchema = bulkActionSummarySchema
  .extend({
    results: z.array(
      z.strictObject({
        index: count,
        itemId: z.string().describe("the item's object: an opportunity's, an incentive's or a review's id"),
        opportunityId: z
          .string()
          .describe("the item's id under its first name (the same as itemId, whatever the kind): read itemId")
          .meta({ deprecated: true }),
        review: z.enum(REVIEW_KINDS).nullable().describe('review.decide: the kind of review the item is'),
        outcome: z.enum(ITEM_OUTCOMES),
        // DONE: the object's new status.
        status: z.string().nullable(),
        // REFUSED: the problem the single route would have answered; FAILED: why it kept failing.
        problem: z
          .looseObject({ type: z.string(), title: z.string(), status: z.number().int().min(400).max(599), detail: z.string().optional() })
          .nullable(),
      }),
    ),
  })
  .meta({
    id: 'BulkAction',
    description: 'A bulk action: its progress (counts by outcome) and one result per item (results), in the order sent.',
  });

export type BulkActionView = z.output<typeof bulkActionSchema>;

export const bulkActionPageSchema = z
  .strictObject({ items: z.array(bulkActionSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'BulkActionPage', description: 'Bulk actions, newest first; each with its counts by outcome (the results: GET /v1/bulk-actions/{id}).' });
