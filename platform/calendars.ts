/**
 * The calendars a running process uses: the shipped ones plus any CalendarDefinition JSON files in
 * CALENDAR_DIR (same name replaces a shipped one), and DEFAULT_CALENDAR as every partner's calendar.
 * Lets an operator add next year's holidays before calendars become managed data.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { type BusinessCalendar, calendarFromJson, CalendarRegistry, shippedCalendars } from '../domain/calendar.js';

export function loadCalendars(dir: string | undefined, defaultName = 'CN'): CalendarRegistry {
  const extra: BusinessCalendar[] = [];
  for (const file of dir ? readdirSync(dir).filter((f) => f.endsWith('.json')).sort() : []) {
    try {
      extra.push(calendarFromJson(JSON.parse(readFileSync(path.join(dir!, file), 'utf8'))));
    } catch (error) {
      throw new Error(`Calendar file ${path.join(dir!, file)} is not a valid calendar: ${(error as Error).message}`);
    }
  }
  const names = new Set(extra.map((c) => c.name));
  return new CalendarRegistry([...shippedCalendars.filter((c) => !names.has(c.name)), ...extra], defaultName);
}
