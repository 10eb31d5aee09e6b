/**
 * The only door from the HTTP layer into bulk actions (docs/bulk-actions.md): records a job and its items with the
 * Idempotency-Key's reservation in one transaction, starts the job's workflow, and reads its progress from the tables.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { canSeePartner, type Principal } from '../../domain/auth.js';
import { problems } from '../../domain/problems.js';
import type { PrismaClient } from '../../prisma/generated/client.js';
import {
  BULK_ACTION_WORKFLOW,
  type BulkActionKind,
  bulkActionWorkflowId,
  type BulkItem,
  type ItemOutcome,
} from '../../workflows/bulk-action/contract.js';
import type { bulkActionWorkflow } from '../../workflows/bulk-action/workflow.js';
import { PartnerId, ProcessStatus } from '../../workflows/kit/search-attributes.js';
import { reserveIdempotency } from '../kit/idempotency.js';
import type { BulkActionView } from './schemas.js';

export type BulkActionRequest = { kind: BulkActionKind; items: BulkItem[] };
export type BulkActionClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string };

export function createBulkActionClient({ temporal, prisma, taskQueue }: BulkActionClientDeps) {
  async function view(principal: Principal, id: string): Promise<BulkActionView> {
    const job = await prisma.bulkAction.findUnique({ where: { id }, include: { items: { orderBy: { itemIndex: 'asc' } } } });
    // Another partner's job answers exactly like a missing one.
    if (!job || !canSeePartner(principal, job.partnerId)) throw problems.notFound(`Bulk action ${id}`);
    const counts: Record<ItemOutcome, number> = { PENDING: 0, DONE: 0, REFUSED: 0, FAILED: 0 };
    for (const item of job.items) counts[item.outcome as ItemOutcome] += 1;
    return {
      id: job.id,
      partnerId: job.partnerId,
      kind: job.kind as BulkActionKind,
      status: job.status as BulkActionView['status'],
      requestedBy: job.requestedBy,
      createdAt: job.createdAt.toISOString(),
      completedAt: job.completedAt?.toISOString() ?? null,
      total: job.total,
      counts,
      results: job.items.map((item) => ({
        index: item.itemIndex,
        opportunityId: item.opportunityId,
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
      // Partner staff act for their own partner; a role without a partner has nothing to act for (as the single routes).
      const partnerId = principal.partnerId;
      if (!partnerId) throw problems.forbidden('Bulk actions act on a partner\'s opportunities as one of its members.');
      const seen = new Map<string, number>();
      request.items.forEach((item, index) => {
        const first = seen.get(item.opportunityId);
        if (first !== undefined) {
          throw problems.unprocessable('duplicate-item', `Opportunity ${item.opportunityId} is already item ${first} of this bulk action.`, `items.${index}.opportunityId`);
        }
        seen.set(item.opportunityId, index);
      });
      const { id, replay } = await prisma.$transaction(async (tx) => {
        const reserved = await reserveIdempotency(tx, `${principal.sub} POST /v1/bulk-actions`, idempotencyKey, request);
        if (reserved.replay) return reserved;
        await tx.bulkAction.create({
          data: { id: reserved.id, partnerId, kind: request.kind, requestedBy: principal.sub, status: 'RUNNING', total: request.items.length, createdAt: new Date() },
        });
        await tx.bulkActionItem.createMany({
          data: request.items.map((item, index) => ({
            bulkActionId: reserved.id,
            itemIndex: index,
            opportunityId: item.opportunityId,
            reasonCode: item.reasonCode ?? null,
            note: item.note ?? null,
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
          args: [{ jobId: id, partnerId, principal, kind: request.kind, total: request.items.length }],
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          typedSearchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: ProcessStatus, value: 'RUNNING' },
          ],
        });
      } catch (error) {
        // The job already ran to its end: its results stand.
        if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
      }
      return { job: await view(principal, id), replay };
    },

    get: (principal: Principal, id: string) => view(principal, id),
  };
}

export type BulkActionClient = ReturnType<typeof createBulkActionClient>;
