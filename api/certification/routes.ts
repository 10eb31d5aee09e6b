/** HTTP routes of partner certification applications and certificates. Validation here; behaviour in the workflow. */
import { z } from 'zod';
import { CERTIFICATION_STATUSES, REVIEW_DECISIONS } from '../../workflows/certification/contract.js';
import type { CertificationClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { applicationRoutes, noteRequiredUnless, optionalNote } from '../kit/reviewed-application-routes.js';
import { certificateListSchema, certificationPageSchema, certificationSchema, certificationTypeListSchema } from './schemas.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';

const applicationId = z.string().uuid('must be a certification application id (UUID)');
const idParams = z.strictObject({ id: applicationId });
/** A catalog type's shape; whether it is in the catalog is the client's 422. */
const typeCode = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be a certification type (UPPER_SNAKE_CASE, GET /v1/certification-types)');

export const listQuery = z.strictObject({
  partnerId: partnerId.optional(),
  status: z.enum(CERTIFICATION_STATUSES).optional(),
  type: typeCode.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export const createBody = z.strictObject({ type: typeCode, solutionName: text(200).optional() });

export const reviewBody = z.strictObject({ decision: z.enum(REVIEW_DECISIONS), note: optionalNote }).superRefine(noteRequiredUnless('APPROVE'));

export function certificationRoutes(certifications: CertificationClient): RouteDef[] {
  const created = (body: { id: string }) => ({ status: 201, body, headers: { Location: `/v1/certifications/${body.id}` } });
  const application = applicationRoutes({
    door: certifications,
    id: applicationId,
    permissions: { read: 'certification.read', act: 'certification.apply' },
    view: certificationSchema,
    materialKind: typeCode,
  });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/certification-types',
      permission: 'certification.read',
      summary: 'The certification catalog: types, category, what each applies to, required materials, prerequisites, validity, review SLA, labels.',
      responses: { 200: certificationTypeListSchema },
      handler: async () => ({ status: 200, body: certifications.types() }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/certifications',
      permission: 'certification.apply',
      summary: "Start an application (DRAFT) for the caller's partner; solutionName is required exactly when the type certifies a solution. Counts against the partner's open-applications quota (422 quota-exceeded).",
      body: createBody,
      responses: { 201: certificationSchema },
      problems: [409, 422],
      idempotencyKey: true,
      handler: async ({ principal, body, req }) => created(await certifications.create(principal, body, idempotencyKeyOf(req))),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/certifications',
      permission: 'certification.read',
      summary: 'List certification applications, newest first; partners see only their own.',
      query: listQuery,
      responses: { 200: certificationPageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await certifications.list(principal, query) }),
    }),
    application.get('An application: status, terms, materials per kind, deadlines (UTC and local), certificate or extension, history.'),
    ...application.files(),
    application.setMaterials('Set which uploaded file is the material of each required kind (in order; a kind set again is replaced).'),
    application.submit('Submit the DRAFT for review: every material set and every prerequisite met (a refusal lists every unmet one).'),
    application.supplement('Answer a supplement request before its deadline (set the new materials first): a new review round starts.'),
    defineRoute({
      method: 'post',
      path: '/v1/certifications/:id/renew',
      permission: 'certification.apply',
      summary: 'Start a renewal (DRAFT, renewalOf = :id) of the ACTIVE certificate this application issued; its approval extends that certificate.',
      params: idParams,
      responses: { 201: certificationSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, req }) => created(await certifications.renew(principal, params.id, idempotencyKeyOf(req))),
    }),
    application.decide({
      path: 'review',
      permission: 'certification.review',
      summary: 'Decide an application IN_REVIEW: APPROVE (issues or extends the certificate), REJECT or REQUEST_SUPPLEMENT (both with a note).',
      body: reviewBody,
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/certificates',
      permission: 'certification.read',
      summary: "A partner's ACTIVE certificates: number, type, category, labels, scope and validity — what its badge shows.",
      params: z.strictObject({ partnerId }),
      responses: { 200: certificateListSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await certifications.certificates(principal, params.partnerId) }),
    }),
  ];
}
