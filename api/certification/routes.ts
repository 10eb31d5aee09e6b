/** HTTP routes of partner certification applications and certificates. Validation here; behaviour in the workflow. */
import { create as contentDisposition } from 'content-disposition';
import { z } from 'zod';
import { CERTIFICATION_STATUSES, REVIEW_DECISIONS } from '../../workflows/certification/workflow.js';
import { type CertificationClient, MAX_FILES_PER_CERTIFICATION } from './client.js';
import { fileNameFrom, MATERIAL_MAX_BYTES, MATERIAL_TYPES } from '../kit/materials.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { certificateListSchema, certificationPageSchema, certificationSchema, certificationTypeListSchema } from './schemas.js';
import { materialSchema } from '../kit/schemas.js';
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

export const materialsBody = z.strictObject({
  materials: z
    .array(z.strictObject({ kind: typeCode, materialId: z.string().uuid('must be the id (UUID) of a file uploaded to this application') }))
    .min(1)
    .max(MAX_FILES_PER_CERTIFICATION)
    .superRefine((items, ctx) =>
      items.forEach(
        (item, i) => items.findIndex((other) => other.kind === item.kind) !== i && ctx.addIssue({ code: 'custom', path: [i, 'kind'], message: 'this kind is named twice' }),
      ),
    ),
});

export const supplementBody = z.strictObject({ note: text(2000).optional() });

export const reviewBody = z
  .strictObject({ decision: z.enum(REVIEW_DECISIONS), note: text(2000).optional() })
  .superRefine((body, ctx) => {
    if (body.decision !== 'APPROVE' && !body.note) ctx.addIssue({ code: 'custom', path: ['note'], message: `a note is required to ${body.decision}` });
  });

export function certificationRoutes(certifications: CertificationClient): RouteDef[] {
  const created = (body: { id: string }) => ({ status: 201, body, headers: { Location: `/v1/certifications/${body.id}` } });
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
    defineRoute({
      method: 'get',
      path: '/v1/certifications/:id',
      permission: 'certification.read',
      summary: 'An application: status, terms, materials per kind, deadlines (UTC and local), certificate or extension, history.',
      params: idParams,
      responses: { 200: certificationSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await certifications.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/certifications/:id/files',
      permission: 'certification.apply',
      summary:
        `Upload one file (the bytes as the body: ${MATERIAL_TYPES.join(', ')}, at most 10 MiB, checked by content; name in Content-Disposition), ` +
        `in DRAFT or SUPPLEMENT_REQUESTED. The same bytes again answer the stored file (200). At most ${MAX_FILES_PER_CERTIFICATION} per application.`,
      params: idParams,
      rawBody: { types: MATERIAL_TYPES, maxBytes: MATERIAL_MAX_BYTES, fileName: true },
      responses: { 201: materialSchema, 200: materialSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, req, raw }) => {
        const fileName = fileNameFrom(req.get('content-disposition'));
        const declaredType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
        const { material, created } = await certifications.uploadFile(principal, params.id, { fileName, declaredType, bytes: raw! }, idempotencyKeyOf(req));
        return { status: created ? 201 : 200, body: material, headers: { Location: `/v1/certifications/${params.id}/files/${material.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/certifications/:id/files/:materialId',
      permission: 'certification.read',
      summary: "Download an uploaded file's bytes (as an attachment, with the type they were checked to be).",
      params: z.strictObject({ id: applicationId, materialId: z.string().uuid('must be a file id (UUID)') }),
      responses: { 200: { binary: MATERIAL_TYPES } },
      problems: [404],
      handler: async ({ principal, params }) => {
        const { meta, bytes } = await certifications.downloadFile(principal, params.id, params.materialId);
        return {
          status: 200,
          body: bytes,
          headers: {
            'Content-Type': meta.contentType,
            // Never rendered inline: a download, with the name quoted/encoded safely.
            'Content-Disposition': contentDisposition(meta.fileName, { type: 'attachment' }),
            'Cache-Control': 'private, no-store',
          },
        };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/certifications/:id/materials',
      permission: 'certification.apply',
      summary: 'Set which uploaded file is the material of each required kind (in order; a kind set again is replaced).',
      params: idParams,
      body: materialsBody,
      responses: { 200: certificationSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await certifications.setMaterials(principal, params.id, body.materials) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/certifications/:id/submit',
      permission: 'certification.apply',
      summary: 'Submit the DRAFT for review: every material set and every prerequisite met (a refusal lists every unmet one).',
      params: idParams,
      responses: { 200: certificationSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params }) => ({ status: 200, body: await certifications.submit(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/certifications/:id/supplement',
      permission: 'certification.apply',
      summary: 'Answer a supplement request before its deadline (set the new materials first): a new review round starts.',
      params: idParams,
      body: supplementBody,
      responses: { 200: certificationSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await certifications.supplement(principal, params.id, body.note) }),
    }),
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
    defineRoute({
      method: 'post',
      path: '/v1/certifications/:id/review',
      permission: 'certification.review',
      summary: 'Decide an application IN_REVIEW: APPROVE (issues or extends the certificate), REJECT or REQUEST_SUPPLEMENT (both with a note).',
      params: idParams,
      body: reviewBody,
      responses: { 200: certificationSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({
        status: 200,
        body: await certifications.review(principal, params.id, { decision: body.decision, ...(body.note ? { note: body.note } : {}) }),
      }),
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
