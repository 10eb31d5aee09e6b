// Response schemas of opportunity (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { moneySchema } from '../../domain/money.js';
import { STATUSES } from '../../workflows/opportunity/contract.js';
import { deadlineExplanationSchema, instant } from '../kit/schemas.js';

export const status = z.enum(STATUSES);

export const opportunitySummarySchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    customerName: z.string(),
    title: z.string(),
    estimatedAmount: moneySchema.nullable(),
    status,
    sharedAt: instant,
    sharedBy: z.string(),
    acceptDeadline: instant,
    decidedAt: instant.nullable(),
    closedAt: instant.nullable(),
    zone: z.string(),
    calendar: z.string(),
    local: z.strictObject({ sharedAt: instant.nullable(), acceptDeadline: instant.nullable() }),
  })
  .meta({ id: 'OpportunitySummary', description: 'An opportunity as listed (no history).' });

export const EVENT_TYPES = ['SHARED', 'ACCEPTED', 'REJECTED', 'EXPIRED', 'UPDATE_POSTED', 'CLOSED', 'DEADLINE_CHANGED'] as const;

export const opportunitySchema = opportunitySummarySchema
  .extend({
    deadlineExplanation: deadlineExplanationSchema,
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(EVENT_TYPES),
        fromStatus: status.nullable(),
        toStatus: status,
        actor: z.string(),
        at: instant,
        reasonCode: z.string().nullable(),
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'Opportunity', description: 'An opportunity with its deadline explanation and history.' });

export const opportunityPageSchema = z
  .strictObject({ items: z.array(opportunitySummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'OpportunityPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

export type OpportunitySummary = z.output<typeof opportunitySummarySchema>;
export type OpportunityView = z.output<typeof opportunitySchema>;
