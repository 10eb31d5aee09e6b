/**
 * Monthly incentive generation: one run per period (`incentive-run-<YYYY-MM>`) generates every partner's incentive
 * and starts its verification workflow (workflows/incentive/workflow.ts), in bounded batches.
 *
 *   schedule `monthly-incentive-generation` (00:00 on the 1st, Asia/Shanghai)
 *     └─▶ monthlyIncentiveGenerationWorkflow: period = the month that just ended at the scheduled time
 *           └─▶ incentiveRunWorkflow(period)   ◀── also POST /v1/admin/incentive-runs (backfill)
 *                 per batch of partners: generate incentives (one activity) ─▶ start their verifications (one activity)
 *                 continue-as-new every few batches
 *
 * Why batches through activities: a batch is generated partner after partner inside one activity, and the next
 * batch starts only once this one's verification workflows have started, which bounds the work in flight, so 10,000
 * partners never flood the worker that also serves interactive requests; the verification workflows then adopt the
 * stored incentive. They are independent workflows (they live 14 working days), started by an activity —
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

const activities = proxyActivities<ReturnType<typeof createIncentiveRunActivities>>(persistenceActivityOptions);
// Generating a batch takes longer than one write: it heartbeats per partner, so a lost worker is noticed quickly.
const { generateIncentiveBatch, startVerifications } = proxyActivities<ReturnType<typeof createIncentiveRunActivities>>({
  ...persistenceActivityOptions,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
});

/** Histories recorded before verifications were started by an activity replay the child-workflow path. */
export const VERIFICATIONS_STARTED_BY_ACTIVITY = 'verifications-started-by-activity';

export async function incentiveRunWorkflow(input: IncentiveRunInput): Promise<IncentiveRunResult> {
  const { period, requestedBy } = input;
  const batchSize = input.batchSize ?? RUN_BATCH_SIZE;
  // Stable across continue-as-new: identifies this run's row updates (retries change nothing).
  const runId = workflowInfo().firstExecutionRunId;
  let cursor = input.cursor;
  let processed = input.processed ?? 0;

  if (cursor === undefined) await activities.beginIncentiveRun({ period, runId, requestedBy, at: new Date().toISOString() });

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
