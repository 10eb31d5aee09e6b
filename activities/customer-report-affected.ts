/**
 * Which open customer reports a calendar change may touch (activities/calendar-change.ts's AFFECTED_PROCESSES, kind
 * `customer-report`), beside the report's activities (activities/customer-report.ts). Only a manual review waits on
 * working days of the partner's calendar: a protection and an invitation count calendar days in the partner's zone,
 * which no calendar version moves, so PROTECTED and INVITED reports are never signalled.
 */
import { customerReportWorkflowId } from '../workflows/customer-report/contract.js';
import type { AffectedQuery, AffectedRows } from './affected.js';

/**
 * The calendar change query (activities/affected.ts's shape) of reports IN_MANUAL_REVIEW whose review_due_at is not yet
 * past, and whose window — the report's local date … reviewDueAt's, in the calendar's zone — holds a changed date (for
 * a moved partner: every such report of that partner). Like activities/kit/affected-reviews.ts, whose table shape
 * (SUBMITTED, submitted_at) this one does not have. Keyset by id.
 */
export async function affectedCustomerReports(q: AffectedQuery): Promise<AffectedRows> {
  const rows = q.partnerId
    ? await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT r.id::text AS id FROM customer_report r
        WHERE r.partner_id = ${q.partnerId} AND r.id::text > ${q.after} AND r.status = 'IN_MANUAL_REVIEW' AND r.review_due_at > ${q.now}
        ORDER BY r.id::text LIMIT ${q.limit}`
    : await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT r.id::text AS id FROM customer_report r LEFT JOIN partner_calendar pc ON pc.partner_id = r.partner_id,
          (SELECT zone FROM calendar_version WHERE calendar_name = ${q.calendar} ORDER BY version DESC LIMIT 1) cv
        WHERE r.status = 'IN_MANUAL_REVIEW' AND r.review_due_at > ${q.now}
          AND COALESCE(pc.calendar_name, ${q.defaultCalendar}) = ${q.calendar}
          AND (${q.everyDate} OR EXISTS (
            SELECT 1 FROM unnest(${q.dates}::date[]) AS d
            WHERE d BETWEEN (r.reported_at AT TIME ZONE cv.zone)::date AND (r.review_due_at AT TIME ZONE cv.zone)::date))
          AND r.id::text > ${q.after}
        ORDER BY r.id::text LIMIT ${q.limit}`;
  return rows.map((r) => ({ workflowId: customerReportWorkflowId(r.id), key: r.id }));
}
