/**
 * Response schemas: what the routes answer, declared once in zod. Routes name them in `responses`, the
 * OpenAPI document is generated from them (api/openapi.ts) and the contract test validates real answers
 * against that document. Objects are strict: a field the schema does not list is drift, not a bonus.
 */
import { z } from 'zod';
import { PARTNER_ASSIGNABLE_PERMISSIONS, PERMISSIONS } from '../domain/auth.js';
import { EVENT_TOPICS } from '../domain/events.js';
import { moneySchema } from '../domain/money.js';
import { MATERIAL_TYPES } from './clients/materials.js';
import { CERTIFICATION_CATEGORIES } from '../domain/certification-catalog.js';
import { type PartnerRule, partnerRuleSchema } from '../domain/partner-rules.js';
import { CERTIFICATE_STATUSES, CERTIFICATION_STATUSES } from '../workflows/certification.js';
import { INCENTIVE_STATUSES } from '../workflows/incentive.js';
import { PATH_REVIEW_DECISIONS, PATH_REVIEW_STATUSES } from '../workflows/path-review-contract.js';
import { STATUSES } from '../workflows/opportunity.js';

const instant = z.iso.datetime({ offset: true });

/** RFC 9457 problem details (domain/problems.ts) as sendProblem() renders them; extensions allowed. */
export const problemSchema = z
  .looseObject({
    type: z.string().regex(/^urn:partnerflow:problem:[a-z0-9-]+$/),
    title: z.string(),
    status: z.number().int().min(400).max(599),
    detail: z.string().optional(),
    errors: z.array(z.strictObject({ field: z.string(), message: z.string() })).optional(),
    instance: z.string(),
    requestId: z.string(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem details; codes are urn:partnerflow:problem:<code>.' });

export const deadlineExplanationSchema = z
  .strictObject({
    calendar: z.string(),
    calendarVersion: z.number().int().min(1).optional().describe('the stored calendar version the deadline was computed with'),
    zone: z.string(),
    from: instant.describe('local ISO 8601 with offset'),
    workingDays: z.number().int().min(1),
    deadline: instant.describe('local ISO 8601 with offset'),
    countedDays: z.array(z.strictObject({ date: z.iso.date(), kind: z.enum(['WORKDAY', 'MAKEUP_WORKDAY']), name: z.string().optional() })),
    skippedDays: z.array(z.strictObject({ date: z.iso.date(), reason: z.enum(['REST_DAY', 'HOLIDAY']), name: z.string().optional() })),
    summary: z.string(),
    provisional: z
      .literal(true)
      .optional()
      .describe("present when the window touches a year whose official holiday schedule is not published yet: counted with the calendar's statutory rules, the deadline may move when it is published (absent: not provisional)"),
    provisionalYears: z.array(z.number().int()).optional().describe('the years counted by statutory rules'),
    provisionalNote: z.string().optional().describe('what provisional means, in a sentence for the partner'),
  })
  .meta({ id: 'DeadlineExplanation' });

const status = z.enum(STATUSES);

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

export const deadlineAnswerSchema = z
  .strictObject({ deadline: instant, explanation: deadlineExplanationSchema })
  .meta({ id: 'DeadlineAnswer' });

export const healthSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    temporal: z.enum(['ok', 'unavailable']).describe('Whether the Temporal frontend answers (why not: in the API log)'),
    database: z.enum(['ok', 'unavailable']).describe('Whether PostgreSQL answers (why not: in the API log)'),
    warnings: z
      .array(z.string())
      .optional()
      .describe("what an operator must do soon (e.g. a calendar's next year is not published); the status stays ok"),
  })
  .meta({ id: 'Health' });

export const clockAdvanceSchema = z
  .strictObject({ advancedBy: z.string().describe('ISO 8601 duration'), from: instant, now: instant })
  .meta({ id: 'ClockAdvance' });

export const memberSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    sub: z.string().describe('the token subject of the person'),
    displayName: z.string(),
    active: z.boolean(),
    roles: z.array(z.string()).describe('built-in role names and custom role ids'),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Member', description: "A member of a partner organization; its roles replace its token's roles." });

export const memberListSchema = z.strictObject({ items: z.array(memberSchema) }).meta({ id: 'MemberList' });

export const customRoleSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    name: z.string(),
    permissions: z.array(z.enum(PARTNER_ASSIGNABLE_PERMISSIONS)),
    createdBy: z.string(),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'CustomRole', description: "A partner's custom role: a named set of partner-assignable permissions." });

export const roleListSchema = z
  .strictObject({
    items: z.array(customRoleSchema),
    builtIn: z.array(z.strictObject({ name: z.string(), permissions: z.array(z.enum(PERMISSIONS)) })).describe('the built-in partner roles'),
  })
  .meta({ id: 'RoleList' });

export const expertSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    employeeId: z.string().describe('unique per partner'),
    name: z.string(),
    fullTime: z.boolean(),
    fullTimeSince: z.iso.date().nullable().describe('local date the current full-time status began; null when not full-time'),
    registeredOn: z.iso.date().describe('stamped by the server: the local date the expert was registered'),
    active: z.boolean(),
    certifications: z.array(z.strictObject({ type: z.string(), validFrom: z.iso.date(), validTo: z.iso.date() })),
    attested: z
      .strictObject({
        fullTime: z
          .strictObject({ since: z.iso.date(), attestedAt: instant, attestedBy: z.string() })
          .nullable()
          .describe('the attested full-time status; null when not attested (a change of fullTime or fullTimeSince withdraws it)'),
        certifications: z
          .array(z.strictObject({ type: z.string(), validFrom: z.iso.date(), validTo: z.iso.date(), attestedAt: instant, attestedBy: z.string() }))
          .describe('the attested ones among certifications'),
      })
      .describe('What the vendor has attested: only these facts count in the monthly incentive, certification prerequisites and path requirements.'),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Expert', description: "An expert of a partner: the monthly incentive's subject. Dates are local (Asia/Shanghai)." });

export const expertListSchema = z.strictObject({ items: z.array(expertSchema) }).meta({ id: 'ExpertList' });

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

export const materialSchema = z
  .strictObject({
    id: z.uuid(),
    fileName: z.string(),
    contentType: z.enum(MATERIAL_TYPES).describe('what the bytes were checked to be'),
    size: z.number().int().min(1).describe('bytes'),
    sha256: z.string().regex(/^[0-9a-f]{64}$/),
    uploadedBy: z.string(),
    uploadedAt: instant,
  })
  .meta({ id: 'Material', description: 'An uploaded file (metadata; GET …/materials/{materialId} downloads the bytes).' });

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
export const openApiDocumentSchema = z
  .looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ id: 'OpenApiDocument', description: 'This OpenAPI 3.1 document.' });

export type OpportunitySummary = z.output<typeof opportunitySummarySchema>;
export type OpportunityView = z.output<typeof opportunitySchema>;
export type MemberView = z.output<typeof memberSchema>;
export type CustomRoleView = z.output<typeof customRoleSchema>;
export type RoleListView = z.output<typeof roleListSchema>;
export type ExpertView = z.output<typeof expertSchema>;

export const incentiveRunSchema = z
  .strictObject({
    period: z.string().describe('YYYY-MM'),
    workflowId: z.string(),
    status: z.enum(['STARTING', 'RUNNING', 'COMPLETED']).describe('STARTING: accepted, the run has not written its progress yet'),
    requestedBy: z.string().nullable().describe("'schedule' or the vendor user who asked"),
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
    partners: z.strictObject({
      total: z.number().int().min(0).describe('partners in scope when the run started'),
      done: z.number().int().min(0).describe('partners processed (generated or failed)'),
      failed: z.number().int().min(0),
    }),
    incentivesGenerated: z.number().int().min(0).describe('incentives that exist for the period (all runs)'),
    failures: z.array(z.strictObject({ partnerId: z.string(), code: z.string(), message: z.string() })),
    runs: z.number().int().min(0).describe('how many times generation has run for the period'),
  })
  .meta({ id: 'IncentiveRun' });
export type IncentiveRunView = z.infer<typeof incentiveRunSchema>;
export type IncentiveSummary = z.output<typeof incentiveSummarySchema>;
export type IncentiveView = z.output<typeof incentiveSchema>;
export type MaterialView = z.output<typeof materialSchema>;

// ---- certification applications (workflows/certification.ts, api/clients/certification.ts) ---------------------

const certificationStatus = z.enum(CERTIFICATION_STATUSES);
const certificationCategory = z.enum(CERTIFICATION_CATEGORIES);
const appliesTo = z.enum(['PARTNER', 'SOLUTION']);

export const certificationTypeSchema = z
  .strictObject({
    type: z.string(),
    name: z.string(),
    category: certificationCategory,
    appliesTo: appliesTo.describe('SOLUTION: an application names the solution (solutionName)'),
    requiredMaterials: z.array(z.strictObject({ kind: z.string(), name: z.string() })).describe('one file per kind'),
    prerequisites: z.array(z.looseObject({ kind: z.string(), min: z.number().int(), description: z.string() })).describe('checked at submission'),
    validityYears: z.number().int().min(1),
    reviewSlaWorkingDays: z.number().int().min(1),
    supplementWorkingDays: z.number().int().min(1),
    capabilityLabels: z.array(z.string()).describe("what the certificate's badge shows"),
  })
  .meta({ id: 'CertificationType', description: 'A certification of the catalog.' });

export const certificationTypeListSchema = z
  .strictObject({ version: z.string(), items: z.array(certificationTypeSchema) })
  .meta({ id: 'CertificationTypeList' });

export const certificateSchema = z
  .strictObject({
    number: z.string(),
    applicationId: z.uuid(),
    partnerId: z.string(),
    type: z.string(),
    category: certificationCategory,
    labels: z.array(z.string()),
    scope: z.string().describe("the solution's name, or 'partner'"),
    validFrom: z.iso.date().describe('local date (Asia/Shanghai), inclusive'),
    validTo: z.iso.date().describe('local date (Asia/Shanghai), inclusive'),
    status: z.enum(CERTIFICATE_STATUSES),
    issuedAt: instant,
  })
  .meta({ id: 'Certificate', description: 'An issued certificate: what the partner badge shows.' });

export const certificateListSchema = z.strictObject({ items: z.array(certificateSchema) }).meta({ id: 'CertificateList' });

const certificationInstants = z.strictObject({
  createdAt: instant.nullable(),
  submittedAt: instant.nullable(),
  reviewDueAt: instant.nullable(),
  supplementDeadline: instant.nullable(),
  decidedAt: instant.nullable(),
});

export const certificationSummarySchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    type: z.string(),
    category: certificationCategory,
    appliesTo,
    solutionName: z.string().nullable(),
    status: certificationStatus,
    renewalOf: z.uuid().nullable().describe('the application whose certificate this one renews'),
    createdBy: z.string(),
    createdAt: instant,
    submittedAt: instant.nullable(),
    reviewDueAt: instant.nullable().describe('IN_REVIEW: when the review is due (the SLA)'),
    supplementDeadline: instant.nullable().describe('SUPPLEMENT_REQUESTED: supplement by then, or the application is withdrawn'),
    decidedAt: instant.nullable(),
    zone: z.string(),
    local: certificationInstants.describe("the same instants in the partner's zone"),
  })
  .meta({ id: 'CertificationSummary', description: 'A certification application as listed.' });

export const CERTIFICATION_EVENT_TYPES = [
  'CREATED',
  'MATERIAL_SET',
  'SUBMITTED',
  'REVIEW_STARTED',
  'SUPPLEMENT_REQUESTED',
  'SUPPLEMENTED',
  'REJECTED',
  'APPROVED',
  'WITHDRAWN_BY_TIMEOUT',
  'CERTIFICATE_EXTENDED',
  'DEADLINE_CHANGED',
  'EXPIRED',
] as const;

export const certificationSchema = certificationSummarySchema
  .extend({
    terms: z.strictObject({
      category: certificationCategory,
      appliesTo,
      requiredMaterials: z.array(z.string()),
      validityYears: z.number().int(),
      reviewSlaWorkingDays: z.number().int(),
      supplementWorkingDays: z.number().int(),
      capabilityLabels: z.array(z.string()),
    }),
    deadlineExplanation: deadlineExplanationSchema
      .nullable()
      .describe('how the pending deadline was counted: reviewDueAt (SUBMITTED, IN_REVIEW) or supplementDeadline (SUPPLEMENT_REQUESTED); null when none is pending'),
    decisionNote: z.string().nullable(),
    materials: z
      .array(z.strictObject({ kind: z.string(), name: z.string().nullable(), material: materialSchema.nullable() }))
      .describe('each required kind and the file currently set for it (null: none yet)'),
    files: z.array(materialSchema).describe('every file uploaded to this application'),
    certificate: certificateSchema.nullable().describe('the certificate this application issued'),
    extended: z
      .strictObject({ certificateNumber: z.string(), oldValidTo: z.iso.date(), newValidTo: z.iso.date() })
      .nullable()
      .describe("a renewal approved while the original was active: it moved the original certificate's validTo instead of issuing one"),
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(CERTIFICATION_EVENT_TYPES),
        fromStatus: certificationStatus.nullable(),
        toStatus: certificationStatus,
        actor: z.string(),
        at: instant,
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'Certification', description: 'A certification application with its terms, materials, certificate and history.' });

export const certificationPageSchema = z
  .strictObject({ items: z.array(certificationSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'CertificationPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

export type CertificationTypeView = z.output<typeof certificationTypeSchema>;
export type CertificateView = z.output<typeof certificateSchema>;
export type CertificationSummary = z.output<typeof certificationSummarySchema>;
export type CertificationView = z.output<typeof certificationSchema>;

// ---- development paths (domain/development-paths.json, api/clients/paths.ts) -------------------------------------

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

export const PATH_CHANGE_REASONS = ['SET_BY_VENDOR', 'REVIEW_PASSED', 'REVIEW_FAILED', 'REVIEW_LAPSED'] as const;

export const pathMembershipChangeSchema = z.strictObject({
  fromLevel: z.string().nullable().describe('null: joined the path'),
  toLevel: z.string().nullable().describe('null: left the path'),
  reason: z.enum(PATH_CHANGE_REASONS),
  reviewId: z.string().nullable().describe('the annual review that decided it'),
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

// ---- annual path reviews (workflows/path-review.ts, api/clients/path-reviews.ts) ---------------------------------

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

// Business calendars as data (api/clients/calendars.ts, domain/calendar-versions.ts).
const yearsCoveredSchema = z.strictObject({ first: z.number().int(), last: z.number().int() });
const holidayRangeSchema = z.strictObject({ from: z.iso.date(), to: z.iso.date(), name: z.string() });
const makeupWorkdaySchema = z.strictObject({ date: z.iso.date(), name: z.string() });
const dayKindSchema = z.enum(['WORKDAY', 'REST_DAY', 'HOLIDAY', 'MAKEUP_WORKDAY', 'NOT_COVERED']);

export const calendarChangeSchema = z
  .strictObject({
    everyDate: z.boolean().describe('zone or rest days changed: any deadline may move'),
    zone: z.strictObject({ from: z.string(), to: z.string() }).optional(),
    restWeekdays: z.strictObject({ from: z.array(z.number().int()), to: z.array(z.number().int()) }).optional(),
    years: z.strictObject({ from: yearsCoveredSchema, to: yearsCoveredSchema }).optional(),
    dates: z.array(z.strictObject({ date: z.iso.date(), from: dayKindSchema, to: dayKindSchema })).describe('holidays and make-up days whose kind differs'),
    newlyCoveredYears: z
      .array(z.number().int())
      .optional()
      .describe('years now published that were not: every open deadline touching one is counted again (its provisional mark clears)'),
  })
  .meta({ id: 'CalendarChange', description: 'What differs between two calendar versions (or the calendars before and after a partner moved).' });

export const calendarSummarySchema = z
  .strictObject({
    name: z.string(),
    version: z.number().int().min(1),
    zone: z.string(),
    restWeekdays: z.array(z.number().int().min(1).max(7)).describe('ISO weekdays, 1 = Monday'),
    years: yearsCoveredSchema.describe('the years whose official schedule is published (covered)'),
    rules: z.string().nullable().describe('statutory rules for years not covered, e.g. CN-statutory; null: none'),
    uncoveredYears: z
      .enum(['provisional', 'fail-closed'])
      .describe('deadlines reaching past the covered years: counted provisionally with the rules, or refused (422 calendar-year-not-covered)'),
    nextYear: z
      .strictObject({
        year: z.number().int(),
        status: z.enum(['published', 'provisional', 'missing']),
        warning: z.string().nullable().describe('from CALENDAR_WARN_FROM (default 1 Nov) while next year is not published: what the operator must do'),
      })
      .describe("next calendar year in the calendar's zone: published, counted provisionally, or missing (fail-closed)"),
    changedBy: z.string(),
    changedAt: instant,
  })
  .meta({ id: 'CalendarSummary' });
export type CalendarSummaryView = z.infer<typeof calendarSummarySchema>;

export const calendarSchema = calendarSummarySchema
  .extend({
    holidays: z.array(holidayRangeSchema),
    makeupWorkdays: z.array(makeupWorkdaySchema),
    changes: calendarChangeSchema.nullable().describe('vs. the previous version; null for version 1'),
  })
  .meta({ id: 'Calendar', description: 'A business calendar in its current version.' });
export type CalendarView = z.infer<typeof calendarSchema>;

export const calendarListSchema = z.strictObject({ items: z.array(calendarSummarySchema) }).meta({ id: 'CalendarList' });

export const partnerCalendarSchema = z
  .strictObject({
    partnerId: z.string(),
    calendar: z.string(),
    version: z.number().int().min(1).describe("the calendar's current version"),
    zone: z.string(),
    isDefault: z.boolean().describe('no assignment: the default calendar'),
    assignedBy: z.string().nullable(),
    assignedAt: instant.nullable(),
    changes: calendarChangeSchema.optional().describe('after a move: what differs between the old and the new calendar'),
  })
  .meta({ id: 'PartnerCalendar' });
export type PartnerCalendarView = z.infer<typeof partnerCalendarSchema>;

// Webhooks (api/clients/webhooks.ts): endpoints, and deliveries of outbox events to them.

export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'DEAD'] as const;

export const webhookEndpointSchema = z
  .strictObject({
    id: z.string(),
    partnerId: z.string().nullable().describe("the partner whose events it receives; null: a vendor endpoint (every partner's)"),
    url: z.string(),
    events: z.array(z.enum(EVENT_TOPICS)),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: instant,
    deactivatedAt: instant.nullable(),
    deactivatedReason: z
      .string()
      .nullable()
      .describe('why the relay disabled it (WEBHOOK_DISABLE_AFTER_DEAD deliveries in a row ended DEAD); null while active or after a DELETE'),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpointView = z.infer<typeof webhookEndpointSchema>;

export const createdWebhookEndpointSchema = webhookEndpointSchema
  .extend({ secret: z.string().describe('whsec_<base64 key>: signs every delivery (Standard Webhooks); shown only here, once') })
  .meta({ id: 'CreatedWebhookEndpoint' });

export const rotatedWebhookSecretSchema = createdWebhookEndpointSchema
  .extend({
    secret: z.string().describe('the new whsec_<base64 key>: signs every delivery from now on; shown only here, once'),
    previousSecretExpiresAt: instant
      .nullable()
      .describe('until then deliveries carry a second signature, with the replaced secret (WEBHOOK_SECRET_GRACE_HOURS after the rotation); null: no grace'),
  })
  .meta({ id: 'RotatedWebhookSecret' });
export type RotatedWebhookSecretView = z.infer<typeof rotatedWebhookSecretSchema>;

export const webhookEndpointPageSchema = z
  .strictObject({ items: z.array(webhookEndpointSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookEndpointPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

export const webhookDeliverySchema = z
  .strictObject({
    id: z.string(),
    endpointId: z.string(),
    eventId: z.string().describe('the webhook-id header: the same on every attempt (receivers dedupe on it)'),
    eventType: z.enum(EVENT_TOPICS),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int().min(0).describe('POSTs of the latest run'),
    runs: z.number().int().min(1).describe('1 + redeliveries'),
    lastAttemptAt: instant.nullable(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable().describe("why the latest attempt failed, in words: never the address a name resolved to"),
    deliveredAt: instant.nullable(),
    createdAt: instant,
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryPageSchema = z
  .strictObject({ items: z.array(webhookDeliverySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookDeliveryPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });
