// Response schemas of incentive (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { INCENTIVE_STATUSES } from '../../workflows/incentive/contract.js';
import { deadlineExplanationSchema, instant, materialSchema } from '../kit/schemas.js';

const incentiveStatus = z.enum(INCENTIVE_STATUSES);

export const incentiveSummarySchema = z
  .strictObject({
    id: z.string().describe('<partnerId>-<YYYY-MM>'),
    partnerId: z.string(),
    period: z.string().describe('YYYY-MM, a calendar month in Asia/Shanghai'),
    status: incentiveStatus,
    headcount: z.number().int().min(0),
    totalMinor: z.number().int().min(0),
    currency: z.string(),
    generatedAt: instant,
    verificationDeadline: instant,
    zone: z.string(),
    calendar: z.string(),
    local: z.strictObject({ generatedAt: instant.nullable(), verificationDeadline: instant.nullable() }),
  })
  .meta({ id: 'IncentiveSummary', description: 'A monthly incentive as listed (no lines, history or materials).' });

export const INCENTIVE_EVENT_TYPES = ['GENERATED', 'VERIFIED', 'OBJECTED', 'OBJECTION_RESOLVED', 'OBJECTION_REJECTED', 'EXPIRED', 'DEADLINE_CHANGED'] as const;

export const incentiveSchema = incentiveSummarySchema
  .extend({
    reminderAt: instant,
    deadlineExplanation: deadlineExplanationSchema,
    lines: z.array(
      z.strictObject({
        expertId: z.string(),
        employeeId: z.string(),
        name: z.string(),
        certification: z.string(),
        amountMinor: z.number().int().min(0),
        currency: z.string(),
      }),
    ),
    objection: z
      .array(z.strictObject({ expertId: z.string(), reason: z.string() }))
      .nullable()
      .describe('the open objection (OBJECTED only)'),
    materials: z.array(materialSchema),
    settlement: z.strictObject({ amountMinor: z.number().int().min(0), currency: z.string(), settledAt: instant }).nullable(),
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(INCENTIVE_EVENT_TYPES),
        fromStatus: incentiveStatus.nullable(),
        toStatus: incentiveStatus,
        actor: z.string(),
        at: instant,
        reasonCode: z.string().nullable(),
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'Incentive', description: 'A monthly incentive with its lines, deadline explanation, materials, settlement and history.' });

export const incentivePageSchema = z
  .strictObject({ items: z.array(incentiveSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'IncentivePage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

/** The generated document itself: only its outline is promised here (the content is OpenAPI 3.1). */
export type IncentiveSummary = z.output<typeof incentiveSummarySchema>;
export type IncentiveView = z.output<typeof incentiveSchema>;
