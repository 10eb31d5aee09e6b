/**
 * The route factories of the reviewed-application kit (api/kit/reviewed-application.ts holds the client side): the
 * partner's files, materials, submission and supplement, and the vendor's decision, declared once for every
 * application-shaped process. A process names its path, id, permissions and answer, and places each route where its
 * list of routes wants it; the summaries that speak of its own states and rules stay its own.
 */
import { z } from 'zod';
import type { Permission } from '../../domain/auth.js';
import { defineRoute, type RouteDef } from './http.js';
import { fileDownload, fileNameFrom, MATERIAL_MAX_BYTES, MATERIAL_TYPES } from './materials.js';
import type { ApplicationDoor } from './reviewed-application.js';
import { materialSchema } from './schemas.js';
import { idempotencyKeyOf, text } from './validation.js';

/** The routes' side of one process: its client's door (path, noun, upload statuses and limit), id, permissions, answer. */
export type ApplicationRoutes<View, D> = {
  door: ApplicationDoor<View, D>;
  /** The application id's shape (path parameter `:id`). */
  id: z.ZodType<string>;
  permissions: { read: Permission; act: Permission };
  view: z.ZodType;
  /** A material kind's shape; whether the application requires it is the client's 422. */
  materialKind: z.ZodType<string>;
};

/** A note required for every decision but the approving one. */
export const noteRequiredUnless =
  (approve: string) =>
  (body: { decision: string; note?: string | undefined }, ctx: z.core.$RefinementCtx) => {
    if (body.decision !== approve && !body.note) ctx.addIssue({ code: 'custom', path: ['note'], message: `a note is required to ${body.decision}` });
  };

/** A person's note to a supplement or a decision. */
export const optionalNote = text(2000).optional();

export function applicationRoutes<View, D>(r: ApplicationRoutes<View, D>) {
  const { basePath, noun, uploadStatuses, maxFiles } = r.door.described;
  const download = r.door.downloadFile;
  const idParams = z.strictObject({ id: r.id });
  // What every partner step and the decision share: the id in the path, the view as the answer, and their refusals.
  const acting = { params: idParams, responses: { 200: r.view }, problems: [404, 409, 422] };
  const materialsBody = z.strictObject({
    materials: z
      .array(z.strictObject({ kind: r.materialKind, materialId: z.string().uuid(`must be the id (UUID) of a file uploaded to this ${noun}`) }))
      .min(1)
      .max(maxFiles)
      .superRefine((items, ctx) =>
        items.forEach(
          (item, i) => items.findIndex((other) => other.kind === item.kind) !== i && ctx.addIssue({ code: 'custom', path: [i, 'kind'], message: 'this kind is named twice' }),
        ),
      ),
  });

  return {
    get: (summary: string): RouteDef =>
      defineRoute({
        method: 'get',
        path: `${basePath}/:id`,
        permission: r.permissions.read,
        summary,
        params: idParams,
        responses: { 200: r.view },
        problems: [404],
        handler: async ({ principal, params }) => ({ status: 200, body: await r.door.get(principal, params.id) }),
      }),

    /** The upload; and where the client offers downloads, the download, which the upload's answer names in Location. */
    files: (): RouteDef[] => [
      defineRoute({
        method: 'post',
        path: `${basePath}/:id/files`,
        permission: r.permissions.act,
        summary:
          `Upload one file (the bytes as the body: ${MATERIAL_TYPES.join(', ')}, at most 10 MiB, checked by content; name in Content-Disposition), ` +
          `in ${uploadStatuses.join(' or ')}. The same bytes again answer the stored file (200). At most ${maxFiles} per ${noun}.`,
        params: idParams,
        rawBody: { types: MATERIAL_TYPES, maxBytes: MATERIAL_MAX_BYTES, fileName: true },
        responses: { 201: materialSchema, 200: materialSchema },
        problems: [404, 409, 422],
        idempotencyKey: true,
        handler: async ({ principal, params, req, raw }) => {
          const fileName = fileNameFrom(req.get('content-disposition'));
          const declaredType = (req.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
          const { material, created } = await r.door.uploadFile(principal, params.id, { fileName, declaredType, bytes: raw! }, idempotencyKeyOf(req));
          const location = download ? { headers: { Location: `${basePath}/${params.id}/files/${material.id}` } } : {};
          return { status: created ? 201 : 200, body: material, ...location };
        },
      }),
      ...(download
        ? [
            defineRoute({
              method: 'get',
              path: `${basePath}/:id/files/:materialId`,
              permission: r.permissions.read,
              summary: "Download an uploaded file's bytes (as an attachment, with the type they were checked to be).",
              params: z.strictObject({ id: r.id, materialId: z.string().uuid('must be a file id (UUID)') }),
              responses: { 200: { binary: MATERIAL_TYPES } },
              problems: [404],
              handler: async ({ principal, params }) => {
                const { meta, bytes } = await download(principal, params.id, params.materialId);
                return fileDownload(meta, bytes);
              },
            }),
          ]
        : []),
    ],

    setMaterials: (summary: string): RouteDef =>
      defineRoute({
        method: 'put',
        path: `${basePath}/:id/materials`,
        permission: r.permissions.act,
        summary,
        ...acting,
        body: materialsBody,
        handler: async ({ principal, params, body }) => ({ status: 200, body: await r.door.setMaterials(principal, params.id, body.materials) }),
      }),

    submit: (summary: string): RouteDef =>
      defineRoute({
        method: 'post',
        path: `${basePath}/:id/submit`,
        permission: r.permissions.act,
        summary,
        ...acting,
        handler: async ({ principal, params }) => ({ status: 200, body: await r.door.submit(principal, params.id) }),
      }),

    supplement: (summary: string): RouteDef =>
      defineRoute({
        method: 'post',
        path: `${basePath}/:id/supplement`,
        permission: r.permissions.act,
        summary,
        ...acting,
        body: z.strictObject({ note: optionalNote }),
        handler: async ({ principal, params, body }) => ({ status: 200, body: await r.door.supplement(principal, params.id, body.note) }),
      }),

    /** The vendor's decision; the body's absent fields stay absent in the update. */
    decide: ({ path, permission, summary, body }: { path: string; permission: Permission; summary: string; body: z.ZodType<D> }): RouteDef =>
      defineRoute({
        method: 'post',
        path: `${basePath}/:id/${path}`,
        permission,
        summary,
        ...acting,
        body,
        handler: async ({ principal, params, body }) => ({ status: 200, body: await r.door.decide(principal, params.id, body) }),
      }),
  };
}
