/** What every process's append-only history table (opportunity_event, incentive_event, certification_event) shares. */
import type { Prisma } from '../prisma/generated/client.js';

/** A transition as the workflows number and send it; each process adds its own id (and maybe a reason code). */
export type HistoryRecord = { seq: number; type: string; fromStatus: string; toStatus: string; actor: string; at: string; note?: string; data?: Record<string, unknown> };

/**
 * The common columns of one history row. Inserted with createMany + skipDuplicates on the unique (id, seq):
 * a retried activity finds its own row and writes nothing twice.
 */
export const historyColumns = (t: HistoryRecord) => ({
  seq: t.seq,
  type: t.type,
  fromStatus: t.fromStatus,
  toStatus: t.toStatus,
  actor: t.actor,
  at: new Date(t.at),
  note: t.note ?? null,
  ...(t.data ? { data: t.data as Prisma.InputJsonValue } : {}),
});
