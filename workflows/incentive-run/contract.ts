// The monthly incentive generation's contract: its workflow types and ids, the schedule's zone, the batch sizes and
// the input/result types — imported by the workflows (workflows/incentive-run/workflow.ts), the API's incentive-run
// client (backfill), the worker's schedule and the benchmark, none of which loads the workflow code itself.

/** The workflow types the worker registers (the functions' names in workflows/index.ts). */
export const INCENTIVE_RUN_WORKFLOW = 'incentiveRunWorkflow';
export const MONTHLY_INCENTIVE_GENERATION_WORKFLOW = 'monthlyIncentiveGenerationWorkflow';

/** The zone whose month start the schedule follows (the incentive rules' zone). */
export const SCHEDULE_ZONE = 'Asia/Shanghai';
/** Partners per batch: the most verification workflows the run starts before it waits for them. */
export const RUN_BATCH_SIZE = 100;
/** Batches per workflow run before continue-as-new (a handful of events per batch: well under any limit). */
export const BATCHES_PER_RUN = 5;

/** One run per period: a backfill and the schedule's run of the same month join each other. */
export const incentiveRunWorkflowId = (period: string) => `incentive-run-${period}`;

export type IncentiveRunInput = {
  period: string;
  /** 'schedule' or the vendor user who asked. */
  requestedBy: string;
  /** Tests use small batches to exercise continue-as-new. */
  batchSize?: number;
  /** Carried over continue-as-new: the last partner id done, and how many partners are done. */
  cursor?: string;
  processed?: number;
};

export type IncentiveRunResult = { period: string; processed: number };

export type ScheduledGenerationResult = { period: string; outcome: 'RUN' | 'ALREADY_RUNNING'; processed?: number };
