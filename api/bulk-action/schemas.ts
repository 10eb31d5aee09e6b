// Response schemas of bulk actions (docs/bulk-actions.md); the shared pieces are in api/kit/schemas.ts.
import { z } from 'zod';
import { BULK_ACTION_KINDS, ITEM_OUTCOMES, JOB_STATUSES } from '../../workflows/bulk-action/contract.js';
import { instant } from '../kit/schemas.js';

const count = z.number().int().min(0);

export const bulkActionSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    kind: z.enum(BULK_ACTION_KINDS),
    status: z.enum(JOB_STATUSES),
    requestedBy: z.string(),
    createdAt: instant,
    completedAt: instant.nullable(),
    total: count,
    counts: z.strictObject({ PENDING: count, DONE: count, REFUSED: count, FAILED: count }),
    results: z.array(
      z.strictObject({
        index: count,
        opportunityId: z.string(),
        outcome: z.enum(ITEM_OUTCOMES),
        // DONE: the opportunity's new status.
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
