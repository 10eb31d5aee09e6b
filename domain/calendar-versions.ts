/**
 * Calendars as managed data: the shape stored per version and exchanged by the API (holidays as named date
 * ranges), the rules a version must satisfy, and what changed between two versions — the dates whose kind
 * differs, which a later step uses to find the processes whose deadlines must be recomputed.
 */
import { DateTime, IANAZone } from 'luxon';
import { BusinessCalendar, type UncoveredYearsPolicy } from './calendar.js';
import type { FieldError } from './problems.js';
import { STATUTORY_RULES } from './statutory-holidays.js';

export type HolidayRange = { from: string; to: string; name: string };
export type MakeupWorkday = { date: string; name: string };
export type YearsCovered = { first: number; last: number };

/** One version of a calendar, as stored and as the API reads and writes it. */
export type CalendarData = {
  zone: string;
  restWeekdays: number[]; // ISO 1=Mon..7=Sun
  years: YearsCovered;
  holidays: HolidayRange[];
  makeupWorkdays: MakeupWorkday[];
  /** Statutory rules that generate years the data does not cover (domain/statutory-holidays.ts), e.g. `CN-statutory`. */
  rules?: string | null | undefined;
  /** What deadlines reaching past the covered years do: default `provisional` with rules, `fail-closed` without. */
  uncoveredYears?: UncoveredYearsPolicy | undefined;
};

/** The policy a version applies (stated, or its default). */
export const uncoveredYearsOf = (data: Pick<CalendarData, 'rules' | 'uncoveredYears'>): UncoveredYearsPolicy =>
  data.uncoveredYears ?? (data.rules ? 'provisional' : 'fail-closed');

/** Years a calendar may cover, and how many at once: bounds, not a guess about holiday data. */
export const YEAR_BOUNDS = { min: 1970, max: 2200, span: 50 } as const;
const WEEKDAY_NAMES = ['', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];

const utcDate = (iso: string) => DateTime.fromISO(iso, { zone: 'utc' });
const yearOf = (iso: string) => Number(iso.slice(0, 4));

/** Every date of a range, in order (inclusive; empty when `from` > `to`). */
function* datesOf(range: HolidayRange): Generator<string> {
  for (let d = utcDate(range.from); d.toISODate()! <= range.to; d = d.plus({ days: 1 })) yield d.toISODate()!;
}

/** Everything wrong with a calendar version, each naming its field the way the client spells it; empty when valid. */
export function calendarRuleErrors(data: CalendarData): FieldError[] {
  const errors: FieldError[] = [];
  const add = (field: string, message: string) => errors.push({ field, message });

  if (!IANAZone.isValidZone(data.zone)) add('zone', `${data.zone} is not an IANA time zone (e.g. Asia/Shanghai)`);

  data.restWeekdays.forEach((d, i) => {
    if (!Number.isInteger(d) || d < 1 || d > 7) add(`restWeekdays.${i}`, 'must be an ISO weekday 1 (Monday) .. 7 (Sunday)');
    else if (data.restWeekdays.indexOf(d) !== i) add(`restWeekdays.${i}`, `${WEEKDAY_NAMES[d]} is listed twice`);
  });
  if (new Set(data.restWeekdays).size >= 7) add('restWeekdays', 'at least one weekday must be a working day');

  const { first, last } = data.years;
  const yearsValid = [first, last].every((y) => Number.isInteger(y) && y >= YEAR_BOUNDS.min && y <= YEAR_BOUNDS.max);
  if (!yearsValid) add('years', `first and last must be years from ${YEAR_BOUNDS.min} to ${YEAR_BOUNDS.max}`);
  else if (first > last) add('years.last', `must not be before years.first (${first})`);
  else if (last - first >= YEAR_BOUNDS.span) add('years', `at most ${YEAR_BOUNDS.span} years at once`);
  // With unusable years every date would be "outside": only the years are reported then.
  const yearsUsable = yearsValid && first <= last && last - first < YEAR_BOUNDS.span;
  const covered = (date: string) => !yearsUsable || (yearOf(date) >= first && yearOf(date) <= last);
  const outside = `lies outside the covered years ${first}–${last}`;

  const holidayOf = new Map<string, number>();
  data.holidays.forEach((h, i) => {
    if (!covered(h.from)) add(`holidays.${i}.from`, `${h.from} ${outside}`);
    if (!covered(h.to)) add(`holidays.${i}.to`, `${h.to} ${outside}`);
    if (h.from > h.to) return add(`holidays.${i}.to`, `must not be before from (${h.from})`);
    if (!covered(h.from) || !covered(h.to)) return;
    for (const date of datesOf(h)) {
      const other = holidayOf.get(date);
      if (other !== undefined) return add(`holidays.${i}`, `overlaps holidays.${other} (${data.holidays[other]!.name}) on ${date}`);
      holidayOf.set(date, i);
    }
  });

  if (data.rules && !STATUTORY_RULES[data.rules]) add('rules', `unknown statutory rules ${data.rules}; known: ${Object.keys(STATUTORY_RULES).join(', ')}`);
  if (data.uncoveredYears === 'provisional' && !data.rules) add('uncoveredYears', 'provisional counting needs statutory rules (rules)');

  const rest = new Set(data.restWeekdays);
  const makeupSeen = new Map<string, number>();
  data.makeupWorkdays.forEach((m, i) => {
    const field = `makeupWorkdays.${i}.date`;
    if (!covered(m.date)) return add(field, `${m.date} ${outside}`);
    const holiday = holidayOf.get(m.date);
    if (holiday !== undefined) return add(field, `${m.date} is also a holiday (holidays.${holiday}, ${data.holidays[holiday]!.name})`);
    const seen = makeupSeen.get(m.date);
    if (seen !== undefined) return add(field, `${m.date} is listed twice (makeupWorkdays.${seen})`);
    makeupSeen.set(m.date, i);
    const weekday = utcDate(m.date).weekday;
    if (!rest.has(weekday)) add(field, `${m.date} is a ${WEEKDAY_NAMES[weekday]}, a working day already: only a rest day can be a make-up working day`);
  });
  return errors;
}

/** The day-by-day calendar a stored version describes. Call only with data calendarRuleErrors accepts. */
export function calendarFromData(name: string, data: CalendarData, version?: number): BusinessCalendar {
  const holidays: Record<string, string> = {};
  for (const h of data.holidays) for (const date of datesOf(h)) holidays[date] = h.name;
  return new BusinessCalendar({
    name,
    zone: data.zone,
    restWeekdays: data.restWeekdays,
    years: [data.years.first, data.years.last],
    holidays,
    makeupWorkdays: Object.fromEntries(data.makeupWorkdays.map((m) => [m.date, m.name])),
    ...(version !== undefined ? { version } : {}),
    ...(data.rules ? { rules: STATUTORY_RULES[data.rules]! } : {}),
    uncoveredYears: uncoveredYearsOf(data),
  });
}

/** What changed: a calendar's new version (its partners' processes), or one partner's move to another calendar. */
export type CalendarChangeScope =
  | { kind: 'CALENDAR'; calendar: string; version: number; defaultCalendar: string }
  | { kind: 'PARTNER'; partnerId: string; calendar: string; version: number };

export type DayKind = 'WORKDAY' | 'REST_DAY' | 'HOLIDAY' | 'MAKEUP_WORKDAY' | 'NOT_COVERED';

/**
 * What differs between two calendars (two versions of one, or the calendars before and after a partner's
 * move). `dates`: every date named by a holiday or make-up day in either whose kind differs, sorted — a
 * deadline whose window holds none of them, in a calendar with the same zone and rest days, does not move.
 * `everyDate`: the zone or the rest days changed, so any deadline may move.
 */
export type CalendarChange = {
  everyDate: boolean;
  zone?: { from: string; to: string };
  restWeekdays?: { from: number[]; to: number[] };
  years?: { from: YearsCovered; to: YearsCovered };
  dates: { date: string; from: DayKind; to: DayKind }[];
  /**
   * Years the new version covers that the old one did not: every deadline whose window touches one was counted
   * provisionally (or could not be counted) and must be counted again, also where no date changed kind, so that
   * its provisional mark clears.
   */
  newlyCoveredYears?: number[];
};

export type NextYearStatus = { year: number; status: 'published' | 'provisional' | 'missing'; warning: string | null };

/**
 * Whether next year (in the calendar's zone, seen at `now`) is published, counted provisionally, or missing (refused);
 * from `warnFrom` (MM-DD, e.g. 11-01) on, a year that is not published carries the operator's warning.
 */
export function nextYearStatus(name: string, data: CalendarData, now: Date, warnFrom: string): NextYearStatus {
  const today = DateTime.fromJSDate(now).setZone(data.zone);
  const year = today.year + 1;
  const rules = data.rules ? STATUTORY_RULES[data.rules] : undefined;
  const status =
    year >= data.years.first && year <= data.years.last
      ? 'published'
      : uncoveredYearsOf(data) === 'provisional' && rules?.holidaysOf(year)
        ? 'provisional'
        : 'missing';
  const due = status !== 'published' && today.toFormat('MM-dd') >= warnFrom;
  const effect =
    status === 'provisional'
      ? `deadlines reaching into ${year} are counted provisionally with ${data.rules} and may move when it is published`
      : `deadlines reaching into ${year} are refused (422 calendar-year-not-covered)`;
  return {
    year,
    status,
    warning: due ? `Calendar ${name} has no official ${year} schedule yet: ${effect}. Load it with PUT /v1/calendars/${name} as soon as it is published.` : null,
  };
}

/** Every date of these years, for the affected-process queries (a window touching a year holds one of its dates). */
export function datesOfYears(years: readonly number[]): string[] {
  return years.flatMap((year) => [...datesOf({ from: `${year}-01-01`, to: `${year}-12-31`, name: '' })]);
}

function kindIn(data: CalendarData, holidays: ReadonlySet<string>, makeups: ReadonlySet<string>, date: string): DayKind {
  if (yearOf(date) < data.years.first || yearOf(date) > data.years.last) return 'NOT_COVERED';
  if (makeups.has(date)) return 'MAKEUP_WORKDAY';
  if (holidays.has(date)) return 'HOLIDAY';
  return data.restWeekdays.includes(utcDate(date).weekday) ? 'REST_DAY' : 'WORKDAY';
}

const sameSet = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((x) => b.includes(x));

export function changedDates(before: CalendarData, after: CalendarData): CalendarChange {
  const sets = (d: CalendarData) => ({
    holidays: new Set(d.holidays.flatMap((h) => [...datesOf(h)])),
    makeups: new Set(d.makeupWorkdays.map((m) => m.date)),
  });
  const old = sets(before);
  const now = sets(after);
  const named = [...new Set([...old.holidays, ...old.makeups, ...now.holidays, ...now.makeups])].sort();
  const dates = named
    .map((date) => ({ date, from: kindIn(before, old.holidays, old.makeups, date), to: kindIn(after, now.holidays, now.makeups, date) }))
    .filter((d) => d.from !== d.to);

  const zoneChanged = before.zone !== after.zone;
  const restChanged = !sameSet(before.restWeekdays, after.restWeekdays);
  const yearsChanged = before.years.first !== after.years.first || before.years.last !== after.years.last;
  const newlyCoveredYears: number[] = [];
  for (let year = after.years.first; year <= after.years.last; year++) {
    if (year < before.years.first || year > before.years.last) newlyCoveredYears.push(year);
  }
  return {
    everyDate: zoneChanged || restChanged,
    ...(zoneChanged ? { zone: { from: before.zone, to: after.zone } } : {}),
    ...(restChanged ? { restWeekdays: { from: [...before.restWeekdays].sort(), to: [...after.restWeekdays].sort() } } : {}),
    ...(yearsChanged ? { years: { from: before.years, to: after.years } } : {}),
    dates,
    ...(newlyCoveredYears.length ? { newlyCoveredYears } : {}),
  };
}
