// Response schemas of project specialist applications (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { SPECIALIST_STATUSES } from '../../workflows/specialist/contract.js';
import { unmetSchema } from '../eligibility/schemas.js';
import { deadlineExplanationSchema, instant, materialSchema } from '../kit/schemas.js';

const specialistStatus = z.enum(SPECIALIST_STATUSES);

const specialistInstants = z.strictObject({
  submittedAt: instant,
  reviewDueAt: instant,
  reviewEscalatedAt: instant.nullable(),
  decidedAt: instant.nullable(),
  cancelledAt: instant.nullable(),
});

export const specialistSummarySchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    memberId: z.string(),
    pathId: z.string().describe('the development path the member is a specialist for'),
    status: specialistStatus,
    appliedBy: z.string(),
    submittedAt: instant,
    reviewSlaWorkingDays: z.number().int().min(1).describe("the vendor's review SLA this application counts, in working days of the partner's calendar"),
    reviewDueAt: instant.describe('SUBMITTED: when the review is due (the SLA); past it the application escalates'),
    reviewEscalatedAt: instant.nullable().describe('when the review was escalated for being past reviewDueAt'),
    decidedAt: instant.nullable(),
    cancelledAt: instant.nullable(),
    zone: z.string(),
    local: specialistInstants.describe("the same instants in the partner's zone"),
  })
  // Inline (no component id): api/docs/openapi.ts names only response schemas and its COMPONENTS list.
  .describe('A project specialist application as listed.');

export const SPECIALIST_EVENT_TYPES = ['SUBMITTED', 'MATERIAL_SET', 'APPROVED', 'REJECTED', 'CANCELLED', 'REVIEW_ESCALATED', 'DEADLINE_CHANGED'] as const;

export const specialistSchema = specialistSummarySchema
  .extend({
    deadlineExplanation: deadlineExplanationSchema.nullable().describe('how reviewDueAt was counted, while SUBMITTED; null once decided or cancelled'),
    decisionNote: z.string().nullable().describe("the vendor's note; a rejection's reason"),
    cancelledBy: z.string().nullable(),
    cancelReason: z.string().nullable(),
    materials: z.array(z.strictObject({ kind: z.string(), material: materialSchema.nullable() })).describe('each kind and the file currently set for it (null: none yet); an approval needs all'),
    files: z.array(materialSchema).describe('every file uploaded to this application'),
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(SPECIALIST_EVENT_TYPES),
        fromStatus: specialistStatus.nullable(),
        toStatus: specialistStatus,
        actor: z.string(),
        at: instant,
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'SpecialistApplication', description: 'A project specialist application with its materials, deadline and history.' });

export const specialistPageSchema = z
  .strictObject({ items: z.array(specialistSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'SpecialistApplicationPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

/**
 * A refused member of a batch: the problem the single apply would have answered, without the request's own fields.
 * Inline (no component id): api/docs/openapi.ts names only response schemas and its shared components.
 */
export const batchRefusalSchema = z
  .looseObject({
    status: z.number().int().min(400).max(599),
    code: z.string().describe('the problem code (urn:partnerflow:problem:<code>)'),
    detail: z.string().optional(),
    errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
    unmet: z.array(unmetSchema).optional().describe('specialist-not-eligible: every unmet condition, as GET …/eligibility answers it'),
  })
  .describe('The problem the single apply would have answered (status, code, detail, errors, and for specialist-not-eligible the unmet conditions).');

export const specialistBatchSchema = z
  .strictObject({
    results: z.array(
      z.strictObject({
        memberId: z.string(),
        pathId: z.string(),
        outcome: z.enum(['STARTED', 'REFUSED']),
        application: specialistSchema.optional().describe('STARTED: the application'),
        problem: batchRefusalSchema.optional().describe('REFUSED: why'),
      }),
    ),
  })
  .meta({ id: 'SpecialistBatchResult', description: 'One result per member, in the order asked: each application is its own process.' });

export type SpecialistSummary = z.output<typeof specialistSummarySchema>;
export type SpecialistView = z.output<typeof specialistSchema>;
export type SpecialistBatchView = z.output<typeof specialistBatchSchema>;
