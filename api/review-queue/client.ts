/**
 * The only door from the HTTP layer into the reviewer queue (docs/review-queue.md): lists every item of the six kinds
 * of review that waits for the vendor's decision, with its claim, and claims, assigns and releases items. Deciding an
 * item stays its own process's route; this module never changes a process.
 *
 * The list is one SQL statement: a UNION ALL of each allowed kind's waiting rows (api/review-queue/kinds.ts), joined
 * with review_claim, ordered and cut in the database. Merging six per-table pages in TypeScript would read up to six
 * pages for one; a view in a migration would fix the kinds' SQL in the schema, where adding a kind means a migration —
 * the union written here keeps each kind's row beside its terms and still pages in one indexed-enough query.
 *
 * Paging is keyset, like the other lists (api/kit/pagination.ts), on the whole order: (review due, none last; submitted;
 * kind; id). The cursor is the base64url JSON of the last item's four keys; a cursor this API did not emit is the 400
 * naming `query.cursor`.
 */
import { can, type Principal } from '../../domain/auth.js';
import { problems } from '../../domain/problems.js';
import { Prisma, type PrismaClient } from '../../prisma/generated/client.js';
import { dateKey, decodeCursorValues, encodeCursorValues, invalidCursor } from '../kit/pagination.js';
import { claimedProblem, claimView, type ClaimView, findClaim } from './claims.js';
import { isItemIdOf, REVIEW_KIND_TERMS, REVIEW_KINDS, type ReviewKind, storedId } from './kinds.js';
import type { ReviewQueueItem, ReviewSubject } from './schemas.js';

export const CLAIM_FILTERS = ['mine', 'unclaimed', 'others', 'any'] as const;
export type ClaimFilter = (typeof CLAIM_FILTERS)[number];
export type QueueFilter = { kind?: ReviewKind; claim: ClaimFilter; partnerId?: string; limit: number; cursor?: string };

type QueueRow = {
  kind: ReviewKind;
  id: string;
  partnerId: string;
  status: string;
  submittedAt: Date;
  reviewDueAt: Date | null;
  subject: Record<string, unknown>;
  reviewer: string | null;
  claimedAt: Date | null;
  assignedBy: string | null;
};

type Cursor = { due: Date | null; submitted: Date; kind: ReviewKind; id: string };

export type ReviewQueueClientDeps = { prisma: PrismaClient; now?: () => Date };

export function createReviewQueueClient({ prisma, now = () => new Date() }: ReviewQueueClientDeps) {
  const what = (kind: ReviewKind, id: string) => `Review item ${kind}/${id}`;

  /** The kind's row of item `id` while it waits for the vendor's decision; 404 otherwise (decided, unknown). */
  async function findWaiting(kind: ReviewKind, id: string): Promise<{ id: string }> {
    const itemId = storedId(kind, id);
    const rows = await prisma.$queryRaw<{ id: string }[]>`SELECT q.id FROM (${REVIEW_KIND_TERMS[kind].rows}) q WHERE q.id = ${itemId}`;
    if (!rows[0]) throw problems.notFound(`${what(kind, id)} waiting for a decision`);
    return rows[0];
  }

  /** Only a holder of the kind's decide permission takes an item for themselves. */
  function requireDecider(principal: Principal, kind: ReviewKind) {
    const permission = REVIEW_KIND_TERMS[kind].decide;
    if (!can(principal, permission)) throw problems.forbidden(`Claiming a ${kind} item needs the ${permission} permission (the one deciding it needs).`);
  }

  return {
    /** The caller's queue: the kinds whose decide permission they hold, soonest review due first. */
    async list(principal: Principal, filter: QueueFilter): Promise<{ items: ReviewQueueItem[]; nextCursor: string | null }> {
      const after = filter.cursor !== undefined ? decodeQueueCursor(filter.cursor) : undefined;
      const kinds = REVIEW_KINDS.filter((k) => can(principal, REVIEW_KIND_TERMS[k].decide) && (filter.kind === undefined || filter.kind === k));
      if (kinds.length === 0) return { items: [], nextCursor: null };
      const union = Prisma.join(
        kinds.map((k) => Prisma.sql`(${REVIEW_KIND_TERMS[k].rows})`),
        ' UNION ALL ',
      );
      const conditions: Prisma.Sql[] = [
        ...(filter.partnerId !== undefined ? [Prisma.sql`q.partner_id = ${filter.partnerId}`] : []),
        ...(filter.claim === 'mine' ? [Prisma.sql`c.reviewer = ${principal.sub}`] : []),
        ...(filter.claim === 'unclaimed' ? [Prisma.sql`c.reviewer IS NULL`] : []),
        ...(filter.claim === 'others' ? [Prisma.sql`c.reviewer IS NOT NULL AND c.reviewer <> ${principal.sub}`] : []),
        // No review due sorts last: as 'infinity', which the cursor's null stands for.
        ...(after
          ? [
              Prisma.sql`(COALESCE(q.review_due_at, 'infinity'::timestamptz), q.submitted_at, q.kind COLLATE "C", q.id COLLATE "C")
                > (${after.due?.toISOString() ?? 'infinity'}::timestamptz, ${after.submitted.toISOString()}::timestamptz, ${after.kind} COLLATE "C", ${after.id} COLLATE "C")`,
            ]
          : []),
      ];
      const where = conditions.length ? Prisma.sql`WHERE ${Prisma.join(conditions, ' AND ')}` : Prisma.empty;
      const rows = await prisma.$queryRaw<QueueRow[]>`
        SELECT q.kind, q.id, q.partner_id AS "partnerId", q.status, q.submitted_at AS "submittedAt", q.review_due_at AS "reviewDueAt", q.subject,
               c.reviewer, c.claimed_at AS "claimedAt", c.assigned_by AS "assignedBy"
        FROM (${union}) q LEFT JOIN review_claim c ON c.kind = q.kind AND c.item_id = q.id
        ${where}
        ORDER BY COALESCE(q.review_due_at, 'infinity'::timestamptz), q.submitted_at, q.kind COLLATE "C", q.id COLLATE "C"
        LIMIT ${filter.limit + 1}`;
      const items = rows.slice(0, filter.limit);
      const last = items.at(-1);
      const at = now();
      return {
        items: items.map((row) => toItem(row, at)),
        nextCursor: rows.length > filter.limit && last ? encodeQueueCursor(last) : null,
      };
    },

    /** Claims a waiting item for the caller: the same claim again if it is theirs already, 409 if another's. */
    async claim(principal: Principal, kind: ReviewKind, id: string): Promise<{ claim: ClaimView }> {
      requireDecider(principal, kind);
      const item = await findWaiting(kind, id);
      // Two reviewers claiming at once: the first insert wins, the second reads the winner's claim.
      await prisma.reviewClaim.createMany({ data: [{ kind, itemId: item.id, reviewer: principal.sub, claimedAt: now(), assignedBy: null }], skipDuplicates: true });
      const claim = await findClaim(prisma, kind, item.id);
      // Released between the insert and the read: nobody holds it, so the caller may try again.
      if (!claim) throw problems.conflict('review-claim-changed', `${what(kind, id)} was released while it was being claimed; claim it again.`, { retryAfterSeconds: 1 });
      if (claim.reviewer !== principal.sub) throw claimedProblem(what(kind, id), claim);
      return { claim: claimView(claim) };
    },

    /** Gives a waiting item to `reviewer` (replacing anyone's claim); assigning the same reviewer again changes nothing. */
    async assign(principal: Principal, kind: ReviewKind, id: string, reviewer: string): Promise<{ claim: ClaimView }> {
      const item = await findWaiting(kind, id);
      const current = await findClaim(prisma, kind, item.id);
      if (current && current.reviewer === reviewer && current.assignedBy === principal.sub) return { claim: claimView(current) };
      const data = { reviewer, claimedAt: now(), assignedBy: principal.sub };
      const claim = await prisma.reviewClaim.upsert({
        where: { kind_itemId: { kind, itemId: item.id } },
        create: { kind, itemId: item.id, ...data },
        update: data,
        select: { reviewer: true, claimedAt: true, assignedBy: true },
      });
      return { claim: claimView(claim) };
    },

    /**
     * Releases the claim: the claimant's own, or anyone's by a review.assign holder; another's otherwise → 409. A claim
     * left on an item that was decided (or sent back for a supplement) is released the same way. Releasing an unclaimed
     * waiting item changes nothing (204); an item neither waiting nor claimed is 404.
     */
    async release(principal: Principal, kind: ReviewKind, id: string): Promise<void> {
      const itemId = storedId(kind, id);
      const claim = await findClaim(prisma, kind, itemId);
      if (!claim) {
        await findWaiting(kind, id);
        return;
      }
      if (claim.reviewer !== principal.sub && !can(principal, 'review.assign')) throw claimedProblem(what(kind, id), claim);
      await prisma.reviewClaim.deleteMany({ where: { kind, itemId, reviewer: claim.reviewer } });
    },
  };
}

export type ReviewQueueClient = ReturnType<typeof createReviewQueueClient>;

function toItem(row: QueueRow, at: Date): ReviewQueueItem {
  const terms = REVIEW_KIND_TERMS[row.kind];
  return {
    kind: row.kind,
    id: row.id,
    partnerId: row.partnerId,
    subject: subjectOf(row.kind, row.subject),
    status: row.status,
    submittedAt: row.submittedAt.toISOString(),
    reviewDueAt: row.reviewDueAt?.toISOString() ?? null,
    overdue: row.reviewDueAt !== null && row.reviewDueAt.getTime() < at.getTime(),
    claim: row.reviewer !== null ? claimView({ reviewer: row.reviewer, claimedAt: row.claimedAt!, assignedBy: row.assignedBy }) : null,
    detailPath: terms.detailPath(row.id),
    decidePath: terms.decidePath(row.id),
  };
}

/** The kind's fields as stored, and one line naming them (codes and names: the console words them per language). */
function subjectOf(kind: ReviewKind, raw: Record<string, unknown>): ReviewSubject {
  const s = raw as Omit<ReviewSubject, 'summary'>;
  switch (kind) {
    case 'certification':
      return { summary: `${s.type} (${s.category})${s.solutionName ? ` — ${s.solutionName}` : ''}`, type: s.type!, category: s.category!, solutionName: s.solutionName ?? null };
    case 'path-review':
      return { summary: `${s.pathId} ${s.level} ${s.year}`, pathId: s.pathId!, level: s.level!, year: s.year! };
    case 'specialist':
      return { summary: `${s.memberName ?? s.memberId} — ${s.pathId}`, memberId: s.memberId!, memberName: s.memberName ?? null, pathId: s.pathId! };
    case 'enrollment':
      return { summary: `${s.program}`, program: s.program! };
    case 'level-raise':
      return { summary: `${s.pathId} ${s.fromLevel ?? '—'} → ${s.toLevel}`, pathId: s.pathId!, fromLevel: s.fromLevel ?? null, toLevel: s.toLevel! };
    case 'customer-report':
      return { summary: `${s.enterpriseName ?? s.creditCode} (${s.creditCode})`, creditCode: s.creditCode!, enterpriseName: s.enterpriseName ?? null };
  }
}

function encodeQueueCursor(item: { reviewDueAt: Date | null; submittedAt: Date; kind: ReviewKind; id: string }): string {
  return encodeCursorValues([item.reviewDueAt?.toISOString() ?? null, item.submittedAt.toISOString(), item.kind, item.id]);
}

function decodeQueueCursor(cursor: string): Cursor {
  const [rawDue, rawSubmitted, kind, id] = decodeCursorValues(cursor, 4);
  const due = rawDue === null ? null : dateKey(rawDue);
  const submitted = dateKey(rawSubmitted);
  if (due === undefined || submitted === undefined || typeof kind !== 'string' || typeof id !== 'string') throw invalidCursor();
  if (!(REVIEW_KINDS as readonly string[]).includes(kind)) throw invalidCursor();
  const k = kind as ReviewKind;
  if (!isItemIdOf(k, id)) throw invalidCursor();
  return { due, submitted, kind: k, id };
}
