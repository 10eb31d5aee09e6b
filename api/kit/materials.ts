/**
 * Uploaded materials (evidence files), generic over the process that owns them (`owner_kind` + `owner_id`):
 * the only code touching the `material` table. A process's client decides who may upload to what and when; this
 * module validates the file (name, declared type, size), checks the bytes really are that type (magic bytes,
 * `file-type`), hashes, stores and loads. The same bytes uploaded twice for one owner are one material.
 * A partner stores at most its `storedBytes` quota (QUOTA_STORED_BYTES) over all its materials, whatever process owns
 * them (422 quota-exceeded).
 */
import { createHash, randomUUID } from 'node:crypto';
import { create as contentDisposition, parse as parseContentDisposition } from 'content-disposition';
import { fileTypeFromBuffer } from 'file-type';
import { type FieldError, Problem, problems } from '../../domain/problems.js';
import { defaultQuotas, type Quotas } from '../../platform/config.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { isUuid } from './validation.js';
import { reserveIdempotentId } from './idempotency.js';
import { checkStoredBytes, lockQuota } from './quotas.js';

/** What may be uploaded: documents and scans. Anything else is 415. */
export const MATERIAL_TYPES = ['application/pdf', 'image/png', 'image/jpeg'] as const;
export type MaterialType = (typeof MATERIAL_TYPES)[number];
/** Per file: 10 MiB; larger bodies are 413 before they are read to the end. */
export const MATERIAL_MAX_BYTES = 10 * 1024 * 1024;
export const FILE_NAME_MAX = 200;

/** Who owns a material: a process object of one partner. */
export type MaterialOwner = { kind: string; id: string; partnerId: string };

export type MaterialMeta = {
  id: string;
  fileName: string;
  contentType: MaterialType;
  size: number;
  sha256: string;
  uploadedBy: string;
  uploadedAt: string;
};

export type Upload = { fileName: string; declaredType: string; bytes: Buffer; uploadedBy: string };

// Control characters (C0, DEL, C1), and bidi controls that make "invoice‮fdp.exe" read as "invoice.pdf"… .exe.
const UNSAFE_NAME = /[\u0000-\u001F\u007F-\u009F\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/;

/** The file name from `Content-Disposition: attachment; filename="…"` (or RFC 8187 `filename*`), validated. */
export function fileNameFrom(header: string | undefined): string {
  const refuse = (message: string): never => {
    throw problems.validation([{ field: 'Content-Disposition', message }]);
  };
  if (!header) return refuse('send the file name as Content-Disposition: attachment; filename="…"');
  let parsed: ReturnType<typeof parseContentDisposition>;
  try {
    parsed = parseContentDisposition(header);
  } catch {
    return refuse('not a valid Content-Disposition header');
  }
  if (parsed.type !== 'attachment') refuse('must be of type attachment');
  const name = parsed.parameters.filename;
  if (name === undefined) return refuse('names no filename');
  if (name.trim() === '' || name !== name.trim()) refuse('the file name must not be empty or start or end with spaces');
  if ([...name].length > FILE_NAME_MAX) refuse(`the file name must be at most ${FILE_NAME_MAX} characters`);
  if (/[/\\]/.test(name) || name === '.' || name === '..') refuse('the file name must not contain path separators');
  if (UNSAFE_NAME.test(name)) refuse('the file name must not contain control or bidirectional-override characters');
  if (!name.isWellFormed()) refuse('the file name must be well-formed Unicode');
  return name;
}

const META = { id: true, fileName: true, contentType: true, size: true, sha256: true, uploadedBy: true, uploadedAt: true } as const;
type MetaRow = Prisma.MaterialGetPayload<{ select: typeof META }>;
const toMeta = (row: MetaRow): MaterialMeta => ({ ...row, contentType: row.contentType as MaterialType, uploadedAt: row.uploadedAt.toISOString() });
const ownerWhere = (kind: string, ownerId: string) => ({ ownerKind: kind, ownerId });

export function createMaterialStore({ prisma, quotas = defaultQuotas }: { prisma: PrismaClient; quotas?: Quotas }) {
  return {
    /**
     * Stores one file for `owner`: refuses a type outside MATERIAL_TYPES (415) and bytes that are not the declared
     * type (422); answers the existing material when these bytes are already stored for the owner (created: false);
     * refuses a new one beyond `maxPerOwner` (409), and one that would take the partner past its stored-bytes quota
     * (422). With an Idempotency-Key, the key maps to the material id.
     */
    async store(owner: MaterialOwner, upload: Upload, options: { maxPerOwner: number; idempotency?: { scope: string; key: string } }) {
      const contentType = MATERIAL_TYPES.find((t) => t === upload.declaredType);
      if (!contentType) throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', `Upload one of: ${MATERIAL_TYPES.join(', ')}.`);
      if (upload.bytes.length > MATERIAL_MAX_BYTES) throw new Problem(413, 'payload-too-large', 'Bad request', 'The file is larger than 10 MiB.');
      // The bytes decide, not the header: a renamed executable is not a PDF.
      const sniffed = (await fileTypeFromBuffer(upload.bytes))?.mime;
      if (sniffed !== contentType) {
        throw problems.unprocessable(
          'content-type-mismatch',
          `The file's content is ${sniffed ? `${sniffed}` : 'not a recognised type'}, not the declared ${contentType}.`,
          'Content-Type',
        );
      }
      const sha256 = createHash('sha256').update(upload.bytes).digest('hex');
      const same = { ownerKind_ownerId_sha256: { ownerKind: owner.kind, ownerId: owner.id, sha256 } };
      const existing = await prisma.material.findUnique({ where: same, select: META });
      if (existing) return { material: toMeta(existing), created: false };

      return prisma.$transaction(async (tx) => {
        // One upload at a time per partner (so per owner too): neither the owner's file count nor the partner's stored
        // bytes below can be raced past.
        await lockQuota(tx, 'storedBytes', owner.partnerId);
        const raced = await tx.material.findUnique({ where: same, select: META });
        if (raced) return { material: toMeta(raced), created: false };
        const count = await tx.material.count({ where: ownerWhere(owner.kind, owner.id) });
        if (count >= options.maxPerOwner) {
          throw problems.conflict('material-limit-reached', `At most ${options.maxPerOwner} materials per ${owner.kind}; this one has ${count}.`);
        }
        await checkStoredBytes(tx, owner.partnerId, quotas.storedBytes, upload.bytes.length, '(body)');
        const id = options.idempotency
          ? await reserveIdempotentId(tx, options.idempotency.scope, options.idempotency.key, { owner: owner.id, fileName: upload.fileName, contentType, sha256 })
          : randomUUID();
        const row = await tx.material.create({
          data: {
            id,
            ownerKind: owner.kind,
            ownerId: owner.id,
            partnerId: owner.partnerId,
            fileName: upload.fileName,
            contentType,
            size: upload.bytes.length,
            sha256,
            bytes: new Uint8Array(upload.bytes),
            uploadedBy: upload.uploadedBy,
          },
          select: META,
        });
        return { material: toMeta(row), created: true };
      });
    },

    /** The owner's materials, oldest first (no bytes). */
    list: async (kind: string, ownerId: string): Promise<MaterialMeta[]> =>
      (await prisma.material.findMany({ where: ownerWhere(kind, ownerId), select: META, orderBy: [{ uploadedAt: 'asc' }, { id: 'asc' }] })).map(toMeta),

    /** One material with its bytes; undefined when it is not the owner's. */
    async load(kind: string, ownerId: string, materialId: string): Promise<{ meta: MaterialMeta; bytes: Buffer } | undefined> {
      if (!isUuid(materialId)) return undefined;
      const row = await prisma.material.findFirst({ where: { ...ownerWhere(kind, ownerId), id: materialId }, select: { ...META, bytes: true } });
      if (!row) return undefined;
      const { bytes, ...meta } = row;
      return { meta: toMeta(meta), bytes: Buffer.from(bytes) };
    },

    /** Ids → the owner's materials, in order; 422 naming `<field>.<i>` for every id that is not one of them. */
    async resolve(kind: string, ownerId: string, ids: readonly string[], field: string): Promise<MaterialMeta[]> {
      const rows = await prisma.material.findMany({ where: { ...ownerWhere(kind, ownerId), id: { in: ids.filter(isUuid) } }, select: META });
      const byId = new Map(rows.map((r) => [r.id, toMeta(r)]));
      const errors: FieldError[] = ids.flatMap((id, i) =>
        byId.has(id) ? [] : [{ field: `${field}.${i}`, message: `no material ${id} was uploaded to this ${kind}` }],
      );
      if (errors.length) {
        throw new Problem(422, 'unknown-material', 'The request cannot be processed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors);
      }
      return ids.map((id) => byId.get(id)!);
    },
  };
}

export type MaterialStore = ReturnType<typeof createMaterialStore>;

/** A stored file as a route answers it: never rendered inline — a download, its name quoted/encoded safely. */
export function fileDownload(meta: Pick<MaterialMeta, 'contentType' | 'fileName'>, bytes: Uint8Array) {
  return {
    status: 200 as const,
    body: bytes,
    headers: {
      'Content-Type': meta.contentType,
      'Content-Disposition': contentDisposition(meta.fileName, { type: 'attachment' }),
      'Cache-Control': 'private, no-store',
    },
  };
}
