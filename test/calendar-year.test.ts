/**
 * GET /v1/calendars/:name/years/:year on the real API and PostgreSQL, counting in the database's calendars: every day
 * of a year with its kind as deadlines count it. The expectations are written by hand — CN 2026 from the State
 * Council's schedule as domain/calendar-data/CN.json packages it, CN 2027 (not published) from the national
 * regulation's days worked out on a calendar — never read back from the code under test.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'calendar-year-test', api: true, calendarFor: 'database' });
let staff: string;
let admin: string;

beforeAll(async () => {
  staff = await tokenFor(['vendor_staff']);
  admin = await tokenFor(['vendor_admin'], undefined, 'calendar-year-admin');
});

type Day = { date: string; weekday: number; kind: string; working: boolean; name?: string };
const dayOf = (days: Day[], date: string) => days.find((d) => d.date === date);
const countKinds = (days: Day[]) => days.reduce<Record<string, number>>((n, d) => ({ ...n, [d.kind]: (n[d.kind] ?? 0) + 1 }), {});
/** The named days of a kind as [date, name], in date order. */
const named = (days: Day[], kind: string) => days.filter((d) => d.kind === kind).map((d) => [d.date, d.name]);
const range = (from: number, to: number, prefix: string) => Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${String(from + i).padStart(2, '0')}`);

describe('a year of a business calendar', () => {
  it('CN 2026, published: National Day 1–7 Oct with make-up Sun 20 Sep and Sat 10 Oct, Spring Festival 15–23 Feb', async () => {
    const { body: cn } = await env.api('GET', '/v1/calendars/CN', staff);
    const res = await env.api('GET', '/v1/calendars/CN/years/2026', staff);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { days, ...head } = res.body as { days: Day[] };
    expect(head).toEqual({ calendar: 'CN', version: cn.version, zone: 'Asia/Shanghai', year: 2026, status: 'PUBLISHED', rules: null });
    expect(days).toHaveLength(365);
    expect(days[0]).toEqual({ date: '2026-01-01', weekday: 4, kind: 'HOLIDAY', working: false, name: "New Year's Day" });
    expect(days.at(-1)).toEqual({ date: '2026-12-31', weekday: 4, kind: 'WORKDAY', working: true });

    expect(named(days, 'HOLIDAY').filter(([date]) => date! >= '2026-09-01')).toEqual(range(1, 7, '2026-10-').map((date) => [date, 'National Day']).toSpliced(0, 0, ...range(25, 27, '2026-09-').map((date) => [date, 'Mid-autumn Festival'])));
    expect(named(days, 'HOLIDAY').filter(([date]) => date!.startsWith('2026-02'))).toEqual(range(15, 23, '2026-02-').map((date) => [date, 'Spring Festival']));
    expect(named(days, 'MAKEUP_WORKDAY')).toEqual([
      ['2026-01-04', "New Year's Day"],
      ['2026-02-14', 'Spring Festival'],
      ['2026-02-28', 'Spring Festival'],
      ['2026-05-09', 'Labour Day'],
      ['2026-09-20', 'National Day'],
      ['2026-10-10', 'National Day'],
    ]);
    // A make-up day on a Saturday (and one on a Sunday) is worked: kind MAKEUP_WORKDAY, counted by deadlines.
    expect(dayOf(days, '2026-10-10')).toEqual({ date: '2026-10-10', weekday: 6, kind: 'MAKEUP_WORKDAY', working: true, name: 'National Day' });
    expect(dayOf(days, '2026-09-20')).toEqual({ date: '2026-09-20', weekday: 7, kind: 'MAKEUP_WORKDAY', working: true, name: 'National Day' });
    // Around them, ordinary days: Thu 8 Oct worked, Sun 11 Oct off.
    expect(dayOf(days, '2026-10-08')).toEqual({ date: '2026-10-08', weekday: 4, kind: 'WORKDAY', working: true });
    expect(dayOf(days, '2026-10-11')).toEqual({ date: '2026-10-11', weekday: 7, kind: 'REST_DAY', working: false });
    // 2026 starts on a Thursday: 52 weeks and a Thursday, so 104 Saturdays and Sundays. CN.json names 33 holiday
    // days, 14 of them on a weekend (3 Jan; 15, 21, 22 Feb; 4, 5 Apr; 2, 3 May; 20, 21 Jun; 26, 27 Sep; 3, 4 Oct), and
    // 6 make-up days, all on a weekend: 104 − 14 − 6 = 84 rest days, 365 − 33 − 6 − 84 = 242 ordinary working days.
    expect(countKinds(days)).toEqual({ HOLIDAY: 33, MAKEUP_WORKDAY: 6, REST_DAY: 84, WORKDAY: 242 });
    expect(days.filter((d) => d.working)).toHaveLength(248);
  });

  it('CN 2027, not published: PROVISIONAL, the statutory days with their substitutes, no make-up day', async () => {
    const res = await env.api('GET', '/v1/calendars/CN/years/2027', staff);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const { days, ...head } = res.body as { days: Day[] };
    expect(head).toMatchObject({ calendar: 'CN', year: 2027, status: 'PROVISIONAL', rules: 'CN-statutory' });
    expect(days).toHaveLength(365);
    // The regulation from 2025, on 2027's calendar (1 Jan a Friday; lunar New Year Sat 6 Feb, its eve Fri 5 Feb;
    // Qingming Mon 5 Apr; Dragon Boat Wed 9 Jun; Mid-autumn Wed 15 Sep). The weekend days owed are given on the next
    // weekday not already off: Sat 6 and Sun 7 Feb → Tue 9 and Wed 10 Feb (Mon 8 is lunar 1/3); Sat 1 and Sun 2 May →
    // Mon 3 and Tue 4 May; Sat 2 and Sun 3 Oct → Mon 4 and Tue 5 Oct.
    const off = (date: string, name: string) => [date, `${name} (provisional)`];
    const owed = (date: string, name: string) => [date, `${name} (substitute day, provisional)`];
    expect(named(days, 'HOLIDAY')).toEqual([
      off('2027-01-01', "New Year's Day"),
      ...range(5, 8, '2027-02-').map((date) => off(date, 'Spring Festival')),
      owed('2027-02-09', 'Spring Festival'),
      owed('2027-02-10', 'Spring Festival'),
      off('2027-04-05', 'Tomb-sweeping Day'),
      off('2027-05-01', 'Labour Day'),
      off('2027-05-02', 'Labour Day'),
      owed('2027-05-03', 'Labour Day'),
      owed('2027-05-04', 'Labour Day'),
      off('2027-06-09', 'Dragon Boat Festival'),
      off('2027-09-15', 'Mid-autumn Festival'),
      ...range(1, 3, '2027-10-').map((date) => off(date, 'National Day')),
      owed('2027-10-04', 'National Day'),
      owed('2027-10-05', 'National Day'),
    ]);
    // 2027 starts on a Friday: 104 Saturdays and Sundays, 6 of them holidays; 19 holiday days in all.
    expect(countKinds(days)).toEqual({ HOLIDAY: 19, REST_DAY: 98, WORKDAY: 248 });
  });

  it('a year the calendar cannot count is the deadline route\'s 422, naming the year; a year outside any calendar\'s bounds is a 400', async () => {
    // SA has no statutory rules (its holidays follow the moon sighting): it fails closed past its published years.
    const sa = await env.api('GET', '/v1/calendars/SA/years/2027', staff);
    const deadline = await env.api('GET', `/v1/calendars/SA/deadline?from=${encodeURIComponent('2026-12-20T00:00:00+03:00')}&workingDays=30`, staff);
    expect([sa.status, deadline.status]).toEqual([422, 422]);
    expect(sa.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(sa.body).toMatchObject({ type: deadline.body.type, title: deadline.body.title, detail: deadline.body.detail, errors: [{ field: 'year' }] });
    expect(sa.body.type).toMatch(/calendar-year-not-covered$/);
    // CN's rules start with the 2013 amendment's first year, 2014: 2013 cannot be counted either.
    const early = await env.api('GET', '/v1/calendars/CN/years/2013', staff);
    expect([early.status, early.body.type]).toEqual([422, sa.body.type]);
    // SA's own published year reads.
    expect((await env.api('GET', '/v1/calendars/SA/years/2026', staff)).body).toMatchObject({ calendar: 'SA', zone: 'Asia/Riyadh', status: 'PUBLISHED' });

    for (const year of ['1969', '2201', '2026.5', '0x7e7', '2.026e3', 'next']) {
      const bad = await env.api('GET', `/v1/calendars/CN/years/${year}`, staff);
      expect(bad.status, year).toBe(400);
      expect(bad.body.errors.map((e: { field: string }) => e.field), year).toEqual([expect.stringMatching(/year$/)]);
    }
    const unknown = await env.api('GET', '/v1/calendars/NOPE/years/2026', staff);
    expect(unknown.status).toBe(404);
  });

  it('reads the current version: a PUT takes effect at once, and the answer names the version it was read from', async () => {
    const name = `YEAR-${randomUUID().slice(0, 8)}`;
    const body = { zone: 'Asia/Riyadh', restWeekdays: [5, 6], years: { first: 2026, last: 2026 }, holidays: [{ from: '2026-03-01', to: '2026-03-02', name: 'Test Days' }], makeupWorkdays: [] };
    expect((await env.api('PUT', `/v1/calendars/${name}`, admin, body)).status).toBe(201);
    const first = await env.api('GET', `/v1/calendars/${name}/years/2026`, staff);
    expect(first.body.version).toBe(1);
    // 1 March 2026 is a Sunday (a working day in a Fri/Sat calendar), 2 March a Monday.
    expect(named(first.body.days, 'HOLIDAY')).toEqual([['2026-03-01', 'Test Days'], ['2026-03-02', 'Test Days']]);
    // 2026 has 52 Fridays and 52 Saturdays (1 Jan a Thursday, 365 days): 104 rest days.
    expect(countKinds(first.body.days)).toEqual({ HOLIDAY: 2, REST_DAY: 104, WORKDAY: 259 });

    // Version 2 works Saturday 7 March instead.
    const next = { ...body, makeupWorkdays: [{ date: '2026-03-07', name: 'Test Days' }] };
    expect((await env.api('PUT', `/v1/calendars/${name}`, admin, next)).status).toBe(200);
    const second = await env.api('GET', `/v1/calendars/${name}/years/2026`, staff);
    expect(second.body.version).toBe(2);
    expect(dayOf(second.body.days, '2026-03-07')).toEqual({ date: '2026-03-07', weekday: 6, kind: 'MAKEUP_WORKDAY', working: true, name: 'Test Days' });
    // Fail-closed by default (no rules): the next year is refused.
    expect((await env.api('GET', `/v1/calendars/${name}/years/2027`, staff)).status).toBe(422);
  });

  it('calendars are public data: partner staff read a year too; no token is 401', async () => {
    const partner = await tokenFor(['partner_sales'], `P-${randomUUID().slice(0, 8)}`);
    expect((await env.api('GET', '/v1/calendars/CN/years/2026', partner)).status).toBe(200);
    const anonymous = await env.api('GET', '/v1/calendars/CN/years/2026');
    expect(anonymous.status).toBe(401);
  });
});
