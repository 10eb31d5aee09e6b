/**
 * Statutory holiday rules: what a calendar's law says about a year whose official schedule is not published yet.
 * A calendar that names rules counts such a year *provisionally* with the days the rules give off (see
 * BusinessCalendar); the official schedule, once loaded, replaces them.
 *
 * CN — the national regulation on public holidays (全国年节及纪念日放假办法) as in force in the year:
 * - from 2025 (the 2024 amendment): New Year's Day (1 Jan); Spring Festival (lunar New Year's Eve and lunar 1/1–1/3);
 *   Tomb-sweeping Day (the day of the Qingming solar term); Labour Day (1–2 May); Dragon Boat Festival (lunar 5/5);
 *   Mid-autumn Festival (lunar 8/15); National Day (1–3 Oct);
 * - 2014–2024 (the 2013 amendment): the same, but Spring Festival lunar 1/1–1/3 only and Labour Day 1 May only;
 * - substitutes: a whole-population holiday day that falls on a rest day (or on another holiday's day) is given off
 *   on the following working day.
 * What the rules cannot know: the bridge days the State Council adds each year with make-up weekends (调休). A
 * provisional year therefore has no make-up working days, and may lose or gain days when the schedule is published.
 * Lunar dates and the solar term come from `tyme4ts` (a maintained lunar calendar library), never a table here.
 */
import { LunarDay, SolarDay, SolarTerm } from 'tyme4ts';

export type StatutoryHoliday = { date: string; name: string; substitute?: true };

/** A rule set: the days a year's law gives off, or undefined for a year the rules cannot compute. */
export type StatutoryRules = {
  name: string;
  /** Years the rules can compute (inclusive). */
  years: { first: number; last: number };
  holidaysOf: (year: number) => StatutoryHoliday[] | undefined;
};

const iso = (day: SolarDay) =>
  `${day.getYear()}-${String(day.getMonth()).padStart(2, '0')}-${String(day.getDay()).padStart(2, '0')}`;
const solar = (year: number, month: number, day: number) => SolarDay.fromYmd(year, month, day);
const lunar = (lunarYear: number, month: number, day: number) => LunarDay.fromYmd(lunarYear, month, day).getSolarDay();
const isWeekend = (day: SolarDay) => day.getWeek().getIndex() === 0 || day.getWeek().getIndex() === 6;

/** The statutory days of a year under CN's regulation, before substitutes: [date, name] in entitlement order. */
function cnEntitlements(year: number): [SolarDay, string][] {
  const amended2024 = year >= 2025;
  const newYear = lunar(year, 1, 1);
  const days: [SolarDay, string][] = [[solar(year, 1, 1), "New Year's Day"]];
  if (amended2024) days.push([newYear.next(-1), 'Spring Festival']); // lunar New Year's Eve (the 29th or 30th of month 12)
  days.push([newYear, 'Spring Festival'], [newYear.next(1), 'Spring Festival'], [newYear.next(2), 'Spring Festival']);
  days.push([SolarTerm.fromName(year, '清明').getJulianDay().getSolarDay(), 'Tomb-sweeping Day']);
  days.push([solar(year, 5, 1), 'Labour Day']);
  if (amended2024) days.push([solar(year, 5, 2), 'Labour Day']);
  days.push([lunar(year, 5, 5), 'Dragon Boat Festival'], [lunar(year, 8, 15), 'Mid-autumn Festival']);
  days.push([solar(year, 10, 1), 'National Day'], [solar(year, 10, 2), 'National Day'], [solar(year, 10, 3), 'National Day']);
  return days;
}

/**
 * Every day off of the year: the statutory days, then one substitute for each statutory day that fell on a weekend
 * or on a day another holiday already had — the first following weekday that is not already off.
 */
function cnHolidays(year: number): StatutoryHoliday[] {
  const entitlements = cnEntitlements(year).sort(([a], [b]) => a.subtract(b));
  const off = new Map<string, StatutoryHoliday>();
  const owed: [SolarDay, string][] = [];
  for (const [day, name] of entitlements) {
    const date = iso(day);
    if (off.has(date) || isWeekend(day)) owed.push([day, name]);
    if (!off.has(date)) off.set(date, { date, name });
  }
  for (const [day, name] of owed) {
    let substitute = day.next(1);
    while (isWeekend(substitute) || off.has(iso(substitute))) substitute = substitute.next(1);
    // Only inside the year: a December weekend's substitute in January belongs to next year's schedule.
    if (substitute.getYear() === year) off.set(iso(substitute), { date: iso(substitute), name, substitute: true });
  }
  return [...off.values()].sort((a, b) => (a.date < b.date ? -1 : 1));
}

export const CN_STATUTORY: StatutoryRules = {
  name: 'CN-statutory',
  // From the 2013 amendment's first year; to the end of tyme4ts's lunar tables' comfortable range.
  years: { first: 2014, last: 2199 },
  holidaysOf: (year) => (year >= CN_STATUTORY.years.first && year <= CN_STATUTORY.years.last ? cnHolidays(year) : undefined),
};

/** The rule sets a calendar may name (stored with each calendar version as `rules`). */
export const STATUTORY_RULES: Readonly<Record<string, StatutoryRules>> = { [CN_STATUTORY.name]: CN_STATUTORY };
export const STATUTORY_RULE_NAMES = Object.keys(STATUTORY_RULES) as [string, ...string[]];
