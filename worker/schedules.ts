/**
 * Every Temporal Schedule partnerflow runs, created or brought up to date by the worker at start (never by the API):
 * the monthly incentive generation and one yearly review schedule per development path. Create-or-update is
 * idempotent: a second worker start finds each schedule and updates its spec, action and policies in place (its paused
 * state and history stay).
 */
import { type Client, ScheduleAlreadyRunning, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import { MONTHLY_INCENTIVE_GENERATION_WORKFLOW, SCHEDULE_ZONE } from '../workflows/incentive-run/contract.js';
import type { monthlyIncentiveGenerationWorkflow } from '../workflows/incentive-run/workflow.js';
import { developmentPaths } from '../domain/development-paths.js';
import { CYCLE_SCHEDULE_ZONE, SCHEDULED_PATH_REVIEW_CYCLE_WORKFLOW } from '../workflows/path-review-cycle/contract.js';
import type { scheduledPathReviewCycleWorkflow } from '../workflows/path-review-cycle/workflow.js';

// The Schedule API's month names (written out: this module imports @temporalio/client's types only).
const MONTHS = ['JANUARY', 'FEBRUARY', 'MARCH', 'APRIL', 'MAY', 'JUNE', 'JULY', 'AUGUST', 'SEPTEMBER', 'OCTOBER', 'NOVEMBER', 'DECEMBER'] as const;

/**
 * The yearly Schedule spec per path: 00:00 on the path's review month/day (domain/development-paths.json), in
 * Asia/Shanghai. The worker creates or updates one schedule per path at start. Here, not in the cycle's contract: the
 * contract is bundled into every workflow, and the development paths (zod-validated JSON) would go with it.
 */
export const pathReviewScheduleSpecs = developmentPaths.paths.map((path) => ({
  scheduleId: `annual-path-review-${path.id}`,
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


export const MONTHLY_SCHEDULE_ID = 'monthly-incentive-generation';

/**
 * 00:00 on the 1st of every month in Asia/Shanghai; the action generates the month that has just ended.
 * - Overlap BUFFER_ALL: a month's action is never dropped. Runs take minutes, so they overlap only when actions
 *   are caught up after an outage; then they run one after another, oldest first.
 * - Catch-up window 7 days: after a Temporal outage across the 1st, the missed action still runs when the server
 *   is back within a week (the deadline counts from generation, so partners lose nothing). Longer outages are a
 *   decision for an operator (POST /v1/admin/incentive-runs): qualification reads the current expert records,
 *   which describe the past month less well the later it runs.
 */
export const monthlyScheduleOptions = (taskQueue: string) =>
  ({
    scheduleId: MONTHLY_SCHEDULE_ID,
    spec: { calendars: [{ dayOfMonth: 1, hour: 0, minute: 0, second: 0, comment: '00:00 on the 1st' }], timezone: SCHEDULE_ZONE },
    action: {
      type: 'startWorkflow',
      workflowType: MONTHLY_INCENTIVE_GENERATION_WORKFLOW,
      workflowId: MONTHLY_SCHEDULE_ID,
      taskQueue,
    } satisfies ScheduleOptionsStartWorkflowAction<typeof monthlyIncentiveGenerationWorkflow>,
    policies: { overlap: 'BUFFER_ALL', catchupWindow: '7 days', pauseOnFailure: false },
    state: { note: 'Generates the monthly expert incentives for the month that has just ended (partnerflow worker).' },
  }) satisfies ScheduleOptions;

/**
 * One yearly schedule per path, at 00:00 on its review month/day in Asia/Shanghai (domain/development-paths.json).
 * - Overlap BUFFER_ALL: a year's action is never dropped (a cycle takes minutes; actions overlap only when caught up).
 * - Catch-up window 7 days: after a Temporal outage across the date the cycle still opens when the server is back
 *   within a week; every review window counts from the cycle's actual start, so partners lose no days. Later than
 *   that, a vendor starts it (POST /v1/admin/path-reviews).
 */
export const pathReviewScheduleOptions = (taskQueue: string) =>
  pathReviewScheduleSpecs.map(
    ({ scheduleId, pathId, spec }) =>
      ({
        scheduleId,
        spec,
        action: {
          type: 'startWorkflow',
          workflowType: SCHEDULED_PATH_REVIEW_CYCLE_WORKFLOW,
          args: [{ pathId }],
          workflowId: scheduleId,
          taskQueue,
        } satisfies ScheduleOptionsStartWorkflowAction<typeof scheduledPathReviewCycleWorkflow>,
        policies: { overlap: 'BUFFER_ALL', catchupWindow: '7 days', pauseOnFailure: false },
        state: { note: `Opens the annual review of the ${pathId} development path (partnerflow worker).` },
      }) satisfies ScheduleOptions,
  );

/** Creates the schedule, or brings an existing one to today's definition. */
async function ensureSchedule(temporal: Client, options: ScheduleOptions): Promise<'created' | 'updated'> {
  try {
    await temporal.schedule.create(options);
    return 'created';
  } catch (error) {
    if (!(error instanceof ScheduleAlreadyRunning)) throw error;
    await temporal.schedule.getHandle(options.scheduleId).update((current) => ({ ...current, spec: options.spec, action: options.action, policies: options.policies }));
    return 'updated';
  }
}

export const ensureMonthlyIncentiveSchedule = (temporal: Client, taskQueue: string) => ensureSchedule(temporal, monthlyScheduleOptions(taskQueue));

/** Each path's schedule: schedule id → created or updated. */
export async function ensurePathReviewSchedules(temporal: Client, taskQueue: string): Promise<Record<string, 'created' | 'updated'>> {
  const outcomes: Record<string, 'created' | 'updated'> = {};
  for (const options of pathReviewScheduleOptions(taskQueue)) outcomes[options.scheduleId] = await ensureSchedule(temporal, options);
  return outcomes;
}
