// Response schemas of the reviewer queue (docs/review-queue.md); the shared pieces are in api/kit/schemas.ts. Only the
// answers carry a component id: a nested schema with an id of its own is not one of the OpenAPI document's components
// (api/docs/openapi.ts registers the answers), so its parts stay inline.
import { z } from 'zod';
import { instant } from '../kit/schemas.js';
import { REVIEW_KINDS } from './kinds.js';

export const reviewClaimSchema = z
  .strictObject({
    reviewer: z.string().describe("the reviewer's sub"),
    claimedAt: instant,
    assignedBy: z.string().nullable().describe('who assigned it (null: the reviewer claimed it)'),
  })
  .describe('Who is reviewing an item: while it holds, only this reviewer may decide it.');

export const reviewSubjectSchema = z
  .strictObject({
    summary: z.string().describe('what is reviewed, in one line of the domain’s codes and names'),
    // certification
    type: z.string().optional().describe('certification: the certification type'),
    category: z.string().optional().describe('certification: its category'),
    solutionName: z.string().nullable().optional().describe('certification: the certified solution (null: the partner is certified)'),
    // path review, specialist, level raise
    pathId: z.string().optional().describe('path review, specialist, level raise: the development path'),
    level: z.string().optional().describe("path review: the partner's level under review"),
    year: z.number().int().optional().describe("path review: the review's year"),
    memberId: z.string().optional().describe('specialist: the member applying'),
    memberName: z.string().nullable().optional().describe("specialist: the member's display name"),
    program: z.string().optional().describe('enrollment: the program the partner joins'),
    fromLevel: z.string().nullable().optional().describe('level raise: the current level (null: none yet)'),
    toLevel: z.string().optional().describe('level raise: the level asked for'),
    creditCode: z.string().optional().describe("customer report: the customer's unified social credit code"),
    enterpriseName: z.string().nullable().optional().describe("customer report: the customer's name in the enterprise records"),
  })
  .describe('What an item of the reviewer queue is about; the fields of its kind are present.');

export const reviewQueueItemSchema = z
  .strictObject({
    kind: z.enum(REVIEW_KINDS),
    id: z.string(),
    partnerId: z.string(),
    subject: reviewSubjectSchema,
    status: z.string().describe("the process's status in which it waits for the vendor's decision"),
    submittedAt: instant.describe("when it came to the vendor's review"),
    reviewDueAt: instant.nullable().describe('when the review is due (null: the process sets no review deadline)'),
    overdue: z.boolean().describe('the review is due and not decided'),
    claim: reviewClaimSchema.nullable(),
    detailPath: z.string().describe("the item's detail route"),
    decidePath: z.string().describe("the item's decide route (POST)"),
  })
  .describe("An item waiting for the vendor's decision.");

export const reviewQueuePageSchema = z
  .strictObject({ items: z.array(reviewQueueItemSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'ReviewQueuePage', description: 'Soonest review due first (none last), then submitted first; pass nextCursor as `cursor` for the next page.' });

export const claimAnswerSchema = z.strictObject({ claim: reviewClaimSchema }).meta({ id: 'ReviewClaimAnswer', description: "The item's claim after the request." });
export const releasedAnswerSchema = z
  .strictObject({ claim: z.null() })
  .meta({ id: 'ReviewClaimReleased', description: 'The item is unclaimed: anyone allowed may claim or decide it.' });

export type ReviewQueueItem = z.output<typeof reviewQueueItemSchema>;
export type ReviewSubject = z.output<typeof reviewSubjectSchema>;
