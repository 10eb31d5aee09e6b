// Response schemas of customer facts, customer reports (报备) and invitations (see api/kit/schemas.ts for shared pieces).
import { z } from 'zod';
import { CUSTOMER_FACT_KINDS, CUSTOMER_FACT_VALUES } from '../../domain/customer.js';
import { REPORT_UNMET_CODES } from '../../domain/customer-report.js';
import { ASSOCIATION_MODES, CUSTOMER_REPORT_STATUSES } from '../../workflows/customer-report/contract.js';
import { deadlineExplanationSchema, instant } from '../kit/schemas.js';

const status = z.enum(CUSTOMER_REPORT_STATUSES);
const mode = z.enum(ASSOCIATION_MODES);

const factChange = z.strictObject({
  id: z.string().describe('the observation, as stored (a bigint as a string)'),
  customerId: z.string(),
  kind: z.enum(CUSTOMER_FACT_KINDS),
  value: z.record(z.string(), z.unknown()),
  source: z.string(),
  observedAt: instant,
  receivedAt: instant,
});

export const customerFactFeedSchema = z
  .strictObject({ feedId: z.string(), items: z.array(factChange) })
  .meta({ id: 'CustomerFactFeed', description: 'The observations one feed recorded (a retry with the same Idempotency-Key answers the same).' });

const association = z.strictObject({
  associationId: z.uuid(),
  partnerId: z.string(),
  customerId: z.string(),
  creditCode: z.string(),
  mode,
  associatedAt: instant,
  reportId: z.uuid().nullable().describe('the customer report whose invitation made it'),
});

export const customerAssociationSchema = association.meta({ id: 'CustomerAssociation', description: "A customer account's association with a partner." });

export const customerSchema = z
  .strictObject({
    customerId: z.string(),
    facts: z
      .strictObject(Object.fromEntries(CUSTOMER_FACT_KINDS.map((k) => [k, CUSTOMER_FACT_VALUES[k].nullable()])) as { [K in (typeof CUSTOMER_FACT_KINDS)[number]]: z.ZodNullable<(typeof CUSTOMER_FACT_VALUES)[K]> })
      .describe('the latest observation of each kind; null: never reported (unknown)'),
    association: association.nullable().describe('the open association, if any'),
  })
  .meta({ id: 'Customer', description: "A customer account's current facts and association." });

export const customerPageSchema = z
  .strictObject({ items: z.array(association), nextCursor: z.string().nullable() })
  .meta({ id: 'CustomerAssociationPage', description: "The partner's associated customers, newest first; pass nextCursor as `cursor` for the next." });

const reportInstants = z.strictObject({
  reportedAt: instant,
  protectedFrom: instant.nullable(),
  protectedUntil: instant.nullable(),
  reviewDueAt: instant.nullable(),
  invitationExpiresAt: instant.nullable(),
});

export const customerReportSummarySchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    creditCode: z.string(),
    status,
    reportedBy: z.string(),
    reportedAt: instant,
    manualReview: z.boolean(),
    protectionDays: z.number().int().min(1).describe('calendar days the report protects the enterprise for'),
    protectedFrom: instant.nullable(),
    protectedUntil: instant.nullable().describe("when the protection ends: protectionDays calendar days after protectedFrom, at the same local time in the partner's zone"),
    reviewSlaWorkingDays: z.number().int().nullable(),
    reviewDueAt: instant.nullable().describe("IN_MANUAL_REVIEW: when the vendor's decision is due"),
    reviewEscalatedAt: instant.nullable(),
    invitation: z
      .strictObject({ mode, issuedAt: instant, expiresAt: instant })
      .nullable()
      .describe('the current invitation link (its token is shown once, when issued)'),
    customerId: z.string().nullable(),
    associationId: z.uuid().nullable(),
    associatedAt: instant.nullable(),
    decidedAt: instant.nullable(),
    withdrawnAt: instant.nullable(),
    expiredAt: instant.nullable(),
    zone: z.string(),
    local: reportInstants.describe("the same instants in the partner's zone"),
  })
  .describe('A customer report as listed.');

export const CUSTOMER_REPORT_EVENT_TYPES = ['PROTECTED', 'MANUAL_REVIEW_REQUESTED', 'APPROVED', 'REJECTED', 'WITHDRAWN', 'REVIEW_ESCALATED', 'DEADLINE_CHANGED', 'INVITED', 'INVITATION_EXPIRED', 'EXPIRED', 'ASSOCIATED'] as const;

export const customerReportSchema = customerReportSummarySchema
  .extend({
    justification: z.string().nullable(),
    unmet: z
      .array(z.strictObject({ code: z.enum(REPORT_UNMET_CODES), evidence: z.record(z.string(), z.unknown()) }))
      .nullable()
      .describe('a manual review: the reasons the rules found when it was asked'),
    deadlineExplanation: deadlineExplanationSchema.nullable().describe('how reviewDueAt was counted, while IN_MANUAL_REVIEW'),
    decisionNote: z.string().nullable(),
    history: z.array(
      z.strictObject({
        seq: z.number().int().min(1),
        type: z.enum(CUSTOMER_REPORT_EVENT_TYPES),
        fromStatus: status.nullable(),
        toStatus: status,
        actor: z.string(),
        at: instant,
        note: z.string().nullable(),
        data: z.record(z.string(), z.unknown()).nullable(),
      }),
    ),
  })
  .meta({ id: 'CustomerReport', description: 'A customer report with its protection, manual review, invitation and history.' });

export const customerReportPageSchema = z
  .strictObject({ items: z.array(customerReportSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'CustomerReportPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

export const customerInvitationIssuedSchema = z
  .strictObject({
    token: z.string().describe('the link\'s secret: shown this once (only its SHA-256 is kept); give it to the customer'),
    path: z.string().describe('where the customer sees and accepts it: GET and POST …/accept'),
    partnerId: z.string().describe('the inviting partner'),
    mode,
    expiresAt: instant,
    report: customerReportSchema,
  })
  .meta({ id: 'CustomerInvitationIssued', description: 'A new invitation link (it replaces any earlier one of the report).' });

export const customerInvitationSchema = z
  .strictObject({
    partnerId: z.string().describe('the partner that invites'),
    creditCode: z.string(),
    mode,
    expiresAt: instant,
    status: z.enum(['VALID', 'ACCEPTED']).describe('VALID: it may be accepted; ACCEPTED: the caller accepted it'),
  })
  .meta({ id: 'CustomerInvitation', description: 'What the customer would accept.' });

export type CustomerReportSummary = z.output<typeof customerReportSummarySchema>;
export type CustomerReportView = z.output<typeof customerReportSchema>;
export type CustomerAssociationView = z.output<typeof association>;
export type CustomerView = z.output<typeof customerSchema>;
export type CustomerFactChangeView = z.output<typeof factChange>;
