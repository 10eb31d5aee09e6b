/**
 * Calendar change propagation (workflows/calendar-change/workflow.ts): which open processes' pending deadlines may depend on
 * the changed dates, and telling them. Idempotent: listing reads, and a second recomputeDeadline signal finds the
 * deadline already recomputed (no history entry).
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { type CalendarChange, type CalendarChangeScope, datesOfYears } from '../domain/calendar-versions.js';
import type { PrismaClient } from '../platform/db.js';
import type { ProcessKind } from '../workflows/calendar-change/contract.js';
import { recomputeDeadline } from '../workflows/kit/recompute.js';
import { affectedCertifications } from './certification.js';
import { affectedIncentives } from './incentive.js';
import { affectedOpportunities } from './opportunity.js';
import { affectedPathReviews } from './path-review.js';
import { affectedSpecialists } from './specialist.js';
import { affectedLevelRaises } from './level-raise.js';
import { affectedEnrollments } from './enrollment-affected.js';
import { affectedCustomerReports } from './customer-report-affected.js';
import type { AffectedQuery, AffectedRows } from './affected.js';

export type { CalendarChangeScope };



/**
 * Every process kind whose workflow answers `recomputeDeadline`, in the order the propagation visits them. A new
 * kind adds its name to PROCESS_KINDS in workflows/calendar-change/contract.ts, its query (`affected<Kind>`, next to
 * its other activities in activities/<process>.ts) here, and a recomputeDeadline handler in its workflow.
 */
export const AFFECTED_PROCESSES = {
  opportunity: affectedOpportunities,
  incentive: affectedIncentives,
  'path-review': affectedPathReviews,
  certification: affectedCertifications,
  specialist: affectedSpecialists,
  'level-raise': affectedLevelRaises,
  enrollment: affectedEnrollments,
  'customer-report': affectedCustomerReports,
} satisfies Record<ProcessKind, (q: AffectedQuery) => Promise<AffectedRows>>;
export const PROCESS_KINDS = Object.keys(AFFECTED_PROCESSES) as ProcessKind[];

export type AffectedBatch = { workflowIds: string[]; cursor: string | null };

export function createCalendarChangeActivities({ prisma, temporal }: { prisma: PrismaClient; temporal: Client }) {
  return {
    /** The next batch of one kind's processes affected by the change (keyset); deadlines already past are left alone. */
    async listAffectedProcesses({ process, scope, after, limit, now }: { process: ProcessKind; scope: CalendarChangeScope; after: string | null; limit: number; now: string }): Promise<AffectedBatch> {
      const base = { prisma, now: new Date(now), after: after ?? '', limit };
      let query: AffectedQuery;
      if (scope.kind === 'PARTNER') {
        query = { ...base, partnerId: scope.partnerId, dates: [], everyDate: true };
      } else {
        const version = await prisma.calendarVersion.findUniqueOrThrow({ where: { calendarName_version: { calendarName: scope.calendar, version: scope.version } } });
        const change = version.changes as CalendarChange | null;
        // A newly published year: every deadline touching it was provisional (or refused) — all its dates count.
        const dates = [...new Set([...change?.dates.map((d) => d.date) ?? [], ...datesOfYears(change?.newlyCoveredYears ?? [])])].sort();
        if (!change || (!change.everyDate && dates.length === 0)) return { workflowIds: [], cursor: null };
        query = { ...base, calendar: scope.calendar, defaultCalendar: scope.defaultCalendar, dates, everyDate: change.everyDate };
      }
      const rows = await AFFECTED_PROCESSES[process](query);
      return { workflowIds: rows.map((r) => r.workflowId), cursor: rows.length === limit ? rows.at(-1)!.key : null };
    },

    /** Sends recomputeDeadline to each; a process that has ended meanwhile is skipped. */
    async signalRecompute({ workflowIds, reason, calendar, version }: { workflowIds: string[]; reason: string; calendar: string; version: number }): Promise<number> {
      let signaled = 0;
      for (const workflowId of workflowIds) {
        try {
          await temporal.workflow.getHandle(workflowId).signal(recomputeDeadline, { reason, calendar, version });
          signaled++;
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      return signaled;
    },
  };
}
