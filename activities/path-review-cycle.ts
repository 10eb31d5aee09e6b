/**
 * Annual development-path review cycles (workflows/path-review-cycle/workflow.ts). Idempotent like every activity: each write
 * is keyed by the cycle's run id and a monotonic count, so a retry after a crash changes nothing more.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { pathById } from '../domain/development-paths.js';
import type { PrismaClient } from '../platform/db.js';
import { PATH_REVIEW_WORKFLOW, Refusal, pathReviewId, pathReviewWorkflowId } from '../workflows/path-review/contract.js';
import { PartnerId, PathId, ProcessStatus, ReviewYear } from '../workflows/kit/search-attributes.js';
import { startProcesses } from './start-processes.js';

export type PathMember = { partnerId: string; level: string };

export function createPathReviewCycleActivities({ prisma, temporal }: { prisma: PrismaClient; temporal: Client }) {
  return {
    /**
     * Opens (or, for a new run of the same cycle, restarts the counts of) the cycle's progress row. Returns the
     * cycle's start instant: the first run's, kept by any later run, so every review's window counts from it.
     */
    async beginPathReviewCycle({ pathId, year, runId, requestedBy, at }: { pathId: string; year: number; runId: string; requestedBy: string; at: string }): Promise<{ cycleStartedAt: string }> {
      const path = pathById(pathId);
      if (!path) throw ApplicationFailure.nonRetryable(`${pathId} is not a development path.`, Refusal.invalid);
      return prisma.$transaction(async (tx) => {
        const total = await tx.pathMembership.count({ where: { pathId } });
        const counts = { runId, status: 'RUNNING', requestedBy, finishedAt: null, partnersTotal: total, partnersDone: 0 };
        const existing = await tx.pathReviewCycle.findUnique({ where: { pathId_year: { pathId, year } } });
        if (!existing) {
          const created = await tx.pathReviewCycle.create({
            data: { pathId, year, ...counts, startedAt: new Date(at), windowWorkingDays: path.review.windowWorkingDays },
          });
          return { cycleStartedAt: created.startedAt.toISOString() };
        }
        if (existing.runId !== runId) {
          await tx.pathReviewCycle.update({ where: { pathId_year: { pathId, year } }, data: { ...counts, runs: { increment: 1 } } });
        } // else: a retry of this very run's begin — already done.
        return { cycleStartedAt: existing.startedAt.toISOString() };
      });
    },

    /** The next members of the path after `after`, in partner id order (keyset: stable while members change). */
    async listPathMembers({ pathId, after, limit }: { pathId: string; after?: string; limit: number }): Promise<PathMember[]> {
      const rows = await prisma.pathMembership.findMany({
        where: { pathId, partnerId: { gt: after ?? '' } },
        orderBy: { partnerId: 'asc' },
        take: limit,
        select: { partnerId: true, level: true },
      });
      return rows;
    },

    /** Starts each member's review workflow (workflows/path-review/workflow.ts); its window counts from the cycle's start. */
    async startPathReviews({ pathId, year, cycleStartedAt, members }: { pathId: string; year: number; cycleStartedAt: string; members: PathMember[] }) {
      return startProcesses(
        temporal,
        members.map(({ partnerId, level }) => ({
          workflowType: PATH_REVIEW_WORKFLOW,
          workflowId: pathReviewWorkflowId(pathReviewId(pathId, partnerId, year)),
          args: [{ pathId, partnerId, year, level, cycleStartedAt }],
          searchAttributes: [
            { key: PartnerId, value: partnerId },
            { key: PathId, value: pathId },
            { key: ReviewYear, value: year },
            { key: ProcessStatus, value: 'OPEN' },
          ],
        })),
      );
    },

    /** Counts are monotonic per run: a retried call (same `processed`) changes nothing. */
    async recordPathReviewCycleProgress({ pathId, year, runId, processed }: { pathId: string; year: number; runId: string; processed: number }): Promise<void> {
      await prisma.pathReviewCycle.updateMany({ where: { pathId, year, runId, partnersDone: { lt: processed } }, data: { partnersDone: processed } });
    },

    async finishPathReviewCycle({ pathId, year, runId, processed, at }: { pathId: string; year: number; runId: string; processed: number; at: string }): Promise<void> {
      await prisma.pathReviewCycle.updateMany({ where: { pathId, year, runId, status: 'RUNNING' }, data: { status: 'COMPLETED', finishedAt: new Date(at), partnersDone: processed } });
    },
  };
}
