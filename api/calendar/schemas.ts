// Response schemas of calendar (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { instant } from '../kit/schemas.js';

// Business calendars as data (api/calendar/client.ts, domain/calendar-versions.ts).
const yearsCoveredSchema = z.strictObject({ first: z.number().int(), last: z.number().int() });
const holidayRangeSchema = z.strictObject({ from: z.iso.date(), to: z.iso.date(), name: z.string() });
const makeupWorkdaySchema = z.strictObject({ date: z.iso.date(), name: z.string() });
const dayKindSchema = z.enum(['WORKDAY', 'REST_DAY', 'HOLIDAY', 'MAKEUP_WORKDAY', 'NOT_COVERED']);

export const calendarChangeSchema = z
  .strictObject({
    everyDate: z.boolean().describe('zone or rest days changed: any deadline may move'),
    zone: z.strictObject({ from: z.string(), to: z.string() }).optional(),
    restWeekdays: z.strictObject({ from: z.array(z.number().int()), to: z.array(z.number().int()) }).optional(),
    years: z.strictObject({ from: yearsCoveredSchema, to: yearsCoveredSchema }).optional(),
    dates: z.array(z.strictObject({ date: z.iso.date(), from: dayKindSchema, to: dayKindSchema })).describe('holidays and make-up days whose kind differs'),
    newlyCoveredYears: z
      .array(z.number().int())
      .optional()
      .describe('years now published that were not: every open deadline touching one is counted again (its provisional mark clears)'),
  })
  .meta({ id: 'CalendarChange', description: 'What differs between two calendar versions (or the calendars before and after a partner moved).' });

export const calendarSummarySchema = z
  .strictObject({
    name: z.string(),
    version: z.number().int().min(1),
    zone: z.string(),
    restWeekdays: z.array(z.number().int().min(1).max(7)).describe('ISO weekdays, 1 = Monday'),
    years: yearsCoveredSchema.describe('the years whose official schedule is published (covered)'),
    rules: z.string().nullable().describe('statutory rules for years not covered, e.g. CN-statutory; null: none'),
    uncoveredYears: z
      .enum(['provisional', 'fail-closed'])
      .describe('deadlines reaching past the covered years: counted provisionally with the rules, or refused (422 calendar-year-not-covered)'),
    nextYear: z
      .strictObject({
        year: z.number().int(),
        status: z.enum(['published', 'provisional', 'missing']),
        warning: z.string().nullable().describe('from CALENDAR_WARN_FROM (default 1 Nov) while next year is not published: what the operator must do'),
      })
      .describe("next calendar year in the calendar's zone: published, counted provisionally, or missing (fail-closed)"),
    changedBy: z.string(),
    changedAt: instant,
  })
  .meta({ id: 'CalendarSummary' });
export type CalendarSummaryView = z.infer<typeof calendarSummarySchema>;

export const calendarSchema = calendarSummarySchema
  .extend({
    holidays: z.array(holidayRangeSchema),
    makeupWorkdays: z.array(makeupWorkdaySchema),
    changes: calendarChangeSchema.nullable().describe('vs. the previous version; null for version 1'),
  })
  .meta({ id: 'Calendar', description: 'A business calendar in its current version.' });
export type CalendarView = z.infer<typeof calendarSchema>;

export const calendarListSchema = z.strictObject({ items: z.array(calendarSummarySchema) }).meta({ id: 'CalendarList' });

export const partnerCalendarSchema = z
  .strictObject({
    partnerId: z.string(),
    calendar: z.string(),
    version: z.number().int().min(1).describe("the calendar's current version"),
    zone: z.string(),
    isDefault: z.boolean().describe('no assignment: the default calendar'),
    assignedBy: z.string().nullable(),
    assignedAt: instant.nullable(),
    changes: calendarChangeSchema.optional().describe('after a move: what differs between the old and the new calendar'),
  })
  .meta({ id: 'PartnerCalendar' });
export type PartnerCalendarView = z.infer<typeof partnerCalendarSchema>;

export const calendarYearSchema = z
  .strictObject({
    calendar: z.string(),
    version: z.number().int().min(1).describe('the calendar version the year was read from'),
    zone: z.string().describe("the calendar's IANA zone: each date is a local date there"),
    year: z.number().int(),
    status: z
      .enum(['PUBLISHED', 'PROVISIONAL'])
      .describe("PUBLISHED: the calendar's own data; PROVISIONAL: not published yet, counted with the statutory rules (may change when published)"),
    rules: z.string().nullable().describe('the statutory rules a provisional year is counted with, e.g. CN-statutory'),
    days: z
      .array(
        z.strictObject({
          date: z.iso.date(),
          weekday: z.number().int().min(1).max(7).describe('ISO weekday, 1 = Monday'),
          kind: z.enum(['WORKDAY', 'REST_DAY', 'HOLIDAY', 'MAKEUP_WORKDAY']),
          working: z.boolean().describe('counted by deadlines: WORKDAY and MAKEUP_WORKDAY'),
          name: z.string().optional().describe("a holiday's or make-up working day's name"),
        }),
      )
      .describe('every day of the year, 1 January first, as deadlines count it'),
  })
  .meta({ id: 'CalendarYear', description: "Every day of one year of a calendar, as the deadline arithmetic counts it in the calendar's current version." });
export type CalendarYearView = z.infer<typeof calendarYearSchema>;
