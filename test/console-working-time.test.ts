/**
 * The console's working-time countdown (console/src/working-time.ts), against explanations the API's own calendar
 * writes (domain/calendar.ts) and a naive minute-by-minute reference: from a working day, from a weekend, across a
 * holiday and a make-up day, after the deadline, and before the window starts.
 */
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { splitWorkingTime, workingTimeLeft } from '../console/src/working-time.js';
import { BusinessCalendar } from '../domain/calendar.js';

const ZONE = 'Asia/Shanghai';
const calendar = new BusinessCalendar({
  name: 'TEST',
  zone: ZONE,
  restWeekdays: [6, 7],
  years: [2026, 2027],
  holidays: { '2026-12-09': 'Test Festival' },
  makeupWorkdays: { '2026-12-12': 'Test Festival make-up day' },
});
const at = (local: string) => DateTime.fromISO(local, { zone: ZONE }).toJSDate();

/** Minutes of working time in [now, deadline), one minute at a time, asking the calendar day by day. */
function referenceMinutes(now: Date, deadline: Date): number {
  let minutes = 0;
  for (let t = now.getTime(); t < deadline.getTime(); t += 60_000) {
    const day = DateTime.fromMillis(t, { zone: ZONE });
    const date = day.toISODate()!;
    const working = date === '2026-12-12' || (date !== '2026-12-09' && day.weekday < 6);
    if (working) minutes++;
  }
  return minutes;
}

describe('working time left', () => {
  it.each([
    ['shared on a working day, read at once', '2026-12-07T10:00', '2026-12-07T10:00'],
    ['shared on a working day, read a day and a half later', '2026-12-07T10:00', '2026-12-08T22:30'],
    ['shared on a Saturday (no time counts until Monday)', '2026-12-05T15:00', '2026-12-05T18:00'],
    ['shared before a holiday, read on it', '2026-12-08T09:00', '2026-12-09T12:00'],
    ['shared on a Friday, across a make-up Saturday', '2026-12-11T16:45', '2026-12-12T08:00'],
  ])('%s', (_name, shared, read) => {
    const { deadline, explanation } = calendar.addWorkingDays(at(shared), 3);
    const now = at(read);
    expect(workingTimeLeft(explanation, now) / 60_000).toBe(referenceMinutes(now, deadline));
  });

  it('three working days are 3 × 24 h of working time at sharing, and none after the deadline', () => {
    const { deadline, explanation } = calendar.addWorkingDays(at('2026-12-07T10:00'), 3);
    expect(splitWorkingTime(workingTimeLeft(explanation, at('2026-12-07T10:00')))).toEqual({ days: 3, hours: 0, minutes: 0 });
    expect(workingTimeLeft(explanation, new Date(deadline.getTime() + 1))).toBe(0);
  });

  it('a clock behind the window start counts the whole window', () => {
    const { explanation } = calendar.addWorkingDays(at('2026-12-07T10:00'), 3);
    expect(workingTimeLeft(explanation, at('2026-12-06T10:00'))).toBe(3 * 24 * 3_600_000);
  });

  it('splits into working days, hours and minutes (floored)', () => {
    expect(splitWorkingTime((2 * 24 + 5) * 3_600_000 + 59_999)).toEqual({ days: 2, hours: 5, minutes: 0 });
    expect(splitWorkingTime(3_600_000 * 5 + 12 * 60_000)).toEqual({ days: 0, hours: 5, minutes: 12 });
  });
});
