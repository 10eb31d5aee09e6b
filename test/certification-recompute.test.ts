/**
 * Certification deadlines follow the partner's calendar, on the time-skipping test server with the real activities on
 * a real PostgreSQL: reviewDueAt and supplementDeadline recomputed on recomputeDeadline (history, row, search
 * attribute, escalation, withdrawal at once when already past), and through calendarChangeWorkflow.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import type { DeadlineExplanation } from '../domain/calendar.js';
import { getCertification, recomputeDeadline, review } from '../workflows/certification/workflow.js';
import { calendarChangeWorkflow, calendarChangeWorkflowId } from '../workflows/calendar-change/workflow.js';
import { testCalendar, ZONE } from './support/calendar.js';
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
  /** The first local date on or after `fromIso` with ISO weekday `weekday`. */
  const nextWeekday = (fromIso: string, weekday: number) => {
    let day = DateTime.fromISO(fromIso).setZone(ZONE).startOf('day');
    while (day.weekday !== weekday) day = day.plus({ days: 1 });
    return day.toISODate()!;
  };
  /** A working day in the middle of the application's first review window (from its REVIEW_STARTED explanation). */
  const countedDay = async (applicationId: string) =>
    ((await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'REVIEW_STARTED' } })).data as { explanation: DeadlineExplanation }).explanation.countedDays[4]!.date;
  const withDays = async (days: { holidays?: string[]; makeupWorkdays?: string[] }) => (env.calendar = testCalendar(await env.currentTimeMs(), days));

  it('a holiday inside the review window pushes reviewDueAt one working day: history, row, search attribute, escalation', async () => {
    await withDays({});
    const { handle, applicationId, snapshot } = await inReview();
    const [start, oldDue] = [snapshot.reviewStartedAt!, Date.parse(snapshot.reviewDueAt!)];
    const holiday = await countedDay(applicationId);
    const oneMore = env.calendar.addWorkingDays(new Date(start), 11).deadline.getTime();
    const newDue = (await withDays({ holidays: [holiday] })).addWorkingDays(new Date(start), 10).deadline.getTime();
    expect(newDue).toBe(oneMore);
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
    expect((await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REJECT', note: 'no' }] })).status).toBe('REJECTED');
    await recordHistory(handle, 'certification-deadline-recomputed');
    await withDays({});
  });

  it('a make-up day pulls the supplement deadline in; already past, the application is withdrawn at once', async () => {
    await withDays({});
    const { handle, applicationId } = await inReview();
    const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
    const oldDeadline = Date.parse(requested.supplementDeadline!);
    const saturday = nextWeekday(requested.supplementRequestedAt!, 6);
    const pulledIn = (await withDays({ makeupWorkdays: [saturday] })).addWorkingDays(new Date(requested.supplementRequestedAt!), 10).deadline.getTime();
    expect(pulledIn).toBeLessThan(oldDeadline - DAY / 2);
    await withDays({});
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
    const { handle, applicationId, snapshot } = await inReview();
    const due = Date.parse(snapshot.reviewDueAt!);
    await withDays({ holidays: [localDate(new Date(due + 60 * DAY).toISOString())] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await advanceTo(due + 1000); // escalated at the unchanged deadline
    const [message] = await eventually(async () => {
      const rows = await outbox('certification.review-escalation', applicationId);
      return rows.length ? rows : undefined;
    });
    expect(message!.dueAt.getTime()).toBe(due);
    // Past reviewDueAt (escalated): a holiday inside the old window moves nothing.
    await withDays({ holidays: [await countedDay(applicationId)] });
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
    const inside = await inReview();
    const outside = await inReview();
    const holiday = await countedDay(inside.applicationId);
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
    const newDue = (await withDays({ holidays: [holiday] })).addWorkingDays(new Date(inside.snapshot.reviewStartedAt!), 10).deadline.toISOString();

    const scope = { kind: 'CALENDAR' as const, calendar: name, version: 2, defaultCalendar: 'CN' };
    const change = await env.client.workflow.start(calendarChangeWorkflow, { workflowId: calendarChangeWorkflowId(scope), taskQueue, args: [{ scope, reason: `calendar ${name} v2` }] });
    // Not change.result(): awaiting a result lets the time-skipping server skip ahead on its own.
    await eventually(async () => ((await change.describe()).status.name === 'COMPLETED' ? true : undefined));
    await eventually(async () => ((await row(inside.applicationId)).reviewDueAt!.toISOString() === newDue ? true : undefined));
    expect((await lastEvent(inside.applicationId)).data).toMatchObject({ deadline: 'reviewDueAt', version: 2, reasons: [`calendar ${name} v2`] });
    // The other partner counts in CN: not signalled, so nothing recorded even though the test calendar moved.
    expect((await events(outside.applicationId)).at(-1)).toBe('REVIEW_STARTED');
    for (const { handle } of [inside, outside]) await handle.terminate('test done');
    await withDays({});
  });
});
