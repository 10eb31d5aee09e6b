/**
 * The calendar change query (activities/affected.ts's shape) of the applications under review with one review due
 * date counted from their submission (project specialists, level raises): SUBMITTED, the due date not yet past, and
 * the window — the submission's local date … reviewDueAt's, in the calendar's zone — holding a changed date (for a
 * moved partner: every such application of that partner). Keyset by id.
 */
import { Prisma } from '../../prisma/generated/client.js';
import type { AffectedQuery, AffectedRows } from '../affected.js';

/** `table`: the process's table (a constant of its activities, never input), with id, partner_id, status, submitted_at, review_due_at. */
export async function affectedSubmittedReviews(q: AffectedQuery, table: string, workflowId: (id: string) => string): Promise<AffectedRows> {
  const t = Prisma.raw(table);
  const rows = q.partnerId
    ? await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT a.id::text AS id FROM ${t} a
        WHERE a.partner_id = ${q.partnerId} AND a.id::text > ${q.after} AND a.status = 'SUBMITTED' AND a.review_due_at > ${q.now}
        ORDER BY a.id::text LIMIT ${q.limit}`
    : await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT a.id::text AS id FROM ${t} a LEFT JOIN partner_calendar pc ON pc.partner_id = a.partner_id,
          (SELECT zone FROM calendar_version WHERE calendar_name = ${q.calendar} ORDER BY version DESC LIMIT 1) cv
        WHERE a.status = 'SUBMITTED' AND a.review_due_at > ${q.now}
          AND COALESCE(pc.calendar_name, ${q.defaultCalendar}) = ${q.calendar}
          AND (${q.everyDate} OR EXISTS (
            SELECT 1 FROM unnest(${q.dates}::date[]) AS d
            WHERE d BETWEEN (a.submitted_at AT TIME ZONE cv.zone)::date AND (a.review_due_at AT TIME ZONE cv.zone)::date))
          AND a.id::text > ${q.after}
        ORDER BY a.id::text LIMIT ${q.limit}`;
  return rows.map((r) => ({ workflowId: workflowId(r.id), key: r.id }));
}
