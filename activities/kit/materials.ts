/**
 * The materials of a reviewed application (certification, path review). Uploads are stored once in `material` under
 * their owner (api/kit/materials.ts); the process keeps the current one of each required kind, replaced by every
 * MATERIAL_SET transition — each replacement stays in the process's history.
 */
import type { PrismaClient } from '../../platform/db.js';

/** MATERIAL_SET: the upload that is now the current material of this kind. */
export type MaterialSet = { kind: string; materialId: string };

/** Whether `materialId` is an upload of this owner (the application or review) and of this partner. */
export async function isOwnMaterial(prisma: PrismaClient, m: { ownerKind: string; ownerId: string; partnerId: string; materialId: string }): Promise<boolean> {
  const row = await prisma.material.findFirst({ where: { id: m.materialId, ownerKind: m.ownerKind, ownerId: m.ownerId, partnerId: m.partnerId }, select: { id: true } });
  return row !== null;
}

/**
 * The create/update halves of the upsert that makes `m` the current material of its kind, from the owner's key
 * column (`{ applicationId }`, `{ reviewId }`); set at the transition's time.
 */
export const currentMaterial = <Owner extends Record<string, string>>(owner: Owner, m: MaterialSet, at: Date) => ({
  create: { ...owner, kind: m.kind, materialId: m.materialId, setAt: at },
  update: { materialId: m.materialId, setAt: at },
});
