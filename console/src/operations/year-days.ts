/**
 * The days of one calendar year as the year view shows them: each date's kind (working day, rest day, holiday,
 * make-up working day) with the holiday's name, built from what the API answered and nothing else — the console keeps
 * no calendar of its own that could disagree with the server's.
 *
 * A published year comes from the calendar itself (GET /v1/calendars/:name: holidays as named ranges, make-up days).
 * A year the calendar has not published has no data to read; what the API offers for it is its deadline arithmetic
 * (GET /v1/calendars/:name/deadline), which counts such a year with the calendar's statutory rules and says so. A
 * window of YEAR_WINDOW working days from 1 January reaches past 31 December, so its explanation names every day of
 * the year it skipped (rest days, holidays by name) and every make-up day it counted.
 */
import { DateTime } from 'luxon';
import type { DeadlineExplanation } from '../api/client';
import type { Calendar } from './types';

export type DayKind = 'WORKDAY' | 'REST_DAY' | 'HOLIDAY' | 'MAKEUP_WORKDAY';
export type YearDay = { date: string; kind: DayKind; name?: string };

/** More working days than any year has (at most 261), and the most the deadline route takes. */
export const YEAR_WINDOW = 366;

/** Every date of `year`, in order, as YYYY-MM-DD with its ISO weekday. Dates are calendar dates: no zone applies. */
function datesOf(year: number): { date: string; weekday: number }[] {
  const days: { date: string; weekday: number }[] = [];
  for (let day = DateTime.utc(year, 1, 1); day.year === year; day = day.plus({ days: 1 })) days.push({ date: day.toISODate()!, weekday: day.weekday });
  return days;
}

/** A year the calendar publishes: its holiday ranges and make-up days over its weekly rest days. */
export function publishedYear(year: number, calendar: Pick<Calendar, 'restWeekdays' | 'holidays' | 'makeupWorkdays'>): YearDay[] {
  const named = new Map<string, YearDay>();
  for (const range of calendar.holidays) {
    for (let day = DateTime.fromISO(range.from, { zone: 'utc' }); day.toISODate()! <= range.to; day = day.plus({ days: 1 })) {
      named.set(day.toISODate()!, { date: day.toISODate()!, kind: 'HOLIDAY', name: range.name });
    }
  }
  for (const makeup of calendar.makeupWorkdays) named.set(makeup.date, { date: makeup.date, kind: 'MAKEUP_WORKDAY', name: makeup.name });
  return datesOf(year).map(({ date, weekday }) => named.get(date) ?? { date, kind: calendar.restWeekdays.includes(weekday) ? 'REST_DAY' : 'WORKDAY' });
}

/**
 * A year read from the explanation of a window covering it: the days it skipped and the make-up days it counted. A
 * day it does not list is a plain day of the week (the window's working start day is not listed: it counts the rest
 * of itself).
 */
export function explainedYear(year: number, restWeekdays: readonly number[], explanation: Pick<DeadlineExplanation, 'countedDays' | 'skippedDays'>): YearDay[] {
  const named = new Map<string, YearDay>();
  for (const day of explanation.skippedDays) {
    named.set(day.date, day.reason === 'HOLIDAY' ? { date: day.date, kind: 'HOLIDAY', ...(day.name ? { name: day.name } : {}) } : { date: day.date, kind: 'REST_DAY' });
  }
  for (const day of explanation.countedDays) {
    if (day.kind === 'MAKEUP_WORKDAY') named.set(day.date, { date: day.date, kind: 'MAKEUP_WORKDAY', ...(day.name ? { name: day.name } : {}) });
  }
  return datesOf(year).map(({ date, weekday }) => named.get(date) ?? { date, kind: restWeekdays.includes(weekday) ? 'REST_DAY' : 'WORKDAY' });
}

/** The start of the window that explains `year`: its 1 January, 00:00 in the calendar's zone, with the offset. */
export function windowStart(year: number, zone: string): string {
  return DateTime.fromObject({ year, month: 1, day: 1 }, { zone }).toISO({ suppressMilliseconds: true })!;
}

/** Consecutive days of the same holiday or make-up name folded into ranges, for the list under the months. */
export type NamedRun = { kind: 'HOLIDAY' | 'MAKEUP_WORKDAY'; name?: string; from: string; to: string; days: number };

export function namedRuns(days: readonly YearDay[]): NamedRun[] {
  const runs: NamedRun[] = [];
  let previous: YearDay | undefined;
  for (const day of days) {
    const last = runs.at(-1);
    if ((day.kind === 'HOLIDAY' || day.kind === 'MAKEUP_WORKDAY') && last && previous && previous.kind === day.kind && previous.name === day.name && last.to === previous.date) {
      last.to = day.date;
      last.days++;
    } else if (day.kind === 'HOLIDAY' || day.kind === 'MAKEUP_WORKDAY') {
      runs.push({ kind: day.kind, ...(day.name ? { name: day.name } : {}), from: day.date, to: day.date, days: 1 });
    }
    previous = day;
  }
  return runs;
}

/** The year's days by month (index 0 = January). */
export function byMonth(days: readonly YearDay[]): YearDay[][] {
  const months: YearDay[][] = Array.from({ length: 12 }, () => []);
  for (const day of days) months[Number(day.date.slice(5, 7)) - 1]!.push(day);
  return months;
}
