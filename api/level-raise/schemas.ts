// Response schemas of level raises (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { LEVEL_RAISE_STATUSES } from '../../workflows/level-raise/contract.js';
import { deadlineExplanationSchema, instant } from '../kit/schemas.js';

const levelRaiseStatus = z.enum(LEVEL_RAISE_STATUSES);

const levelRaiseInstants = z.strictObject({
  submittedAt: instant,
  reviewDueAt: instant,
  reviewEscalatedAt: instant.nullable(),
  decidedAt: instant.nullable(),
  withdrawnAt: instant.nullable(),
});

export const levelRaiseSummarySchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    pathId: z.string().describe('the development path whose next level is asked for'),
    fromLevel: z.string().nullable().describe('the level the partner held when it asked (null: not on the path yet)'),
    toLevel: z.string().describe('the level asked for: the next one of the path'),
    status: levelRaiseStatus,
    requestedBy: z.string(),
    submittedAt: instant,
    reviewSlaWorkingDays: z.number().int().min(1).describe("the vendor's review SLA this raise counts, in working days of the partner's calendar"),
    reviewDueAt: instant.describe('SUBMITTED: when the review is due (the SLA); past it the raise escalates'),
    reviewEscalatedAt: instant.nullable().describe('when the review was escalated for being past reviewDueAt'),
    decidedAt: instant.nullable(),
    withdrawnAt: instant.nullable(),
    zone: z.string(),
    local: levelRaiseInstants.describe("the same instants in the partner's zone"),
  })
  // Inline (no component id): api/docs/openapi.ts names only response schemas and its COMPONENTS list.
  .describe('A level raise as listed.');

export const LEVEL_RAISE_EVENT_TYPES = ['SUBMITTED', 'APPROVED', 'REJECTED', 'WITHDRAWN', 'REVIEW_ESCALATED', 'DEADLINE_CHANGED'] as const;

export const levelRaiseSchema = levelRaiseSummarySchema
  .extend({
    deadlineExplanation: deadlineExplanationSchema.nullable().describe('how reviewDueAt was counted, while SUBMITTED; null once decided or withdrawn'),
    decisionNote: z.string().nullable().describe("the vendor's note; a rejection's reason"),
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(LEVEL_RAISE_EVENT_TYPES),
        fromStatus: levelRaiseStatus.nullable(),
        toStatus: levelRaiseStatus,
        actor: z.string(),
        at: instant,
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'LevelRaise', description: 'A level raise with its review deadline and history.' });

export const levelRaisePageSchema = z
  .strictObject({ items: z.array(levelRaiseSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'LevelRaisePage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

export type LevelRaiseSummary = z.output<typeof levelRaiseSummarySchema>;
export type LevelRaiseView = z.output<typeof levelRaiseSchema>;
