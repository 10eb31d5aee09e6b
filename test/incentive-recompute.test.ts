/**
 * The verification deadline follows the partner's calendar, on the time-skipping test server with the real activities
 * on a real PostgreSQL: recomputeDeadline after a holiday or a make-up day (history, row, reminder, search attribute,
 * expiry), after a reminder was sent, for an OBJECTED incentive, and through calendarChangeWorkflow.
 */
import { randomUUID } from 'node:crypto';
import { type WorkflowHandle, WorkflowNotFoundError } from '@temporalio/client';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { AFFECTED_PROCESSES, type CalendarChangeScope } from '../activities/calendar-change.js';
import { createIncentiveActivities } from '../activities/incentive.js';
import { getIncentive, incentiveWorkflow, incentiveWorkflowId, object, recomputeDeadline, verify } from '../workflows/incentive/workflow.js';
import { calendarChangeWorkflow, calendarChangeWorkflowId } from '../workflows/calendar-change/workflow.js';
import { expectActedAt } from './support/acted.js';
import { isoDate, nextFriday, testCalendar, ZONE } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { incentiveSteps, partner } from './support/incentive.js';
import { completed, eventually, resultOf } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'incentive-recompute-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
/** The month before the server's clock at start: the verifications' period. */
let period: string;
beforeAll(async () => {
  period = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE }).minus({ months: 1 }).toFormat('yyyy-MM');
});
const { addExpert, start, incentiveId, dbState, reminders } = incentiveSteps(env, () => period);

describe('the verification deadline follows the calendar', () => {
  /** Generated on a Friday 15:00 (no holidays): reminder Mon +17 days, deadline Thu +20 days. */
  async function generateOnFriday(partnerId = partner()) {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    env.calendar = testCalendar(friday.toMillis());
    await advanceTo(friday.toMillis());
    const { handle, snapshot } = await start(partnerId);
    const generatedAt = Date.parse(snapshot.generatedAt!);
    expect(snapshot.verificationDeadline).toBe(new Date(generatedAt + 20 * DAY).toISOString());
    return { partnerId, handle, friday, at: (days: number) => generatedAt + days * DAY };
  }
  const withDeadline = (handle: WorkflowHandle, deadline: number) =>
    eventually(async () => {
      const s = await handle.query(getIncentive);
      return s.verificationDeadline === new Date(deadline).toISOString() ? s : undefined;
    });
  /** Activities done, regular or local (generation and plans run locally: a marker each, workflows/kit/persistence.ts). */
  const activitiesCompleted = async (handle: WorkflowHandle) =>
    (await handle.fetchHistory()).events!.filter((e) => e.activityTaskCompletedEventAttributes || e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
  /** The query answers from the workflow's state, which moves before the transition's activity has written the row. */
  const recorded = (partnerId: string, count: number) =>
    eventually(async () => {
      const state = await dbState(partnerId);
      return state.events.length >= count ? state : undefined;
    });

  it('a holiday added inside the window pushes the deadline by one working day: history, row, reminder, search attribute, expiry', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      const [oldDeadline, newDeadline] = [at(20), at(21)];
      env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] }); // Monday
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
      const moved = await withDeadline(handle, newDeadline);
      expect(moved).toMatchObject({ status: 'PENDING_VERIFICATION', reminderAt: new Date(at(18)).toISOString(), reminderSent: false });
      const { row, events } = await recorded(partnerId, 2);
      expect(events).toEqual(['GENERATED', 'DEADLINE_CHANGED']);
      expect(row.verificationDeadline.getTime()).toBe(newDeadline);
      expect(row.reminderAt.getTime()).toBe(at(18));
      expect(row.deadlineExplanation).toMatchObject({ workingDays: 14, skippedDays: expect.arrayContaining([{ date: isoDate(friday.plus({ days: 3 })), reason: 'HOLIDAY', name: 'Test Festival' }]) });
      expect(row.events[1]).toMatchObject({
        fromStatus: 'PENDING_VERIFICATION',
        toStatus: 'PENDING_VERIFICATION',
        actor: 'system',
        reasonCode: 'CALENDAR_CHANGED',
        data: { from: new Date(oldDeadline).toISOString(), to: new Date(newDeadline).toISOString(), calendar: 'TEST', calendarVersion: 2, reasons: ['calendar TEST changed'] },
      });
      expect(row.events[1]!.note).toContain('TEST v2');
      const described = await handle.describe();
      expect((described.searchAttributes.ProcessDeadline?.[0] as Date).getTime()).toBe(newDeadline);

      await advanceTo(oldDeadline + 1000);
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      const reminder = await env.prisma.outbox.findFirstOrThrow({ where: { topic: 'incentive.reminder', aggregateId: incentiveId(partnerId) } });
      expect(reminder.dueAt.getTime()).toBe(at(18));
      expect(reminder.payload).toMatchObject({ verificationDeadline: new Date(newDeadline).toISOString() });
      await expectActedAt(handle, 'enqueueIncentiveReminder', [at(18)]);
      expect((await handle.result()).status).toBe('EXPIRED');
      const expired = (await dbState(partnerId)).row.events[2]!;
      expect(expired.type).toBe('EXPIRED');
      expect(expired.at.getTime()).toBeGreaterThanOrEqual(newDeadline);
      expect(expired.at.getTime()).toBeLessThan(newDeadline + 1000);
      await recordHistory(handle, 'incentive-deadline-recomputed-local-persistence');
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('a verification the monthly run handed its incentive recomputes the same way', async () => {
    const friday = nextFriday(await env.currentTimeMs(), 15);
    env.calendar = testCalendar(friday.toMillis());
    await advanceTo(friday.toMillis());
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
    try {
      // As the run does (activities/incentive-run.ts): generated first, then started with the stored incentive.
      const generated = await createIncentiveActivities({ prisma: env.prisma, calendarFor: env.calendarFor }).generateIncentive({ partnerId, period, generatedAt: new Date(await env.currentTimeMs()).toISOString() });
      const handle = await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue, args: [{ partnerId, period, generated }] });
      const at = (days: number) => Date.parse(generated.generatedAt) + days * DAY;
      expect(await withDeadline(handle, at(20))).toMatchObject({ status: 'PENDING_VERIFICATION', headcount: 1, generatedAt: generated.generatedAt });

      env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] }); // Monday
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
      expect(await withDeadline(handle, at(21))).toMatchObject({ reminderAt: new Date(at(18)).toISOString(), reminderSent: false });
      const { row, events } = await recorded(partnerId, 2);
      expect(events).toEqual(['GENERATED', 'DEADLINE_CHANGED']);
      expect(row.verificationDeadline.getTime()).toBe(at(21));
      await advanceTo(at(21) + 1000);
      expect((await handle.result()).status).toBe('EXPIRED');
      await expectActedAt(handle, 'enqueueIncentiveReminder', [at(18)]);
      await recordHistory(handle, 'incentive-handed-deadline-recomputed');
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('a make-up day pulls the deadline in; already past, it expires at once', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      const pulledIn = at(19); // Saturday works: Wednesday 15:00
      await advanceTo(pulledIn + 30 * 60_000); // Wednesday 15:30: still pending on the old calendar
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      env.calendar = testCalendar(friday.toMillis(), { makeupWorkdays: [isoDate(friday.plus({ days: 1 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await eventually(async () => ((await dbState(partnerId)).status === 'EXPIRED' ? true : undefined));
      const { events, row } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'DEADLINE_CHANGED', 'EXPIRED']);
      expect(row.verificationDeadline.getTime()).toBe(pulledIn);
      expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
      expect(row.events[2]!.at.getTime()).toBeLessThan(pulledIn + 31 * 60_000);
      expect(await reminders(partnerId)).toBe(1); // the deadline has passed: no reminder for it
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });

  /** The reminder messages in the outbox, in the order they were appended. */
  const reminderMessages = (partnerId: string) =>
    env.prisma.outbox.findMany({ where: { topic: 'incentive.reminder', aggregateId: incentiveId(partnerId) }, orderBy: { id: 'asc' } });
  const announced = (messages: { dueAt: Date; payload: unknown }[]) =>
    messages.map((m) => [m.dueAt.getTime(), (m.payload as { verificationDeadline: string }).verificationDeadline]);

  it('reminder sent, then a make-up day pulls the deadline in: a reminder for the new deadline at once, expiry at the new deadline', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      await advanceTo(at(17) + 1000); // Monday: the reminder for Thursday's deadline
      await eventually(async () => ((await reminders(partnerId)) === 1 ? true : undefined));
      // Saturday (past) becomes a make-up day: reminder Friday +14 (passed), deadline Wednesday +19.
      env.calendar = testCalendar(friday.toMillis(), { makeupWorkdays: [isoDate(friday.plus({ days: 1 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      const messages = await eventually(async () => {
        const rows = await reminderMessages(partnerId);
        return rows.length === 2 ? rows : undefined;
      });
      expect(await env.currentTimeMs()).toBeLessThan(at(17) + 60_000); // at once: no timer waited for
      expect(announced(messages)).toEqual([
        [at(17), new Date(at(20)).toISOString()],
        [at(14), new Date(at(19)).toISOString()],
      ]);
      expect(messages[1]!.dedupeKey).toBe(`incentive-reminder-${incentiveId(partnerId)}-${new Date(at(19)).toISOString()}`);
      // The row commits before the workflow hears the activity completed; its state follows a moment later.
      const state = await eventually(async () => {
        const s = await handle.query(getIncentive);
        return s.reminderSent ? s : undefined;
      });
      expect(state).toMatchObject({ reminderAt: new Date(at(14)).toISOString(), reminderSent: true, verificationDeadline: new Date(at(19)).toISOString() });

      await advanceTo(at(19) - 1000);
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      expect((await handle.result()).status).toBe('EXPIRED');
      const { events, row } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'DEADLINE_CHANGED', 'EXPIRED']);
      expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(at(19));
      expect(row.events[2]!.at.getTime()).toBeLessThan(at(19) + 1000);
      expect(await reminders(partnerId)).toBe(2);
      await recordHistory(handle, 'incentive-reminder-deadline-pulled-in-local-persistence');
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('reminder sent, then a holiday pushes the deadline out: a new reminder at the new reminder time, not before', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      await advanceTo(at(17) + 1000);
      await eventually(async () => ((await reminders(partnerId)) === 1 ? true : undefined));
      // The Monday of the first week (past) becomes a holiday: reminder Tuesday +18, deadline Friday +21.
      env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await withDeadline(handle, at(21));
      expect(await handle.query(getIncentive)).toMatchObject({ reminderAt: new Date(at(18)).toISOString(), reminderSent: false });

      await advanceTo(at(18) - 1000);
      expect(await reminders(partnerId)).toBe(1);
      await advanceTo(at(18) + 1000);
      const messages = await eventually(async () => {
        const rows = await reminderMessages(partnerId);
        return rows.length === 2 ? rows : undefined;
      });
      expect(announced(messages)).toEqual([
        [at(17), new Date(at(20)).toISOString()],
        [at(18), new Date(at(21)).toISOString()],
      ]);
      // By the workflow's clock: the new reminder at its new time, not at once (the count a second before could have
      // been read before an early reminder's row was written).
      await expectActedAt(handle, 'enqueueIncentiveReminder', [at(17), at(18)]);
      await advanceTo(at(20) + 1000);
      expect((await handle.query(getIncentive)).status).toBe('PENDING_VERIFICATION');
      expect((await handle.result()).status).toBe('EXPIRED');
      expect((await dbState(partnerId)).row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(at(21));
      expect(await reminders(partnerId)).toBe(2);
      await recordHistory(handle, 'incentive-reminder-deadline-pushed-out-local-persistence');
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('recomputes an OBJECTED incentive too, keeping it OBJECTED', async () => {
    const partnerId = partner();
    await addExpert(partnerId, 'E1', 'CLOUD_PROFESSIONAL');
    const { handle, friday, at } = await generateOnFriday(partnerId);
    try {
      const [line] = (await handle.query(getIncentive)).lines;
      await handle.executeUpdate(object, { args: [{ actor: { sub: 'u', partnerId }, lines: [{ expertId: line!.expertId, reason: 'left' }] }] });
      env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 10 }))] }); // Monday, week 2
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await withDeadline(handle, at(21));
      const { row, events } = await recorded(partnerId, 3);
      expect(events).toEqual(['GENERATED', 'OBJECTED', 'DEADLINE_CHANGED']);
      expect(row).toMatchObject({ status: 'OBJECTED' });
      expect(row.events[2]).toMatchObject({ fromStatus: 'OBJECTED', toStatus: 'OBJECTED' });
      expect(row.verificationDeadline.getTime()).toBe(at(21));
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('a change outside the window changes nothing; a verified incentive ignores the signal', async () => {
    const { partnerId, handle, friday, at } = await generateOnFriday();
    try {
      env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 40 }))] });
      await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      await eventually(async () => ((await activitiesCompleted(handle)) >= 2 ? true : undefined)); // generate + plan
      expect((await dbState(partnerId)).events).toEqual(['GENERATED']);

      await handle.executeUpdate(verify, { args: [{ actor: { sub: 'u', partnerId }, headcount: 0, totalMinor: 0, materials: [] }] });
      env.calendar = testCalendar(friday.toMillis(), { holidays: [isoDate(friday.plus({ days: 3 }))] });
      // Verified, the workflow ends: a change arriving after it is not delivered, and nothing moves.
      await completed(handle);
      await expect(handle.signal(recomputeDeadline, { reason: 'calendar TEST changed again' })).rejects.toBeInstanceOf(WorkflowNotFoundError);
      expect((await handle.result()).status).toBe('VERIFIED');
      const { row, events } = await dbState(partnerId);
      expect(events).toEqual(['GENERATED', 'VERIFIED']);
      expect(row.verificationDeadline.getTime()).toBe(at(20));
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });

  it('calendarChangeWorkflow finds the pending incentives whose window holds a changed date and they recompute', async () => {
    const name = `INC-${randomUUID().slice(0, 6)}`;
    const [pending, verified, other] = [partner(), partner(), partner()];
    const now = new Date(await env.currentTimeMs());
    await env.prisma.calendar.create({ data: { name, createdBy: 'test', createdAt: now } });
    await env.prisma.partnerCalendar.createMany({ data: [pending, verified].map((partnerId) => ({ partnerId, calendarName: name, assignedBy: 'test', assignedAt: now })) });
    const { handle, friday, at } = await generateOnFriday(pending);
    const closed = await start(verified);
    await closed.handle.executeUpdate(verify, { args: [{ actor: { sub: 'u', partnerId: verified }, headcount: 0, totalMinor: 0, materials: [] }] });
    await start(other); // counts in the default calendar, not the changed one
    const monday = isoDate(friday.plus({ days: 3 }));
    await env.prisma.calendarVersion.create({
      data: {
        calendarName: name, version: 2, zone: ZONE, restWeekdays: [6, 7], firstYear: friday.year - 1, lastYear: friday.year + 30, holidays: [], makeupWorkdays: [],
        changedBy: 'test', changedAt: now, changes: { everyDate: false, dates: [{ date: monday, from: 'WORKDAY', to: 'HOLIDAY' }] },
      },
    });
    const query = (dates: string[], extra: Partial<Parameters<typeof AFFECTED_PROCESSES.incentive>[0]> = {}) =>
      AFFECTED_PROCESSES.incentive({ prisma: env.prisma, calendar: name, defaultCalendar: 'CN', dates, everyDate: false, now: new Date(at(0)), after: '', limit: 10, ...extra });
    const ids = async (rows: Promise<{ workflowId: string }[]>) => (await rows).map((r) => r.workflowId);
    expect(await ids(query([monday]))).toEqual([incentiveWorkflowId(pending, period)]);
    expect(await ids(query([isoDate(friday.plus({ days: 40 }))]))).toEqual([]);
    expect(await ids(query([], { everyDate: true }))).toEqual([incentiveWorkflowId(pending, period)]);
    expect(await ids(query([monday], { now: new Date(at(21)) }))).toEqual([]); // deadline already past
    expect(await ids(query([], { calendar: undefined, partnerId: pending, everyDate: true }))).toEqual([incentiveWorkflowId(pending, period)]);
    expect(await ids(query([], { calendar: undefined, partnerId: verified, everyDate: true }))).toEqual([]);

    try {
      env.calendar = testCalendar(friday.toMillis(), { holidays: [monday] });
      const scope: CalendarChangeScope = { kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' };
      const change = await env.client.workflow.start(calendarChangeWorkflow, {
        workflowId: calendarChangeWorkflowId(scope),
        taskQueue,
        args: [{ scope, reason: `calendar ${name} v2` }],
      });
      // Not change.result(): awaiting a result lets the time-skipping server skip ahead on its own.
      await eventually(async () => ((await change.describe()).status.name === 'COMPLETED' ? true : undefined));
      expect(await resultOf(change)).toEqual({ signaled: 1 });
      await withDeadline(handle, at(21));
      const { row } = await dbState(pending);
      expect(row.events.map((e) => e.type)).toEqual(['GENERATED', 'DEADLINE_CHANGED']);
      expect(row.events[1]).toMatchObject({ data: { calendarVersion: 2, reasons: [`calendar ${name} v2`] } });
      expect((await dbState(other)).events).toEqual(['GENERATED']);
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });
});
