import { DateTime, IANAZone } from 'luxon';
import cn from './calendar-data/CN.json' with { type: 'json' };
import type { StatutoryRules } from './statutory-holidays.js';

/**
 * What a calendar does with a year its published data does not cover: `provisional` counts it with its statutory
 * rules (the deadline says it is provisional), `fail-closed` refuses (CalendarYearNotCoveredError). Default:
 * provisional for a calendar with rules, fail-closed without.
 */
export type UncoveredYearsPolicy = 'provisional' | 'fail-closed';

/** A calendar expanded day by day: what BusinessCalendar counts with. `version`: the stored version it was built from. */
export type CalendarDefinition = {
  name: string;
  zone: string;
  restWeekdays: number[]; // ISO 1=Mon..7=Sun
  years: [number, number];
  holidays: Record<string, string>;
  makeupWorkdays: Record<string, string>;
  version?: number;
  /** Statutory rules that generate a year the data does not cover (domain/statutory-holidays.ts). */
  rules?: StatutoryRules;
  uncoveredYears?: UncoveredYearsPolicy;
};

export type DeadlineExplanation = {
  calendar: string;
  /** The stored calendar version the deadline was computed with (absent for calendars built in code, e.g. in tests). */
  calendarVersion?: number;
  zone: string;
  from: string; // local ISO with offset
  workingDays: number;
  deadline: string; // local ISO with offset
  countedDays: { date: string; kind: 'WORKDAY' | 'MAKEUP_WORKDAY'; name?: string }[];
  skippedDays: { date: string; reason: 'REST_DAY' | 'HOLIDAY'; name?: string }[];
  summary: string;
  /**
   * Present (true) when the counted window touches a year the calendar's published data does not cover, counted
   * with its statutory rules: the deadline may move when the official schedule is published. Absent: not provisional.
   */
  provisional?: true;
  provisionalYears?: number[];
  provisionalNote?: string;
};

export type DeadlineResult = { deadline: Date; explanation: DeadlineExplanation };

/** One calendar date as a calendar counts it (BusinessCalendar.daysOf): its kind, whether it is worked, and the holiday's or make-up day's name. */
export type CalendarDay = {
  date: string; // YYYY-MM-DD
  weekday: number; // ISO 1=Mon..7=Sun
  kind: 'WORKDAY' | 'REST_DAY' | 'HOLIDAY' | 'MAKEUP_WORKDAY';
  working: boolean;
  name?: string;
};

export class CalendarYearNotCoveredError extends Error {
  override readonly name = 'CalendarYearNotCoveredError';
  constructor(
    readonly calendar: string,
    readonly year: number,
  ) {
    super(`calendar ${calendar} has no holiday data for ${year}; refusing to guess working days`);
  }
}

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_WORKING_DAYS = 366;
const SUMMARY_MAX_SKIPPED = 10;

// Calendar dates are walked as UTC dates so day arithmetic never meets a DST transition;
// the calendar zone is only applied when turning a date + wall-clock time back into an instant.
function parseDate(isoDate: string): DateTime {
  const d = ISO_DATE.test(isoDate) ? DateTime.fromISO(isoDate, { zone: 'utc' }) : DateTime.invalid('format');
  if (!d.isValid) throw new RangeError(`not a calendar date (YYYY-MM-DD): ${isoDate}`);
  return d;
}

const localIso = (dt: DateTime) => dt.toISO({ suppressMilliseconds: true }) ?? '';
// Formatted by hand: luxon's toFormat goes through Intl and dominated the cost of a deadline.
const WEEKDAYS = ['', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
const pad = (n: number) => String(n).padStart(2, '0');
const shortDay = (date: string) => `${WEEKDAYS[parseDate(date).weekday]} ${date.slice(5)}`;
const longStamp = (dt: DateTime) =>
  `${WEEKDAYS[dt.weekday]} ${dt.year}-${pad(dt.month)}-${pad(dt.day)} ${pad(dt.hour)}:${pad(dt.minute)}`;

export class BusinessCalendar {
  readonly name: string;
  readonly zone: string;
  readonly years: readonly [number, number];
  readonly version: number | undefined;
  readonly rules: StatutoryRules | undefined;
  readonly uncoveredYears: UncoveredYearsPolicy;
  private readonly restWeekdays: ReadonlySet<number>;
  private readonly holidays: ReadonlyMap<string, string>;
  private readonly makeupWorkdays: ReadonlyMap<string, string>;

  constructor(def: CalendarDefinition) {
    if (!def.name) throw new Error('calendar name must not be empty');
    if (!IANAZone.isValidZone(def.zone)) throw new Error(`calendar ${def.name}: invalid IANA zone ${def.zone}`);
    const [first, last] = def.years;
    if (!Number.isInteger(first) || !Number.isInteger(last) || first > last) {
      throw new Error(`calendar ${def.name}: invalid year range ${JSON.stringify(def.years)}`);
    }
    if (!def.restWeekdays.every((d) => Number.isInteger(d) && d >= 1 && d <= 7)) {
      throw new Error(`calendar ${def.name}: restWeekdays must be ISO weekdays 1..7`);
    }
    for (const date of [...Object.keys(def.holidays), ...Object.keys(def.makeupWorkdays)]) parseDate(date);
    const clash = Object.keys(def.makeupWorkdays).filter((d) => Object.hasOwn(def.holidays, d));
    if (clash.length) throw new Error(`calendar ${def.name}: dates both holiday and make-up workday: ${clash.join(', ')}`);

    this.name = def.name;
    this.zone = def.zone;
    this.years = [first, last];
    this.version = def.version;
    this.restWeekdays = new Set(def.restWeekdays);
    this.holidays = new Map(Object.entries(def.holidays));
    this.makeupWorkdays = new Map(Object.entries(def.makeupWorkdays));
    this.rules = def.rules;
    this.uncoveredYears = def.uncoveredYears ?? (def.rules ? 'provisional' : 'fail-closed');
    if (this.uncoveredYears === 'provisional' && !def.rules) throw new Error(`calendar ${def.name}: a provisional policy needs statutory rules`);
  }

  // Years generated by the rules, each computed once (holiday date → name).
  private readonly provisionalYears = new Map<number, ReadonlyMap<string, string>>();

  /** The days the rules give off in `year`, when this calendar counts that year provisionally; else undefined. */
  provisionalHolidays(year: number): ReadonlyMap<string, string> | undefined {
    if (year >= this.years[0] && year <= this.years[1]) return undefined;
    if (this.uncoveredYears !== 'provisional' || !this.rules) return undefined;
    let days = this.provisionalYears.get(year);
    if (!days) {
      const generated = this.rules.holidaysOf(year);
      if (!generated) return undefined;
      days = new Map(generated.map((h) => [h.date, h.substitute ? `${h.name} (substitute day, provisional)` : `${h.name} (provisional)`]));
      this.provisionalYears.set(year, days);
    }
    return days;
  }

  /** Whether a year is counted provisionally (rules) rather than from published data; false also when it cannot be counted. */
  isProvisional(year: number): boolean {
    return this.provisionalHolidays(year) !== undefined;
  }

  isWorkingDay(isoDate: string): boolean {
    return this.classify(parseDate(isoDate), new Set()).working;
  }

  /**
   * Every day of `year` as deadlines count it: the same classification addWorkingDays walks (published data, or the
   * statutory rules for a year counted provisionally), so a year shown to a person can never disagree with a deadline.
   * Throws CalendarYearNotCoveredError for a year this calendar cannot count.
   */
  daysOf(year: number): CalendarDay[] {
    const days: CalendarDay[] = [];
    for (let day = DateTime.utc(year, 1, 1); day.year === year; day = day.plus({ days: 1 })) {
      const { working, date, makeup, holiday } = this.classify(day, new Set());
      const kind = makeup !== undefined ? 'MAKEUP_WORKDAY' : holiday !== undefined ? 'HOLIDAY' : working ? 'WORKDAY' : 'REST_DAY';
      days.push({ date, weekday: day.weekday, kind, working, ...((makeup ?? holiday) !== undefined ? { name: (makeup ?? holiday)! } : {}) });
    }
    return days;
  }

  /**
   * N working days = N×24h of working-day time in local wall-clock time, counted from `from`.
   * From a working day at local time t: t on the N-th following working day. From a non-working
   * day: the end (next day's 00:00) of the N-th working day. Wall-clock time is kept across DST, so
   * the real duration may differ by the DST shift. If that local time does not exist on the deadline
   * day (spring-forward gap) luxon shifts it forward by the gap (02:30 → 03:30); if it is ambiguous
   * (fall-back) luxon picks the later, standard-time occurrence.
   */
  addWorkingDays(from: Date, workingDays: number): DeadlineResult {
    if (!Number.isInteger(workingDays) || workingDays < 1 || workingDays > MAX_WORKING_DAYS) {
      throw new RangeError(`workingDays must be an integer in 1..${MAX_WORKING_DAYS}, got ${workingDays}`);
    }
    const start = DateTime.fromJSDate(from).setZone(this.zone);
    if (!start.isValid) throw new RangeError('from is not a valid Date');

    const countedDays: DeadlineExplanation['countedDays'] = [];
    const skippedDays: DeadlineExplanation['skippedDays'] = [];
    const provisional = new Set<number>();
    let day = DateTime.utc(start.year, start.month, start.day);
    const startWorking = this.record(day, countedDays, skippedDays, provisional, false);

    while (countedDays.length < workingDays) {
      day = day.plus({ days: 1 });
      this.record(day, countedDays, skippedDays, provisional, true);
    }

    // A non-working start contributes no time, so the N full working days end at the next midnight.
    const end = startWorking ? day : day.plus({ days: 1 });
    const time = startWorking
      ? { hour: start.hour, minute: start.minute, second: start.second, millisecond: start.millisecond }
      : { hour: 0 };
    const deadline = DateTime.fromObject({ year: end.year, month: end.month, day: end.day, ...time }, { zone: this.zone });

    const shown = skippedDays.slice(0, SUMMARY_MAX_SKIPPED).map((s) => `${shortDay(s.date)} (${s.reason === 'HOLIDAY' ? s.name : 'rest day'})`);
    if (skippedDays.length > SUMMARY_MAX_SKIPPED) shown.push(`and ${skippedDays.length - SUMMARY_MAX_SKIPPED} more`);
    const summary =
      `${workingDays} working day${workingDays === 1 ? '' : 's'} from ${longStamp(start)} (${this.zone})` +
      (shown.length ? ` skipping ${shown.join(', ')}` : '') +
      ` → ${longStamp(deadline)}`;

    return {
      deadline: deadline.toJSDate(),
      explanation: {
        calendar: this.name,
        ...(this.version !== undefined ? { calendarVersion: this.version } : {}),
        zone: this.zone,
        from: localIso(start),
        workingDays,
        deadline: localIso(deadline),
        countedDays,
        skippedDays,
        summary: provisional.size ? `${summary} (provisional)` : summary,
        ...(provisional.size ? provisionalMark([...provisional].sort()) : {}),
      },
    };
  }

  // Outside the covered years: the statutory rules when the policy says provisional (noting the year), else fail
  // closed — we never silently guess.
  private classify(day: DateTime, provisional: Set<number>): { working: boolean; date: string; makeup?: string; holiday?: string } {
    if (day.year < this.years[0] || day.year > this.years[1]) {
      const generated = this.provisionalHolidays(day.year);
      if (!generated) throw new CalendarYearNotCoveredError(this.name, day.year);
      provisional.add(day.year);
      const date = day.toISODate()!;
      const holiday = generated.get(date);
      if (holiday !== undefined) return { working: false, date, holiday };
      return { working: !this.restWeekdays.has(day.weekday), date };
    }
    const date = day.toISODate()!;
    const makeup = this.makeupWorkdays.get(date);
    if (makeup !== undefined) return { working: true, date, makeup };
    const holiday = this.holidays.get(date);
    if (holiday !== undefined) return { working: false, date, holiday };
    return { working: !this.restWeekdays.has(day.weekday), date };
  }

  /** Classifies `day`, appends it to the explanation (the start day only if skipped) and returns whether it is working. */
  private record(
    day: DateTime,
    counted: DeadlineExplanation['countedDays'],
    skipped: DeadlineExplanation['skippedDays'],
    provisional: Set<number>,
    counts: boolean,
  ): boolean {
    const { working, date, makeup, holiday } = this.classify(day, provisional);
    if (!working) skipped.push(holiday !== undefined ? { date, reason: 'HOLIDAY', name: holiday } : { date, reason: 'REST_DAY' });
    else if (counts) counted.push(makeup !== undefined ? { date, kind: 'MAKEUP_WORKDAY', name: makeup } : { date, kind: 'WORKDAY' });
    return working;
  }
}

/** The explanation's provisional mark: the years counted by rules, and what that means for the partner. */
export function provisionalMark(years: number[]): Pick<DeadlineExplanation, 'provisional' | 'provisionalYears' | 'provisionalNote'> {
  return {
    provisional: true,
    provisionalYears: years,
    provisionalNote:
      `The official holiday schedule for ${years.join(', ')} is not published yet; this deadline counts the statutory holidays ` +
      'and may move when the schedule is published (you will be told if it does).',
  };
}

// JSON imports type `years` as number[]; the constructor re-validates the range.
export const calendarFromJson = (def: Omit<CalendarDefinition, 'years'> & { years: number[] }) =>
  new BusinessCalendar({ ...def, years: [def.years[0]!, def.years[1]!] });

/**
 * The dataset snapshots kept in domain/calendar-data (CN.json from `chinese-days`): the source the 0012
 * migration's seed was generated from, and a fixture of the calendar tests and benchmark. A running
 * partnerflow never reads them — its calendars live in the database (platform/calendars.ts).
 */
const snapshots: ReadonlyMap<string, BusinessCalendar> = new Map([calendarFromJson(cn)].map((c) => [c.name, c]));

export function snapshotCalendar(name: string): BusinessCalendar | undefined {
  return snapshots.get(name);
}

/** A partner's calendar in its current stored version. */
export type VersionedCalendar = { calendar: BusinessCalendar; version: number };

/** Which calendar (and version) a partner's deadlines count in. Injected: the database in production, fixed calendars in tests. */
export type CalendarLookup = (partnerId: string) => Promise<VersionedCalendar>;

/** Each partner's calendar zone, one lookup per distinct partner (for lists of rows shown in local time). */
export async function zonesOf(calendarFor: CalendarLookup, partnerIds: readonly string[]): Promise<Map<string, string>> {
  const unique = [...new Set(partnerIds)];
  const found = await Promise.all(unique.map(async (id) => [id, (await calendarFor(id)).calendar.zone] as const));
  return new Map(found);
}
