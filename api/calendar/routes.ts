/** Business calendars as data: read them, replace them (vendor admin), assign them to partners, ask for a deadline. */
import { z } from 'zod';
import { problems } from '../../domain/problems.js';
import type { CalendarsClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { calendarListSchema, calendarSchema, calendarYearSchema, partnerCalendarSchema } from './schemas.js';
import { YEAR_BOUNDS } from '../../domain/calendar-versions.js';
import { deadlineAnswerSchema } from '../kit/schemas.js';
import { localDate, partnerId, text } from '../kit/validation.js';

const calendarName = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');
const nameParams = z.strictObject({ name: calendarName });
/**
 * A year a calendar may cover (domain/calendar-versions.ts YEAR_BOUNDS), written as four digits — not coerced, so
 * that "0x7e7" or "2.026e3" is no year; whether the calendar can count it is the client's 422.
 */
const calendarYear = z
  .string()
  .regex(/^\d{4}$/, { message: 'must be a year YYYY', abort: true })
  .refine((year) => Number(year) >= YEAR_BOUNDS.min && Number(year) <= YEAR_BOUNDS.max, `must be a year from ${YEAR_BOUNDS.min} to ${YEAR_BOUNDS.max}`);
const partnerParams = z.strictObject({ partnerId });

/** The shape of a calendar; its rules (zone, weekdays, years, dates inside them, clashes) are checked by the client (422). */
const calendarBody = z.strictObject({
  zone: z.string().min(1).max(64).describe('IANA time zone, e.g. Asia/Shanghai'),
  restWeekdays: z.array(z.number().int()).max(7).describe('ISO weekdays 1 (Monday) .. 7 (Sunday)'),
  years: z.strictObject({ first: z.number().int(), last: z.number().int() }).describe('the years covered (at most 50)'),
  holidays: z.array(z.strictObject({ from: localDate, to: localDate, name: text(100) })).max(1000).describe('named date ranges, inclusive'),
  makeupWorkdays: z.array(z.strictObject({ date: localDate, name: text(100) })).max(1000).describe('rest days worked instead'),
  rules: z.string().max(64).nullable().optional().describe('statutory rules for years not covered (CN-statutory); omitted or null: none'),
  uncoveredYears: z
    .enum(['provisional', 'fail-closed'])
    .optional()
    .describe('deadlines past the covered years: provisional (needs rules; the default with rules) or fail-closed (the default without)'),
});

const IF_MATCH = /^(?:W\/)?"?(\d{1,9})"?$/;

/** `If-Match: "<version>"` → the version the caller read; absent → undefined. */
function expectedVersion(header: string | undefined): number | undefined {
  if (header === undefined) return undefined;
  const match = IF_MATCH.exec(header.trim());
  if (!match) throw problems.validation([{ field: 'If-Match', message: 'must be the version read, e.g. "3"' }]);
  return Number(match[1]);
}

export function calendarRoutes(calendars: CalendarsClient): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/v1/calendars',
      permission: 'calendar.read',
      summary: 'Every business calendar in its current version.',
      responses: { 200: calendarListSchema },
      handler: async () => ({ status: 200, body: await calendars.list() }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/calendars/:name',
      permission: 'calendar.read',
      summary: 'A calendar in its current version (ETag: its version), with who changed it when and what changed.',
      params: nameParams,
      responses: { 200: calendarSchema },
      problems: [404],
      handler: async ({ params }) => {
        const calendar = await calendars.get(params.name);
        return { status: 200, body: calendar, headers: { ETag: `"${calendar.version}"` } };
      },
    }),
    defineRoute({
      method: 'put',
      path: '/v1/calendars/:name',
      permission: 'calendar.manage',
      summary:
        'Replaces the calendar (creates it: 201) as its next version, effective for the next deadline at once. Every broken rule is named (422). `If-Match: "<version>"` makes it conditional (412).',
      params: nameParams,
      body: calendarBody,
      responses: { 200: calendarSchema, 201: calendarSchema },
      problems: [409, 412, 422],
      handler: async ({ principal, params, body, req }) => {
        const { created, calendar } = await calendars.put(principal, params.name, body, expectedVersion(req.get('if-match')));
        return { status: created ? 201 : 200, body: calendar, headers: { ETag: `"${calendar.version}"` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/calendars/:name/deadline',
      permission: 'calendar.read',
      summary: 'The deadline `workingDays` working days after `from` in the calendar\'s current version, with the days skipped and why.',
      params: nameParams,
      query: z.strictObject({
        from: z.string().datetime({ offset: true, message: 'must be an ISO 8601 date-time with Z or an offset' }),
        workingDays: z.coerce.number().int().min(1).max(366),
      }),
      responses: { 200: deadlineAnswerSchema },
      problems: [404, 422],
      handler: async ({ params, query }) => ({ status: 200, body: await calendars.deadline(params.name, new Date(query.from), query.workingDays) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/calendars/:name/years/:year',
      permission: 'calendar.read',
      summary:
        "Every day of a year in the calendar's current version — working day, rest day, holiday or make-up working day, with its name — " +
        'as deadlines count it; a year not published yet is PROVISIONAL (the statutory rules), one the calendar cannot count is 422.',
      params: z.strictObject({ name: calendarName, year: calendarYear }),
      responses: { 200: calendarYearSchema },
      problems: [404, 422],
      handler: async ({ params }) => ({ status: 200, body: await calendars.year(params.name, Number(params.year)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/calendar',
      permission: 'calendar.read',
      summary: "The calendar the partner's deadlines count in (partner staff: their own partner only).",
      params: partnerParams,
      responses: { 200: partnerCalendarSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await calendars.assignment(principal, params.partnerId) }),
    }),
    defineRoute({
      method: 'put',
      path: '/v1/partners/:partnerId/calendar',
      permission: 'calendar.assign',
      summary: 'Moves the partner to another calendar; answers what differs between the old and the new one.',
      params: partnerParams,
      body: z.strictObject({ name: calendarName }),
      responses: { 200: partnerCalendarSchema },
      problems: [422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await calendars.assign(principal, params.partnerId, body.name) }),
    }),
  ];
}
