/**
 * Monthly incentive generation runs (workflows/incentive-run/workflow.ts). Idempotent like every activity: each write is
 * keyed by the run's id and a monotonic count, so a retry after a crash changes nothing more. Generation itself is
 * shared with the verification process's own activity (activities/incentive-lines.ts), for a whole batch at once.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { monthBounds } from '../domain/incentive-rules.js';
import type { PrismaClient } from '../platform/db.js';
import { IncentivePeriod, PartnerId, ProcessStatus } from '../workflows/kit/search-attributes.js';
import { generatedSearchAttributes, INCENTIVE_WORKFLOW, incentiveId, type IncentiveInput, incentiveWorkflowId } from '../workflows/incentive/contract.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { IncentiveActivityDeps } from './incentive.js';
import { generateIncentives, storedIncentives } from './incentive-lines.js';
import { startProcesses } from './start-processes.js';

export type RunFailure = { partnerId: string; code: string; message: string };

/** How often a batch's generation tells Temporal it is alive: well within the run's 10 s heartbeat timeout. */
const HEARTBEAT_EVERY_MS = 2_000;

/**
 * Runs `work` while heartbeating on a timer: the batch is a few statements, one of which may wait (a lock, a busy
 * database), so a lost worker is noticed within the heartbeat timeout without the work having steps to beat at.
 */
async function heartbeating<T>(work: () => Promise<T>): Promise<T> {
  const context = Context.current();
  context.heartbeat();
  const timer = setInterval(() => context.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}

/**
 * The partners a run covers: those with at least one active expert registered by the end of the period. A partner
 * whose experts do not qualify still gets its (empty) incentive — see docs/incentive.md.
 */
const SCOPE = `FROM expert WHERE active AND registered_on <= $1::date`;

export function createIncentiveRunActivities(deps: IncentiveActivityDeps & { prisma: PrismaClient; temporal: Client }) {
  const { prisma, temporal, calendarFor = databaseCalendarLookup(prisma) } = deps;
  const lastDay = (period: string) => monthBounds(period).last;

  return {
    /** Opens (or, for a new run of the same period, restarts) the period's progress row. */
    async beginIncentiveRun({ period, runId, requestedBy, at }: { period: string; runId: string; requestedBy: string; at: string }): Promise<void> {
      const [{ total }] = await prisma.$queryRawUnsafe<[{ total: number }]>(`SELECT count(DISTINCT partner_id)::int AS total ${SCOPE}`, lastDay(period));
      const fresh = { runId, status: 'RUNNING', requestedBy, startedAt: new Date(at), finishedAt: null, partnersTotal: total, partnersDone: 0, failures: [] };
      await prisma.$transaction(async (tx) => {
        const existing = await tx.incentiveRun.findUnique({ where: { period } });
        if (!existing) await tx.incentiveRun.create({ data: { period, ...fresh } });
        else if (existing.runId !== runId) await tx.incentiveRun.update({ where: { period }, data: { ...fresh, runs: { increment: 1 } } });
        // else: a retry of this very run's begin — already done.
      });
    },

    /** The next partners after `after`, in partner id order (keyset: stable while experts are being added). */
    async listRunPartners({ period, after, limit }: { period: string; after?: string; limit: number }): Promise<string[]> {
      const rows = await prisma.$queryRawUnsafe<{ partner_id: string }[]>(
        `SELECT DISTINCT partner_id ${SCOPE} AND partner_id > $2 ORDER BY partner_id LIMIT $3`,
        lastDay(period),
        after ?? '',
        limit,
      );
      return rows.map((r) => r.partner_id);
    },

    /**
     * Generates (or adopts) the batch's incentives, all with the same generatedAt, in one transaction
     * (activities/incentive-lines.ts generateIncentives). A partner that cannot be generated for a reason retrying will
     * not fix (its calendar has no data for the deadline's year) is reported, not retried, and the run goes on;
     * anything else (the database is down) fails the activity, which is retried — the partners already done are adopted
     * the second time.
     */
    async generateIncentiveBatch({ period, partnerIds, generatedAt }: { period: string; partnerIds: string[]; generatedAt: string }) {
      const failed = await heartbeating(() => generateIncentives({ prisma, calendarFor }, { partnerIds, period, generatedAt }));
      const failures: RunFailure[] = failed.map(({ partnerId, failure }) => ({ partnerId, code: failure.type ?? 'GENERATION_FAILED', message: failure.message }));
      const skipped = new Set(failures.map((f) => f.partnerId));
      return { generated: partnerIds.filter((p) => !skipped.has(p)), failures };
    },

    /**
     * Starts each generated partner's verification workflow (workflows/incentive/workflow.ts) with its stored incentive,
     * read here for the whole batch at once, which the workflow adopts without an activity of its own.
     */
    async startVerifications({ period, partnerIds }: { period: string; partnerIds: string[] }) {
      const stored = await storedIncentives(prisma, partnerIds.map((partnerId) => incentiveId(partnerId, period)));
      return startProcesses(
        temporal,
        partnerIds.map((partnerId) => {
          const generated = stored.get(incentiveId(partnerId, period));
          return {
            workflowType: INCENTIVE_WORKFLOW,
            workflowId: incentiveWorkflowId(partnerId, period),
            args: [{ partnerId, period, ...(generated ? { generated } : {}) } satisfies IncentiveInput],
            // What the workflow would publish once generated; without its incentive it publishes that itself.
            searchAttributes: generated
              ? generatedSearchAttributes(partnerId, period, generated)
              : [
                  { key: PartnerId, value: partnerId },
                  { key: IncentivePeriod, value: period },
                  { key: ProcessStatus, value: 'PENDING_VERIFICATION' },
                ],
          };
        }),
      );
    },

    /** Counts are monotonic per run: a retried call (same `processed`) changes nothing. */
    async recordIncentiveRunProgress({ period, runId, processed, failures }: { period: string; runId: string; processed: number; failures: RunFailure[] }) {
      await prisma.$executeRaw`
        UPDATE incentive_run SET partners_done = ${processed}, failures = failures || ${JSON.stringify(failures)}::jsonb
        WHERE period = ${period} AND run_id = ${runId} AND partners_done < ${processed}`;
    },

    async finishIncentiveRun({ period, runId, processed, at }: { period: string; runId: string; processed: number; at: string }) {
      await prisma.incentiveRun.updateMany({
        where: { period, runId, status: 'RUNNING' },
        data: { status: 'COMPLETED', finishedAt: new Date(at), partnersDone: processed },
      });
    },
  };
}
