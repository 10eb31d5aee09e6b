/**
 * Working-day rules (domain/calendar.ts) on the shipped CN snapshot and synthetic calendars: weekends, holidays,
 * make-up days, year boundaries, explanations, a DST zone, fail-closed years. Calendar definitions and versions:
 * calendar-versions.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { isWorkday } from 'chinese-days';
import { DateTime } from 'luxon';
import { BusinessCalendar, CalendarYearNotCoveredError, snapshotCalendar, type CalendarDefinition } from '../domain/calendar.js';

const cn = snapshotCalendar('CN')!;
const utc = (iso: string) => new Date(iso);
const deadlineUtc = (cal: BusinessCalendar, fromIso: string, n: number) =>
  cal.addWorkingDays(utc(fromIso), n).deadline.toISOString();

describe('dataset snapshot', () => {
  it('holds CN (the source of the 0012 seed)', () => {
    expect(cn).toBeInstanceOf(BusinessCalendar);
    expect(cn.zone).toBe('Asia/Shanghai');
    expect(cn.years).toEqual([2004, 2026]);
    expect(snapshotCalendar('XX')).toBeUndefined();
  });
});

describe('CN isWorkingDay', () => {
  it.each([
    ['2026-03-16', true, 'plain Monday'],
    ['2026-03-14', false, 'plain Saturday'],
    ['2026-01-01', false, "New Year's Day (Thursday)"],
    ['2026-01-04', true, 'make-up Sunday'],
    ['2026-02-14', true, 'make-up Saturday before Spring Festival'],
    ['2026-10-07', false, 'National Day (Wednesday)'],
    ['2026-10-10', true, 'make-up Saturday after National Day'],
  ])('%s → %s (%s)', (date, expected) => {
    expect(cn.isWorkingDay(date)).toBe(expected);
  });

  it('agrees with the chinese-days library for every day of 2025 and 2026', () => {
    const mismatches: string[] = [];
    for (let d = DateTime.utc(2025, 1, 1); d.year <= 2026; d = d.plus({ days: 1 })) {
      const date = d.toISODate()!;
      if (cn.isWorkingDay(date) !== isWorkday(date)) mismatches.push(date);
    }
    expect(mismatches).toEqual([]);
  });

  it('fails closed outside the covered years and rejects malformed dates', () => {
    expect(() => cn.isWorkingDay('2027-01-04')).toThrow(CalendarYearNotCoveredError);
    expect(() => cn.isWorkingDay('2003-12-31')).toThrow(CalendarYearNotCoveredError);
    expect(() => cn.isWorkingDay('2026-02-30')).toThrow(RangeError);
    expect(() => cn.isWorkingDay('20260301')).toThrow(RangeError);
  });
});

describe('CN addWorkingDays', () => {
  // All instants are UTC; Asia/Shanghai is UTC+8 without DST.
  it.each([
    // [case, from (UTC), working days, expected deadline (UTC)]
    ['Mon 10:00 → Thu 10:00', '2026-03-09T02:00:00Z', 3, '2026-03-12T02:00:00.000Z'],
    ['Fri 15:00 → Wed 15:00', '2026-03-13T07:00:00Z', 3, '2026-03-18T07:00:00.000Z'],
    ['Sat 10:00 → Thu 00:00', '2026-03-14T02:00:00Z', 3, '2026-03-18T16:00:00.000Z'],
    ['UTC Fri evening is local Sat 04:00 → Thu 00:00', '2026-03-13T20:00:00Z', 3, '2026-03-18T16:00:00.000Z'],
    ['1 day keeps seconds and ms', '2026-03-09T02:03:04.567Z', 1, '2026-03-10T02:03:04.567Z'],
    ['Spring Festival: start Wed 02-18 14:00 inside the holiday → end of Tue 02-24', '2026-02-18T06:00:00Z', 1, '2026-02-24T16:00:00.000Z'],
    ['Spring Festival: Fri 02-13 10:00 + 1 → make-up Sat 02-14 10:00', '2026-02-13T02:00:00Z', 1, '2026-02-14T02:00:00.000Z'],
    ['Spring Festival: Fri 02-13 10:00 + 2 → Tue 02-24 10:00', '2026-02-13T02:00:00Z', 2, '2026-02-24T02:00:00.000Z'],
    ['National Day: start Thu 10-01 10:00 + 3 → end of make-up Sat 10-10', '2026-10-01T02:00:00Z', 3, '2026-10-10T16:00:00.000Z'],
    ['make-up Sun 09-20 counts: Fri 09-18 09:30 + 2 → Mon 09-21 09:30', '2026-09-18T01:30:00Z', 2, '2026-09-21T01:30:00.000Z'],
    ['Qingming: Mon 03-02 10:00 + 30 → Tue 04-14 10:00', '2026-03-02T02:00:00Z', 30, '2026-04-14T02:00:00.000Z'],
    ['year boundary: Wed 2025-12-31 18:00 + 1 → make-up Sun 2026-01-04 18:00', '2025-12-31T10:00:00Z', 1, '2026-01-04T10:00:00.000Z'],
    ['year boundary: Wed 2025-12-31 18:00 + 2 → Mon 2026-01-05 18:00', '2025-12-31T10:00:00Z', 2, '2026-01-05T10:00:00.000Z'],
    ['last covered day is usable: Wed 2026-12-30 10:00 + 1', '2026-12-30T02:00:00Z', 1, '2026-12-31T02:00:00.000Z'],
  ])('%s', (_case, from, n, expected) => {
    expect(deadlineUtc(cn, from, n)).toBe(expected);
  });

  it.each([
    ['window runs into 2027', '2026-12-30T02:00:00Z', 2, 2027],
    ['local start is already 2027-01-01 00:30', '2026-12-31T16:30:00Z', 1, 2027],
    ['start before the data begins', '2003-12-30T02:00:00Z', 1, 2003],
  ])('throws CalendarYearNotCoveredError when %s', (_case, from, n, year) => {
    let error: unknown;
    try {
      cn.addWorkingDays(utc(from), n);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CalendarYearNotCoveredError);
    expect(error).toMatchObject({ calendar: 'CN', year, name: 'CalendarYearNotCoveredError' });
  });

  it.each([0, -1, 1.5, 367, Number.NaN, Number.POSITIVE_INFINITY])('rejects workingDays = %s', (n) => {
    expect(() => cn.addWorkingDays(utc('2026-03-09T02:00:00Z'), n)).toThrow(RangeError);
  });

  it('rejects an invalid Date', () => {
    expect(() => cn.addWorkingDays(new Date('nope'), 1)).toThrow(RangeError);
  });
});

describe('explanation', () => {
  it('describes a plain weekend skip exactly', () => {
    const { explanation } = cn.addWorkingDays(utc('2026-03-13T07:00:00Z'), 3);
    expect(explanation).toEqual({
      calendar: 'CN',
      zone: 'Asia/Shanghai',
      from: '2026-03-13T15:00:00+08:00',
      workingDays: 3,
      deadline: '2026-03-18T15:00:00+08:00',
      countedDays: [
        { date: '2026-03-16', kind: 'WORKDAY' },
        { date: '2026-03-17', kind: 'WORKDAY' },
        { date: '2026-03-18', kind: 'WORKDAY' },
      ],
      skippedDays: [
        { date: '2026-03-14', reason: 'REST_DAY' },
        { date: '2026-03-15', reason: 'REST_DAY' },
      ],
      summary:
        '3 working days from Fri 2026-03-13 15:00 (Asia/Shanghai) skipping Sat 03-14 (rest day), Sun 03-15 (rest day) → Wed 2026-03-18 15:00',
    });
  });

  it('lists holidays (including a non-working start day) with names, and make-up days as counted', () => {
    const { explanation } = cn.addWorkingDays(utc('2026-10-01T02:00:00Z'), 3);
    const holiday = (date: string) => ({ date, reason: 'HOLIDAY', name: 'National Day' });
    expect(explanation.skippedDays).toEqual(
      ['2026-10-01', '2026-10-02', '2026-10-03', '2026-10-04', '2026-10-05', '2026-10-06', '2026-10-07'].map(holiday),
    );
    expect(explanation.countedDays).toEqual([
      { date: '2026-10-08', kind: 'WORKDAY' },
      { date: '2026-10-09', kind: 'WORKDAY' },
      { date: '2026-10-10', kind: 'MAKEUP_WORKDAY', name: 'National Day' },
    ]);
    expect(explanation.deadline).toBe('2026-10-11T00:00:00+08:00');
    expect(explanation.summary).toBe(
      '3 working days from Thu 2026-10-01 10:00 (Asia/Shanghai) skipping Thu 10-01 (National Day), Fri 10-02 (National Day), ' +
        'Sat 10-03 (National Day), Sun 10-04 (National Day), Mon 10-05 (National Day), Tue 10-06 (National Day), ' +
        'Wed 10-07 (National Day) → Sun 2026-10-11 00:00',
    );
  });

  it('truncates long skip lists in the summary but keeps all of them in skippedDays', () => {
    const { explanation } = cn.addWorkingDays(utc('2026-03-02T02:00:00Z'), 30);
    expect(explanation.skippedDays).toHaveLength(13);
    expect(explanation.skippedDays.filter((d) => d.reason === 'HOLIDAY').map((d) => d.name)).toEqual([
      'Tomb-sweeping Day',
      'Tomb-sweeping Day',
      'Tomb-sweeping Day',
    ]);
    expect(explanation.countedDays).toHaveLength(30);
    expect(explanation.summary).toMatch(/, and 3 more → Tue 2026-04-14 10:00$/);
  });

  it('is plain JSON', () => {
    const { explanation } = cn.addWorkingDays(utc('2026-02-13T02:00:00Z'), 2);
    expect(JSON.parse(JSON.stringify(explanation))).toEqual(explanation);
  });
});

describe('DST zone (Europe/Berlin)', () => {
  const def: CalendarDefinition = {
    name: 'DE-TEST',
    zone: 'Europe/Berlin',
    restWeekdays: [6, 7],
    years: [2026, 2026],
    holidays: {},
    makeupWorkdays: {},
  };
  const berlin = new BusinessCalendar(def);
  // Every day is a working day, so deadlines can land on the transition Sundays themselves.
  const everyDay = new BusinessCalendar({ ...def, name: 'DE-7', restWeekdays: [] });

  it.each([
    ['spring-forward: Fri 03-27 10:00 CET + 1 → Mon 03-30 10:00 CEST (71 h)', berlin, '2026-03-27T09:00:00Z', 1, '2026-03-30T08:00:00.000Z'],
    ['spring-forward: Sat 03-28 02:30 CET (rest day) + 1 → Tue 03-31 00:00 CEST', berlin, '2026-03-28T01:30:00Z', 1, '2026-03-30T22:00:00.000Z'],
    ['fall-back: Fri 10-23 10:00 CEST + 1 → Mon 10-26 10:00 CET (73 h)', berlin, '2026-10-23T08:00:00Z', 1, '2026-10-26T09:00:00.000Z'],
    ['fall-back: Fri 10-23 10:00 CEST + 3 → Wed 10-28 10:00 CET', berlin, '2026-10-23T08:00:00Z', 3, '2026-10-28T09:00:00.000Z'],
    ['gap: Sat 03-28 02:30 + 1 → 03-29 02:30 does not exist, shifted to 03:30 CEST', everyDay, '2026-03-28T01:30:00Z', 1, '2026-03-29T01:30:00.000Z'],
    ['ambiguous: Sat 10-24 02:30 CEST + 1 → 10-25 02:30, later (CET) occurrence', everyDay, '2026-10-24T00:30:00Z', 1, '2026-10-25T01:30:00.000Z'],
  ])('%s', (_case, cal, from, n, expected) => {
    expect(deadlineUtc(cal, from, n)).toBe(expected);
  });

  it('reports local times with their own offsets', () => {
    const { explanation } = berlin.addWorkingDays(utc('2026-03-27T09:00:00Z'), 1);
    expect(explanation.from).toBe('2026-03-27T10:00:00+01:00');
    expect(explanation.deadline).toBe('2026-03-30T10:00:00+02:00');
  });

  it('fails closed outside its single covered year', () => {
    expect(() => berlin.addWorkingDays(utc('2026-12-31T09:00:00Z'), 1)).toThrow(
      expect.objectContaining({ calendar: 'DE-TEST', year: 2027 }),
    );
  });
});
