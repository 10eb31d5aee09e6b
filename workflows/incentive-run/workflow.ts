/**
 * Monthly incentive generation: one run per period (`incentive-run-<YYYY-MM>`) generates every partner's incentive
 * and starts its verification workflow (workflows/incentive/workflow.ts), in bounded batches.
 *
 *   schedule `monthly-incentive-generation` (00:00 on the 1st, Asia/Shanghai)
 *     └─▶ monthlyIncentiveGenerationWorkflow: period = the month that just ended at the scheduled time
 *           └─▶ incentiveRunWorkflow(period)   ◀── also POST /v1/admin/incentive-runs (backfill)
 *                 per batch of partners: generate incentives (one activity) ─▶ start their verifications (one activity),
 *                 while the next batch is generated; continue-as-new every few batches
 *
 * Why batches through activities: a batch is generated in one activity (one transaction for the whole batch), and a
 * batch's verifications start only once the previous batch's have started, which bounds the work in flight (one batch
 * generating, one starting), so 10,000 partners never flood the worker that also serves interactive requests; each
 * verification workflow is started with its stored incentive and adopts it. They are independent workflows (they live 14 working days), started by an activity —
 * activities/start-processes.ts says why not children — and found by IncentivePeriod. Continue-as-new after a few
 * batches keeps each run's history small whatever the number of partners. Nothing is created twice: incentive ids
 * and workflow ids are derived from partner + period, and a workflow that already exists (or has finished) is left
 * alone.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  executeChild,
  ParentClosePolicy,
  patched,
  proxyActivities,
  startChild,
  workflowInfo,
} from '@temporalio/workflow';
import { defineSearchAttributeKey, WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createIncentiveRunActivities } from '../../activities/incentive-run.js';
import { periodEndedBy } from '../../domain/period.js';
import { incentiveWorkflowId } from '../incentive/contract.js';
import { incentiveWorkflow } from '../incentive/workflow.js';
import { persistenceActivities } from '../kit/persistence.js';
import { IncentivePeriod, PartnerId, ProcessStatus } from '../kit/search-attributes.js';
import { persistenceActivityOptions } from '../kit/shared.js';

export * from './contract.js';
import {
  BATCHES_PER_RUN,
  type IncentiveRunInput,
  type IncentiveRunResult,
  incentiveRunWorkflowId,
  RUN_BATCH_SIZE,
  SCHEDULE_ZONE,
  type ScheduledGenerationResult,
} from './contract.js';

type RunActivities = ReturnType<typeof createIncentiveRunActivities>;
// Generating a batch and starting its verifications take longer than one write: they heartbeat, so a lost worker is
// noticed quickly. Regular activities: each keeps its attempts and timeouts in the run's history.
const { generateIncentiveBatch, startVerifications } = proxyActivities<RunActivities>({
  ...persistenceActivityOptions,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
});

/** Histories recorded before verifications were started by an activity replay the child-workflow path. */
export const VERIFICATIONS_STARTED_BY_ACTIVITY = 'verifications-started-by-activity';
/** Histories recorded before it start a batch's verifications only after the batch before has been recorded. */
export const RUN_PIPELINED = 'incentive-run-pipelined';

export async function incentiveRunWorkflow(input: IncentiveRunInput): Promise<IncentiveRunResult> {
  const { period, requestedBy } = input;
  const batchSize = input.batchSize ?? RUN_BATCH_SIZE;
  // Stable across continue-as-new: identifies this run's row updates (retries change nothing).
  const runId = workflowInfo().firstExecutionRunId;
  let cursor = input.cursor;
  let processed = input.processed ?? 0;
  // The run's bookkeeping — opening and closing its progress row, listing the next partners — as local activities
  // (workflows/kit/persistence.ts): issue 16's profile at 10,000 partners found each batch waiting on four activity
  // round trips through a task queue crowded with the verifications it had just started. Each is safe to run again in
  // a retried workflow task: the row's writes are keyed by the run and guarded by its status, the rest are reads, and
  // their inputs are durable (the start time, earlier activities' results). A batch's progress: see RUN_PIPELINED.
  const { local, activities } = persistenceActivities<RunActivities>();

  if (cursor === undefined) {
    const at = (local ? workflowInfo().startTime : new Date()).toISOString();
    await activities.beginIncentiveRun({ period, runId, requestedBy, at });
  }

  // Kept for histories recorded before VERIFICATIONS_STARTED_BY_ACTIVITY: verifications used to be ABANDONed children.
  const startVerificationChild = async (partnerId: string) => {
    try {
      await startChild(incentiveWorkflow, {
        workflowId: incentiveWorkflowId(partnerId, period),
        args: [{ partnerId, period }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A verification workflow that has already run for this partner and month is never started again.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: PartnerId, value: partnerId },
          { key: IncentivePeriod, value: period },
          { key: ProcessStatus, value: 'PENDING_VERIFICATION' },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  };

  if (patched(RUN_PIPELINED)) {
    // Since RUN_PIPELINED a batch's verifications start while the next batch is listed and generated: issue 16's profile
    // found the run's critical path half in starts (the Temporal server's work) and the rest in generation (the
    // database's) and in the run's own workflow tasks, one after the other. Now, per batch, it is the starts and one
    // workflow task that schedules the next starts, the next generation and this batch's progress at once: the next
    // batch is listed (locally) in the workflow task after its generation, and the progress is a regular activity,
    // neither holding that task open. Still bounded: one batch generating and one starting at most, in order.
    const progress = proxyActivities<RunActivities>(persistenceActivityOptions);
    const list = (after: string | undefined) => activities.listRunPartners({ period, ...(after ? { after } : {}), limit: batchSize });
    let starting: Promise<void> = Promise.resolve();
    let recording: Promise<void> = Promise.resolve();
    let partnerIds = await list(cursor);
    for (let batches = 0; partnerIds.length > 0; batches++) {
      if (batches >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
        // Carried over: every partner before the cursor is started and recorded. In this order: the last batch's start
        // chains its progress onto `recording` only once it has started.
        await starting;
        await recording;
        await condition(allHandlersFinished);
        return continueAsNew<typeof incentiveRunWorkflow>({ ...input, cursor, processed });
      }
      const { generated, failures } = await generateIncentiveBatch({ period, partnerIds, generatedAt: new Date().toISOString() });
      const count = partnerIds.length;
      cursor = partnerIds.at(-1)!;
      partnerIds = await list(cursor);
      await starting;
      starting = startVerifications({ period, partnerIds: generated }).then(() => {
        processed += count;
        const done = processed;
        recording = recording.then(() => progress.recordIncentiveRunProgress({ period, runId, processed: done, failures }));
        recording.catch(() => undefined); // awaited before continuing as new and at the end: a failure surfaces there
      });
      starting.catch(() => undefined); // awaited before the next batch starts: a failure surfaces there, not as unhandled
    }
    await starting;
    await recording;
  } else {
    for (let batches = 0; ; batches++) {
      if (batches >= BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
        await condition(allHandlersFinished);
        return continueAsNew<typeof incentiveRunWorkflow>({ ...input, cursor, processed });
      }
      const partnerIds = await activities.listRunPartners({ period, ...(cursor ? { after: cursor } : {}), limit: batchSize });
      if (partnerIds.length === 0) break;
      const { generated, failures } = await generateIncentiveBatch({ period, partnerIds, generatedAt: new Date().toISOString() });
      if (patched(VERIFICATIONS_STARTED_BY_ACTIVITY)) await startVerifications({ period, partnerIds: generated });
      else await Promise.all(generated.map(startVerificationChild));
      cursor = partnerIds.at(-1)!;
      processed += partnerIds.length;
      await activities.recordIncentiveRunProgress({ period, runId, processed, failures });
    }
  }

  await activities.finishIncentiveRun({ period, runId, processed, at: new Date().toISOString() });
  return { period, processed };
}

/** Set by the Temporal scheduler on every workflow a schedule starts: the nominal (scheduled) time. */
const TemporalScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

/**
 * The schedule's action. It derives the period from the scheduled time, not from when it happens to run: a
 * catch-up action taken on the 3rd still generates the month that ended before the 1st. Runs the period's
 * generation as a child with a deterministic id, so a run already going for the period (a vendor backfill) is
 * joined rather than duplicated.
 */
export async function monthlyIncentiveGenerationWorkflow(): Promise<ScheduledGenerationResult> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(TemporalScheduledStartTime) ?? info.startTime;
  const period = periodEndedBy(scheduledAt, SCHEDULE_ZONE);
  try {
    const result = await executeChild(incentiveRunWorkflow, {
      workflowId: incentiveRunWorkflowId(period),
      args: [{ period, requestedBy: 'schedule' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // A finished run may run again: it creates nothing twice and picks up partners added since.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [{ key: IncentivePeriod, value: period }],
    });
    return { period, outcome: 'RUN', processed: result.processed };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { period, outcome: 'ALREADY_RUNNING' };
    throw error;
  }
}
