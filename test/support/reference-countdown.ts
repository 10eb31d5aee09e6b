/**
 * What a console countdown should read, by a deliberately naive reference sharing no code with the console
 * (console/src/working-time.ts): minute by minute, the minutes that fall on a working day of the test calendar
 * (PLAIN_WEEK: Asia/Shanghai, Saturday and Sunday rest, no holidays). The browser tests compare the page with it.
 */
import { DateTime } from 'luxon';
import { PLAIN_WEEK } from './reference-deadline.js';

export type Language = 'zh' | 'en';

/** Working minutes from `nowMs` (the next whole minute) to the deadline, counted one minute at a time. */
export function referenceWorkingMinutesLeft(nowMs: number, deadlineMs: number): number {
  let minutes = 0;
  for (let t = Math.ceil(nowMs / 60_000) * 60_000; t < deadlineMs; t += 60_000) {
    if (!PLAIN_WEEK.restWeekdays.includes(DateTime.fromMillis(t, { zone: PLAIN_WEEK.zone }).weekday)) minutes++;
  }
  return minutes;
}

/** Whole days (of 24 h), hours and minutes of a number of minutes. */
export const daysHoursMinutes = (minutes: number) => ({ days: Math.floor(minutes / 1440), hours: Math.floor((minutes % 1440) / 60), minutes: minutes % 60 });

/** A working-time countdown as the page words it: days and hours, or hours and minutes in the last working day. */
export function countdownText(workingMinutes: number, language: Language): string {
  const { days, hours, minutes } = daysHoursMinutes(workingMinutes);
  if (language === 'zh') return days > 0 ? `${days} 个工作日 ${hours} 小时` : `${hours} 小时 ${minutes} 分钟`;
  return days > 0 ? `${days} working day${days === 1 ? '' : 's'} ${hours} h left` : `${hours} h ${minutes} min left`;
}

/** What a text computed at some moment between `fromMs` and `toMs` may read (every 30 s, a minute either side). */
export function acceptableTexts(fromMs: number, toMs: number, text: (atMs: number) => string): string[] {
  const texts = new Set<string>();
  for (let t = fromMs - 60_000; t <= toMs + 60_000; t += 30_000) texts.add(text(t));
  return [...texts];
}

/** What the working-time countdown to `deadlineMs` may read while the page was open between `fromMs` and `toMs`. */
export const acceptableCountdowns = (fromMs: number, toMs: number, deadlineMs: number, language: Language): string[] =>
  acceptableTexts(fromMs, toMs, (atMs) => countdownText(referenceWorkingMinutesLeft(atMs, deadlineMs), language));
