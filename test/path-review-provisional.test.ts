/**
 * Path review deadlines reaching into a year whose holiday schedule is not published, on the time-skipping test
 * server with the real activities on a real PostgreSQL: provisional (history, query, Web UI, reminders) until the
 * official year re-times them — confirmed (the mark clears) or moved (path-review.deadline-changed).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { calendarChangeWorkflow } from '../workflows/calendar-change/workflow.js';
import { decide, getPathReview, recomputeDeadline } from '../workflows/path-review/workflow.js';
import { testCalendar, ZONE } from './support/calendar.js';
import { useTestEnv } from './support/env.js';
import { pathReviewSteps, vendor } from './support/path-review.js';
import { cnCalendar, deadlineChangedMessages, nextThursdayDec24, officialNextYear, provisionalAttribute } from './support/provisional.js';
import { completed, eventually, resultOf } from './support/wait.js';

const taskQueue = 'path-review-provisional-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
const { startReview, submittedReview, reviewRow, reminders } = pathReviewSteps(env, 2027);
/** The server's clock at start: the test calendars are placed around it. */
let base: number;
beforeAll(async () => {
  base = await env.currentTimeMs();
});

describe('path review deadlines reaching into a year whose holiday schedule is not published', () => {
  const DAY = 24 * 3600 * 1000;
  const eventCount = (id: string, count: number) =>
    eventually(async () => {
      const r = await reviewRow(id);
      return r.events.length === count ? r : undefined;
    });
  const provisionalExplanation = (next: number) => ({
    provisional: true,
    provisionalYears: [next],
    provisionalNote: expect.stringContaining('may move'),
    skippedDays: expect.arrayContaining([{ date: `${next}-01-01`, reason: 'HOLIDAY', name: "New Year's Day (provisional)" }]),
  });

  it('are provisional (history, query, Web UI, reminder); the official year re-times them: a confirmed supplementDeadline clears its mark, a moved window is announced', async () => {
    const dec24 = nextThursdayDec24(await env.currentTimeMs());
    const [year, next] = [dec24.year, dec24.year + 1];
    env.calendar = cnCalendar(year - 1, year); // next year not published: counted with CN's statutory rules
    try {
      await advanceTo(dec24.toMillis());
      // The window counts from Thu 11-26 10:00, 28 days earlier: Fri 27 (1), Mon 30 – Fri 12-04 (2–6), three full weeks
      // (7–21, the 20th Thu 12-24), Mon 28 – Thu 31 (22–25), Fri 01-01 New Year's Day (statutory), Mon 04 – Fri 08 (26–30)
      // → Fri 01-08 10:00, 43 days on. Reminders: 10 working days before (the 20th: Thu 12-24 10:00, due at once) and 3 (the
      // 27th: Tue 01-05).
      const cycleStart = dec24.minus({ days: 28 });
      const window = await startReview('SOFTWARE', 'ADVANCED', cycleStart.toJSDate());
      const windowEndsAt = cycleStart.plus({ days: 43 }).toJSDate().toISOString();
      expect(window.snapshot).toMatchObject({ windowEndsAt, deadlineProvisional: true, provisionalYears: [next] });
      expect((await reviewRow(window.reviewId)).events[0]!.data).toMatchObject({ explanation: provisionalExplanation(next) });
      expect(await provisionalAttribute(window.handle)).toBe(true);
      const [first] = await eventually(async () => {
        const rows = await reminders(window.reviewId);
        return rows.length ? rows : undefined;
      });
      expect(first).toMatchObject({ dueAt: dec24.toJSDate(), payload: { daysBefore: 10, windowEndsAt, deadlineProvisional: true, provisionalYears: [next] } });

      // Submitted, then a supplement asked now: 10 working days, as for a review SLA → Fri 01-08, 15 days on.
      const supplementing = await submittedReview();
      const asked = await supplementing.handle.executeUpdate(decide, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
      const askedAt = (await reviewRow(supplementing.reviewId)).events.at(-1)!;
      expect(askedAt).toMatchObject({ type: 'SUPPLEMENT_REQUESTED', data: { explanation: provisionalExplanation(next) } });
      const supplementDeadline = new Date(askedAt.at.getTime() + 15 * DAY).toISOString();
      expect(asked).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementDeadline, deadlineProvisional: true, provisionalYears: [next] });
      expect(await provisionalAttribute(supplementing.handle)).toBe(true);

      // The official year says what the rules said: the supplement deadline stands, its mark clears, nothing is sent.
      env.calendar = officialNextYear(year);
      const seen = (await reviewRow(supplementing.reviewId)).events.length;
      await supplementing.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const confirmed = await eventCount(supplementing.reviewId, seen + 1);
      expect(confirmed.supplementDeadline!.toISOString()).toBe(supplementDeadline);
      expect(confirmed.events.at(-1)).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'supplementDeadline', from: supplementDeadline, to: supplementDeadline } });
      expect(confirmed.events.at(-1)!.note).toContain('no longer provisional');
      expect(confirmed.events.at(-1)!.data).not.toHaveProperty('explanation.provisional');
      expect(await deadlineChangedMessages(env.prisma, supplementing.reviewId)).toEqual([]);
      expect(await provisionalAttribute(supplementing.handle)).toBe(false);
      expect(await supplementing.handle.query(getPathReview)).not.toHaveProperty('deadlineProvisional');

      // The official year, with a bridge day (Mon 01-04), loaded as a new version of the window's partner calendar: the
      // calendar change finds the review (its window touches the newly covered year) and signals it.
      // 26th working day Tue 01-05 … 29th Fri 01-08, 30th Mon 01-11 → 46 days on.
      const name = `PRV-${randomUUID().slice(0, 6)}`;
      const at = new Date();
      const version = (v: number, lastYear: number, changes?: object) => ({
        calendarName: name, version: v, zone: ZONE, restWeekdays: [6, 7], firstYear: year - 1, lastYear, holidays: [], makeupWorkdays: [], changedBy: 'test', changedAt: at,
        ...(changes ? { changes } : {}),
      });
      await env.prisma.calendar.create({ data: { name, createdBy: 'test', createdAt: at } });
      await env.prisma.calendarVersion.create({ data: version(1, year) });
      await env.prisma.calendarVersion.create({ data: version(2, next, { everyDate: false, dates: [], newlyCoveredYears: [next] }) });
      await env.prisma.partnerCalendar.create({ data: { partnerId: window.partnerId, calendarName: name, assignedBy: 'test', assignedAt: at } });
      env.calendar = officialNextYear(year, { bridge: true });
      const change = await env.client.workflow.start(calendarChangeWorkflow, {
        workflowId: `calendar-change-${name}-v2`,
        taskQueue,
        args: [{ scope: { kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }, reason: `calendar ${name}: ${next} published` }],
      });
      await completed(change);
      expect(await resultOf(change)).toEqual({ signaled: 1 });
      const to = cycleStart.plus({ days: 46 }).toJSDate().toISOString();
      const moved = await eventCount(window.reviewId, 2);
      expect(moved.windowEndsAt.toISOString()).toBe(to);
      expect(moved.events[1]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'windowEndsAt', from: windowEndsAt, to } });
      const [message, ...more] = await eventually(async () => {
        const rows = await deadlineChangedMessages(env.prisma, window.reviewId);
        return rows.length ? rows : undefined;
      });
      expect(more).toEqual([]);
      expect(message).toMatchObject({
        topic: 'path-review.deadline-changed',
        payload: { reviewId: window.reviewId, partnerId: window.partnerId, deadline: 'windowEndsAt', from: windowEndsAt, to, reason: `calendar ${name}: ${next} published` },
      });
      expect(message!.payload).not.toHaveProperty('deadlineProvisional');
      // The 10-day reminder is announced again for the new end, no longer provisional.
      const again = await eventually(async () => {
        const rows = await reminders(window.reviewId);
        return rows.length === 2 ? rows : undefined;
      });
      expect(again.map((r) => (r.payload as { windowEndsAt: string }).windowEndsAt).sort()).toEqual([windowEndsAt, to].sort());
      expect(again.find((r) => (r.payload as { windowEndsAt: string }).windowEndsAt === to)!.payload).not.toHaveProperty('deadlineProvisional');
      expect(await provisionalAttribute(window.handle)).toBe(false);
      expect(await window.handle.query(getPathReview)).not.toHaveProperty('deadlineProvisional');
    } finally {
      env.calendar = testCalendar(base);
    }
  });
});
