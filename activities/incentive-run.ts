/**
 * Monthly incentive generation runs (workflows/incentive-run/workflow.ts). Idempotent like every activity: each write is
 * keyed by the run's id and a monotonic count, so a retry after a crash changes nothing more. Generation itself is
 * the verification process's own activity (activities/incentive.ts), reused per partner.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { monthBounds } from '../domain/incentive-rules.js';
import type { PrismaClient } from '../platform/db.js';
import { IncentivePeriod, PartnerId, ProcessStatus } from '../workflows/kit/search-attributes.js';
import { INCENTIVE_WORKFLOW, incentiveWorkflowId } from '../workflows/incentive/contract.js';
import { createIncentiveActivities, type IncentiveActivityDeps } from './incentive.js';
import { startProcesses } from './start-processes.js';

export type RunFailure = { partnerId: string; code: string; message: string };

/**
 * The partners a run covers: those with at least one active expert registered by the end of the period. A partner
 * whose experts do not qualify still gets its (empty) incentive — see docs/incentive.md.
 */
const SCOPE = `FROM expert WHERE active AND registered_on <= $1::date`;

export function createIncentiveRunActivities(deps: IncentiveActivityDeps & { prisma: PrismaClient; temporal: Client }) {
  const { prisma, temporal } = deps;
  const { generateIncentive } = createIncentiveActivities(deps);
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
     * Generates (or adopts) each partner's incentive with the same generatedAt. A partner that cannot be generated
     * for a reason retrying will not fix (its calendar has no data for the deadline's year) is reported, not
     * retried, and the run goes on; anything else (the database is down) fails the activity, which is retried —
     * the partners already done are adopted the second time.
     */
    async generateIncentiveBatch({ period, partnerIds, generatedAt }: { period: string; partnerIds: string[]; generatedAt: string }) {
      const generated: string[] = [];
      const failures: RunFailure[] = [];
      for (const [i, partnerId] of partnerIds.entries()) {
        Context.current().heartbeat(i);
        try {
          await generateIncentive({ partnerId, period, generatedAt });
          generated.push(partnerId);
        } catch (error) {
          if (!(error instanceof ApplicationFailure && error.nonRetryable)) throw error;
          failures.push({ partnerId, code: error.type ?? 'GENERATION_FAILED', message: error.message });
        }
      }
      return { generated, failures };
    },

    /** Starts each generated partner's verification workflow (workflows/incentive/workflow.ts), which adopts the stored incentive. */
    async startVerifications({ period, partnerIds }: { period: string; partnerIds: string[] }) {
      return startProcesses(
        temporal,
        partnerIds.map((partnerId) => ({
          workflowType: INCENTIVE_WORKFLOW,
          workflowId: incentiveWorkflowId(partnerId, period),
          args: [{ partnerId, period }],
          searchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: IncentivePeriod, value: period },
            { key: ProcessStatus, value: 'PENDING_VERIFICATION' },
          ],
        })),
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
