// The annual path review cycle's contract: its workflow types, the schedules' zone and specs (pure data from
// domain/development-paths.json), the batch sizes and the result types — imported by the workflows
// (workflows/path-review-cycle/workflow.ts), the worker's schedules and the API's path-review client, none of which
// loads the workflow code itself.

export const PATH_REVIEW_CYCLE_STATUSES = ['RUNNING', 'COMPLETED'] as const;
export const pathReviewCycleWorkflowId = (pathId: string, year: number) => `path-review-cycle-${pathId}-${year}`;

/** What a cycle run is started with (and carries over continue-as-new), and what it ends with. */
export type PathReviewCycleInput = {
  pathId: string;
  year: number;
  /** 'schedule' or the vendor user who asked. */
  requestedBy: string;
  /** Tests use small batches to exercise continue-as-new. */
  batchSize?: number;
  /** Carried over continue-as-new: the cycle's start instant, the last partner id done, how many are done. */
  cycleStartedAt?: string;
  cursor?: string;
  processed?: number;
};
export type PathReviewCycleResult = { pathId: string; year: number; cycleStartedAt: string; processed: number };

/** The workflow types the worker registers (the functions' names in workflows/index.ts). */
export const PATH_REVIEW_CYCLE_WORKFLOW = 'pathReviewCycleWorkflow';
export const SCHEDULED_PATH_REVIEW_CYCLE_WORKFLOW = 'scheduledPathReviewCycleWorkflow';

/** The zone whose calendar date the yearly schedules follow. */
export const CYCLE_SCHEDULE_ZONE = 'Asia/Shanghai';
/** Members per batch: the most review workflows the cycle starts before it waits for them. */
export const CYCLE_BATCH_SIZE = 100;
/** Batches per workflow run before continue-as-new (a handful of events per batch: well under any limit). */
export const CYCLE_BATCHES_PER_RUN = 5;

export type ScheduledCycleResult = { pathId: string; year: number; outcome: 'RUN' | 'ALREADY_RUNNING'; processed?: number };

