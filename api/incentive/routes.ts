/** HTTP routes of the monthly incentive verification. Validation here; behaviour in the workflow. */
import { z } from 'zod';
import { INCENTIVE_STATUSES } from '../../workflows/incentive/contract.js';
import { INCENTIVE_ID, type IncentiveClient, MAX_MATERIALS_PER_INCENTIVE } from './client.js';
import { fileDownload, fileNameFrom, MATERIAL_MAX_BYTES, MATERIAL_TYPES } from '../kit/materials.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { incentivePageSchema, incentiveSchema } from './schemas.js';
import { materialSchema } from '../kit/schemas.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';

const incentiveId = z.string().regex(INCENTIVE_ID, 'must be an incentive id (<partnerId>-<YYYY-MM>)');
const idParams = z.strictObject({ id: incentiveId });
const period = z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'must be a month YYYY-MM');
const expertId = z.string().uuid('must be an expert id (UUID)');
const amountMinor = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** No expert twice: each names one line. */
const distinctExperts = <T extends { expertId: string }>(items: T[], ctx: z.RefinementCtx) => {
  items.forEach((item, i) => {
    if (items.findIndex((other) => other.expertId === item.expertId) !== i) {
      ctx.addIssue({ code: 'custom', path: [i, 'expertId'], message: 'this expert is named twice' });
    }
  });
};

export const listQuery = z.strictObject({
  period: period.optional(),
  partnerId: partnerId.optional(),
  status: z.enum(INCENTIVE_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export const verifyBody = z.strictObject({
  headcount: z.number().int().min(0).max(1_000_000),
  totalMinor: amountMinor,
  materials: z
    .array(z.string().uuid('must be a material id (UUID) uploaded to this incentive'))
    .max(MAX_MATERIALS_PER_INCENTIVE)
    .superRefine((ids, ctx) =>
      ids.forEach((id, i) => ids.indexOf(id) !== i && ctx.addIssue({ code: 'custom', path: [i], message: 'this material is named twice' })),
    ),
});

export const objectBody = z.strictObject({
  lines: z
    .array(z.strictObject({ expertId, reason: text(2000) }))
    .min(1)
    .max(1000)
    .superRefine(distinctExperts),
});

const adjustment = z.union([z.strictObject({ expertId, amountMinor }), z.strictObject({ expertId, remove: z.literal(true) })]);

export const resolveBody = z
  .strictObject({
    adjustments: z.array(adjustment).min(1).max(1000).superRefine(distinctExperts).optional(),
    rejectObjection: z.literal(true).optional(),
    note: text(2000),
  })
  .superRefine((body, ctx) => {
    if (!body.adjustments === !body.rejectObjection) {
      ctx.addIssue({ code: 'custom', path: ['adjustments'], message: 'send either adjustments or rejectObjection: true' });
    }
  });

export function incentiveRoutes(incentives: IncentiveClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/incentives',
      permission: 'incentive.read',
      summary: 'List monthly incentives, newest first; partners see only their own.',
      query: listQuery,
      responses: { 200: incentivePageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await incentives.list(principal, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incentives/:id',
      permission: 'incentive.read',
      summary: 'An incentive with its lines, deadline (and why), materials, settlement, open objection and history.',
      params: idParams,
      responses: { 200: incentiveSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await incentives.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incentives/:id/materials',
      permission: 'incentive.verify',
      summary:
        `Upload one material (the file's bytes as the body: ${MATERIAL_TYPES.join(', ')}, at most 10 MiB, checked by content; ` +
        `name in Content-Disposition). The same bytes again answer the stored material (200). At most ${MAX_MATERIALS_PER_INCENTIVE} per incentive.`,
      params: idParams,
      rawBody: { types: MATERIAL_TYPES, maxBytes: MATERIAL_MAX_BYTES, fileName: true },
      responses: { 201: materialSchema, 200: materialSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, req, raw }) => {
        const fileName = fileNameFrom(req.get('content-disposition'));
        const { material, created } = await incentives.uploadMaterial(
          principal,
          params.id,
          { fileName, declaredType: (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase(), bytes: raw! },
          idempotencyKeyOf(req),
        );
        return {
          status: created ? 201 : 200,
          body: material,
          headers: { Location: `/v1/incentives/${encodeURIComponent(params.id)}/materials/${material.id}` },
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/incentives/:id/materials/:materialId',
      permission: 'incentive.read',
      summary: "Download a material's bytes (as an attachment, with the type they were checked to be).",
      params: z.strictObject({ id: incentiveId, materialId: z.string().uuid('must be a material id (UUID)') }),
      responses: { 200: { binary: MATERIAL_TYPES } },
      problems: [404],
      handler: async ({ principal, params }) => {
        const { meta, bytes } = await incentives.downloadMaterial(principal, params.id, params.materialId);
        return fileDownload(meta, bytes);
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incentives/:id/verify',
      permission: 'incentive.verify',
      summary: 'Verify the list before the deadline: headcount and total must match it; materials are ids of files uploaded to this incentive.',
      params: idParams,
      body: verifyBody,
      responses: { 200: incentiveSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await incentives.verify(principal, params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incentives/:id/objections',
      permission: 'incentive.verify',
      summary: 'Object to lines of the list (each with a reason); the vendor resolves the objection.',
      params: idParams,
      body: objectBody,
      responses: { 200: incentiveSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await incentives.object(principal, params.id, body.lines) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/incentives/:id/objections/resolve',
      permission: 'incentive.resolve',
      summary: 'Resolve the open objection: adjust or remove lines, or reject it — with a note. The deadline does not move.',
      params: idParams,
      body: resolveBody,
      responses: { 200: incentiveSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => {
        const { adjustments, rejectObjection, note } = body;
        return {
          status: 200,
          body: await incentives.resolve(principal, params.id, { ...(adjustments ? { adjustments } : {}), ...(rejectObjection ? { rejectObjection } : {}), note }),
        };
      },
    }),
  ];
}
