// Response schemas of path-review (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { PATH_REVIEW_DECISIONS, PATH_REVIEW_STATUSES } from '../../workflows/path-review/contract.js';
import { deadlineExplanationSchema, instant, materialSchema } from '../kit/schemas.js';
import { pathMembershipChangeSchema } from '../paths/schemas.js';

// ---- annual path reviews (workflows/path-review/workflow.ts, api/path-review/client.ts) ---------------------------------

export const pathReviewCycleSchema = z
  .strictObject({
    pathId: z.string(),
    year: z.number().int(),
    workflowId: z.string(),
    status: z.enum(['STARTING', 'RUNNING', 'COMPLETED']).describe('STARTING: accepted, the cycle has not written its progress yet'),
    requestedBy: z.string().nullable().describe("'schedule' or the vendor user who asked"),
    startedAt: instant.nullable().describe("the cycle's start instant: every review window counts from it"),
    finishedAt: instant.nullable(),
    windowWorkingDays: z.number().int().min(1).nullable(),
    members: z.strictObject({
      total: z.number().int().min(0).describe('members of the path when the run started'),
      done: z.number().int().min(0).describe('members whose review the run has started'),
    }),
    reviewsStarted: z.number().int().min(0).describe('reviews of the path and year that have opened'),
    runs: z.number().int().min(0),
  })
  .meta({ id: 'PathReviewCycle', description: "A path's annual review cycle: its fan-out progress." });

const pathReviewInstants = z.strictObject({
  windowEndsAt: z.string().nullable(),
  submittedAt: z.string().nullable(),
  supplementDeadline: z.string().nullable(),
  decidedAt: z.string().nullable(),
});

export const pathReviewSummarySchema = z
  .strictObject({
    id: z.string().describe('<pathId>-<partnerId>-<year>'),
    pathId: z.string(),
    partnerId: z.string(),
    year: z.number().int(),
    level: z.string().describe('the level under review'),
    status: z.enum(PATH_REVIEW_STATUSES),
    openedAt: instant,
    windowEndsAt: instant.describe('UTC; nothing submitted by then → LAPSED'),
    submittedAt: instant.nullable(),
    supplementDeadline: instant.nullable(),
    decidedAt: instant.nullable(),
    newLevel: z.string().nullable().describe('after PASSED / FAILED / LAPSED; null there: left the path'),
    updatedAt: instant,
    zone: z.string(),
    local: pathReviewInstants.describe("the same instants in the partner's zone"),
  })
  .meta({ id: 'PathReviewSummary', description: 'An annual path review as listed.' });

export const pathReviewSchema = pathReviewSummarySchema
  .extend({
    pathName: z.string(),
    terms: z.strictObject({
      pathName: z.string(),
      materials: z.array(z.string()),
      windowWorkingDays: z.number().int(),
      levels: z.array(z.string()),
      levelAfterFailure: z.string().nullable(),
    }),
    cycleStartedAt: instant,
    deadlineExplanation: deadlineExplanationSchema
      .nullable()
      .describe('how the pending deadline was counted: windowEndsAt (OPEN, APPLIED) or supplementDeadline (SUPPLEMENT_REQUESTED); null when none is pending'),
    appliedAt: instant.nullable(),
    decision: z.enum(PATH_REVIEW_DECISIONS).nullable().describe("the vendor's last decision"),
    decisionNote: z.string().nullable(),
    reminders: z.array(z.strictObject({ days: z.number().int(), at: instant, local: z.string(), sent: z.boolean() })),
    requirements: z
      .array(z.strictObject({ description: z.string(), required: z.number().int(), actual: z.number().int(), met: z.boolean() }))
      .nullable()
      .describe('the evaluation that let the partner apply'),
    materials: z.array(z.strictObject({ kind: z.string(), material: materialSchema.nullable() })),
    files: z.array(materialSchema).describe('every file uploaded to the review'),
    history: z.array(
      z.strictObject({
        seq: z.number().int(),
        type: z.string(),
        fromStatus: z.enum(PATH_REVIEW_STATUSES).nullable(),
        toStatus: z.enum(PATH_REVIEW_STATUSES),
        actor: z.string(),
        at: instant,
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
    membershipChange: pathMembershipChangeSchema.nullable().describe('the path membership change this review wrote, if any'),
  })
  .meta({ id: 'PathReview', description: 'An annual path review: window, reminders, materials, decision, history, outcome.' });

export const pathReviewPageSchema = z
  .strictObject({ items: z.array(pathReviewSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'PathReviewPage', description: 'One page, newest year first; pass nextCursor as `cursor` for the next.' });

export type PathReviewCycleView = z.output<typeof pathReviewCycleSchema>;
export type PathReviewSummary = z.output<typeof pathReviewSummarySchema>;
export type PathReviewView = z.output<typeof pathReviewSchema>;
