/**
 * Uploading a file the partner picked: its bytes as the request's body (the API checks by content that they are
 * the declared type), its name in Content-Disposition. The same bytes again answer the stored file, so a retried
 * action uploads nothing twice.
 */
import type { Api } from '../api/client';
import { dataOf } from './refusals';
import type { Material, MaterialType } from './types';

/** Where a partner's upload goes: an incentive's materials, or a reviewed application's files. */
export type UploadTarget = { kind: 'incentive'; id: string } | { kind: 'certification'; id: string } | { kind: 'pathReview'; id: string };

const UPLOADABLE: readonly string[] = ['application/pdf', 'image/png', 'image/jpeg'] satisfies readonly MaterialType[];

/**
 * The file's name in Content-Disposition: RFC 8187's `filename*` carries any name (a header value must be bytes, and a
 * partner's file is often named in Chinese), which the API reads as well as the plain form.
 */
export const contentDisposition = (name: string) => `attachment; filename*=UTF-8''${encodeURIComponent(name)}`;

export async function uploadFile(api: Api, target: UploadTarget, file: File): Promise<Material> {
  // A type the browser does not know is sent as what the API takes first; the API then says it is not that type.
  const contentType = UPLOADABLE.includes(file.type) ? file.type : 'application/octet-stream';
  const request = {
    params: { path: { id: target.id }, header: { 'Content-Disposition': contentDisposition(file.name) } },
    // The document declares a binary body as a string (openapi-typescript's reading of `format: binary`); the bytes
    // themselves go through unchanged, with their own type.
    body: file as unknown as string,
    bodySerializer: (body: unknown) => body,
    headers: { 'Content-Type': contentType },
  };
  return dataOf(
    target.kind === 'incentive'
      ? await api.POST('/v1/incentives/{id}/materials', request)
      : target.kind === 'certification'
        ? await api.POST('/v1/certifications/{id}/files', request)
        : await api.POST('/v1/path-reviews/{id}/files', request),
  );
}
