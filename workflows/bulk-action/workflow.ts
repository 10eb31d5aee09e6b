/**
 * A bulk action (docs/bulk-actions.md): acts on every recorded item of one job, BULK_CONCURRENCY at a time, as the
 * caller would through the single route, and completes once each item is settled (DONE, REFUSED or FAILED). The items
 * and their results live in the database (the API records them before the start), so a thousand items with notes never
 * travel in the history; the workflow carries counts for its progress query.
 *
 * Its messages, id and types are in workflows/bulk-action/contract.ts (re-exported here).
 */
import { ActivityFailure, allHandlersFinished, condition, proxyActivities, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import type { createBulkActionActivities } from '../../activities/bulk-action.js';
import { PartnerId, ProcessStatus } from '../kit/search-attributes.js';
import { persistenceActivityOptions } from '../kit/shared.js';

export * from './contract.js';
import { BULK_CONCURRENCY, type BulkActionInput, type BulkJobStatus, type BulkProgress, getProgress, type ItemOutcome, type ItemResult } from './contract.js';

type Activities = ReturnType<typeof createBulkActionActivities>;
const durable = proxyActivities<Activities>(persistenceActivityOptions);
/**
 * An item waits for its object's update (which waits for that workflow's own activity): longer than a plain write.
 * A few attempts only: an item still failing after them is FAILED and the job goes on with the others.
 */
const itemActivities = proxyActivities<Activities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 5 },
});

export async function bulkActionWorkflow(input: BulkActionInput): Promise<BulkProgress> {
  const total = input.total;
  const counts: Record<ItemOutcome, number> = { PENDING: total, DONE: 0, REFUSED: 0, FAILED: 0 };
  let status: BulkJobStatus = 'RUNNING';
  const progress = (): BulkProgress => ({ jobId: input.jobId, status, total, counts: { ...counts } });
  setHandler(getProgress, progress);
  // A vendor's job (review decisions) acts for no partner: it is listed by its status only. The same input always
  // gives the same command, so the recorded histories (every one a partner's job) replay unchanged.
  upsertSearchAttributes([
    ...(input.partnerId !== undefined ? [{ key: PartnerId, value: input.partnerId }] : []),
    { key: ProcessStatus, value: status },
  ]);

  async function runItem(index: number): Promise<ItemResult> {
    const ref = { jobId: input.jobId, index, kind: input.kind, principal: input.principal };
    try {
      return await itemActivities.actOnBulkItem(ref);
    } catch (error) {
      if (!(error instanceof ActivityFailure)) throw error;
      return durable.failBulkItem({ jobId: input.jobId, index, message: error.cause?.message ?? error.message });
    }
  }

  // BULK_CONCURRENCY lanes take the next item in order until none is left: deterministic, so replay takes the same.
  let next = 0;
  const lane = async () => {
    while (next < total) {
      const result = await runItem(next++);
      counts.PENDING -= 1;
      counts[result.outcome] += 1;
    }
  };
  await Promise.all(Array.from({ length: Math.min(BULK_CONCURRENCY, total) }, lane));

  await durable.completeBulkAction({ jobId: input.jobId, completedAt: new Date().toISOString() });
  status = 'COMPLETED';
  upsertSearchAttributes([{ key: ProcessStatus, value: status }]);
  await condition(allHandlersFinished);
  return progress();
}
