/**
 * Path review deadlines follow the calendar, on the time-skipping test server with the real activities on a real
 * PostgreSQL: a holiday inside the pending window pushes windowEndsAt (history, row, reminders planned again for the
 * new end, search attribute, LAPSED at the new end); a make-up day pulls it in, already past it lapses at once; after
 * sent reminders a moved window is announced again (domain/reminders.ts: one at once, or each at its new time); the supplement
 * deadline is recomputed from the request; a change outside the window, or a review with no pending deadline,
 * records nothing; and end to end through calendarChangeWorkflow, which finds the review by its partner's calendar.
 * Into a year whose holiday schedule is not published: path-review-provisional.test.ts.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { calendarChangeWorkflow } from '../workflows/calendar-change/workflow.js';
import { decide, getPathReview, recomputeDeadline } from '../workflows/path-review/workflow.js';
import { ProcessDeadline } from '../workflows/kit/search-attributes.js';
import { expectActedAt, signalsReceived } from './support/acted.js';
import { isoDate, nextFriday, testCalendar, ZONE } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { announced, forEnd, pathReviewSteps, recomputations, vendor } from './support/path-review.js';
import { completed, eventually, resultOf } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'path-review-recompute-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
const { startReview, startOnFriday, submittedReview, reviewRow, eventTypes, reminders } = pathReviewSteps(env, 2027);
/** The server's clock at start: the test calendars are placed around it. */
let base: number;
beforeAll(async () => {
  base = await env.currentTimeMs();
});
const local = (iso: string | number | Date) => DateTime.fromJSDate(new Date(iso), { zone: ZONE });
const withDays = (days: { holidays?: string[]; makeupWorkdays?: string[] }) => testCalendar(base, days);
const processDeadline = async (handle: WorkflowHandle) => (await handle.describe()).typedSearchAttributes.get(ProcessDeadline)?.toISOString();

describe('path review deadlines follow the calendar', () => {
  it('a holiday inside the window pushes windowEndsAt one working day: history, row, reminders re-planned for the new end, lapse at the new end', async () => {
    const { handle, reviewId, at, date } = await startOnFriday('SOFTWARE', 'ADVANCED');
    const [r10, r3, oldEnd] = [at(28), at(39), at(42)];
    await advanceTo(r10 + 1000);
    await eventually(async () => ((await reminders(reviewId)).length === 1 ? true : undefined));

    // A closure on the 24th working day (Thu, 34 days on): after the sent reminder, before the other one and the end.
    // Counted again: 24 → Fri 35, 25–26 → Mon 38, Tue 39, 27 → Wed 40 (the 3-day reminder); 30 → Mon 45 (the end).
    env.calendar = withDays({ holidays: [date(34)] });
    const [newR3, newEnd] = [at(40), at(45)];
    expect(r3).toBeLessThan(newR3);
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
    const row = await eventually(async () => {
      const r = await reviewRow(reviewId);
      return r.windowEndsAt.getTime() === newEnd ? r : undefined;
    });
    expect(row.events.map((e) => e.type)).toEqual(['OPENED', 'DEADLINE_CHANGED']);
    expect(row.events[1]).toMatchObject({
      fromStatus: 'OPEN',
      toStatus: 'OPEN',
      actor: 'system',
      data: { deadline: 'windowEndsAt', from: new Date(oldEnd).toISOString(), to: new Date(newEnd).toISOString(), calendar: 'TEST', calendarVersion: 2, reasons: ['calendar TEST changed'] },
    });
    expect(row.events[1]!.note).toContain('TEST v2');
    expect(row.reminderTimes).toEqual([
      { days: 10, at: new Date(r10).toISOString() },
      { days: 3, at: new Date(newR3).toISOString() },
    ]);
    // The 10-day reminder's time (before the holiday) has passed: it goes out again at once, naming the new end.
    const again = await eventually(async () => {
      const rows = await reminders(reviewId);
      return rows.length === 2 ? rows : undefined;
    });
    expect(announced(again)).toEqual([
      [r10, 10, new Date(oldEnd).toISOString()],
      [r10, 10, new Date(newEnd).toISOString()],
    ]);
    expect((await handle.query(getPathReview)).reminders).toEqual([
      { days: 10, at: new Date(r10).toISOString(), sent: true },
      { days: 3, at: new Date(newR3).toISOString(), sent: false },
    ]);
    expect(await processDeadline(handle)).toBe(new Date(newEnd).toISOString());

    await advanceTo(newR3 + 1000);
    const sent = await eventually(async () => {
      const rows = await reminders(reviewId);
      return rows.length === 3 ? rows : undefined;
    });
    expect(announced(sent).at(-1)).toEqual([newR3, 3, new Date(newEnd).toISOString()]);
    await advanceTo(oldEnd + 1000);
    expect((await handle.query(getPathReview)).status).toBe('OPEN');
    await advanceTo(newEnd);
    await completed(handle);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'LAPSED', decidedAt: new Date(newEnd).toISOString() });
    expect(await eventTypes(reviewId)).toEqual(['OPENED', 'DEADLINE_CHANGED', 'LAPSED']);
    // By the workflow's clock: the new 3-day reminder at its time, and the lapse at the new end, not at the old one.
    await expectActedAt(handle, 'enqueuePathReviewMessage', [newR3], (m) => m.payload.daysBefore === 3);
    await expectActedAt(handle, 'recordPathReviewTransition', [newEnd], (t) => t.type === 'LAPSED');
    env.calendar = testCalendar(base);
    await recordHistory(handle, 'path-review-deadline-recomputed');
  });

  it('a make-up day pulls windowEndsAt in; already past, the review lapses at once', async () => {
    const { handle, reviewId, at, date } = await startOnFriday('SOFTWARE', 'CERTIFIED');
    // The Saturday after the start works: it is working day 1, so 30 → Thu, 41 days on, a day before the old end.
    const pulledIn = at(41);
    await advanceTo(pulledIn + 30 * 60_000);
    expect((await handle.query(getPathReview)).status).toBe('OPEN');
    env.calendar = withDays({ makeupWorkdays: [date(1)] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await completed(handle);
    const row = await reviewRow(reviewId);
    expect(row.events.map((e) => e.type)).toEqual(['OPENED', 'DEADLINE_CHANGED', 'LAPSED']);
    expect(row.windowEndsAt.getTime()).toBe(pulledIn);
    expect(row.events[2]!.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
    expect(row.events[2]!.at.getTime()).toBe(row.events[1]!.at.getTime());
    expect(row.status).toBe('LAPSED');
    expect((await reminders(reviewId)).length).toBe(2); // the new end has passed: no reminder for it
    env.calendar = testCalendar(base);
  });

  it('both reminders sent, a make-up day pulls the window in past both new reminder times: exactly one new reminder (3 days) at once', async () => {
    const { handle, reviewId, at, date } = await startOnFriday('SOFTWARE', 'ADVANCED');
    const [r10, r3, oldEnd] = [at(28), at(39), at(42)];
    await advanceTo(r3 + 1000);
    await eventually(async () => ((await reminders(reviewId)).length === 2 ? true : undefined));

    // The Saturday after the start works (working day 1): 20 → Thu 27, 27 → Mon 38, 30 → Thu 41 days on.
    env.calendar = withDays({ makeupWorkdays: [date(1)] });
    const [newR10, newR3, newEnd] = [at(27), at(38), at(41)];
    expect(newR3).toBeLessThan(r3); // both new reminder times have passed
    expect(newEnd).toBeLessThan(oldEnd);
    expect(newEnd).toBeGreaterThan(r3 + 1000);
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    const sent = await eventually(async () => {
      const rows = await reminders(reviewId);
      return rows.length === 3 ? rows : undefined;
    });
    expect(await env.currentTimeMs()).toBeLessThan(r3 + 60_000); // at once: no timer waited for
    expect(announced(sent)).toEqual([
      // by dueAt: the new 3-day reminder is due (and sent at once) before the old one's time
      [r10, 10, new Date(oldEnd).toISOString()],
      [newR3, 3, new Date(newEnd).toISOString()],
      [r3, 3, new Date(oldEnd).toISOString()],
    ]);
    expect((await handle.query(getPathReview)).reminders).toEqual([
      { days: 10, at: new Date(newR10).toISOString(), sent: true }, // skipped: the 3-day one is the latest due
      { days: 3, at: new Date(newR3).toISOString(), sent: true },
    ]);

    await advanceTo(newEnd);
    await completed(handle);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'LAPSED', decidedAt: new Date(newEnd).toISOString() });
    expect(await eventTypes(reviewId)).toEqual(['OPENED', 'DEADLINE_CHANGED', 'LAPSED']);
    expect((await reminders(reviewId)).length).toBe(3);
    env.calendar = testCalendar(base);
    await recordHistory(handle, 'path-review-reminders-window-pulled-in');
  });

  it('the 10-day reminder sent, a holiday pushes the window out: new 10-day and 3-day reminders at their new times, not before', async () => {
    const { handle, reviewId, at, date } = await startOnFriday('SOFTWARE', 'ADVANCED');
    const [r10, oldEnd] = [at(28), at(42)];
    await advanceTo(r10 + 1000);
    await eventually(async () => ((await reminders(reviewId)).length === 1 ? true : undefined));

    // Working day 5 (Fri, 7 days on; already past) closes: every later day counts one on — 20 → Mon 31, 27 → Wed 40,
    // 30 → Mon 45 days on.
    env.calendar = withDays({ holidays: [date(7)] });
    const [newR10, newR3, newEnd] = [at(31), at(40), at(45)];
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await reviewRow(reviewId)).windowEndsAt.getTime() === newEnd ? true : undefined));
    expect((await handle.query(getPathReview)).reminders).toEqual([
      { days: 10, at: new Date(newR10).toISOString(), sent: false },
      { days: 3, at: new Date(newR3).toISOString(), sent: false },
    ]);

    const count = async (n: number) => eventually(async () => ((await reminders(reviewId)).length === n ? reminders(reviewId) : undefined));
    await advanceTo(newR10 - 1000);
    expect((await reminders(reviewId)).length).toBe(1);
    await advanceTo(newR10 + 1000);
    await count(2);
    await advanceTo(newR3 - 1000);
    expect((await reminders(reviewId)).length).toBe(2);
    await advanceTo(newR3 + 1000);
    expect(announced(await count(3))).toEqual([
      [r10, 10, new Date(oldEnd).toISOString()],
      [newR10, 10, new Date(newEnd).toISOString()],
      [newR3, 3, new Date(newEnd).toISOString()],
    ]);
    // Sent when the workflow's clock reached their times: the counts read a second before could have come too soon.
    await expectActedAt(handle, 'enqueuePathReviewMessage', [newR10, newR3], forEnd(newEnd));
    await advanceTo(newEnd);
    await completed(handle);
    expect(await handle.query(getPathReview)).toMatchObject({ status: 'LAPSED', decidedAt: new Date(newEnd).toISOString() });
    env.calendar = testCalendar(base);
    await recordHistory(handle, 'path-review-reminders-window-pushed-out');
  });

  it('a change outside the window records nothing; a submitted review (no pending deadline) ignores the signal', async () => {
    const { handle, reviewId, snapshot } = await startReview('SOFTWARE', 'CERTIFIED');
    env.calendar = withDays({ holidays: [isoDate(local(snapshot.windowEndsAt!).plus({ days: 60 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await recomputations(handle)) === 1 ? true : undefined));
    expect(await eventTypes(reviewId)).toEqual(['OPENED']);
    expect((await handle.query(getPathReview)).windowEndsAt).toBe(snapshot.windowEndsAt);
    await handle.terminate('done with it');

    const review = await submittedReview();
    env.calendar = withDays({ holidays: [isoDate(local(review.start).plus({ days: 7 }))] }); // inside its (passed) window
    await review.handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await review.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'PASS' }] }); // handled after the signal
    await completed(review.handle);
    expect(await eventTypes(review.reviewId)).toEqual(['OPENED', 'APPLIED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'PASSED']);
    expect(await recomputations(review.handle)).toBe(0);
    env.calendar = testCalendar(base);
  });

  it('the supplement deadline is recomputed from the request; the review lapses at the new deadline', async () => {
    const { handle, reviewId } = await submittedReview();
    const friday = nextFriday(await env.currentTimeMs(), 15);
    await advanceTo(friday.toMillis());
    const asked = await handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'add cases' }] });
    const askedAt = (await env.prisma.pathReviewEvent.findFirstOrThrow({ where: { reviewId, type: 'SUPPLEMENT_REQUESTED' } })).at.getTime();
    expect(askedAt - friday.toMillis()).toBeLessThan(60_000); // that Friday afternoon
    // 10 working days from a Friday afternoon: the Friday two weeks on (14 days); with the Friday a week on (working
    // day 5) a holiday: Mon–Thu (1–4), Mon–Fri (5–9), Mon (10) → 17 days on.
    const [oldDeadline, newDeadline] = [askedAt + 14 * DAY, askedAt + 17 * DAY];
    expect(asked.supplementDeadline).toBe(new Date(oldDeadline).toISOString());
    env.calendar = withDays({ holidays: [isoDate(friday.plus({ days: 7 }))] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 3 });
    const row = await eventually(async () => {
      const r = await reviewRow(reviewId);
      return r.supplementDeadline?.getTime() === newDeadline ? r : undefined;
    });
    expect(row.events.at(-1)).toMatchObject({
      type: 'DEADLINE_CHANGED',
      fromStatus: 'SUPPLEMENT_REQUESTED',
      toStatus: 'SUPPLEMENT_REQUESTED',
      data: { deadline: 'supplementDeadline', from: new Date(oldDeadline).toISOString(), to: new Date(newDeadline).toISOString() },
    });
    expect(row.windowEndsAt.toISOString()).toBe(asked.windowEndsAt); // the window is no longer pending: untouched
    expect(await processDeadline(handle)).toBe(new Date(newDeadline).toISOString());
    await advanceTo(oldDeadline + 1000);
    expect((await handle.query(getPathReview)).status).toBe('SUPPLEMENT_REQUESTED');
    await advanceTo(newDeadline + 1000);
    await completed(handle);
    expect((await reviewRow(reviewId)).status).toBe('LAPSED');
    await expectActedAt(handle, 'recordPathReviewTransition', [newDeadline], (t) => t.type === 'LAPSED'); // not at the old one
    env.calendar = testCalendar(base);
  });

  it('end to end: calendarChangeWorkflow finds the review by its partner calendar and changed date, and signals it', async () => {
    const { handle, reviewId, partnerId, snapshot, at, date } = await startOnFriday('SOFTWARE', 'CERTIFIED');
    const name = `RC-${randomUUID().slice(0, 6)}`;
    const holiday = date(18); // working day 12 (Tue of week 3) closes: the end moves from Fri 42 to Mon 45 days on
    const now = new Date();
    const version = (v: number, changes?: object) => ({
      calendarName: name,
      version: v,
      zone: ZONE,
      restWeekdays: [6, 7],
      firstYear: local(base).year - 1,
      lastYear: local(base).year + 30,
      holidays: v === 1 ? [] : [{ from: holiday, to: holiday, name: 'Typhoon closure' }],
      makeupWorkdays: [],
      changedBy: 'test',
      changedAt: now,
      ...(changes ? { changes } : {}),
    });
    await env.prisma.calendar.create({ data: { name, createdBy: 'test', createdAt: now } });
    await env.prisma.calendarVersion.create({ data: version(1) });
    await env.prisma.calendarVersion.create({ data: version(2, { everyDate: false, dates: [{ date: holiday, from: 'WORKDAY', to: 'HOLIDAY' }] }) });
    await env.prisma.partnerCalendar.create({ data: { partnerId, calendarName: name, assignedBy: 'test', assignedAt: now } });
    const other = await startReview('SOFTWARE', 'CERTIFIED'); // counts in the default calendar: not visited

    env.calendar = withDays({ holidays: [holiday] });
    const newEnd = new Date(at(45)).toISOString();
    const change = await env.client.workflow.start(calendarChangeWorkflow, {
      workflowId: `calendar-change-${name}-v2`,
      taskQueue,
      args: [{ scope: { kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }, reason: `calendar ${name} v2`, batchSize: 1 }],
    });
    await completed(change);
    expect(await resultOf(change)).toEqual({ signaled: 1 });
    const row = await eventually(async () => {
      const r = await reviewRow(reviewId);
      return r.windowEndsAt.toISOString() === newEnd ? r : undefined;
    });
    expect(row.events.at(-1)).toMatchObject({ type: 'DEADLINE_CHANGED', data: { from: snapshot.windowEndsAt, to: newEnd, reasons: [`calendar ${name} v2`] } });
    // Its signals all arrived before the change completed: the other review got none.
    expect(await signalsReceived(other.handle, 'recomputeDeadline')).toBe(0);
    expect(await eventTypes(other.reviewId)).toEqual(['OPENED']);
    await handle.terminate('done with it');
    await other.handle.terminate('done with it');
    env.calendar = testCalendar(base);
  });
});
