/**
 * An independent reference for working-day deadlines, for tests whose dates float with the clock (a real-time server
 * shares "now"): deliberately naive — one day at a time, wall-clock time kept — and sharing no code with
 * domain/calendar.ts, so a wrong deadline there is not mirrored here. The rule, as the README states it: from a
 * working day at local time t, t on the N-th following working day; from a non-working day, 00:00 after the N-th.
 */
import { DateTime } from 'luxon';

export type ReferenceCalendar = { zone: string; restWeekdays: number[]; holidays?: string[]; makeupWorkdays?: string[] };
/** The plain test calendar (support/calendar.ts testCalendar without holidays): Asia/Shanghai, Saturday and Sunday rest. */
export const PLAIN_WEEK: ReferenceCalendar = { zone: 'Asia/Shanghai', restWeekdays: [6, 7] };

export function referenceDeadline(fromMs: number, workingDays: number, calendar: ReferenceCalendar): number {
  const holidays = new Set(calendar.holidays ?? []);
  const makeups = new Set(calendar.makeupWorkdays ?? []);
  const working = (day: DateTime) => {
    const date = day.toFormat('yyyy-MM-dd');
    return makeups.has(date) || (!holidays.has(date) && !calendar.restWeekdays.includes(day.weekday));
  };
  const start = DateTime.fromMillis(fromMs, { zone: calendar.zone });
  let day = start.startOf('day');
  const startsOnWorkingDay = working(day);
  for (let counted = 0; counted < workingDays; ) {
    day = day.plus({ days: 1 });
    if (working(day)) counted++;
  }
  const end = startsOnWorkingDay
    ? day.set({ hour: start.hour, minute: start.minute, second: start.second, millisecond: start.millisecond })
    : day.plus({ days: 1 }).startOf('day');
  return end.toMillis();
}

/**
 * The days an explanation of `workingDays` from `fromMs` should list, by the same naive walk: the working days counted
 * (the start day never counts) and the days skipped on the way — the start day too when it is not working.
 */
export function referenceDays(fromMs: number, workingDays: number, calendar: ReferenceCalendar) {
  const holidays = new Set(calendar.holidays ?? []);
  const makeups = new Set(calendar.makeupWorkdays ?? []);
  const counted: string[] = [];
  const skipped: { date: string; reason: 'HOLIDAY' | 'REST_DAY' }[] = [];
  const visit = (day: DateTime, counts: boolean) => {
    const date = day.toFormat('yyyy-MM-dd');
    if (makeups.has(date) || (!holidays.has(date) && !calendar.restWeekdays.includes(day.weekday))) return counts && counted.push(date);
    return skipped.push({ date, reason: holidays.has(date) ? 'HOLIDAY' : 'REST_DAY' });
  };
  let day = DateTime.fromMillis(fromMs, { zone: calendar.zone }).startOf('day');
  visit(day, false);
  while (counted.length < workingDays) visit((day = day.plus({ days: 1 })), true);
  return { counted, skipped };
}
