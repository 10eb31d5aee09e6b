/**
 * Calendar change propagation (workflows/calendar-change.ts): which open processes' pending deadlines may depend on
 * the changed dates, and telling them. Idempotent: listing reads, and a second recomputeDeadline signal finds the
 * deadline already recomputed (no history entry).
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { CalendarChange } from '../domain/calendar-versions.js';
import type { PrismaClient } from '../platform/db.js';

/** What changed: a calendar's new version (its partners' processes), or one partner's move to another calendar. */
export type CalendarChangeScope =
  | { kind: 'CALENDAR'; calendar: string; version: number; defaultCalendar: string }
  | { kind: 'PARTNER'; partnerId: string; calendar: string; version: number };

export type AffectedBatch = { workflowIds: string[]; cursor: string | null };

export function createCalendarChangeActivities({ prisma, temporal }: { prisma: PrismaClient; temporal: Client }) {
  return {
    /**
     * The next pending opportunities (keyset on id) whose accept window holds a changed date, in the zone it was
     * computed in — or all of them when the zone or rest days changed, or for a partner who moved. Deadlines already
     * past are left alone (their processes expire on their own).
     */
    async listAffectedProcesses({ scope, after, limit, now }: { scope: CalendarChangeScope; after: string | null; limit: number; now: string }): Promise<AffectedBatch> {
      let rows: { id: string }[];
      if (scope.kind === 'PARTNER') {
        rows = await prisma.$queryRaw<{ id: string }[]>`
          SELECT id FROM opportunity
          WHERE partner_id = ${scope.partnerId} AND status = 'PENDING_ACCEPTANCE' AND accept_deadline > ${new Date(now)}
            AND id::text > ${after ?? ''}
          ORDER BY id::text LIMIT ${limit}`;
      } else {
        const version = await prisma.calendarVersion.findUniqueOrThrow({ where: { calendarName_version: { calendarName: scope.calendar, version: scope.version } } });
        const change = version.changes as CalendarChange | null;
        if (!change || (!change.everyDate && change.dates.length === 0)) return { workflowIds: [], cursor: null };
        const dates = change.dates.map((d) => d.date);
        rows = await prisma.$queryRaw<{ id: string }[]>`
          SELECT o.id FROM opportunity o LEFT JOIN partner_calendar pc ON pc.partner_id = o.partner_id
          WHERE o.status = 'PENDING_ACCEPTANCE' AND o.accept_deadline > ${new Date(now)}
            AND COALESCE(pc.calendar_name, ${scope.defaultCalendar}) = ${scope.calendar}
            AND (${change.everyDate} OR EXISTS (
              SELECT 1 FROM unnest(${dates}::date[]) AS d
              WHERE d BETWEEN (o.shared_at AT TIME ZONE o.zone)::date AND (o.accept_deadline AT TIME ZONE o.zone)::date))
            AND o.id::text > ${after ?? ''}
          ORDER BY o.id::text LIMIT ${limit}`;
      }
      return { workflowIds: rows.map((r) => `opportunity-${r.id}`), cursor: rows.length === limit ? rows.at(-1)!.id : null };
    },

    /** Sends recomputeDeadline to each; a process that has ended meanwhile is skipped. */
    async signalRecompute({ workflowIds, reason, calendar, version }: { workflowIds: string[]; reason: string; calendar: string; version: number }): Promise<number> {
      let signaled = 0;
      for (const workflowId of workflowIds) {
        try {
          await temporal.workflow.getHandle(workflowId).signal('recomputeDeadline', { reason, calendar, version });
          signaled++;
        } catch (error) {
          if (!(error instanceof WorkflowNotFoundError)) throw error;
        }
      }
      return signaled;
    },
  };
}
