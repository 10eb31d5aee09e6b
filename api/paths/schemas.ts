// Response schemas of paths (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { type PartnerRule, partnerRuleSchema } from '../../domain/partner-rules.js';
import { PATH_REVIEW_STATUSES } from '../../workflows/path-review/contract.js';
import { certificationCategory } from '../certification/schemas.js';
import { instant } from '../kit/schemas.js';

// ---- development paths (domain/development-paths.json, api/paths/client.ts) -------------------------------------

const RULE_KINDS = partnerRuleSchema.options.map((o) => o.shape.kind.value) as [PartnerRule['kind'], ...PartnerRule['kind'][]];

/** A requirement item as the data states it (domain/partner-rules.ts). */
const requirementSchema = z.strictObject({
  kind: z.enum(RULE_KINDS),
  certification: z.string().optional().describe('EXPERTS_WITH_CERTIFICATION: the expert certification'),
  category: certificationCategory.optional().describe('ACTIVE_CERTIFICATES: a category of the certification catalog…'),
  type: z.string().optional().describe('…or one certification type'),
  min: z.number().int().min(1),
});

export const developmentPathSchema = z
  .strictObject({
    id: z.string(),
    name: z.string(),
    onFail: z.enum(['DOWNGRADE', 'REMOVE']).describe('what a FAILED or LAPSED annual review does: one level down (from the lowest: leave the path), or leave the path'),
    review: z.strictObject({
      month: z.number().int().min(1).max(12),
      day: z.number().int().min(1).max(28),
      windowWorkingDays: z.number().int().min(1).describe('the review window, in working days from the start of the cycle'),
      materials: z.array(z.string()).describe('the review materials a partner uploads, one file per kind'),
    }),
    levels: z
      .array(
        z.strictObject({
          level: z.string(),
          name: z.string(),
          requirements: z.array(requirementSchema.extend({ description: z.string() })),
        }),
      )
      .describe('lowest first'),
  })
  .meta({ id: 'DevelopmentPath', description: 'A development path of the partner programme, its levels and their requirement items.' });

export const developmentPathListSchema = z
  .strictObject({ version: z.string(), items: z.array(developmentPathSchema) })
  .meta({ id: 'DevelopmentPathList' });

export const PATH_CHANGE_REASONS = ['SET_BY_VENDOR', 'REVIEW_PASSED', 'REVIEW_FAILED', 'REVIEW_LAPSED', 'LEVEL_RAISED'] as const;

export const pathMembershipChangeSchema = z.strictObject({
  fromLevel: z.string().nullable().describe('null: joined the path'),
  toLevel: z.string().nullable().describe('null: left the path'),
  reason: z.enum(PATH_CHANGE_REASONS),
  reviewId: z.string().nullable().describe('the annual review that decided it'),
  levelRaiseId: z.string().nullable().describe('the approved level raise that decided it'),
  actor: z.string(),
  at: instant,
  note: z.string().nullable(),
});

export const pathMembershipSchema = z
  .strictObject({
    partnerId: z.string(),
    pathId: z.string(),
    pathName: z.string(),
    level: z.string(),
    levelName: z.string(),
    since: instant.describe('when the partner reached this level'),
    updatedAt: instant,
    currentReview: z
      .strictObject({ id: z.string(), year: z.number().int(), status: z.enum(PATH_REVIEW_STATUSES), windowEndsAt: instant })
      .nullable()
      .describe("the partner's latest annual review of this path (GET /v1/path-reviews/{id}); null: none yet"),
    history: z.array(pathMembershipChangeSchema).describe('path_membership_change, newest first, at most 50'),
  })
  .meta({ id: 'PathMembership', description: "A partner's membership of a development path." });

export const pathMembershipListSchema = z
  .strictObject({ items: z.array(pathMembershipSchema) })
  .meta({ id: 'PathMembershipList', description: "The partner's current path memberships, by path id." });

export const requirementEvaluationSchema = z
  .strictObject({
    partnerId: z.string(),
    pathId: z.string(),
    level: z.string().describe('the level evaluated: `?level=`, else the current one'),
    levelName: z.string(),
    currentLevel: z.string().nullable().describe("the partner's level on this path; null: not a member"),
    today: z.iso.date().describe("the local date evaluated on, in the partner's zone (Asia/Shanghai)"),
    allMet: z.boolean(),
    items: z.array(
      z.strictObject({ requirement: requirementSchema, description: z.string(), required: z.number().int(), actual: z.number().int(), met: z.boolean() }),
    ),
  })
  .meta({ id: 'RequirementEvaluation', description: "Every requirement item of a level, evaluated against the partner's live experts and certificates." });

export type DevelopmentPathView = z.output<typeof developmentPathSchema>;
export type PathMembershipView = z.output<typeof pathMembershipSchema>;
export type PathMembershipChangeView = z.output<typeof pathMembershipChangeSchema>;
export type RequirementEvaluationView = z.output<typeof requirementEvaluationSchema>;
