/**
 * Calendars as data on the real API + worker + Temporal dev server + PostgreSQL, counting in the database's
 * calendars as production does: the seeds, PUT validation (every rule named, nothing stored), versions with
 * who and when and what changed, conditional PUT, partner assignment, and its effect on a real opportunity's
 * accept deadline (a partner moved to a Fri/Sat-rest calendar in Asia/Riyadh).
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CalendarData } from '../domain/calendar-versions.js';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { referenceDays, referenceDeadline } from './support/reference-deadline.js';

// No lookup injected: the database's calendars.
const env = useTestEnv({ taskQueue: 'calendar-api-test', server: 'dev', api: true, calendarFor: 'database' });
const { api } = env;
let admin: string;
let staff: string;

beforeAll(async () => {
  admin = await tokenFor(['vendor_admin'], undefined, 'calendar-admin');
  staff = await tokenFor(['vendor_staff']);
});

const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const year = DateTime.now().setZone('Asia/Riyadh').year;

/** A Fri/Sat-rest calendar in Asia/Riyadh around today, so nothing depends on published holiday data. */
const riyadh = (holidays: CalendarData['holidays'] = []): CalendarData => ({
  zone: 'Asia/Riyadh',
  restWeekdays: [5, 6],
  years: { first: year - 1, last: year + 5 },
  holidays,
  makeupWorkdays: [],
});

const stored = async (name: string) => ({
  calendars: await env.prisma.calendar.count({ where: { name } }),
  versions: await env.prisma.calendarVersion.count({ where: { calendarName: name } }),
});

describe('seeds', () => {
  it('ship mainland China 2025–2026 with its make-up weekends, and Saudi Arabia with Fri/Sat rest', async () => {
    const list = await api('GET', '/v1/calendars', staff);
    expect(list.status).toBe(200);
    expect(list.body.items.map((c: { name: string }) => c.name)).toEqual(expect.arrayContaining(['CN', 'SA']));

    const cn = await api('GET', '/v1/calendars/CN', staff);
    // Version 2 (migration 0018): the same data, with the statutory rules for the years not published.
    expect(cn.body).toMatchObject({
      name: 'CN',
      version: 2,
      zone: 'Asia/Shanghai',
      restWeekdays: [6, 7],
      years: { first: 2025, last: 2026 },
      rules: 'CN-statutory',
      uncoveredYears: 'provisional',
      changedBy: 'migration 0018',
    });
    expect(cn.headers.get('etag')).toBe(`"${cn.body.version}"`);
    expect(cn.body.holidays).toContainEqual({ from: '2026-02-15', to: '2026-02-23', name: 'Spring Festival' });
    expect(cn.body.makeupWorkdays).toContainEqual({ date: '2026-02-14', name: 'Spring Festival' });

    const sa = await api('GET', '/v1/calendars/SA', staff);
    expect(sa.body).toMatchObject({ name: 'SA', zone: 'Asia/Riyadh', restWeekdays: [5, 6], years: { first: 2025, last: 2026 }, rules: null, uncoveredYears: 'fail-closed' });
    expect(sa.body.holidays).toContainEqual({ from: '2026-03-19', to: '2026-03-24', name: 'Eid al-Fitr' });
  });

  it('count deadlines: SA skips Eid al-Fitr and Fri/Sat, in Riyadh time; the explanation names the version', async () => {
    // Wed 2026-03-18 09:00 Riyadh + 2 working days: Thu 19 … Tue 24 are Eid (Fri 20, Sat 21 rest anyway) → Thu 26 09:00.
    const res = await api('GET', '/v1/calendars/SA/deadline?from=2026-03-18T06:00:00Z&workingDays=2', staff);
    expect(res.status).toBe(200);
    expect(res.body.deadline).toBe('2026-03-26T06:00:00.000Z');
    expect(res.body.explanation).toMatchObject({ calendar: 'SA', calendarVersion: expect.any(Number), zone: 'Asia/Riyadh', deadline: '2026-03-26T09:00:00+03:00' });
    const noData = await api('GET', '/v1/calendars/SA/deadline?from=2027-03-03T06:00:00Z&workingDays=2', staff);
    expect(noData.status).toBe(422);
    expect(noData.body.type).toBe('urn:partnerflow:problem:calendar-year-not-covered');
  });
});

describe('years not published yet (CN counts them with its statutory rules; SA refuses)', () => {
  const deadline = async (name: string, from: string, workingDays: number) =>
    api('GET', `/v1/calendars/${name}/deadline?from=${from}&workingDays=${workingDays}`, staff);

  it("answers across 2027's New Year, lunar festivals and Qingming, provisionally", async () => {
    // Wed 2026-12-30 10:00 + 3: Thu 31, [Fri 01-01 New Year's Day, Sat, Sun], Mon 04, Tue 05 → Tue 2027-01-05 10:00.
    const newYear = await deadline('CN', '2026-12-30T02:00:00Z', 3);
    expect(newYear.status, JSON.stringify(newYear.body)).toBe(200);
    expect(newYear.body.deadline).toBe('2027-01-05T02:00:00.000Z');
    expect(newYear.body.explanation).toMatchObject({ provisional: true, provisionalYears: [2027], provisionalNote: expect.stringContaining('2027') });
    // Thu 2027-02-04 10:00 + 3: Fri 05 (lunar New Year's Eve), Sat 06 (lunar 1/1), Sun 07, Mon 08 (lunar 1/3), Tue 09 and
    // Wed 10 (substitutes for the weekend days) off → Thu 11, Fri 12, Mon 15 → Mon 2027-02-15 10:00.
    const spring = await deadline('CN', '2027-02-04T02:00:00Z', 3);
    expect(spring.body.deadline).toBe('2027-02-15T02:00:00.000Z');
    expect(spring.body.explanation.skippedDays.filter((d: { reason: string }) => d.reason === 'HOLIDAY').map((d: { date: string }) => d.date)).toEqual([
      '2027-02-05', '2027-02-06', '2027-02-07', '2027-02-08', '2027-02-09', '2027-02-10',
    ]);
    // Fri 2027-04-02 10:00 + 1: Sat, Sun, Mon 04-05 Qingming → Tue 2027-04-06 10:00.
    expect((await deadline('CN', '2027-04-02T02:00:00Z', 1)).body.deadline).toBe('2027-04-06T02:00:00.000Z');
    // Tue 2027-06-08 10:00 + 1: Wed 06-09 Dragon Boat → Thu 06-10; Tue 2027-09-14 + 1: Wed 09-15 Mid-autumn → Thu 09-16.
    expect((await deadline('CN', '2027-06-08T02:00:00Z', 1)).body.deadline).toBe('2027-06-10T02:00:00.000Z');
    expect((await deadline('CN', '2027-09-14T02:00:00Z', 1)).body.deadline).toBe('2027-09-16T02:00:00.000Z');
    // Inside the published years: no mark.
    expect((await deadline('CN', '2026-12-01T02:00:00Z', 3)).body.explanation).not.toHaveProperty('provisional');
    // SA has no rules: fail-closed, as before.
    const sa = await deadline('SA', '2026-12-30T06:00:00Z', 3);
    expect(sa.status).toBe(422);
    expect(sa.body.type).toBe('urn:partnerflow:problem:calendar-year-not-covered');
  });

  it("GET /v1/calendars says each calendar's next year: provisional for CN, missing for SA, published for a covered one", async () => {
    const nextYear = DateTime.now().setZone('Asia/Shanghai').year + 1;
    const items = (await api('GET', '/v1/calendars', staff)).body.items as { name: string; nextYear: { year: number; status: string; warning: string | null } }[];
    const of = (name: string) => items.find((c) => c.name === name)!.nextYear;
    expect(of('CN')).toMatchObject({ year: nextYear, status: 'provisional' });
    expect(of('SA')).toMatchObject({ status: 'missing' });
    // The warning (from CALENDAR_WARN_FROM, default 11-01) is pinned in test/statutory-holidays.test.ts at fixed dates.
    const warned = DateTime.now().setZone('Asia/Shanghai').toFormat('MM-dd') >= '11-01';
    expect(of('CN').warning === null).toBe(!warned);
  });

  it('refuses unknown rules, and a provisional policy without rules, naming the field; nothing stored', async () => {
    const name = unique('RULES');
    const unknownRules = await api('PUT', `/v1/calendars/${name}`, admin, { ...riyadh(), rules: 'XX-statutory' });
    expect(unknownRules.status).toBe(422);
    expect(unknownRules.body.errors).toContainEqual({ field: 'rules', message: expect.stringContaining('CN-statutory') });
    const noRules = await api('PUT', `/v1/calendars/${name}`, admin, { ...riyadh(), uncoveredYears: 'provisional' });
    expect(noRules.status).toBe(422);
    expect(noRules.body.errors).toContainEqual({ field: 'uncoveredYears', message: expect.any(String) });
    expect(await stored(name)).toEqual({ calendars: 0, versions: 0 });
  });
});

describe('PUT /v1/calendars/:name validation', () => {
  const valid = riyadh([{ from: `${year}-06-01`, to: `${year}-06-03`, name: 'Festival' }]);

  it.each<[string, Record<string, unknown>, number, string]>([
    ['an unknown zone', { zone: 'Mars/Olympus' }, 422, 'zone'],
    ['a rest day 8', { restWeekdays: [5, 8] }, 422, 'restWeekdays.1'],
    ['years reversed', { years: { first: year + 1, last: year } }, 422, 'years.last'],
    ['years unbounded', { years: { first: year, last: year + 80 } }, 422, 'years'],
    ['a holiday outside the years', { holidays: [{ from: `${year + 6}-01-01`, to: `${year + 6}-01-01`, name: 'X' }] }, 422, 'holidays.0.from'],
    ['a holiday range reversed', { holidays: [{ from: `${year}-06-03`, to: `${year}-06-01`, name: 'X' }] }, 422, 'holidays.0.to'],
    ['a date both holiday and make-up day', { makeupWorkdays: [{ date: `${year}-06-02`, name: 'X' }] }, 422, 'makeupWorkdays.0.date'],
    ['a make-up day on a working weekday', { makeupWorkdays: [{ date: nextWeekday(`${year}-07-01`, 1), name: 'X' }] }, 422, 'makeupWorkdays.0.date'],
    ['a date that does not exist', { holidays: [{ from: `${year}-02-30`, to: `${year}-03-01`, name: 'X' }] }, 400, 'holidays.0.from'],
    ['a missing field', { zone: undefined }, 400, 'zone'],
    ['an unknown field', { country: 'SA' }, 400, 'country'],
  ])('%s → %i naming %s, nothing stored', async (_, override, status, field) => {
    const name = unique('T-INVALID');
    const res = await api('PUT', `/v1/calendars/${name}`, admin, { ...valid, ...override });
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(await stored(name)).toEqual({ calendars: 0, versions: 0 });
  });

  it('a refused replacement keeps the calendar as it was', async () => {
    const name = unique('T-KEEP');
    expect((await api('PUT', `/v1/calendars/${name}`, admin, valid)).status).toBe(201);
    expect((await api('PUT', `/v1/calendars/${name}`, admin, { ...valid, zone: 'Nowhere/Else' })).status).toBe(422);
    expect(await stored(name)).toEqual({ calendars: 1, versions: 1 });
  });

  it('only vendor admins may PUT; partners may only read', async () => {
    const partner = await tokenFor(['partner_admin'], 'P-1');
    expect((await api('PUT', '/v1/calendars/CN', staff, valid)).status).toBe(403);
    expect((await api('PUT', '/v1/calendars/CN', partner, valid)).status).toBe(403);
    expect((await api('GET', '/v1/calendars/CN', partner)).status).toBe(200);
  });
});

/** The first date on or after `from` that is ISO weekday `weekday`. */
function nextWeekday(from: string, weekday: number): string {
  let d = DateTime.fromISO(from, { zone: 'utc' });
  while (d.weekday !== weekday) d = d.plus({ days: 1 });
  return d.toISODate()!;
}

describe('versions', () => {
  it('every PUT appends a version with who, when and which dates changed; If-Match makes it conditional', async () => {
    const name = unique('T-VERSIONS');
    const first = await api('PUT', `/v1/calendars/${name}`, admin, riyadh());
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ name, version: 1, changedBy: 'calendar-admin', changes: null });

    const holiday = nextWeekday(`${year}-08-01`, 2);
    const second = await api('PUT', `/v1/calendars/${name}`, admin, riyadh([{ from: holiday, to: holiday, name: 'Typhoon' }]), { 'If-Match': '"1"' });
    expect(second.status).toBe(200);
    expect(second.body.changes).toEqual({ everyDate: false, dates: [{ date: holiday, from: 'WORKDAY', to: 'HOLIDAY' }] });

    const stale = await api('PUT', `/v1/calendars/${name}`, admin, riyadh(), { 'If-Match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body.errors[0].field).toBe('If-Match');

    const third = await api('PUT', `/v1/calendars/${name}`, admin, { ...riyadh(), restWeekdays: [6, 7] }, { 'If-Match': '"2"' });
    expect(third.status).toBe(200);
    expect(third.body).toMatchObject({ version: 3, changedBy: 'calendar-admin', changes: { everyDate: true, restWeekdays: { from: [5, 6], to: [6, 7] } } });

    const read = await api('GET', `/v1/calendars/${name}`, staff);
    expect(read.body).toMatchObject({ version: 3, restWeekdays: [6, 7], changedBy: 'calendar-admin' });
    expect(read.headers.get('etag')).toBe('"3"');
    // Every version kept; the audit log names who changed which env.calendar.
    const versions = await env.prisma.calendarVersion.findMany({ where: { calendarName: name }, orderBy: { version: 'asc' } });
    expect(versions.map((v) => [v.version, v.changedBy])).toEqual([[1, 'calendar-admin'], [2, 'calendar-admin'], [3, 'calendar-admin']]);
    expect(await env.prisma.auditLog.count({ where: { target: name, actor: 'calendar-admin', action: 'PUT /v1/calendars/:name' } })).toBe(3);
  });
});

describe('partner assignment', () => {
  it('moves a partner to a Riyadh calendar: its next opportunity counts Fri/Sat rest in Riyadh time, and a PUT applies at once', async () => {
    const partnerId = unique('P');
    const partner = await tokenFor(['partner_admin'], partnerId);
    const other = await tokenFor(['partner_admin'], unique('P'));
    const name = unique('T-RIYADH');
    expect((await api('PUT', `/v1/calendars/${name}`, admin, riyadh())).status).toBe(201);

    const before = await api('GET', `/v1/partners/${partnerId}/calendar`, partner);
    expect(before.body).toMatchObject({ partnerId, calendar: 'CN', isDefault: true, assignedBy: null });
    expect((await api('GET', `/v1/partners/${partnerId}/calendar`, other)).status).toBe(404);
    expect((await api('PUT', `/v1/partners/${partnerId}/calendar`, partner, { name })).status).toBe(403);
    const unknown = await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name: 'NO-SUCH' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors[0].field).toBe('name');

    const moved = await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name });
    expect(moved.status).toBe(200);
    expect(moved.body).toMatchObject({ partnerId, calendar: name, version: 1, zone: 'Asia/Riyadh', isDefault: false, assignedBy: 'calendar-admin' });
    expect(moved.body.changes).toMatchObject({ everyDate: true, zone: { from: 'Asia/Shanghai', to: 'Asia/Riyadh' }, restWeekdays: { from: [6, 7], to: [5, 6] } });
    expect(await env.prisma.partnerCalendarChange.count({ where: { partnerId, fromCalendar: 'CN', toCalendar: name } })).toBe(1);
    expect((await api('GET', `/v1/partners/${partnerId}/calendar`, partner)).body).toMatchObject({ calendar: name, isDefault: false });

    const shared = await share(partnerId);
    expect(shared).toMatchObject({ calendar: name, zone: 'Asia/Riyadh', deadlineExplanation: { calendar: name, calendarVersion: 1, zone: 'Asia/Riyadh' } });
    const inRiyadh = { zone: 'Asia/Riyadh', restWeekdays: [5, 6] };
    const expected = referenceDeadline(Date.parse(shared.sharedAt), 3, inRiyadh);
    expect(shared.acceptDeadline).toBe(new Date(expected).toISOString());
    expect(shared.deadlineExplanation.deadline).toMatch(/\+03:00$/);
    // The days it names, by the same naive walk: three working days counted, every Fri/Sat on the way skipped.
    const days = referenceDays(Date.parse(shared.sharedAt), 3, inRiyadh);
    expect(shared.deadlineExplanation.countedDays.map((c: { date: string }) => c.date)).toEqual(days.counted);
    expect(shared.deadlineExplanation.skippedDays).toEqual(days.skipped);

    // A holiday on the first counted day, stored as version 2: the next share counts with it at once.
    const firstCounted: string = shared.deadlineExplanation.countedDays[0].date;
    const holidays = [{ from: firstCounted, to: firstCounted, name: 'Typhoon' }];
    expect((await api('PUT', `/v1/calendars/${name}`, admin, riyadh(holidays))).status).toBe(200);
    const again = await share(partnerId);
    expect(again.deadlineExplanation).toMatchObject({ calendarVersion: 2 });
    const withTyphoon = { ...inRiyadh, holidays: [firstCounted] };
    const againExpected = referenceDeadline(Date.parse(again.sharedAt), 3, withTyphoon);
    expect(again.acceptDeadline).toBe(new Date(againExpected).toISOString());
    // Shared the same day (or, past midnight in Riyadh, the next): the typhoon day is skipped by name where it falls.
    const againDays = referenceDays(Date.parse(again.sharedAt), 3, withTyphoon);
    expect(againDays.skipped.map((d) => d.date)).toContain(firstCounted);
    expect(again.deadlineExplanation.countedDays.map((c: { date: string }) => c.date)).toEqual(againDays.counted);
    expect(again.deadlineExplanation.skippedDays).toEqual(againDays.skipped.map((d) => (d.reason === 'HOLIDAY' ? { ...d, name: 'Typhoon' } : d)));
  });
});

async function share(partnerId: string) {
  const res = await api('POST', '/v1/opportunities', staff, { partnerId, customerName: 'ACME Ltd.', title: 'Data-centre migration' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const read = await api('GET', `/v1/opportunities/${res.body.id}`, staff);
  return read.body;
}
