/**
 * The only door from the HTTP layer into bulk actions (docs/bulk-actions.md): checks the kind's permission, records a
 * job and its items with the Idempotency-Key's reservation in one transaction, starts the job's workflow, and reads
 * its progress from the tables.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { can, canSeePartner, type Permission, type Principal } from '../../domain/auth.js';
import { problems } from '../../domain/problems.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import {
  BULK_ACTION_WORKFLOW,
  type BulkActionKind,
  bulkActionWorkflowId,
  type ItemOutcome,
  isPartnerKind,
} from '../../workflows/bulk-action/contract.js';
import type { RejectReason } from '../../workflows/opportunity/contract.js';
import type { bulkActionWorkflow } from '../../workflows/bulk-action/workflow.js';
import { PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { reserveIdempotency } from '../kit/idempotency.js';
import { dateKey, keyset } from '../kit/pagination.js';
import { isUuid } from '../kit/validation.js';
import { REVIEW_KIND_TERMS, type ReviewKind } from '../review-queue/kinds.js';
import type { BulkActionSummary, BulkActionView } from './schemas.js';

/** The request as the route validated it (api/bulk-action/routes.ts bulkActionBody). */
export type BulkActionRequest =
  | { kind: 'opportunity.accept' | 'opportunity.reject'; items: { opportunityId: string; reasonCode?: RejectReason | undefined; note?: string | undefined }[] }
  | { kind: 'incentive.verify'; items: { incentiveId: string; headcount: number; totalMinor: number; materials: string[] }[] }
  | { kind: 'review.decide'; items: { review: ReviewKind; id: string; decision: string; note?: string | undefined; newLevel?: string | undefined }[] };
export type BulkActionClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string };

/** The permission each kind needs beyond the route's: what its single route demands. A review's also needs its kind's. */
const KIND_PERMISSION = {
  'opportunity.accept': 'opportunity.act',
  'opportunity.reject': 'opportunity.act',
  'incentive.verify': 'incentive.verify',
  'review.decide': 'review.queue',
} as const satisfies Record<BulkActionKind, Permission>;

/** One item as bulk_action_item stores it: its object's id, its kind of review, what the single route takes besides. */
type ItemRow = { itemId: string; field: string; reviewKind?: ReviewKind; body?: Prisma.InputJsonValue; reasonCode?: string; note?: string };

function rowsOf(request: BulkActionRequest): ItemRow[] {
  switch (request.kind) {
    case 'opportunity.accept':
    case 'opportunity.reject':
      return request.items.map(({ opportunityId, reasonCode, note }) => ({
        itemId: opportunityId,
        field: 'opportunityId',
        ...(reasonCode !== undefined ? { reasonCode } : {}),
        ...(note !== undefined ? { note } : {}),
      }));
    case 'incentive.verify':
      return request.items.map(({ incentiveId, ...figures }) => ({ itemId: incentiveId, field: 'incentiveId', body: figures }));
    case 'review.decide':
      return request.items.map(({ review, id, ...decision }) => ({ itemId: id, field: 'id', reviewKind: review, body: decision as Prisma.InputJsonValue }));
  }
}

/**
 * The kit's 403 for what this job would do: the kind's permission (what its single routes demand), and for review
 * decisions each item's kind of review's own (a reviewer may decide certifications but not customer reports).
 */
function requirePermissions(principal: Principal, request: BulkActionRequest): void {
  const needed = KIND_PERMISSION[request.kind];
  if (!can(principal, needed)) throw problems.forbidden(`${request.kind} needs the ${needed} permission.`);
  if (request.kind !== 'review.decide') return;
  request.items.forEach((item, index) => {
    const decide = REVIEW_KIND_TERMS[item.review].decide;
    if (!can(principal, decide)) throw problems.forbidden(`Item ${index} decides a ${item.review} review: that needs the ${decide} permission.`);
  });
}

/** Every outcome at zero, to count a job's items into. */
const noOutcomes = (): Record<ItemOutcome, number> => ({ PENDING: 0, DONE: 0, REFUSED: 0, FAILED: 0 });

/** A job's row as the API shows it without its results, with its counts by outcome: the list's item and the view's head. */
const summaryOf = (job: Prisma.BulkActionGetPayload<object>, counts: Record<ItemOutcome, number>): BulkActionSummary => ({
  id: job.id,
  partnerId: job.partnerId,
  kind: job.kind as BulkActionKind,
  status: job.status as BulkActionSummary['status'],
  requestedBy: job.requestedBy,
  createdAt: job.createdAt.toISOString(),
  completedAt: job.completedAt?.toISOString() ?? null,
  total: job.total,
  counts,
});

/** Newest first, then by id: the list's keyset (api/kit/pagination.ts). */
const BY_NEWEST = keyset('createdAt', { key: dateKey, isId: isUuid });

export type BulkActionListQuery = { kind?: BulkActionKind | undefined; partnerId?: string | undefined; limit: number; cursor?: string | undefined };

export function createBulkActionClient({ temporal, prisma, taskQueue }: BulkActionClientDeps) {
  /** A partner's job: its staff and the vendor's; a vendor's job (review decisions): its requester and the reviewers. */
  const mayRead = (principal: Principal, job: { partnerId: string | null; kind: string; requestedBy: string }) =>
    job.partnerId !== null
      ? canSeePartner(principal, job.partnerId, job.kind === 'incentive.verify' ? 'incentive.readAll' : 'opportunity.readAll')
      : job.requestedBy === principal.sub || can(principal, 'review.queue');

  async function view(principal: Principal, id: string): Promise<BulkActionView> {
    const job = await prisma.bulkAction.findUnique({ where: { id }, include: { items: { orderBy: { itemIndex: 'asc' } } } });
    // Another partner's job answers exactly like a missing one.
    if (!job || !mayRead(principal, job)) throw problems.notFound(`Bulk action ${id}`);
    const counts = noOutcomes();
    for (const item of job.items) counts[item.outcome as ItemOutcome] += 1;
    return {
      ...summaryOf(job, counts),
      results: job.items.map((item) => ({
        index: item.itemIndex,
        itemId: item.itemId,
        opportunityId: item.itemId,
        review: item.reviewKind as ReviewKind | null,
        outcome: item.outcome as ItemOutcome,
        status: item.resultStatus,
        problem: (item.problem as BulkActionView['results'][number]['problem']) ?? null,
      })),
    };
  }

  return {
    /** Records the job (once per Idempotency-Key) and starts it; `replay` when the key named a job already. */
    async submit(principal: Principal, request: BulkActionRequest, idempotencyKey: string | undefined): Promise<{ job: BulkActionView; replay: boolean }> {
      if (idempotencyKey === undefined) {
        throw problems.validation([{ field: 'Idempotency-Key', message: 'required: a bulk action is retried safely only with one' }]);
      }
      requirePermissions(principal, request);
      // Partner staff act for their own partner; a role without a partner has nothing to act for (as the single routes).
      // A review decision is the vendor's: its job acts for no partner.
      const partnerId = isPartnerKind(request.kind) ? principal.partnerId : undefined;
      if (isPartnerKind(request.kind) && !partnerId) throw problems.forbidden(`${request.kind} acts on a partner's objects as one of its members.`);
      const rows = rowsOf(request);
      const seen = new Map<string, number>();
      rows.forEach((row, index) => {
        // A review's id is unique within its kind only.
        const key = `${row.reviewKind ?? ''} ${row.itemId}`;
        const first = seen.get(key);
        if (first !== undefined) {
          throw problems.unprocessable('duplicate-item', `${row.itemId} is already item ${first} of this bulk action.`, `items.${index}.${row.field}`);
        }
        seen.set(key, index);
      });
      const { id, replay } = await prisma.$transaction(async (tx) => {
        const reserved = await reserveIdempotency(tx, `${principal.sub} POST /v1/bulk-actions`, idempotencyKey, request);
        if (reserved.replay) return reserved;
        await tx.bulkAction.create({
          data: { id: reserved.id, partnerId: partnerId ?? null, kind: request.kind, requestedBy: principal.sub, status: 'RUNNING', total: rows.length, createdAt: new Date() },
        });
        await tx.bulkActionItem.createMany({
          data: rows.map((row, index) => ({
            bulkActionId: reserved.id,
            itemIndex: index,
            itemId: row.itemId,
            reviewKind: row.reviewKind ?? null,
            ...(row.body !== undefined ? { body: row.body } : {}),
            reasonCode: row.reasonCode ?? null,
            note: row.note ?? null,
            outcome: 'PENDING',
          })),
        });
        return reserved;
      });
      try {
        // Also on a replay: a first request whose start was lost (the API died after the commit) starts it now.
        await temporal.workflow.start<typeof bulkActionWorkflow>(BULK_ACTION_WORKFLOW, {
          workflowId: bulkActionWorkflowId(id),
          taskQueue,
          args: [{ jobId: id, ...(partnerId ? { partnerId } : {}), principal, kind: request.kind, total: rows.length }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [...(partnerId ? [{ key: PartnerId, value: partnerId }] : []), { key: ProcessStatus, value: 'RUNNING' }],
        });
      } catch (error) {
        // The job already ran to its end: its results stand.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      return { job: await view(principal, id), replay };
    },

    get: (principal: Principal, id: string) => view(principal, id),

    /**
     * The jobs the caller may read, newest first: a partner's staff their partner's; the vendor the review decisions
     * it may read (its own, or every one with review.queue) — or, naming `partnerId`, that partner's jobs of the kinds
     * it reads every partner's of (opportunity.readAll, incentive.readAll). So a job that outlives its browser tab is
     * found again.
     */
    async list(principal: Principal, query: BulkActionListQuery): Promise<{ items: BulkActionSummary[]; nextCursor: string | null }> {
      const scope: Prisma.BulkActionWhereInput = principal.partnerId
        ? { partnerId: principal.partnerId }
        : query.partnerId !== undefined
          ? {
              partnerId: query.partnerId,
              kind: { in: [...(can(principal, 'opportunity.readAll') ? ['opportunity.accept', 'opportunity.reject'] : []), ...(can(principal, 'incentive.readAll') ? ['incentive.verify'] : [])] },
            }
          : { partnerId: null, ...(can(principal, 'review.queue') ? {} : { requestedBy: principal.sub }) };
      // A partner's staff naming another partner see nothing of it (as the single read answers 404).
      if (principal.partnerId && query.partnerId !== undefined && query.partnerId !== principal.partnerId) return { items: [], nextCursor: null };
      const rows = await prisma.bulkAction.findMany({
        where: { AND: [scope, query.kind ? { kind: query.kind } : {}, BY_NEWEST.after(query.cursor)] },
        orderBy: BY_NEWEST.orderBy,
        take: query.limit + 1,
      });
      const { items, nextCursor } = BY_NEWEST.page(rows, query.limit);
      const tallies = await prisma.bulkActionItem.groupBy({ by: ['bulkActionId', 'outcome'], where: { bulkActionId: { in: items.map((job) => job.id) } }, _count: { _all: true } });
      const countsOf = (id: string) => {
        const counts = noOutcomes();
        for (const tally of tallies) if (tally.bulkActionId === id) counts[tally.outcome as ItemOutcome] = tally._count._all;
        return counts;
      };
      return { items: items.map((job) => summaryOf(job, countsOf(job.id))), nextCursor };
    },
  };
}

export type BulkActionClient = ReturnType<typeof createBulkActionClient>;
