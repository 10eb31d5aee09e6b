/**
 * The audit log's reads (issue 19 section 3, docs/audit.md): the rows api/kit/http.ts writes for every successful
 * state-changing call, newest first, filtered and in keyset pages. Nothing here writes: the table is append-only at the
 * database (prisma/migrations/0034_audit_append_only.sql). Only the vendor's auditors read it (audit.read, checked by
 * the route): no partner scoping applies.
 */
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { dateKey, decodeCursor, encodeCursor, page } from '../kit/pagination.js';
import type { AuditEntryView, AuditPageView, AuditQuery } from './schemas.js';

export type AuditClientDeps = { prisma: PrismaClient };

// A row number as bigserial makes it: 1 up to PostgreSQL's bigint maximum.
const MAX_ROW_ID = 2n ** 63n - 1n;
const isRowId = (id: string) => /^[1-9][0-9]{0,18}$/.test(id) && BigInt(id) <= MAX_ROW_ID;

type AuditRow = { id: bigint; at: Date; actor: string; actorPartnerId: string | null; action: string; target: string | null; status: number; requestId: string };

const entryView = (r: AuditRow): AuditEntryView => ({
  id: r.id.toString(),
  at: r.at.toISOString(),
  actor: r.actor,
  partnerId: r.actorPartnerId,
  action: r.action,
  target: r.target,
  status: r.status,
  requestId: r.requestId,
});

/**
 * The rows after a cursor in the page order, (at, id) descending: written earlier, or at the same millisecond with a
 * smaller number. Said as `at <= key AND (at < key OR id < cursor's id)`: the first part bounds the index range, so a
 * page deep in a log of millions starts at its cursor instead of filtering every newer row (keyset()'s plain OR does
 * not). A malformed cursor is the 400 naming query.cursor (api/kit/pagination.ts).
 */
function after(cursor: string | undefined): Prisma.AuditLogWhereInput {
  if (!cursor) return {};
  const { key, id } = decodeCursor(cursor, dateKey, isRowId);
  return { at: { lte: key }, OR: [{ at: { lt: key } }, { id: { lt: BigInt(id) } }] };
}

export function createAuditClient({ prisma }: AuditClientDeps) {
  return {
    /** One page, newest first, of the rows every given filter matches. */
    async list(query: AuditQuery): Promise<AuditPageView> {
      const where: Prisma.AuditLogWhereInput = {
        AND: [
          {
            ...(query.actor !== undefined ? { actor: query.actor } : {}),
            ...(query.partnerId !== undefined ? { actorPartnerId: query.partnerId } : {}),
            ...(query.action !== undefined ? { action: query.action } : {}),
            ...(query.target !== undefined ? { target: query.target } : {}),
            ...(query.from !== undefined || query.to !== undefined
              ? { at: { ...(query.from !== undefined ? { gte: new Date(query.from) } : {}), ...(query.to !== undefined ? { lt: new Date(query.to) } : {}) } }
              : {}),
          },
          after(query.cursor),
        ],
      };
      const rows = await prisma.auditLog.findMany({ where, orderBy: [{ at: 'desc' }, { id: 'desc' }], take: query.limit + 1 });
      const one = page(rows, query.limit, (r) => encodeCursor(r.at, r.id.toString()));
      return { items: one.items.map(entryView), nextCursor: one.nextCursor };
    },
  };
}

export type AuditClient = ReturnType<typeof createAuditClient>;
