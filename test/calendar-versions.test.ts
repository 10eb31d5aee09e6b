/**
 * Calendars as data: a CalendarDefinition's validation, a calendar version's rules (each refusal naming its field)
 * and `changedDates` between two versions (domain/calendar-versions.ts).
 */
import { describe, expect, it } from 'vitest';
import { BusinessCalendar, type CalendarDefinition } from '../domain/calendar.js';
import { type CalendarData, calendarFromData, calendarRuleErrors, changedDates } from '../domain/calendar-versions.js';

const utc = (iso: string) => new Date(iso);

describe('CalendarDefinition validation', () => {
  const base: CalendarDefinition = {
    name: 'T',
    zone: 'Europe/Berlin',
    restWeekdays: [6, 7],
    years: [2026, 2026],
    holidays: {},
    makeupWorkdays: {},
  };

  it('accepts a minimal definition', () => {
    expect(() => new BusinessCalendar(base)).not.toThrow();
  });

  it.each<[string, Partial<CalendarDefinition>, RegExp]>([
    ['unknown zone', { zone: 'Mars/Olympus_Mons' }, /invalid IANA zone/],
    ['date both holiday and make-up day', { holidays: { '2026-05-01': 'A' }, makeupWorkdays: { '2026-05-01': 'B' } }, /both holiday and make-up/],
    ['inverted year range', { years: [2027, 2026] }, /invalid year range/],
    ['weekday out of range', { restWeekdays: [0] }, /restWeekdays/],
  ])('rejects %s', (_case, override, message) => {
    expect(() => new BusinessCalendar({ ...base, ...override })).toThrow(message);
  });

  it('rejects malformed holiday dates', () => {
    expect(() => new BusinessCalendar({ ...base, holidays: { '2026-13-01': 'X' } })).toThrow(/not a calendar date \(YYYY-MM-DD\): 2026-13-01/);
  });
});

describe('calendar versions: rules', () => {
  const valid: CalendarData = {
    zone: 'Asia/Shanghai',
    restWeekdays: [6, 7],
    years: { first: 2026, last: 2026 },
    holidays: [{ from: '2026-10-01', to: '2026-10-07', name: 'National Day' }],
    makeupWorkdays: [{ date: '2026-10-10', name: 'National Day' }],
  };

  it('accepts a valid calendar, and builds the same days as a hand-written one', () => {
    expect(calendarRuleErrors(valid)).toEqual([]);
    const built = calendarFromData('X', valid, 4);
    expect(built.version).toBe(4);
    expect(built.isWorkingDay('2026-10-07')).toBe(false);
    expect(built.isWorkingDay('2026-10-10')).toBe(true);
    expect(built.addWorkingDays(utc('2026-09-30T02:00:00Z'), 1).explanation).toMatchObject({ calendar: 'X', calendarVersion: 4 });
  });

  it.each<[string, Partial<CalendarData>, string, RegExp]>([
    ['unknown zone', { zone: 'Mars/Olympus' }, 'zone', /IANA/],
    ['rest day 0', { restWeekdays: [0, 6, 7] }, 'restWeekdays.0', /1 \(Monday\)/],
    ['rest day 8', { restWeekdays: [6, 8] }, 'restWeekdays.1', /ISO weekday/],
    ['rest day twice', { restWeekdays: [6, 6] }, 'restWeekdays.1', /twice/],
    ['every day rest', { restWeekdays: [1, 2, 3, 4, 5, 6, 7] }, 'restWeekdays', /at least one/],
    ['years reversed', { years: { first: 2027, last: 2026 } }, 'years.last', /before years.first/],
    ['years out of bounds', { years: { first: 1900, last: 2026 } }, 'years', /from 1970/],
    ['too many years', { years: { first: 2000, last: 2099 } }, 'years', /at most 50/],
    ['holiday outside the years', { holidays: [{ from: '2026-12-31', to: '2027-01-01', name: 'N' }] }, 'holidays.0.to', /outside the covered years/],
    ['holiday range reversed', { holidays: [{ from: '2026-10-07', to: '2026-10-01', name: 'N' }] }, 'holidays.0.to', /before from/],
    [
      'holidays overlapping',
      { holidays: [{ from: '2026-10-01', to: '2026-10-03', name: 'A' }, { from: '2026-10-03', to: '2026-10-04', name: 'B' }] },
      'holidays.1',
      /overlaps holidays.0/,
    ],
    ['make-up day outside the years', { makeupWorkdays: [{ date: '2025-12-27', name: 'M' }] }, 'makeupWorkdays.0.date', /outside/],
    ['make-up day that is a holiday', { makeupWorkdays: [{ date: '2026-10-03', name: 'M' }] }, 'makeupWorkdays.0.date', /also a holiday \(holidays.0, National Day\)/],
    ['make-up day on a working weekday', { makeupWorkdays: [{ date: '2026-10-12', name: 'M' }] }, 'makeupWorkdays.0.date', /Monday, a working day already/],
    ['make-up day twice', { makeupWorkdays: [{ date: '2026-10-10', name: 'M' }, { date: '2026-10-10', name: 'M' }] }, 'makeupWorkdays.1.date', /twice/],
  ])('%s → %s named', (_, override, field, message) => {
    const errors = calendarRuleErrors({ ...valid, ...override });
    expect(errors.map((e) => e.field)).toEqual([field]);
    expect(errors[0]!.message).toMatch(message);
  });
});

describe('calendar versions: changedDates', () => {
  const base: CalendarData = {
    zone: 'Asia/Shanghai',
    restWeekdays: [6, 7],
    years: { first: 2026, last: 2026 },
    holidays: [{ from: '2026-10-01', to: '2026-10-02', name: 'National Day' }],
    makeupWorkdays: [{ date: '2026-10-10', name: 'National Day' }],
  };
  const with_ = (override: Partial<CalendarData>): CalendarData => ({ ...base, ...override });

  it('nothing changed → no dates, not every date', () => {
    expect(changedDates(base, structuredClone(base))).toEqual({ everyDate: false, dates: [] });
  });

  it('a renamed holiday changes no date', () => {
    expect(changedDates(base, with_({ holidays: [{ from: '2026-10-01', to: '2026-10-02', name: 'Golden Week' }] })).dates).toEqual([]);
  });

  it('a holiday range extended: the added days, workday → holiday (a Saturday: rest day → holiday)', () => {
    const after = with_({ holidays: [{ from: '2026-10-01', to: '2026-10-03', name: 'National Day' }] });
    expect(changedDates(base, after)).toEqual({ everyDate: false, dates: [{ date: '2026-10-03', from: 'REST_DAY', to: 'HOLIDAY' }] });
    const typhoon = with_({ holidays: [...base.holidays, { from: '2026-07-14', to: '2026-07-14', name: 'Typhoon' }] });
    expect(changedDates(base, typhoon).dates).toEqual([{ date: '2026-07-14', from: 'WORKDAY', to: 'HOLIDAY' }]);
  });

  it('a holiday removed and a make-up day added and removed', () => {
    const after = with_({ holidays: [{ from: '2026-10-01', to: '2026-10-01', name: 'National Day' }], makeupWorkdays: [{ date: '2026-10-11', name: 'National Day' }] });
    expect(changedDates(base, after)).toEqual({
      everyDate: false,
      dates: [
        { date: '2026-10-02', from: 'HOLIDAY', to: 'WORKDAY' },
        { date: '2026-10-10', from: 'MAKEUP_WORKDAY', to: 'REST_DAY' },
        { date: '2026-10-11', from: 'REST_DAY', to: 'MAKEUP_WORKDAY' },
      ],
    });
  });

  it('the years extended: the new year\'s holidays were not covered before', () => {
    const after = with_({ years: { first: 2026, last: 2027 }, holidays: [...base.holidays, { from: '2027-01-01', to: '2027-01-01', name: "New Year's Day" }] });
    expect(changedDates(base, after)).toEqual({
      everyDate: false,
      years: { from: { first: 2026, last: 2026 }, to: { first: 2026, last: 2027 } },
      dates: [{ date: '2027-01-01', from: 'NOT_COVERED', to: 'HOLIDAY' }],
      // Every deadline touching 2027 was provisional (or refused): all of it is counted again.
      newlyCoveredYears: [2027],
    });
  });

  it('zone or rest days changed → every date may move (a partner moved from CN to Riyadh)', () => {
    const riyadh = with_({ zone: 'Asia/Riyadh', restWeekdays: [5, 6], holidays: [], makeupWorkdays: [] });
    const change = changedDates(base, riyadh);
    expect(change).toMatchObject({ everyDate: true, zone: { from: 'Asia/Shanghai', to: 'Asia/Riyadh' }, restWeekdays: { from: [6, 7], to: [5, 6] } });
    expect(change.dates).toEqual([
      { date: '2026-10-01', from: 'HOLIDAY', to: 'WORKDAY' },
      { date: '2026-10-02', from: 'HOLIDAY', to: 'REST_DAY' },
      { date: '2026-10-10', from: 'MAKEUP_WORKDAY', to: 'REST_DAY' },
    ]);
    expect(changedDates(base, with_({ restWeekdays: [7, 6] })).everyDate).toBe(false);
  });
});

