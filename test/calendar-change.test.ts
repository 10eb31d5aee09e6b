/**
 * Deadlines follow the calendar, end to end on the time-skipping server with the real API, worker and PostgreSQL
 * counting in the database's calendars: a holiday added inside a pending opportunity's window (PUT
 * /v1/calendars/:name) moves its deadline — in GET, in its history, in the ProcessDeadline search attribute and in
 * when it expires; a change outside the window moves nothing; a partner moved to a calendar in another zone gets
 * its deadline recomputed there.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CalendarData } from '../domain/calendar-versions.js';
import { PROCESS_KINDS as QUERIED_KINDS } from '../activities/calendar-change.js';
import { calendarChangeWorkflowId, PROCESS_KINDS } from '../workflows/calendar-change/workflow.js';
import { signalsReceived } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { recordHistory } from './support/histories.js';
import { nextFriday, nextWednesdayDec30 } from './support/calendar.js';
import { DAY, useTestEnv } from './support/env.js';
import { completed as completedHandle, eventually } from './support/wait.js';

// The database's calendars, as in production.
const env = useTestEnv({ taskQueue: 'calendar-change-test', api: true, calendarFor: 'database' });
const { api, advanceTo } = env;
let admin: string;
let vendor: string;

beforeAll(async () => {
  admin = await tokenFor(['vendor_admin'], undefined, 'calendar-change-admin');
  vendor = await tokenFor(['vendor_staff'], undefined, 'calendar-change-vendor');
});

const completed = (workflowId: string) => completedHandle(env.client.workflow.getHandle(workflowId));

const calendarData = (zone: string, restWeekdays: number[], holidays: string[] = []): CalendarData => {
  const year = DateTime.fromMillis(Date.now(), { zone }).year;
  return { zone, restWeekdays, years: { first: year - 1, last: year + 30 }, holidays: holidays.map((d) => ({ from: d, to: d, name: 'Typhoon closure' })), makeupWorkdays: [] };
};

describe('deadlines follow the calendar', () => {
  it('the propagation visits every process kind that has a query for it', () => {
    expect([...PROCESS_KINDS]).toEqual(QUERIED_KINDS);
  });

  it('a holiday added inside the window moves the deadline; one outside moves nothing; a move to another zone recomputes it there', async () => {
    const name = `CHG-${randomUUID().slice(0, 6)}`;
    const partnerId = `P-chg-${randomUUID().slice(0, 6)}`;
    const put = (data: CalendarData) => api('PUT', `/v1/calendars/${name}`, admin, data);
    expect((await put(calendarData('Asia/Shanghai', [6, 7]))).status).toBe(201);
    expect((await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name })).status).toBe(200);

    const friday = nextFriday(await env.currentTimeMs(), 15);
    await advanceTo(friday.toMillis());
    const shared = await api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME', title: 'Typhoon-proof DR' });
    expect(shared.status, JSON.stringify(shared.body)).toBe(201);
    const id = shared.body.id as string;
    const sharedAt = Date.parse(shared.body.sharedAt);
    expect(Date.parse(shared.body.acceptDeadline)).toBe(sharedAt + 5 * DAY); // Fri 15:00 → Wed 15:00
    const opportunity = async () => (await api('GET', `/v1/opportunities/${id}`, vendor)).body;
    const processDeadline = async () => ((await env.client.workflow.getHandle(`opportunity-${id}`).describe()).searchAttributes.ProcessDeadline?.[0] as Date).getTime();

    // An office closure on Monday, inside the window: one working day later.
    const monday = friday.plus({ days: 3 }).toISODate()!;
    const v2 = await put(calendarData('Asia/Shanghai', [6, 7], [monday]));
    expect(v2.body).toMatchObject({ version: 2, changes: { dates: [{ date: monday, from: 'WORKDAY', to: 'HOLIDAY' }] } });
    const moved = await eventually(async () => {
      const o = await opportunity();
      return Date.parse(o.acceptDeadline) === sharedAt + 6 * DAY ? o : undefined;
    });
    expect(moved.history.map((e: { type: string }) => e.type)).toEqual(['SHARED', 'DEADLINE_CHANGED']);
    expect(moved.history[1]).toMatchObject({ actor: 'system', reasonCode: 'CALENDAR_CHANGED' });
    expect(moved.deadlineExplanation).toMatchObject({ calendar: name, calendarVersion: 2 });
    await eventually(async () => ((await processDeadline()) === sharedAt + 6 * DAY ? true : undefined));
    await completed(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }));

    // A closure two months later is outside the window: nothing is signalled, nothing moves.
    const v3 = await put(calendarData('Asia/Shanghai', [6, 7], [monday, friday.plus({ days: 60 }).toISODate()!]));
    expect(v3.body.version).toBe(3);
    await completed(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 3, defaultCalendar: 'CN' }));
    // Its signals arrived before it completed: only version 2's reached the opportunity.
    expect(await signalsReceived(env.client.workflow.getHandle(`opportunity-${id}`), 'recomputeDeadline')).toBe(1);
    expect((await opportunity()).history).toHaveLength(2);

    // The partner moves to a calendar in Riyadh (Fri/Sat rest): the deadline is recomputed from sharedAt there.
    const riyadhName = `${name}-RUH`;
    const riyadh = calendarData('Asia/Riyadh', [5, 6]);
    expect((await api('PUT', `/v1/calendars/${riyadhName}`, admin, riyadh)).status).toBe(201);
    expect((await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name: riyadhName })).body).toMatchObject({ calendar: riyadhName, changes: { everyDate: true } });
    // Shared Fri 15:00 Shanghai = Fri 10:00 Riyadh, a rest day there: Sun, Mon, Tue count → Wed 00:00 Riyadh.
    const expected = DateTime.fromMillis(sharedAt, { zone: 'Asia/Riyadh' }).startOf('day').plus({ days: 5 }).toMillis();
    const inRiyadh = await eventually(async () => {
      const o = await opportunity();
      return Date.parse(o.acceptDeadline) === expected ? o : undefined;
    });
    expect(inRiyadh.local.acceptDeadline).toMatch(/\+03:00$/);
    expect(inRiyadh.history.map((e: { type: string }) => e.type)).toEqual(['SHARED', 'DEADLINE_CHANGED', 'DEADLINE_CHANGED']);

    // It expires at the recomputed deadline, not at any earlier one.
    await advanceTo(expected - 1000);
    expect((await opportunity()).status).toBe('PENDING_ACCEPTANCE');
    await advanceTo(expected + 1000);
    const expired = await eventually(async () => {
      const o = await opportunity();
      return o.status === 'EXPIRED' ? o : undefined;
    });
    expect(Date.parse(expired.history.at(-1).at)).toBeGreaterThanOrEqual(expected);
    expect(Date.parse(expired.history.at(-1).at)).toBeLessThan(expected + 1000);
    await recordHistory(env.client.workflow.getHandle(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' })), 'calendar-change-propagated');
  });
  it('a version whose propagation was lost is propagated by the next PUT', async () => {
    const name = `LOST-${randomUUID().slice(0, 6)}`;
    const partnerId = `P-lost-${randomUUID().slice(0, 6)}`;
    const plain = calendarData('Asia/Shanghai', [6, 7]);
    expect((await api('PUT', `/v1/calendars/${name}`, admin, plain)).status).toBe(201);
    expect((await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name })).status).toBe(200);
    const friday = nextFriday(await env.currentTimeMs(), 15);
    await advanceTo(friday.toMillis());
    const shared = await api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME', title: 'Lost propagation' });
    const sharedAt = Date.parse(shared.body.sharedAt);

    // Version 2 committed, but Temporal never took its propagation: written straight to the database.
    const monday = friday.plus({ days: 3 }).toISODate()!;
    const v1 = await env.prisma.calendarVersion.findFirstOrThrow({ where: { calendarName: name, version: 1 } });
    await env.prisma.calendarVersion.create({
      data: {
        ...v1,
        makeupWorkdays: [],
        holidays: [{ from: monday, to: monday, name: 'Typhoon closure' }],
        version: 2,
        changedBy: 'lost',
        changes: { everyDate: false, dates: [{ date: monday, from: 'WORKDAY', to: 'HOLIDAY' }] },
      },
    });
    expect(Date.parse((await api('GET', `/v1/opportunities/${shared.body.id}`, vendor)).body.acceptDeadline)).toBe(sharedAt + 5 * DAY);

    // The same body again: version 3 changes nothing itself, and version 2 is propagated now.
    const again = await api('PUT', `/v1/calendars/${name}`, admin, { ...plain, holidays: [{ from: monday, to: monday, name: 'Typhoon closure' }] });
    expect(again.body).toMatchObject({ version: 3, changes: { dates: [] } });
    await eventually(async () => {
      const o = (await api('GET', `/v1/opportunities/${shared.body.id}`, vendor)).body;
      return Date.parse(o.acceptDeadline) === sharedAt + 6 * DAY ? true : undefined;
    });
    await completed(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }));
  });

  it('the official schedule of a provisional year is loaded: the opportunity counted with the rules is re-timed and told', async () => {
    const name = `PROV-${randomUUID().slice(0, 6)}`;
    const partnerId = `P-prov-${randomUUID().slice(0, 6)}`;
    const dec30 = nextWednesdayDec30(await env.currentTimeMs());
    const year = dec30.year;
    const provisional: CalendarData = {
      zone: 'Asia/Shanghai',
      restWeekdays: [6, 7],
      years: { first: year - 1, last: year },
      holidays: [],
      makeupWorkdays: [],
      rules: 'CN-statutory',
      uncoveredYears: 'provisional',
    };
    expect((await api('PUT', `/v1/calendars/${name}`, admin, provisional)).status).toBe(201);
    expect((await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name })).status).toBe(200);

    await advanceTo(dec30.toMillis());
    const shared = await api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME', title: 'Year-end migration' });
    expect(shared.status, JSON.stringify(shared.body)).toBe(201);
    const sharedAt = Date.parse(shared.body.sharedAt);
    // Wed 12-30 10:00 + 3: Thu 31 (1), Fri 01-01 New Year's Day by the rules, Sat, Sun, Mon 04 (2), Tue 05 (3).
    expect(Date.parse(shared.body.acceptDeadline)).toBe(sharedAt + 6 * DAY);
    expect(shared.body.deadlineExplanation).toMatchObject({ provisional: true, provisionalYears: [year + 1] });

    // Published: New Year's Day and a bridge on Mon 01-04 (with a make-up Saturday 01-09) → Thu 31, Tue 05, Wed 06.
    const official = await api('PUT', `/v1/calendars/${name}`, admin, {
      ...provisional,
      years: { first: year - 1, last: year + 1 },
      holidays: [{ from: `${year + 1}-01-01`, to: `${year + 1}-01-04`, name: "New Year's Day" }],
      makeupWorkdays: [{ date: `${year + 1}-01-09`, name: "New Year's Day" }],
    });
    expect(official.status, JSON.stringify(official.body)).toBe(200);
    expect(official.body.changes).toMatchObject({ newlyCoveredYears: [year + 1] });
    const moved = await eventually(async () => {
      const o = (await api('GET', `/v1/opportunities/${shared.body.id}`, vendor)).body;
      return Date.parse(o.acceptDeadline) === sharedAt + 7 * DAY ? o : undefined;
    });
    expect(moved.deadlineExplanation.provisional).toBeUndefined();
    expect(moved.history.map((e: { type: string }) => e.type)).toEqual(['SHARED', 'DEADLINE_CHANGED']);
    const told = await eventually(async () => {
      const rows = await env.prisma.outbox.findMany({ where: { aggregateId: shared.body.id, topic: 'opportunity.deadline-changed' } });
      return rows.length === 1 ? rows[0] : undefined;
    });
    expect(told!.payload).toMatchObject({
      partnerId,
      deadline: 'acceptDeadline',
      from: new Date(sharedAt + 6 * DAY).toISOString(),
      to: new Date(sharedAt + 7 * DAY).toISOString(),
    });
    await completed(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }));
  });

  it('a provisional deadline whose window holds no date the official schedule names is still counted again: the mark clears', async () => {
    const name = `PROV2-${randomUUID().slice(0, 6)}`;
    const partnerId = `P-prov2-${randomUUID().slice(0, 6)}`;
    const jan6 = nextWednesdayDec30(await env.currentTimeMs()).plus({ days: 7 }); // Wed 6 January, 10:00
    const year = jan6.year; // the unpublished year itself
    const provisional: CalendarData = {
      zone: 'Asia/Shanghai',
      restWeekdays: [6, 7],
      years: { first: year - 2, last: year - 1 },
      holidays: [],
      makeupWorkdays: [],
      rules: 'CN-statutory',
    };
    expect((await api('PUT', `/v1/calendars/${name}`, admin, provisional)).status).toBe(201);
    expect((await api('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name })).status).toBe(200);
    await advanceTo(jan6.toMillis());
    const shared = await api('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME', title: 'January project' });
    const sharedAt = Date.parse(shared.body.sharedAt);
    // Wed 01-06 10:00 + 3: Thu 07, Fri 08, Mon 11 → Mon 01-11 10:00; no statutory day in between, but counted by rules.
    expect(Date.parse(shared.body.acceptDeadline)).toBe(sharedAt + 5 * DAY);
    expect(shared.body.deadlineExplanation).toMatchObject({ provisional: true, provisionalYears: [year] });

    // Published, naming only a February holiday: no date of the window changed kind; the year itself is new.
    const official = await api('PUT', `/v1/calendars/${name}`, admin, {
      ...provisional,
      years: { first: year - 2, last: year },
      holidays: [{ from: `${year}-02-10`, to: `${year}-02-12`, name: 'Spring Festival' }],
    });
    expect(official.body.changes).toMatchObject({ newlyCoveredYears: [year] });
    const confirmed = await eventually(async () => {
      const o = (await api('GET', `/v1/opportunities/${shared.body.id}`, vendor)).body;
      return o.history.length === 2 ? o : undefined;
    });
    expect(Date.parse(confirmed.acceptDeadline)).toBe(sharedAt + 5 * DAY);
    expect(confirmed.deadlineExplanation.provisional).toBeUndefined();
    expect(confirmed.history[1]).toMatchObject({ type: 'DEADLINE_CHANGED', note: expect.stringContaining('no longer provisional') });
    await completed(calendarChangeWorkflowId({ kind: 'CALENDAR', calendar: name, version: 2, defaultCalendar: 'CN' }));
    expect(await env.prisma.outbox.count({ where: { aggregateId: shared.body.id, topic: 'opportunity.deadline-changed' } })).toBe(0);
  });
});
