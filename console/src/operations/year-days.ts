/**
 * The days of one calendar year as the year view shows them: each date's kind (working day, rest day, holiday,
 * make-up working day) with the holiday's name, exactly as the API answered them (GET /v1/calendars/:name/years/:year)
 * — the console keeps no calendar of its own that could disagree with the server's. The API classifies every day
 * with its deadline arithmetic itself: a published year from the calendar's data, a year not published yet with the
 * calendar's statutory rules (PROVISIONAL).
 */
import type { CalendarYear } from './types';

export type YearDay = CalendarYear['days'][number];
export type DayKind = YearDay['kind'];

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
