/**
 * An enrollment's deadlines follow the partner's calendar, end to end on the time-skipping server with the database's
 * calendars (PUT /v1/calendars/:name → the calendar change propagation → recomputeDeadline): a holiday inside an
 * invitation's window moves invitationExpiresAt (in GET, its history, enrollment.deadline-changed); accepted and
 * approved, a holiday inside the confirmation window moves confirmationDueAt, and the approval lapses at the moved
 * instant, not the old one. Counted by hand in the comments (the calendar rests on Saturdays and Sundays; Asia/Shanghai
 * has no DST, so N days on is N × 24 h).
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CalendarData } from '../domain/calendar-versions.js';
import { calendarChangeWorkflowId } from '../workflows/calendar-change/contract.js';
import { enrollmentWorkflowId } from '../workflows/enrollment/contract.js';
import { tokenFor } from './support/app.js';
import { nextFriday } from './support/calendar.js';
import { daysAfter as at, expectOk, SECOND, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { completed, eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'enrollment-recompute-test', api: true, calendarFor: 'database' });
const { api, advanceTo, arrived, outbox } = env;
let admin: string;
let feeder: string;
let reviewer: string;
beforeAll(async () => {
  admin = await tokenFor(['vendor_admin'], undefined, 'enrollment-recompute-admin');
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system-rec');
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-rec');
});

const calendarData = (holidays: string[]): CalendarData => {
  const year = DateTime.fromMillis(Date.now(), { zone: 'Asia/Shanghai' }).year;
  return { zone: 'Asia/Shanghai', restWeekdays: [6, 7], years: { first: year - 1, last: year + 30 }, holidays: holidays.map((d) => ({ from: d, to: d, name: 'Typhoon closure' })), makeupWorkdays: [] };
};
const localDay = (iso: string, days: number) => DateTime.fromISO(at(iso, days), { zone: 'Asia/Shanghai' }).toISODate()!;

describe('the enrollment deadlines follow the calendar', () => {
  it('invitationExpiresAt and then confirmationDueAt move with a holiday inside their windows; the approval lapses at the moved instant', async () => {
    const name = `ENR-${randomUUID().slice(0, 6)}`;
    const partnerId = `P-enr-rec-${randomUUID().slice(0, 6)}`;
    const put = (holidays: string[]) => api('PUT', `/v1/calendars/${name}`, admin, calendarData(holidays));
    expect((await put([])).status).toBe(201);
    expect((await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name })).status).toBe(200);
    const observedAt = new Date((await env.currentTimeMs()) - 60 * SECOND).toISOString();
    const facts = [
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' }, observedAt },
      { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
      { kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 0 } }, observedAt },
      { kind: 'POSTPAID', value: { enabled: false }, observedAt },
      ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT', subject, value: { signed: false }, observedAt })),
      { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
    ];
    expectOk(await api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'billing', facts }, { 'Idempotency-Key': randomUUID() }), 201);
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);

    await advanceTo(nextFriday(await env.currentTimeMs(), 10).toMillis());
    const invited = await api('POST', '/v1/enrollment-invitations', admin, { partnerId, program: 'RESELLER' });
    expectOk(invited, 201);
    const id = invited.body.id as string;
    const invitedAt = invited.body.submittedAt as string;
    // Fri 10:00 + 10 working days → the Friday 14 days on.
    expect(invited.body.invitationExpiresAt).toBe(at(invitedAt, 14));
    const view = async () => (await api('GET', `/v1/enrollments/${id}`, owner)).body;

    // A closure on the Monday after (3 days on), inside the window: Tue … Fri, Mon … Fri, Mon → the Monday 17 days on.
    await put([localDay(invitedAt, 3)]);
    const moved = await eventually(async () => {
      const v = await view();
      return v.invitationExpiresAt === at(invitedAt, 17) ? v : undefined;
    });
    expect(moved.history.filter((h: { type: string }) => h.type === 'DEADLINE_CHANGED')[0].data).toMatchObject({ deadline: 'invitationExpiresAt', from: at(invitedAt, 14), to: at(invitedAt, 17) });
    // The view explains the recount, not the first count: in the partner's calendar and zone, the closure skipped as a
    // holiday, ten working days counted, ending at the moved instant.
    expect(moved.zone).toBe('Asia/Shanghai');
    expect(moved.deadlineExplanation).toMatchObject({ calendar: name, zone: 'Asia/Shanghai', workingDays: 10 });
    expect(Date.parse(moved.deadlineExplanation.deadline)).toBe(Date.parse(at(invitedAt, 17)));
    expect(moved.deadlineExplanation.countedDays).toHaveLength(10);
    expect(moved.deadlineExplanation.skippedDays).toContainEqual(expect.objectContaining({ date: localDay(invitedAt, 3), reason: 'HOLIDAY' }));
    expect((await arrived('enrollment.deadline-changed', id, 1))[0]!.payload).toMatchObject({ enrollmentId: id, partnerId, deadline: 'invitationExpiresAt', to: at(invitedAt, 17) });
    const propagation = env.client.workflow.getHandle(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }));
    await completed(propagation);
    // The propagation visiting enrollments (behind its patch) replays beside the histories recorded before them.
    await recordHistory(propagation, 'enrollment-calendar-change-propagated');

    // Accepted on the Tuesday (4 days on), approved at once: + 10 working days → the Tuesday 14 days later (18 on).
    await advanceTo(Date.parse(at(invitedAt, 4)));
    expectOk(await api('POST', `/v1/enrollments/${id}/accept`, owner, {}));
    const approved = await api('POST', `/v1/enrollments/${id}/review`, reviewer, { decision: 'APPROVE' });
    expectOk(approved);
    const approvedAt = (approved.body.history as { type: string; at: string }[]).find((h) => h.type === 'APPROVED')!.at;
    expect(approved.body.confirmationDueAt).toBe(at(approvedAt, 14));
    // A closure on the Wednesday after the approval (8 days on): one working day later, the Wednesday 15 days on.
    await put([localDay(invitedAt, 3), localDay(approvedAt, 8)]);
    const recounted = await eventually(async () => {
      const v = await view();
      return v.confirmationDueAt === at(approvedAt, 15) ? v : undefined;
    });
    expect(Date.parse(recounted.deadlineExplanation.deadline)).toBe(Date.parse(at(approvedAt, 15)));
    expect(recounted.deadlineExplanation.skippedDays).toContainEqual(expect.objectContaining({ date: localDay(approvedAt, 8), reason: 'HOLIDAY' }));
    await advanceTo(Date.parse(at(approvedAt, 14)) + SECOND);
    expect(await outbox('enrollment.confirmation-expired', id)).toEqual([]); // not at the old deadline
    expect((await view()).status).toBe('AWAITING_CONFIRMATION');
    await advanceTo(Date.parse(at(approvedAt, 15)) + SECOND);
    expect((await arrived('enrollment.confirmation-expired', id, 1))[0]!.payload).toMatchObject({ status: 'EXPIRED', confirmationDueAt: at(approvedAt, 15) });
    const handle = env.client.workflow.getHandle(enrollmentWorkflowId(id));
    await completed(handle);
    expect((await view()).history.map((h: { type: string }) => h.type)).toEqual(['INVITED', 'DEADLINE_CHANGED', 'ACCEPTED', 'APPROVED', 'DEADLINE_CHANGED', 'CONFIRMATION_EXPIRED']);
    await recordHistory(handle, 'enrollment-deadlines-recomputed');
  });
});
