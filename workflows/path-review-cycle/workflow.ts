/**
 * The annual review cycle of one development path (`path-review-cycle-<pathId>-<year>`): one review workflow
 * (workflows/path-review/workflow.ts) per member of the path, in bounded batches.
 *
 *   schedule (yearly, the path's review month/day, Asia/Shanghai) or POST /v1/admin/path-reviews
 *     └─▶ pathReviewCycleWorkflow({pathId, year})
 *           per batch of members (one activity, keyset on partner id) ─▶ start their reviews (one activity)
 *           continue-as-new every few batches
 *
 * Like the incentive run (workflows/incentive-run/workflow.ts): the next batch is listed only once this one's reviews have
 * started, bounding the work in flight; the reviews (weeks long) are independent workflows, started by an activity
 * (activities/start-processes.ts says why not children) with REJECT_DUPLICATE, so a second start of the cycle (or a
 * second run after it finished) creates no review twice. The cycle's start
 * instant is kept by the progress row across runs: every review's window counts from it, in the partner's own
 * calendar (computed by each review's first activity, like every other deadline).
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
import type { createPathReviewCycleActivities, PathMember } from '../../activities/path-review-cycle.js';
import { pathReviewWorkflow } from '../path-review/workflow.js';
import { pathReviewId, pathReviewWorkflowId } from '../path-review/contract.js';
import { PartnerId, PathId, ProcessStatus, ReviewYear } from '../kit/search-attributes.js';
import { persistenceActivityOptions } from '../kit/shared.js';

export * from './contract.js';
import {
  CYCLE_BATCH_SIZE,
  CYCLE_BATCHES_PER_RUN,
  CYCLE_SCHEDULE_ZONE,
  type PathReviewCycleInput,
  type PathReviewCycleResult,
  pathReviewCycleWorkflowId,
  type ScheduledCycleResult,
} from './contract.js';

const activities = proxyActivities<ReturnType<typeof createPathReviewCycleActivities>>(persistenceActivityOptions);
// Starting a batch takes longer than one write: it heartbeats per review, so a lost worker is noticed quickly.
const { startPathReviews } = proxyActivities<ReturnType<typeof createPathReviewCycleActivities>>({
  ...persistenceActivityOptions,
  startToCloseTimeout: '10 minutes',
  heartbeatTimeout: '10 seconds',
});

/** Histories recorded before reviews were started by an activity replay the child-workflow path. */
export const REVIEWS_STARTED_BY_ACTIVITY = 'reviews-started-by-activity';

export async function pathReviewCycleWorkflow(input: PathReviewCycleInput): Promise<PathReviewCycleResult> {
  const { pathId, year, requestedBy } = input;
  const batchSize = input.batchSize ?? CYCLE_BATCH_SIZE;
  // Stable across continue-as-new: identifies this run's row updates (retries change nothing).
  const runId = workflowInfo().firstExecutionRunId;
  let cursor = input.cursor;
  let processed = input.processed ?? 0;
  const cycleStartedAt =
    input.cycleStartedAt ?? (await activities.beginPathReviewCycle({ pathId, year, runId, requestedBy, at: new Date().toISOString() })).cycleStartedAt;

  // Kept for histories recorded before REVIEWS_STARTED_BY_ACTIVITY: reviews used to be ABANDONed children.
  const startReviewChild = async ({ partnerId, level }: PathMember) => {
    try {
      await startChild(pathReviewWorkflow, {
        workflowId: pathReviewWorkflowId(pathReviewId(pathId, partnerId, year)),
        args: [{ pathId, partnerId, year, level, cycleStartedAt }],
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A partner's review of this path and year is never started twice.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: PartnerId, value: partnerId },
          { key: PathId, value: pathId },
          { key: ReviewYear, value: year },
          { key: ProcessStatus, value: 'OPEN' },
        ],
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
  };

  for (let batches = 0; ; batches++) {
    if (batches >= CYCLE_BATCHES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof pathReviewCycleWorkflow>({ ...input, cycleStartedAt, ...(cursor ? { cursor } : {}), processed });
    }
    const members = await activities.listPathMembers({ pathId, ...(cursor ? { after: cursor } : {}), limit: batchSize });
    if (members.length === 0) break;
    if (patched(REVIEWS_STARTED_BY_ACTIVITY)) await startPathReviews({ pathId, year, cycleStartedAt, members });
    else await Promise.all(members.map(startReviewChild));
    cursor = members.at(-1)!.partnerId;
    processed += members.length;
    await activities.recordPathReviewCycleProgress({ pathId, year, runId, processed });
  }

  await activities.finishPathReviewCycle({ pathId, year, runId, processed, at: new Date().toISOString() });
  return { pathId, year, cycleStartedAt, processed };
}

/** Set by the Temporal scheduler on every workflow a schedule starts: the nominal (scheduled) time. */
const TemporalScheduledStartTime = defineSearchAttributeKey('TemporalScheduledStartTime', 'DATETIME');

/**
 * A path's yearly schedule action. The cycle's year is the calendar year of the scheduled time in Asia/Shanghai,
 * not of when the action happens to run (a catch-up after an outage still opens the right year). Runs the cycle as
 * a child with its deterministic id and waits for it (it finishes in minutes; the reviews it starts are not its
 * children), so a cycle a vendor already started for that year is joined, not duplicated.
 */
export async function scheduledPathReviewCycleWorkflow({ pathId }: { pathId: string }): Promise<ScheduledCycleResult> {
  const info = workflowInfo();
  const scheduledAt = info.typedSearchAttributes.get(TemporalScheduledStartTime) ?? info.startTime;
  const year = Number(new Intl.DateTimeFormat('en-US', { timeZone: CYCLE_SCHEDULE_ZONE, year: 'numeric' }).format(scheduledAt));
  try {
    const result = await executeChild(pathReviewCycleWorkflow, {
      workflowId: pathReviewCycleWorkflowId(pathId, year),
      args: [{ pathId, year, requestedBy: 'schedule' }],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      // A finished cycle may run again: it starts no review twice and picks up members added since.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      typedSearchAttributes: [
        { key: PathId, value: pathId },
        { key: ReviewYear, value: year },
      ],
    });
    return { pathId, year, outcome: 'RUN', processed: result.processed };
  } catch (error) {
    if (error instanceof WorkflowExecutionAlreadyStartedError) return { pathId, year, outcome: 'ALREADY_RUNNING' };
    throw error;
  }
}
