/** HTTP routes of project specialist applications. Validation here; behaviour in the workflow. */
import { z } from 'zod';
import { SPECIALIST_DECISIONS, SPECIALIST_MATERIAL_KINDS, SPECIALIST_STATUSES } from '../../workflows/specialist/contract.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { applicationRoutes, noteRequiredUnless, optionalNote } from '../kit/reviewed-application-routes.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import { MAX_BATCH_MEMBERS, type SpecialistClient } from './client.js';
import { specialistBatchSchema, specialistPageSchema, specialistSchema } from './schemas.js';

const applicationId = z.string().uuid('must be a specialist application id (UUID)');
const memberId = z.uuid('must be a member id (UUID)');
/** A path id's shape; whether the path exists is the client's 422. */
const pathId = z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/, 'must be a development path id (UPPER_SNAKE_CASE, GET /v1/paths)');

export const listQuery = z.strictObject({
  partnerId: partnerId.optional(),
  memberId: memberId.optional(),
  status: z.enum(SPECIALIST_STATUSES).optional(),
  pathId: pathId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export const applyBody = z.strictObject({ memberId, pathId });

export const batchBody = z.strictObject({
  applications: z
    .array(applyBody)
    .min(1)
    .max(MAX_BATCH_MEMBERS)
    .superRefine((items, ctx) =>
      items.forEach(
        (item, i) => items.findIndex((other) => other.memberId === item.memberId) !== i && ctx.addIssue({ code: 'custom', path: [i, 'memberId'], message: 'this member is named twice' }),
      ),
    ),
});

export const reviewBody = z.strictObject({ decision: z.enum(SPECIALIST_DECISIONS), note: optionalNote }).superRefine(noteRequiredUnless('APPROVE'));
export const cancelBody = z.strictObject({ reason: text(2000) });

export function specialistRoutes(specialists: SpecialistClient): RouteDef[] {
  const application = applicationRoutes({
    door: specialists,
    id: applicationId,
    permissions: { read: 'specialist.read', act: 'specialist.apply' },
    view: specialistSchema,
    materialKind: z.enum(SPECIALIST_MATERIAL_KINDS),
  });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/specialist-applications',
      permission: 'specialist.apply',
      summary:
        "Apply for a member of the caller's partner to become a project specialist on a development path: SUBMITTED for the vendor's review (due in the review SLA's working days). Refused with 422 specialist-not-eligible listing every unmet condition (as GET /v1/partners/{partnerId}/eligibility?program=PROJECT_SPECIALIST, in the language of Accept-Language). Counts against the partner's open-applications quota.",
      body: applyBody,
      responses: { 201: specialistSchema },
      problems: [409, 422],
      idempotencyKey: true,
      localized: true,
      handler: async ({ principal, body, req, language }) => {
        const view = await specialists.apply(principal, body, language, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/specialist-applications/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/specialist-applications/batch',
      permission: 'specialist.apply',
      summary: `Apply for up to ${MAX_BATCH_MEMBERS} members at once: a result per member, in order — STARTED with its application, or REFUSED with the problem its single apply would answer. Each application is its own process.`,
      body: batchBody,
      responses: { 200: specialistBatchSchema },
      problems: [422],
      idempotencyKey: true,
      localized: true,
      handler: async ({ principal, body, req, language }) => ({ status: 200, body: await specialists.applyBatch(principal, body.applications, language, idempotencyKeyOf(req)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/specialist-applications',
      permission: 'specialist.read',
      summary: 'List project specialist applications, newest first; partners see only their own.',
      query: listQuery,
      responses: { 200: specialistPageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await specialists.list(principal, query) }),
    }),
    application.get('An application: member, path, status, review due date (UTC and local) with its explanation, materials, cancellation, history.'),
    ...application.files(),
    application.setMaterials('Set which uploaded file is the material of each kind (RESUME, QUALIFICATION) while SUBMITTED; an approval needs both.'),
    application.decide({
      path: 'review',
      permission: 'specialist.review',
      summary: 'Decide an application SUBMITTED: APPROVE (every material set: the member is a project specialist for the path) or REJECT (with the reason as note).',
      body: reviewBody,
    }),
    defineRoute({
      method: 'post',
      path: '/v1/specialist-applications/:id/cancel',
      permission: 'specialist.cancel',
      summary: "Cancel an application SUBMITTED or an APPROVED specialist, by the partner's staff or the vendor's, with a reason: the member may apply again.",
      params: z.strictObject({ id: applicationId }),
      body: cancelBody,
      responses: { 200: specialistSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await specialists.cancel(principal, params.id, body.reason) }),
    }),
  ];
}
