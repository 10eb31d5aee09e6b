/**
 * A verification deadline reaching into a year whose holiday schedule is not published, on the time-skipping test
 * server with the real activities on a real PostgreSQL: provisional (explanation, row, query, Web UI), then re-timed by
 * the official year — confirmed clears the mark, moved is announced.
 */
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import { getIncentive, type IncentiveSnapshot, recomputeDeadline } from '../workflows/incentive/workflow.js';
import { testCalendar, ZONE } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { incentiveSteps, partner } from './support/incentive.js';
import { cnCalendar, deadlineChangedMessages, nextThursdayDec24, officialNextYear, provisionalAttribute } from './support/provisional.js';
import { eventually } from './support/wait.js';

const taskQueue = 'incentive-provisional-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
/** The month before the server's clock at start: the verifications' period. */
let period: string;
beforeAll(async () => {
  period = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE }).minus({ months: 1 }).toFormat('yyyy-MM');
});
const { start, incentiveId, dbState } = incentiveSteps(env, () => period);

describe('a verification deadline reaching into a year whose holiday schedule is not published', () => {
  const eventCount = (partnerId: string, count: number) =>
    eventually(async () => {
      const { row } = await dbState(partnerId);
      return row.events.length === count ? row : undefined;
    });

  it('is provisional (explanation, row, query, Web UI); the official year re-times it: confirmed clears the mark, moved is announced', async () => {
    const dec24 = nextThursdayDec24(await env.currentTimeMs());
    const [year, next] = [dec24.year, dec24.year + 1];
    env.calendar = cnCalendar(year - 1, year); // next year not published: counted with CN's statutory rules
    try {
      await advanceTo(dec24.toMillis());
      const [confirmedOne, movedOne] = [partner(), partner()];
      const confirmed = await start(confirmedOne);
      const moved = await start(movedOne);
      // Instants count from generatedAt (Thu 12-24 10:00 and the seconds the test took); no DST in Shanghai.
      const at = (s: IncentiveSnapshot, days: number) => new Date(Date.parse(s.generatedAt!) + days * DAY).toISOString();
      // Thu 12-24 + 14 working days: Fri 25 (1), Mon 28–Thu 31 (2–5), Fri 01-01 New Year's Day (statutory), Mon 04–Fri 08
      // (6–10), Mon 11–Thu 14 (11–14) → Thu 01-14, 21 days on; the reminder at 11 working days: Mon 01-11, 18 days on.
      for (const { snapshot, handle } of [confirmed, moved]) {
        expect(snapshot).toMatchObject({ verificationDeadline: at(snapshot, 21), reminderAt: at(snapshot, 18), deadlineProvisional: true, provisionalYears: [next] });
        expect(await provisionalAttribute(handle)).toBe(true);
      }
      expect((await dbState(confirmedOne)).row.deadlineExplanation).toMatchObject({
        provisional: true,
        provisionalYears: [next],
        provisionalNote: expect.stringContaining('may move'),
        skippedDays: expect.arrayContaining([{ date: `${next}-01-01`, reason: 'HOLIDAY', name: "New Year's Day (provisional)" }]),
      });

      // The official year says what the rules said: the date stands, the mark clears, nothing is sent.
      env.calendar = officialNextYear(year);
      await confirmed.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const confirmedRow = await eventCount(confirmedOne, 2);
      const deadline = at(confirmed.snapshot, 21);
      expect(confirmedRow.verificationDeadline.toISOString()).toBe(deadline);
      expect(confirmedRow.reminderAt.toISOString()).toBe(at(confirmed.snapshot, 18));
      expect(confirmedRow.events[1]).toMatchObject({ type: 'DEADLINE_CHANGED', reasonCode: 'CALENDAR_CHANGED', data: { from: deadline, to: deadline } });
      expect(confirmedRow.events[1]!.note).toContain('no longer provisional');
      expect(confirmedRow.deadlineExplanation).not.toHaveProperty('provisional');
      expect(await deadlineChangedMessages(env.prisma, incentiveId(confirmedOne))).toEqual([]);
      expect(await provisionalAttribute(confirmed.handle)).toBe(false);
      expect(await confirmed.handle.query(getIncentive)).not.toHaveProperty('deadlineProvisional');
      await confirmed.handle.signal(recomputeDeadline, { reason: 'again', calendar: 'CN', version: 3 });
      await confirmed.handle.query(getIncentive); // the signal is in history before the query answers
      // generate, plan, DEADLINE_CHANGED, plan: regular activities or local ones (markers, workflows/kit/persistence.ts)
      const done = (e: { activityTaskCompletedEventAttributes?: unknown; markerRecordedEventAttributes?: { markerName?: string | null } | null }) =>
        Boolean(e.activityTaskCompletedEventAttributes || e.markerRecordedEventAttributes?.markerName === 'core_local_activity');
      await eventually(async () => ((await confirmed.handle.fetchHistory()).events!.filter(done).length === 4 ? true : undefined));
      expect((await dbState(confirmedOne)).events).toEqual(['GENERATED', 'DEADLINE_CHANGED']); // unchanged date and mark: nothing more

      // The official year adds a bridge day (Mon 01-04): Fri 25 (1), 28–31 (2–5), Tue 05–Fri 08 (6–9), Mon 11–Fri 15
      // (10–14) → Fri 01-15, 22 days on; the reminder: Tue 01-12, 19 days on.
      env.calendar = officialNextYear(year, { bridge: true });
      await moved.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const movedRow = await eventCount(movedOne, 2);
      const [from, to] = [at(moved.snapshot, 21), at(moved.snapshot, 22)];
      expect(movedRow.verificationDeadline.toISOString()).toBe(to);
      expect(movedRow.reminderAt.toISOString()).toBe(at(moved.snapshot, 19));
      expect(movedRow.events[1]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { from, to, reasons: [`calendar CN: ${next} published`] } });
      expect(movedRow.deadlineExplanation).not.toHaveProperty('provisional');
      const [message, ...more] = await eventually(async () => {
        const rows = await deadlineChangedMessages(env.prisma, incentiveId(movedOne));
        return rows.length ? rows : undefined;
      });
      expect(more).toEqual([]);
      expect(message).toMatchObject({
        topic: 'incentive.deadline-changed',
        payload: { incentiveId: incentiveId(movedOne), partnerId: movedOne, period, deadline: 'verificationDeadline', from, to, reason: `calendar CN: ${next} published` },
      });
      expect(message!.payload).not.toHaveProperty('deadlineProvisional');
      expect(await provisionalAttribute(moved.handle)).toBe(false);
      expect(await moved.handle.query(getIncentive)).toMatchObject({ verificationDeadline: to, reminderAt: at(moved.snapshot, 19) });
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });
});
