/**
 * Certification deadlines follow the partner's calendar, on the time-skipping test server with the real activities on
 * a real PostgreSQL: reviewDueAt and supplementDeadline recomputed on recomputeDeadline (history, row, search
 * attribute, escalation, withdrawal at once when already past), and through calendarChangeWorkflow.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { getCertification, recomputeDeadline, review } from '../workflows/certification/workflow.js';
import { calendarChangeWorkflow, calendarChangeWorkflowId } from '../workflows/calendar-change/workflow.js';
import { expectActedAt, signalsReceived } from './support/acted.js';
import { isoDate, nextFriday, testCalendar, ZONE } from './support/calendar.js';
import { certificationSteps, refused, vendor } from './support/certification.js';
import { DAY, localDate, useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'certification-recompute-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
const { inReview, events } = certificationSteps(env);
const outbox = (topic: string, aggregateId: string) => env.prisma.outbox.findMany({ where: { topic, aggregateId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });

describe('certification deadlines follow the calendar', () => {
  const row = (id: string) => env.prisma.certificationApplication.findUniqueOrThrow({ where: { id } });
  const lastEvent = (applicationId: string) => env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId }, orderBy: { seq: 'desc' } });
  const processDeadline = async (handle: WorkflowHandle) => ((await handle.describe()).searchAttributes.ProcessDeadline?.[0] as Date | undefined)?.getTime();
  const withDays = async (days: { holidays?: string[]; makeupWorkdays?: string[] }) => (env.calendar = testCalendar(await env.currentTimeMs(), days));
  /**
   * An application submitted on a Friday afternoon (Asia/Shanghai, no DST), its dates counted by hand in the test
   * calendar (Saturday and Sunday rest): 10 working days — Mon–Fri twice — end the Friday two weeks on, 14 × 24 h
   * after the review started; the Friday a week on (`weekOn`) is the 5th of them.
   */
  async function inReviewOnFriday() {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    await advanceTo(friday.toMillis());
    const submitted = await inReview();
    const start = Date.parse(submitted.snapshot.reviewStartedAt!);
    expect(start - friday.toMillis()).toBeGreaterThanOrEqual(0);
    expect(start - friday.toMillis()).toBeLessThan(60_000); // still that Friday afternoon
    expect(submitted.snapshot.reviewDueAt).toBe(new Date(start + 14 * DAY).toISOString());
    return { ...submitted, friday, start, weekOn: isoDate(friday.plus({ days: 7 })) };
  }

  it('a holiday inside the review window pushes reviewDueAt one working day: history, row, search attribute, escalation', async () => {
    await withDays({});
    const { handle, applicationId, start, weekOn: holiday } = await inReviewOnFriday();
    // The 5th working day (the Friday a week on) becomes a holiday: Mon–Thu (1–4), Mon–Fri (5–9), Mon (10) → the
    // Monday after the old due Friday, 17 × 24 h after the start.
    const [oldDue, newDue] = [start + 14 * DAY, start + 17 * DAY];
    await withDays({ holidays: [holiday] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
    // The row moves in the transition's transaction, after the workflow (and its query) already shows the new deadline.
    await eventually(async () => ((await row(applicationId)).reviewDueAt?.getTime() === newDue ? true : undefined));
    expect((await handle.query(getCertification)).reviewDueAt).toBe(new Date(newDue).toISOString());
    expect((await events(applicationId)).slice(-2)).toEqual(['REVIEW_STARTED', 'DEADLINE_CHANGED']);
    const changed = await lastEvent(applicationId);
    expect(changed).toMatchObject({ fromStatus: 'IN_REVIEW', toStatus: 'IN_REVIEW', actor: 'system' });
    expect(changed.data).toMatchObject({ deadline: 'reviewDueAt', from: new Date(oldDue).toISOString(), to: new Date(newDue).toISOString(), calendar: 'TEST', version: 2, reasons: ['calendar TEST changed'] });
    expect(changed.note).toContain('v2');
    expect(await row(applicationId)).toMatchObject({ reviewDueAt: new Date(newDue), reviewStartedAt: new Date(start) });
    expect(await processDeadline(handle)).toBe(newDue);

    // Escalated at the new deadline, not at the old one.
    await advanceTo(oldDue + 1000);
    expect(await outbox('certification.review-escalation', applicationId)).toHaveLength(0);
    await advanceTo(newDue + 1000);
    const [message] = await eventually(async () => {
      const rows = await outbox('certification.review-escalation', applicationId);
      return rows.length ? rows : undefined;
    });
    expect(message!.dueAt.getTime()).toBe(newDue);
    // Escalated once, when the workflow's clock reached the new due time: the empty outbox just after the old one
    // could have been read before an escalation at the old time was written.
    await expectActedAt(handle, 'enqueueCertificationMessage', [newDue], (m) => m.topic === 'certification.review-escalation');
    expect((await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REJECT', note: 'no' }] })).status).toBe('REJECTED');
    await recordHistory(handle, 'certification-deadline-recomputed');
    await withDays({});
  });

  it('a make-up day pulls the supplement deadline in; already past, the application is withdrawn at once', async () => {
    await withDays({});
    const { handle, applicationId, friday } = await inReviewOnFriday();
    const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
    // Asked that Friday afternoon: 10 working days end the Friday two weeks on. With the Saturday after it a make-up
    // working day: Sat (1), Mon–Fri (2–6), Mon–Thu (7–10) → the Thursday, 13 × 24 h after the request.
    const askedAt = Date.parse(requested.supplementRequestedAt!);
    const [oldDeadline, pulledIn] = [askedAt + 14 * DAY, askedAt + 13 * DAY];
    expect(requested.supplementDeadline).toBe(new Date(oldDeadline).toISOString());
    const saturday = isoDate(friday.plus({ days: 1 }));
    await advanceTo(pulledIn + 30 * 60_000); // still open on the old calendar
    expect((await handle.query(getCertification)).status).toBe('SUPPLEMENT_REQUESTED');
    await withDays({ makeupWorkdays: [saturday] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await row(applicationId)).status === 'WITHDRAWN_BY_TIMEOUT' ? true : undefined));
    expect((await events(applicationId)).slice(-3)).toEqual(['SUPPLEMENT_REQUESTED', 'DEADLINE_CHANGED', 'WITHDRAWN_BY_TIMEOUT']);
    expect((await row(applicationId)).supplementDeadline!.getTime()).toBe(pulledIn);
    const withdrawn = await lastEvent(applicationId);
    expect(withdrawn.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
    expect(withdrawn.at.getTime()).toBeLessThan(oldDeadline);
    await withDays({});
  });

  it('a change outside the window changes nothing; past its deadline or decided, an application ignores the signal', async () => {
    await withDays({});
    const { handle, applicationId, start, weekOn } = await inReviewOnFriday();
    const due = start + 14 * DAY;
    await withDays({ holidays: [localDate(new Date(due + 60 * DAY).toISOString())] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await advanceTo(due + 1000); // escalated at the unchanged deadline
    const [message] = await eventually(async () => {
      const rows = await outbox('certification.review-escalation', applicationId);
      return rows.length ? rows : undefined;
    });
    expect(message!.dueAt.getTime()).toBe(due);
    // Past reviewDueAt (escalated): a holiday inside the old window moves nothing.
    await withDays({ holidays: [weekOn] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed again' });
    const approved = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    // Decided: the certificate's validity is in calendar years, not working days.
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed once more' });
    expect((await refused(handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] }))).type).toBe('NOT_IN_REVIEW');
    expect(await events(applicationId)).toEqual(['CREATED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'REVIEW_STARTED', 'APPROVED']);
    expect((await row(applicationId)).reviewDueAt!.getTime()).toBe(due);
    expect((await handle.query(getCertification)).certificate).toEqual(approved.certificate);
    await handle.terminate('test done');
    await withDays({});
  });

  it('calendarChangeWorkflow signals the applications whose pending window holds a changed date, and only those', async () => {
    await withDays({});
    const name = `CERT-${randomUUID().slice(0, 6)}`;
    const inside = await inReviewOnFriday();
    const outside = await inReview();
    const holiday = inside.weekOn;
    // The database's calendar: only its changes matter here (the worker counts in the test env.calendar).
    const year = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE }).year;
    const version = (v: number, changes?: object) => ({
      version: v, zone: ZONE, restWeekdays: [6, 7], firstYear: year - 1, lastYear: year + 30, holidays: [], makeupWorkdays: [], changedBy: 'test', changedAt: new Date(),
      ...(changes ? { changes } : {}),
    });
    await env.prisma.calendar.create({
      data: { name, createdBy: 'test', createdAt: new Date(), versions: { create: [version(1), version(2, { everyDate: false, dates: [{ date: holiday, from: 'WORKDAY', to: 'HOLIDAY' }] })] } },
    });
    await env.prisma.partnerCalendar.create({ data: { partnerId: inside.partnerId, calendarName: name, assignedBy: 'test', assignedAt: new Date() } });
    await withDays({ holidays: [holiday] });
    // As in the first test: the Friday a week on a holiday, due the Monday after, 17 × 24 h after the start.
    const newDue = new Date(inside.start + 17 * DAY).toISOString();

    const scope = { kind: 'CALENDAR' as const, calendar: name, version: 2, defaultCalendar: 'CN' };
    const change = await env.client.workflow.start(calendarChangeWorkflow, { workflowId: calendarChangeWorkflowId(scope), taskQueue, args: [{ scope, reason: `calendar ${name} v2` }] });
    // Not change.result(): awaiting a result lets the time-skipping server skip ahead on its own.
    await eventually(async () => ((await change.describe()).status.name === 'COMPLETED' ? true : undefined));
    await eventually(async () => ((await row(inside.applicationId)).reviewDueAt!.toISOString() === newDue ? true : undefined));
    expect((await lastEvent(inside.applicationId)).data).toMatchObject({ deadline: 'reviewDueAt', version: 2, reasons: [`calendar ${name} v2`] });
    // The other partner counts in CN: not signalled (its signals arrived before the change completed), so nothing
    // recorded even though the test calendar moved.
    expect(await signalsReceived(inside.handle, 'recomputeDeadline')).toBe(1);
    expect(await signalsReceived(outside.handle, 'recomputeDeadline')).toBe(0);
    expect((await events(outside.applicationId)).at(-1)).toBe('REVIEW_STARTED');
    for (const { handle } of [inside, outside]) await handle.terminate('test done');
    await withDays({});
  });
});
