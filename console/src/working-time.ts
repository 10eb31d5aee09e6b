/**
 * Working time left until a deadline, counted from the deadline's own explanation (GET /v1/opportunities/:id
 * answers it): the API counts N working days as N×24 h of time on working days in the partner's zone
 * (domain/calendar.ts addWorkingDays), and the explanation lists the days it counted and skipped. Time left is
 * therefore the part of [now, deadline] that falls on those working days — computed here from the answer alone, so
 * the console never holds a calendar of its own that could disagree with the server's.
 *
 * Pure and DOM-free (luxon for the zone's day boundaries, DST included): test/console-working-time.test.ts runs it.
 */
import { DateTime } from 'luxon';

/** The fields of a deadline explanation this count reads (the API's DeadlineExplanation has them and more). */
export type CountedWindow = {
  zone: string;
  /** Local ISO 8601 with offset: where the window starts. */
  from: string;
  /** Local ISO 8601 with offset: the deadline. */
  deadline: string;
  countedDays: readonly { date: string }[];
  skippedDays: readonly { date: string }[];
};

export const HOUR_MS = 3_600_000;
export const WORKING_DAY_MS = 24 * HOUR_MS;

/**
 * Milliseconds of working time between `now` and the deadline (0 once it has passed). The start day counts when it
 * is not among the skipped days — the explanation lists it only if skipped, since a working start day contributes
 * the rest of itself rather than a whole counted day.
 */
export function workingTimeLeft(window: CountedWindow, now: Date): number {
  const deadline = DateTime.fromISO(window.deadline, { setZone: true }).toMillis();
  const from = DateTime.fromISO(window.from, { zone: window.zone });
  const start = Math.max(now.getTime(), from.toMillis());
  if (!(deadline > start)) return 0;
  const skipped = new Set(window.skippedDays.map((d) => d.date));
  const startDate = from.toISODate();
  const working = new Set(window.countedDays.map((d) => d.date));
  if (startDate && !skipped.has(startDate)) working.add(startDate);
  let left = 0;
  for (const date of working) {
    const dayStart = DateTime.fromISO(date, { zone: window.zone }).startOf('day');
    const dayEnd = dayStart.plus({ days: 1 });
    const overlap = Math.min(deadline, dayEnd.toMillis()) - Math.max(start, dayStart.toMillis());
    if (overlap > 0) left += overlap;
  }
  return left;
}

/** Working time in the units the countdown shows: whole working days (24 h of working time), hours, minutes. */
export function splitWorkingTime(ms: number): { days: number; hours: number; minutes: number } {
  const minutesTotal = Math.floor(Math.max(0, ms) / 60_000);
  return { days: Math.floor(minutesTotal / (24 * 60)), hours: Math.floor((minutesTotal % (24 * 60)) / 60), minutes: minutesTotal % 60 };
}
