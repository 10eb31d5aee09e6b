/**
 * Which open enrollments a calendar change may touch (activities/calendar-change.ts's AFFECTED_PROCESSES, kind
 * `enrollment`), beside the enrollment's activities (activities/enrollment.ts). Unlike the applications under review
 * (activities/kit/affected-reviews.ts) an enrollment waits on a different deadline in each open status.
 */
import { enrollmentWorkflowId } from '../workflows/enrollment/contract.js';
import type { AffectedQuery, AffectedRows } from './affected.js';

/**
 * The calendar change query (activities/affected.ts's shape) of open enrollments: the deadline pending in their status
 * (INVITED: invitation_expires_at; IN_REVIEW: review_due_at; AWAITING_CONFIRMATION: confirmation_due_at) not yet past,
 * and the window from the enrollment's start to that deadline holding a changed date (for a moved partner: every open
 * one of that partner). The window starts at the request or invitation, which holds the acceptance and the approval
 * each deadline really counts from: an enrollment signalled for a date before its start counts again and finds its
 * deadline unchanged (nothing recorded). Keyset by id.
 */
export async function affectedEnrollments(q: AffectedQuery): Promise<AffectedRows> {
  const rows = q.partnerId
    ? await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT e.id::text AS id FROM enrollment e,
          LATERAL (SELECT CASE e.status WHEN 'INVITED' THEN e.invitation_expires_at WHEN 'IN_REVIEW' THEN e.review_due_at WHEN 'AWAITING_CONFIRMATION' THEN e.confirmation_due_at END AS due) d
        WHERE e.partner_id = ${q.partnerId} AND e.id::text > ${q.after} AND d.due > ${q.now}
        ORDER BY e.id::text LIMIT ${q.limit}`
    : await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT e.id::text AS id FROM enrollment e LEFT JOIN partner_calendar pc ON pc.partner_id = e.partner_id,
          LATERAL (SELECT CASE e.status WHEN 'INVITED' THEN e.invitation_expires_at WHEN 'IN_REVIEW' THEN e.review_due_at WHEN 'AWAITING_CONFIRMATION' THEN e.confirmation_due_at END AS due) d,
          (SELECT zone FROM calendar_version WHERE calendar_name = ${q.calendar} ORDER BY version DESC LIMIT 1) cv
        WHERE d.due > ${q.now}
          AND COALESCE(pc.calendar_name, ${q.defaultCalendar}) = ${q.calendar}
          AND (${q.everyDate} OR EXISTS (
            SELECT 1 FROM unnest(${q.dates}::date[]) AS x
            WHERE x BETWEEN (e.requested_at AT TIME ZONE cv.zone)::date AND (d.due AT TIME ZONE cv.zone)::date))
          AND e.id::text > ${q.after}
        ORDER BY e.id::text LIMIT ${q.limit}`;
  return rows.map((r) => ({ workflowId: enrollmentWorkflowId(r.id), key: r.id }));
}
