/**
 * The calendars a running partnerflow counts in: read from the database (migration 0012), the partner's
 * assignment (partner_calendar, else DEFAULT_CALENDAR) and the calendar's current version. The version number
 * is read on every lookup, so a PUT takes effect at once; the parsed calendar is cached per name and version.
 */
import type { BusinessCalendar, CalendarLookup, VersionedCalendar } from '../domain/calendar.js';
import { type CalendarData, calendarFromData, nextYearStatus } from '../domain/calendar-versions.js';
import type { PrismaClient } from './db.js';

type VersionRow = {
  zone: string;
  restWeekdays: number[];
  firstYear: number;
  lastYear: number;
  holidays: unknown;
  makeupWorkdays: unknown;
  statutoryRules: string | null;
  uncoveredYears: string;
};

/** A stored version row as the API and the calendar model see it. */
export const calendarDataOf = (row: VersionRow): CalendarData => ({
  zone: row.zone,
  restWeekdays: row.restWeekdays,
  years: { first: row.firstYear, last: row.lastYear },
  holidays: row.holidays as CalendarData['holidays'],
  makeupWorkdays: row.makeupWorkdays as CalendarData['makeupWorkdays'],
  rules: row.statutoryRules,
  uncoveredYears: row.uncoveredYears as NonNullable<CalendarData['uncoveredYears']>,
});

export type CalendarStore = {
  /** The partner's calendar in its current version. Throws when the calendar (e.g. DEFAULT_CALENDAR) is not in the database. */
  forPartner: CalendarLookup;
  /** A calendar by name in its current version; undefined when there is none. */
  byName: (name: string) => Promise<VersionedCalendar | undefined>;
  /** The calendar a partner counts in, and whether that is the default (no assignment row). */
  assignedName: (partnerId: string) => Promise<{ name: string; isDefault: boolean }>;
};

export function createCalendarStore(prisma: PrismaClient, defaultName: string): CalendarStore {
  // One parsed calendar per name: the newest version seen (older versions are never asked for again).
  const cache = new Map<string, BusinessCalendar>();

  async function byName(name: string): Promise<VersionedCalendar | undefined> {
    const latest = await prisma.calendarVersion.findFirst({ where: { calendarName: name }, orderBy: { version: 'desc' }, select: { version: true } });
    if (!latest) return undefined;
    const cached = cache.get(name);
    if (cached?.version === latest.version) return { calendar: cached, version: latest.version };
    const row = await prisma.calendarVersion.findUniqueOrThrow({ where: { calendarName_version: { calendarName: name, version: latest.version } } });
    const calendar = calendarFromData(name, calendarDataOf(row), row.version);
    if (!cached || (cached.version ?? 0) < row.version) cache.set(name, calendar);
    return { calendar, version: row.version };
  }

  async function assignedName(partnerId: string) {
    const row = await prisma.partnerCalendar.findUnique({ where: { partnerId }, select: { calendarName: true } });
    return row ? { name: row.calendarName, isDefault: false } : { name: defaultName, isDefault: true };
  }

  return {
    byName,
    assignedName,
    async forPartner(partnerId) {
      const { name } = await assignedName(partnerId);
      const found = await byName(name);
      if (!found) throw new Error(`calendar ${name} (partner ${partnerId}) is not in the database: create it with PUT /v1/calendars/${name}`);
      return found;
    },
  };
}

/** The calendar of partners without an assignment, unless DEFAULT_CALENDAR says otherwise. */
export const DEFAULT_CALENDAR_NAME = 'CN';

/** The database lookup with the default calendar: what activities and clients use when none is injected. */
export const databaseCalendarLookup = (prisma: PrismaClient): CalendarLookup => createCalendarStore(prisma, DEFAULT_CALENDAR_NAME).forPartner;

/**
 * The operators' warnings of every calendar whose next year is not published, from `warnFrom` (MM-DD) on: what
 * /healthz carries and the worker logs once a day (empty: nothing to do).
 */
export async function calendarWarnings(prisma: PrismaClient, now: Date, warnFrom: string): Promise<string[]> {
  const rows = await prisma.calendarVersion.findMany({ distinct: ['calendarName'], orderBy: [{ calendarName: 'asc' }, { version: 'desc' }] });
  return rows.flatMap((row) => nextYearStatus(row.calendarName, calendarDataOf(row), now, warnFrom).warning ?? []);
}
