/** The unlink read model (customer_unlink, customer_unlink_event) as the API answers it. */
import type { UnlinkUnmet } from '../../domain/unlink.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import type { UnlinkSide, UnlinkStatus } from '../../workflows/unlink/contract.js';
import { iso, local } from '../kit/reviewed-application.js';
import { isUuid } from '../kit/validation.js';
import type { UnlinkView } from './schemas.js';

export type UnlinkRow = {
  id: string;
  partnerId: string;
  customerId: string;
  associationId: string;
  requestedSide: UnlinkSide;
  requestedBy: string;
  requestedAt: Date;
  status: UnlinkStatus;
  objectionDays: number;
  objectionDeadline: Date;
  previewHash: string;
  preview: Record<string, unknown>;
  objectedAt: Date | null;
  objectedBy: string | null;
  objectionReason: string | null;
  executedAt: Date | null;
  refusedUnmet: UnlinkUnmet[] | null;
  reclaimed: UnlinkView['reclaimed'];
};

type Db = PrismaClient | Prisma.TransactionClient;

export async function findUnlink(db: Db, id: string): Promise<UnlinkRow | null> {
  if (!isUuid(id)) return null;
  const [row] = await db.$queryRawUnsafe<UnlinkRow[]>(
    `SELECT id::text AS id, partner_id AS "partnerId", customer_id AS "customerId", association_id::text AS "associationId", requested_side AS "requestedSide",
       requested_by AS "requestedBy", requested_at AS "requestedAt", status, objection_days AS "objectionDays", objection_deadline AS "objectionDeadline",
       preview_hash AS "previewHash", preview, objected_at AS "objectedAt", objected_by AS "objectedBy", objection_reason AS "objectionReason",
       executed_at AS "executedAt", refused_unmet AS "refusedUnmet", reclaimed
     FROM customer_unlink WHERE id = $1::uuid`,
    id,
  );
  return row ?? null;
}

export async function unlinkView(db: Db, row: UnlinkRow, zone: string): Promise<UnlinkView> {
  const history = await db.$queryRawUnsafe<{ seq: number; type: string; fromStatus: string | null; toStatus: string; actor: string; at: Date; note: string | null }[]>(
    `SELECT seq, type, from_status AS "fromStatus", to_status AS "toStatus", actor, at, note FROM customer_unlink_event WHERE unlink_id = $1::uuid ORDER BY seq`,
    row.id,
  );
  return {
    id: row.id,
    partnerId: row.partnerId,
    customerId: row.customerId,
    associationId: row.associationId,
    requestedSide: row.requestedSide,
    requestedBy: row.requestedBy,
    requestedAt: row.requestedAt.toISOString(),
    status: row.status,
    objectionDays: row.objectionDays,
    objectionDeadline: row.objectionDeadline.toISOString(),
    local: { objectionDeadline: local(row.objectionDeadline, zone)! },
    previewHash: row.previewHash,
    preview: row.preview,
    objectedAt: iso(row.objectedAt),
    objectedBy: row.objectedBy,
    objectionReason: row.objectionReason,
    executedAt: iso(row.executedAt),
    refusedUnmet: row.refusedUnmet,
    reclaimed: row.reclaimed,
    history: history.map((h) => ({ ...h, at: h.at.toISOString() })),
  };
}
