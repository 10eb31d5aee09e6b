/**
 * A customer report's manual review due date follows the partner's calendar, end to end on the time-skipping server
 * with the database's calendars (PUT /v1/calendars/:name or PUT /v1/partners/:partnerId/calendar → the calendar change
 * propagation → recomputeDeadline): a holiday inside the review's window moves reviewDueAt and its reminder (in GET, the
 * history, customer-report.deadline-changed), and the escalation comes at the moved instant, not the old one. The
 * protection (15 days) and the invitation (7 days) count calendar days: the same change leaves them where they were,
 * and the propagation does not even signal such a report. Counted by hand in the comments (the calendar rests on
 * Saturdays and Sundays; Asia/Shanghai has no DST, so N days on is N × 24 h).
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CalendarData } from '../domain/calendar-versions.js';
import { calendarChangeWorkflowId } from '../workflows/calendar-change/contract.js';
import { customerReportWorkflowId } from '../workflows/customer-report/contract.js';
import { signalsReceived } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { nextFriday } from './support/calendar.js';
import { customerEnterpriseFacts, enterprises, feedCustomer, freshCreditCode, freshCustomer } from './support/customer-fixtures.js';
import { daysAfter as at, expectOk, localDate, SECOND, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { completed, eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'customer-report-recompute-test', api: true, calendarFor: 'database' });
const { api, advanceTo, arrived, outbox } = env;
let admin: string;
let manager: string;
beforeAll(async () => {
  admin = await tokenFor(['vendor_admin'], undefined, 'customer-report-recompute-admin');
  manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'customer-report-recompute-manager');
});

const calendarData = (zone: string, restWeekdays: number[], holidays: string[] = []): CalendarData => {
  const year = DateTime.fromMillis(Date.now(), { zone }).year;
  return { zone, restWeekdays, years: { first: year - 1, last: year + 30 }, holidays: holidays.map((d) => ({ from: d, to: d, name: 'Typhoon closure' })), makeupWorkdays: [] };
};
const handleOf = (id: string) => env.client.workflow.getHandle(customerReportWorkflowId(id));
const historyTypes = (view: { history: { type: string }[] }) => view.history.map((h) => h.type);

/** A partner in its own calendar `name`, with its sales token. */
async function partnerIn(prefix: string, name: string) {
  const partnerId = `P-${prefix}-${randomUUID().slice(0, 8)}`;
  expectOk(await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name }));
  return { partnerId, sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`) };
}

/** Reports a fresh enterprise whose one account was registered today: reportable, or with a direct contract (manual review). */
async function reportFresh(partner: { partnerId: string; sales: string }, directContract: boolean) {
  const creditCode = freshCreditCode();
  await enterprises(creditCode);
  const now = new Date(await env.currentTimeMs()).toISOString();
  await feedCustomer(api, freshCustomer('cr-rec'), customerEnterpriseFacts(creditCode, localDate(now), now, { directContract }));
  const body = directContract ? { creditCode, manualReview: true, justification: 'POC running' } : { creditCode };
  const res = await api('POST', `/v1/partners/${partner.partnerId}/customer-reports`, partner.sales, body);
  expectOk(res, 201);
  return res.body;
}

describe('a customer report follows the calendar', () => {
  it('a holiday inside the manual review window moves reviewDueAt, its reminder and its escalation; protection and invitation stay', async () => {
    const name = `CRR-${randomUUID().slice(0, 6)}`;
    const put = (holidays: string[]) => api('PUT', `/v1/calendars/${name}`, admin, calendarData('Asia/Shanghai', [6, 7], holidays));
    expect((await put([])).status).toBe(201);
    const partner = await partnerIn('cr-rec', name);
    const view = async (id: string) => (await api('GET', `/v1/customer-reports/${id}`, partner.sales)).body;

    await advanceTo(nextFriday(await env.currentTimeMs(), 10).toMillis());
    // Protected at once, and invited: 15 and 7 calendar days on, whatever the calendar says of the days between.
    const held = await reportFresh(partner, false);
    const invited = await api('POST', `/v1/customer-reports/${held.id}/invitation`, partner.sales, { mode: 'RESELLER' });
    expectOk(invited, 201);
    const protectedUntil = held.protectedUntil as string;
    const invitationExpiresAt = invited.body.expiresAt as string;
    expect(protectedUntil).toBe(at(held.reportedAt, 15));
    expect(invitationExpiresAt).toBe(at(invited.body.report.invitation.issuedAt, 7));
    // In manual review: Fri 10:00 + 3 working days (Mon, Tue, Wed) → Wed 10:00, 5 days on; reminded Tue, 4 days on.
    const reviewed = await reportFresh(partner, true);
    const reportedAt = reviewed.reportedAt as string;
    expect(reviewed).toMatchObject({ status: 'IN_MANUAL_REVIEW', reviewDueAt: at(reportedAt, 5) });

    // A closure on the Monday after (3 days on), inside both windows: Tue, Wed, Thu → Thu 10:00, 6 days on (reminded
    // Wed, 5 days on). The protection and the invitation do not move.
    expect((await put([localDate(at(reportedAt, 3))])).body).toMatchObject({ version: 2 });
    const moved = await eventually(async () => {
      const v = await view(reviewed.id);
      return v.reviewDueAt === at(reportedAt, 6) ? v : undefined;
    });
    expect(moved.deadlineExplanation).toMatchObject({ calendar: name, calendarVersion: 2 });
    expect(moved.history.find((h: { type: string }) => h.type === 'DEADLINE_CHANGED')).toMatchObject({
      actor: 'system',
      data: { deadline: 'reviewDueAt', from: at(reportedAt, 5), to: at(reportedAt, 6), calendar: name, version: 2 },
    });
    expect((await arrived('customer-report.deadline-changed', reviewed.id, 1))[0]!.payload).toMatchObject({
      reportId: reviewed.id,
      partnerId: partner.partnerId,
      deadline: 'reviewDueAt',
      from: at(reportedAt, 5),
      to: at(reportedAt, 6),
    });
    const propagation = env.client.workflow.getHandle(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }));
    await completed(propagation);
    // The propagation visiting customer reports (behind its patch) replays beside the histories recorded before them.
    await recordHistory(propagation, 'customer-report-calendar-change-propagated');
    // The protected, invited report was never signalled: calendar days do not follow the calendar.
    expect(await signalsReceived(handleOf(held.id), 'recomputeDeadline')).toBe(0);
    expect(await view(held.id)).toMatchObject({ status: 'INVITED', protectedUntil, invitation: { expiresAt: invitationExpiresAt } });
    expect(historyTypes(await view(held.id))).toEqual(['PROTECTED', 'INVITED']);

    // The old reminder's and due date's instants pass quietly; the moved ones bring the reminder and the escalation.
    await advanceTo(Date.parse(at(reportedAt, 4)) + SECOND);
    expect(await outbox('customer-report.review-reminder', reviewed.id)).toEqual([]);
    await advanceTo(Date.parse(at(reportedAt, 5)) + SECOND);
    expect((await arrived('customer-report.review-reminder', reviewed.id, 1))[0]!.payload).toMatchObject({ reviewDueAt: at(reportedAt, 6) });
    expect(await outbox('customer-report.review-escalation', reviewed.id)).toEqual([]);
    await advanceTo(Date.parse(at(reportedAt, 6)) + SECOND);
    expect((await arrived('customer-report.review-escalation', reviewed.id, 1))[0]!.payload).toMatchObject({ reviewDueAt: at(reportedAt, 6) });
    expect((await view(reviewed.id)).status).toBe('IN_MANUAL_REVIEW');

    // The invitation expires 7 calendar days after it was issued, the closure notwithstanding.
    await advanceTo(Date.parse(invitationExpiresAt) - SECOND);
    expect(await outbox('customer-report.invitation-expired', held.id)).toEqual([]);
    await advanceTo(Date.parse(invitationExpiresAt) + SECOND);
    expect((await arrived('customer-report.invitation-expired', held.id, 1))[0]!.payload).toMatchObject({ invitationExpiresAt });
    expect(await view(held.id)).toMatchObject({ status: 'PROTECTED', protectedUntil });

    // Approved: protected from the approval for 15 calendar days.
    const approved = await api('POST', `/v1/customer-reports/${reviewed.id}/review`, manager, { decision: 'APPROVE' });
    expectOk(approved);
    expect(approved.body.protectedUntil).toBe(at(approved.body.decidedAt, 15));
    expect(historyTypes(approved.body)).toEqual(['MANUAL_REVIEW_REQUESTED', 'DEADLINE_CHANGED', 'REVIEW_ESCALATED', 'APPROVED']);
    for (const id of [reviewed.id, held.id]) expectOk(await api('POST', `/v1/customer-reports/${id}/withdraw`, partner.sales, {}));
    await completed(handleOf(reviewed.id));
    await recordHistory(handleOf(reviewed.id), 'customer-report-review-deadline-recomputed');
  });

  it('a partner moved to a calendar in another zone: the review counted again there; a protected report is not signalled', async () => {
    const name = `CRM-${randomUUID().slice(0, 6)}`;
    expect((await api('PUT', `/v1/calendars/${name}`, admin, calendarData('Asia/Shanghai', [6, 7]))).status).toBe(201);
    const riyadhName = `${name}-RUH`;
    expect((await api('PUT', `/v1/calendars/${riyadhName}`, admin, calendarData('Asia/Riyadh', [5, 6]))).status).toBe(201);
    const partner = await partnerIn('cr-move', name);

    await advanceTo(nextFriday(await env.currentTimeMs(), 15).toMillis());
    const held = await reportFresh(partner, false);
    const reviewed = await reportFresh(partner, true);
    const reportedAt = Date.parse(reviewed.reportedAt);
    expect(Date.parse(reviewed.reviewDueAt)).toBe(reportedAt + 5 * 24 * 3600 * SECOND); // Fri 15:00 → Wed 15:00

    const movedTo = await api('PUT', `/v1/partners/${partner.partnerId}/calendar`, admin, { name: riyadhName });
    expect(movedTo.body).toMatchObject({ calendar: riyadhName, changes: { everyDate: true } });
    // Reported Fri 15:00 Shanghai = Fri 10:00 Riyadh, a rest day there: Sun, Mon, Tue count → Wed 00:00 Riyadh.
    const expected = DateTime.fromMillis(reportedAt, { zone: 'Asia/Riyadh' }).startOf('day').plus({ days: 5 }).toMillis();
    await eventually(async () => {
      const v = (await api('GET', `/v1/customer-reports/${reviewed.id}`, partner.sales)).body;
      return Date.parse(v.reviewDueAt) === expected ? v : undefined;
    });
    // The move's propagation (its id names the partner's calendar change) has ended: every signal it sent has arrived.
    const change = await env.prisma.partnerCalendarChange.findFirstOrThrow({ where: { partnerId: partner.partnerId, toCalendar: riyadhName } });
    await completed(env.client.workflow.getHandle(calendarChangeWorkflowId({ kind: 'PARTNER', partnerId: partner.partnerId, calendar: riyadhName, version: 1 }, String(change.id))));
    expect(await signalsReceived(handleOf(held.id), 'recomputeDeadline')).toBe(0);
    expect((await api('GET', `/v1/customer-reports/${held.id}`, partner.sales)).body).toMatchObject({ status: 'PROTECTED', protectedUntil: held.protectedUntil });
    for (const id of [reviewed.id, held.id]) expectOk(await api('POST', `/v1/customer-reports/${id}/withdraw`, partner.sales, {}));
  });
});
