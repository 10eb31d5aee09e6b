/** Synthetic calendars placed around the test clock, so workflow tests do not depend on today's date. */
import { DateTime } from 'luxon';
import { BusinessCalendar, type CalendarLookup } from '../../domain/calendar.js';

export const ZONE = 'Asia/Shanghai';

type Days = { holidays?: string[]; makeupWorkdays?: string[]; years?: [number, number] };

export function testCalendar(nowMs: number, days: Days = {}): BusinessCalendar {
  const year = DateTime.fromMillis(nowMs, { zone: ZONE }).year;
  const named = (dates: string[] = [], name: string) => Object.fromEntries(dates.map((d) => [d, name]));
  return new BusinessCalendar({
    name: 'TEST',
    zone: ZONE,
    restWeekdays: [6, 7],
    // Wide on purpose: awaiting a result lets the test server skip far ahead when nothing else is due.
    years: days.years ?? [year - 1, year + 30],
    holidays: named(days.holidays, 'Test Festival'),
    makeupWorkdays: named(days.makeupWorkdays, 'Test Festival make-up day'),
  });
}

/** The next Friday at hh:00 in ZONE strictly after `nowMs`. */
export function nextFriday(nowMs: number, hour: number): DateTime {
  let day = DateTime.fromMillis(nowMs, { zone: ZONE }).startOf('day').set({ hour });
  while (day.weekday !== 5 || day.toMillis() <= nowMs) day = day.plus({ days: 1 }).set({ hour });
  return day;
}

export const isoDate = (d: DateTime) => d.toISODate()!;

/**
 * The next 30 December that is a Wednesday, 10:00 in ZONE, after `nowMs` (2026 while the clock is before it, then
 * 2037, 2043…): the same weekday every run, so expected dates around New Year can be written by hand once.
 */
export function nextWednesdayDec30(nowMs: number): DateTime {
  for (let year = DateTime.fromMillis(nowMs, { zone: ZONE }).year; ; year++) {
    const day = DateTime.fromObject({ year, month: 12, day: 30, hour: 10 }, { zone: ZONE });
    if (day.weekday === 3 && day.toMillis() > nowMs) return day;
  }
}

/** A lookup answering `calendarOf(partnerId)` (read at each call, so a test may swap the calendar), as version 1. */
export const fixedCalendar =
  (calendarOf: (partnerId: string) => BusinessCalendar): CalendarLookup =>
  async (partnerId) => ({ calendar: calendarOf(partnerId), version: 1 });
