/**
 * A bulk action's items (docs/bulk-actions.md). The API records the job and its items (PENDING) before the workflow
 * starts; each item activity acts on its object exactly as the single route does — an opportunity's decision
 * (platform/opportunity-actions.ts), an incentive's verification (platform/incentive-actions.ts), a review's decision
 * (platform/review-actions.ts) — and settles its row once: the settling statement moves only a PENDING row, and an item
 * whose row is settled already (a retry after a worker crash) answers the stored result without acting again.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { ReviewKind } from '../api/review-queue/kinds.js';
import type { Principal } from '../domain/auth.js';
import type { CalendarLookup } from '../domain/calendar.js';
import { BULK_ACTION_COMPLETED_TOPIC } from '../domain/events.js';
import { Problem } from '../domain/problems.js';
import type { PrismaClient } from '../platform/db.js';
import { createIncentiveActions, type IncentiveActions, type VerifyRequest } from '../platform/incentive-actions.js';
import { decideOpportunity, type OpportunityDecision } from '../platform/opportunity-actions.js';
import { type ActedView, createReviewActions, type ReviewActions, type ReviewDecisionBody } from '../platform/review-actions.js';
import type { Prisma } from '../prisma/generated/client.js';
import {
  type BulkActionKind,
  bulkActionWorkflowId,
  type ItemOutcome,
  type ItemProblem,
  type ItemResult,
  type SettledOutcome,
} from '../workflows/bulk-action/contract.js';
import type { RejectReason } from '../workflows/opportunity/contract.js';
import { appendOutbox } from './kit/outbox.js';
import { announceOutbox, type WebhookActivityDeps } from './webhook.js';

/** The calendars are the worker's (the API's in a test), for the views the single routes' functions answer. */
export type BulkActionActivityDeps = { prisma: PrismaClient; temporal: Client; calendarFor?: CalendarLookup };

export type BulkItemRef = { jobId: string; index: number; kind: BulkActionKind; principal: Principal };

/** The outbox message of a finished job (one per job). */
export const bulkActionCompletedKey = (jobId: string) => `${BULK_ACTION_COMPLETED_TOPIC}-${jobId}`;

/** What the opportunity's history must show for an item's action to have happened (an event of this type by the caller). */
const DECIDED_EVENT = { 'opportunity.accept': 'ACCEPTED', 'opportunity.reject': 'REJECTED' } as const;

type ItemRow = { itemId: string; reviewKind: string | null; body: Prisma.JsonValue; reasonCode: string | null; note: string | null };

export function createBulkActionActivities({ prisma, temporal, calendarFor }: BulkActionActivityDeps) {
  // The API's clients behind the single routes, opened once on the worker's task queue (where a client would start a
  // workflow; deciding starts none).
  let doors: { incentives: IncentiveActions; reviews: ReviewActions } | undefined;
  const doorsFor = (taskQueue: string) =>
    (doors ??= { incentives: createIncentiveActions({ prisma, temporal }), reviews: createReviewActions({ prisma, temporal, taskQueue, ...(calendarFor ? { calendarFor } : {}) }) });

  const resultOf = (row: { outcome: string; resultStatus: string | null; problem: Prisma.JsonValue }): ItemResult => ({
    outcome: row.outcome as SettledOutcome,
    ...(row.resultStatus ? { status: row.resultStatus } : {}),
    ...(row.problem ? { problem: row.problem as ItemProblem } : {}),
  });

  /** Settles a PENDING item once; answers what is stored (this result, or the one an earlier attempt settled). */
  async function settle(jobId: string, index: number, result: ItemResult): Promise<ItemResult> {
    await prisma.bulkActionItem.updateMany({
      where: { bulkActionId: jobId, itemIndex: index, outcome: 'PENDING' },
      data: {
        outcome: result.outcome,
        resultStatus: result.status ?? null,
        ...(result.problem ? { problem: result.problem as Prisma.InputJsonValue } : {}),
        // When the item was settled: an operational instant for people reading progress, not a business event.
        settledAt: new Date(),
      },
    });
    return resultOf(await prisma.bulkActionItem.findUniqueOrThrow({ where: { bulkActionId_itemIndex: { bulkActionId: jobId, itemIndex: index } } }));
  }

  /**
   * A retried attempt whose earlier attempt's update went through (then the worker died before settling): the object
   * now refuses the action (not pending, decided, or closed), but its history holds the caller's action — DONE.
   */
  async function decidedEarlier(ref: BulkItemRef, item: ItemRow): Promise<string | undefined> {
    if (ref.kind === 'opportunity.accept' || ref.kind === 'opportunity.reject') {
      const event = await prisma.opportunityEvent.findFirst({
        where: { opportunityId: item.itemId, type: DECIDED_EVENT[ref.kind], actor: ref.principal.sub },
        select: { opportunity: { select: { status: true } } },
      });
      return event?.opportunity.status;
    }
    // An incentive or a review: its history (as its detail route answers it) holds an event by the caller since the job
    // was recorded — nothing else of this caller's could have acted on it meanwhile but this item's earlier attempt.
    const job = await prisma.bulkAction.findUniqueOrThrow({ where: { id: ref.jobId }, select: { createdAt: true } });
    // Not visible to the caller (a refusal): nothing of theirs happened. An outage is thrown, for Temporal to retry.
    const view = await viewOf(ref, item).catch((error: unknown) => {
      if (error instanceof Problem) return undefined;
      throw error;
    });
    const acted = view?.history.some((event) => event.actor === ref.principal.sub && Date.parse(event.at) >= job.createdAt.getTime());
    return acted ? view!.status : undefined;
  }

  /** The item's action, through the function its single route calls: the object's new status, or the route's refusal thrown. */
  async function act(ref: BulkItemRef, item: ItemRow): Promise<string> {
    const { incentives, reviews } = doorsFor(Context.current().info.taskQueue);
    switch (ref.kind) {
      case 'opportunity.accept':
      case 'opportunity.reject': {
        const decision: OpportunityDecision =
          ref.kind === 'opportunity.accept'
            ? { kind: 'accept' }
            : { kind: 'reject', reasonCode: item.reasonCode as RejectReason, ...(item.note !== null ? { note: item.note } : {}) };
        // One update id per item: a retried call while the opportunity's workflow runs is answered the first result.
        const snapshot = await decideOpportunity({ temporal, prisma }, ref.principal, item.itemId, decision, {
          updateId: `${bulkActionWorkflowId(ref.jobId)}-item-${ref.index}`,
        });
        return snapshot.status;
      }
      case 'incentive.verify':
        // The figures were validated by the single route's own body schema when the job was recorded.
        return (await incentives.verify(ref.principal, item.itemId, item.body as VerifyRequest)).status;
      case 'review.decide':
        return (await reviews.decide(item.reviewKind as ReviewKind, ref.principal, item.itemId, item.body as ReviewDecisionBody)).status;
    }
  }

  function viewOf(ref: BulkItemRef, item: ItemRow): Promise<ActedView> {
    const { incentives, reviews } = doorsFor(Context.current().info.taskQueue);
    return ref.kind === 'review.decide' ? reviews.view(item.reviewKind as ReviewKind, ref.principal, item.itemId) : incentives.view(ref.principal, item.itemId);
  }

  return {
    /** Acts on one item as the caller would through the single route, and settles its row once. */
    async actOnBulkItem(ref: BulkItemRef): Promise<ItemResult> {
      const key = { bulkActionId_itemIndex: { bulkActionId: ref.jobId, itemIndex: ref.index } };
      const item = await prisma.bulkActionItem.findUniqueOrThrow({ where: key });
      if (item.outcome !== 'PENDING') return resultOf(item);
      try {
        return await settle(ref.jobId, ref.index, { outcome: 'DONE', status: await act(ref, item) });
      } catch (error) {
        // Anything but a refusal (Temporal or the database unavailable) is retried by Temporal.
        if (!(error instanceof Problem)) throw error;
        const retried = Context.current().info.attempt > 1;
        const status = retried ? await decidedEarlier(ref, item) : undefined;
        if (status) return await settle(ref.jobId, ref.index, { outcome: 'DONE', status });
        return await settle(ref.jobId, ref.index, { outcome: 'REFUSED', problem: error.toBody() as ItemProblem });
      }
    },

    /** An item that kept failing through its retries: FAILED, with the last error. */
    async failBulkItem(f: { jobId: string; index: number; message: string }): Promise<ItemResult> {
      const problem: ItemProblem = {
        type: 'urn:partnerflow:problem:bulk-item-failed',
        title: 'The item failed after retries',
        status: 503,
        detail: f.message,
      };
      return settle(f.jobId, f.index, { outcome: 'FAILED', problem });
    },

    /** The job is finished: COMPLETED, and its webhook appended in the same transaction (once per job). */
    async completeBulkAction(c: { jobId: string; completedAt: string }): Promise<Record<ItemOutcome, number>> {
      return prisma.$transaction(async (tx) => {
        const job = await tx.bulkAction.findUniqueOrThrow({ where: { id: c.jobId } });
        const grouped = await tx.bulkActionItem.groupBy({ by: ['outcome'], where: { bulkActionId: c.jobId }, _count: { _all: true } });
        const counts: Record<ItemOutcome, number> = { PENDING: 0, DONE: 0, REFUSED: 0, FAILED: 0 };
        for (const g of grouped) counts[g.outcome as ItemOutcome] = g._count._all;
        await tx.bulkAction.updateMany({ where: { id: c.jobId, status: 'RUNNING' }, data: { status: 'COMPLETED', completedAt: new Date(c.completedAt) } });
        await appendOutbox(tx, {
          topic: BULK_ACTION_COMPLETED_TOPIC,
          aggregateId: c.jobId,
          dedupeKey: bulkActionCompletedKey(c.jobId),
          dueAt: c.completedAt,
          payload: { partnerId: job.partnerId, jobId: c.jobId, kind: job.kind, total: job.total, counts },
        });
        return counts;
      });
    },
  };
}

/**
 * The bulk action's activities as the worker registers them: the completion announces its webhook once its
 * transaction has committed (activities/webhook.ts announceOutbox; the sweeper covers a start lost to a crash).
 */
export function announcingBulkActionActivities(deps: BulkActionActivityDeps & WebhookActivityDeps) {
  const bulk = createBulkActionActivities(deps);
  return {
    ...bulk,
    async completeBulkAction(c: Parameters<typeof bulk.completeBulkAction>[0]) {
      const counts = await bulk.completeBulkAction(c);
      await announceOutbox(deps, [bulkActionCompletedKey(c.jobId)]);
      return counts;
    },
  };
}
