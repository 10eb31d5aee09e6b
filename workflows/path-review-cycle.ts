/**
 * The annual review cycle of one development path (`path-review-cycle-<pathId>-<year>`): one review workflow
 * (workflows/path-review.ts) per member of the path, in bounded batches.
 *
 *   schedule (yearly, the path's review month/day, Asia/Shanghai) or POST /v1/admin/path-reviews
 *     └─▶ pathReviewCycleWorkflow({pathId, year})
 *           per batch of members (one activity, keyset on partner id) ─▶ start review children
 *           continue-as-new every few batches
 *
 * Like the incentive run (workflows/incentive-run.ts): the next batch is listed only once this one's children have
 * started, bounding the work in flight; ABANDON lets the reviews (weeks long) outlive the cycle; REJECT_DUPLICATE
 * means a second start of the cycle (or a second run after it finished) creates no review twice. The cycle's start
 * instant is kept by the progress row across runs: every review's window counts from it, in the partner's own
 * calendar (computed by each review's first activity, like every other deadline).
 */
import { allHandlersFinished, condition, continueAsNew, ParentClosePolicy, proxyActivities, startChild, workflowInfo } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { createPathReviewCycleActivities, PathMember } from '../activities/path-review-cycle.js';
import { developmentPaths } from '../domain/development-paths.js';
import { pathReviewWorkflow } from './path-review.js';
import { type PathReviewCycleInput, type PathReviewCycleResult, pathReviewId, pathReviewWorkflowId } from './path-review-contract.js';
import { PartnerId, PathId, ProcessStatus, ReviewYear } from './search-attributes.js';
import { persistenceActivityOptions } from './shared.js';

/** The zone whose calendar date the yearly schedules follow. */
export const CYCLE_SCHEDULE_ZONE = 'Asia/Shanghai';
/** Members per batch: the most review workflows the cycle starts before it waits for them. */
export const CYCLE_BATCH_SIZE = 100;
/** Batches per workflow run before continue-as-new (~2 history events per child: well under any limit). */
export const CYCLE_BATCHES_PER_RUN = 5;

// The Schedule API's month names (@temporalio/client is not workflow code).
const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

/**
 * The yearly Schedule spec per path: 00:00 on the path's review month/day (domain/development-paths.json), in
 * Asia/Shanghai. Created elsewhere (the API's client module), not by the worker.
 */
export const pathReviewScheduleSpecs = developmentPaths.paths.map((path) => ({
  scheduleId: `path-review-cycle-${path.id}`,
  pathId: path.id,
  spec: {
    calendars: [
      {
        month: MONTHS[path.review.month - 1]!,
        dayOfMonth: path.review.day,
        hour: 0,
        minute: 0,
        second: 0,
        comment: `00:00 on ${path.review.month}/${path.review.day}: ${path.id} annual review`,
      },
    ],
    timezone: CYCLE_SCHEDULE_ZONE,
  },
}));

const activities = proxyActivities<ReturnType<typeof createPathReviewCycleActivities>>(persistenceActivityOptions);

export async function pathReviewCycleWorkflow(input: PathReviewCycleInput): Promise<PathReviewCycleResult> {
  const { pathId, year, requestedBy } = input;
  const batchSize = input.batchSize ?? CYCLE_BATCH_SIZE;
  // Stable across continue-as-new: identifies this run's row updates (retries change nothing).
  const runId = workflowInfo().firstExecutionRunId;
  let cursor = input.cursor;
  let processed = input.processed ?? 0;
  const cycleStartedAt =
    input.cycleStartedAt ?? (await activities.beginPathReviewCycle({ pathId, year, runId, requestedBy, at: new Date().toISOString() })).cycleStartedAt;

  const startReview = async ({ partnerId, level }: PathMember) => {
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
    await Promise.all(members.map(startReview));
    cursor = members.at(-1)!.partnerId;
    processed += members.length;
    await activities.recordPathReviewCycleProgress({ pathId, year, runId, processed });
  }

  await activities.finishPathReviewCycle({ pathId, year, runId, processed, at: new Date().toISOString() });
  return { pathId, year, cycleStartedAt, processed };
}
