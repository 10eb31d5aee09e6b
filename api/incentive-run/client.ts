/**
 * The only door from the HTTP layer into monthly incentive generation (workflows/incentive-run/workflow.ts): on-demand runs
 * (backfill) and their progress. The schedule that fires it every month is the worker's (worker/schedules.ts).
 */
import type { Client } from '@temporalio/client';
import type { Principal } from '../../domain/auth.js';
import { comparePeriods, isPeriod, periodOf } from '../../domain/period.js';
import { problems } from '../../domain/problems.js';
import type { PrismaClient } from '../../prisma/generated/client.js';
import { INCENTIVE_RUN_WORKFLOW, incentiveRunWorkflowId, SCHEDULE_ZONE } from '../../workflows/incentive-run/contract.js';
import type { incentiveRunWorkflow } from '../../workflows/incentive-run/workflow.js';
import { IncentivePeriod } from '../../workflows/kit/search-attributes.js';
import type { IncentiveRunSummaryView, IncentiveRunView } from './schemas.js';
import { decodeCursor, encodeCursor, integerKey, page } from '../kit/pagination.js';
import { isRunning } from '../kit/workflows.js';

/** The earliest period a backfill may ask for (nothing before the platform existed). */
export const FIRST_PERIOD = '2020-01';

/**
 * The list's cursor: [the period's month number, the period]. Periods sort as months, newest first; the month number
 * is the sort key the cursor convention (api/kit/pagination.ts) asks for, and must agree with the period it names.
 */
const monthNumber = (period: string) => Number(period.slice(0, 4)) * 12 + Number(period.slice(5, 7)) - 1;
const MONTH_KEY = integerKey(0, 9999 * 12 + 11);

function periodAfter(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  const { key, id } = decodeCursor(cursor, MONTH_KEY, isPeriod);
  if (key !== monthNumber(id)) throw problems.validation([{ field: 'query.cursor', message: 'not a cursor returned by this API' }]);
  return id;
}

export type IncentiveRunsClientDeps = { temporal: Client; prisma: PrismaClient; taskQueue: string };

export function createIncentiveRunsClient({ temporal, prisma, taskQueue }: IncentiveRunsClientDeps) {
  async function progress(period: string, runId?: string): Promise<IncentiveRunView | undefined> {
    const [row, incentivesGenerated] = await Promise.all([
      prisma.incentiveRun.findUnique({ where: { period } }),
      prisma.incentive.count({ where: { period } }),
    ]);
    const workflowId = incentiveRunWorkflowId(period);
    // A run just accepted has not written its row yet (or only an older run's row is there): say so instead of
    // showing the previous run's counts.
    const starting = runId ? !row || row.runId !== runId : (!row || row.status === 'COMPLETED') && (await isRunning(temporal, workflowId));
    if (!row && !starting) return undefined;
    if (!row || starting) {
      return {
        period,
        workflowId,
        status: 'STARTING',
        requestedBy: null,
        startedAt: null,
        finishedAt: null,
        partners: { total: 0, done: 0, failed: 0 },
        incentivesGenerated,
        failures: [],
        runs: row?.runs ?? 0,
      };
    }
    const failures = row.failures as IncentiveRunView['failures'];
    return {
      period,
      workflowId,
      status: row.status as 'RUNNING' | 'COMPLETED',
      requestedBy: row.requestedBy,
      startedAt: row.startedAt.toISOString(),
      finishedAt: row.finishedAt?.toISOString() ?? null,
      partners: { total: row.partnersTotal, done: row.partnersDone, failed: failures.length },
      incentivesGenerated,
      failures,
      runs: row.runs,
    };
  }


  return {
    /**
     * Generates `period` now: joins the run already going for it, or starts one (again, after an earlier run has
     * finished: a new run creates nothing twice and picks up partners added since).
     */
    async start(principal: Principal, period: string, now = new Date()): Promise<IncentiveRunView> {
      const current = periodOf(now, SCHEDULE_ZONE);
      if (!isPeriod(period) || comparePeriods(period, FIRST_PERIOD) < 0 || comparePeriods(period, current) > 0) {
        throw problems.unprocessable('period-out-of-range', `period must be a month from ${FIRST_PERIOD} to the current one (${current}).`, 'period');
      }
      const handle = await temporal.workflow.start<typeof incentiveRunWorkflow>(INCENTIVE_RUN_WORKFLOW, {
        workflowId: incentiveRunWorkflowId(period),
        taskQueue,
        args: [{ period, requestedBy: principal.sub }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'ALLOW_DUPLICATE',
        typedSearchAttributes: [{ key: IncentivePeriod, value: period }],
      });
      return (await progress(period, handle.firstExecutionRunId))!;
    },

    /** Every period that has run, newest period first, `limit` a page: each run's status and counts as it recorded them. */
    async list(filter: { limit: number; cursor?: string | undefined }): Promise<{ items: IncentiveRunSummaryView[]; nextCursor: string | null }> {
      const before = periodAfter(filter.cursor);
      const rows = await prisma.incentiveRun.findMany({
        where: before ? { period: { lt: before } } : {},
        orderBy: { period: 'desc' },
        take: filter.limit + 1,
      });
      const { items, nextCursor } = page(rows, filter.limit, (row) => encodeCursor(monthNumber(row.period), row.period));
      const generated = items.length
        ? await prisma.incentive.groupBy({ by: ['period'], where: { period: { in: items.map((row) => row.period) } }, _count: { _all: true } })
        : [];
      const countOf = new Map(generated.map((g) => [g.period, g._count._all]));
      return {
        items: items.map((row) => ({
          period: row.period,
          workflowId: incentiveRunWorkflowId(row.period),
          status: row.status as 'RUNNING' | 'COMPLETED',
          requestedBy: row.requestedBy,
          startedAt: row.startedAt.toISOString(),
          finishedAt: row.finishedAt?.toISOString() ?? null,
          partners: { total: row.partnersTotal, done: row.partnersDone, failed: (row.failures as IncentiveRunView['failures']).length },
          incentivesGenerated: countOf.get(row.period) ?? 0,
          runs: row.runs,
        })),
        nextCursor,
      };
    },

    async get(period: string): Promise<IncentiveRunView> {
      const view = await progress(period);
      if (!view) throw problems.notFound(`Incentive run for ${period}`);
      return view;
    },
  };
}

export type IncentiveRunsClient = ReturnType<typeof createIncentiveRunsClient>;
