// Response schemas of certification (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { CERTIFICATION_CATEGORIES } from '../../domain/certification-catalog.js';
import { CERTIFICATE_STATUSES, CERTIFICATION_STATUSES } from '../../workflows/certification/contract.js';
import { deadlineExplanationSchema, instant, materialSchema } from '../kit/schemas.js';

// ---- certification applications (workflows/certification/workflow.ts, api/certification/client.ts) ---------------------

const certificationStatus = z.enum(CERTIFICATION_STATUSES);
export const certificationCategory = z.enum(CERTIFICATION_CATEGORIES);
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
