/**
 * `npm run calendar:snapshot` when the data arrives: run on a dataset that has the new year (a fixture standing in for
 * a `chinese-days` version that publishes 2027 — the installed 1.5.7 data plus a hand-written 2027 schedule), it
 * writes the PUT /v1/calendars/CN body that loads it: the years, the holidays folded into ranges, the make-up days,
 * and CN's rules for the years after. The body passes the API's own validation, and counts 2027 as published.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CalendarData, calendarFromData, calendarRuleErrors } from '../domain/calendar-versions.js';
import { projectRoot } from '../scripts/temporal-binaries.js';

const require = createRequire(import.meta.url);
const installed = JSON.parse(readFileSync(path.join(path.dirname(require.resolve('chinese-days/package.json')), 'dist', 'chinese-days.json'), 'utf8')) as {
  holidays: Record<string, string>;
  workdays: Record<string, string>;
};

// A plausible 2027 schedule, written by hand in the dataset's format ("English,中文,days").
const days = (from: string, to: string, label: string) => {
  const out: Record<string, string> = {};
  for (let d = Date.parse(`${from}T00:00:00Z`); d <= Date.parse(`${to}T00:00:00Z`); d += 86_400_000) out[new Date(d).toISOString().slice(0, 10)] = label;
  return out;
};
const holidays2027 = {
  ...days('2027-01-01', '2027-01-03', "New Year's Day,元旦,3"),
  ...days('2027-02-05', '2027-02-13', 'Spring Festival,春节,9'),
  ...days('2027-04-03', '2027-04-05', 'Tomb-sweeping Day,清明,3'),
  ...days('2027-05-01', '2027-05-05', 'Labour Day,劳动节,5'),
  ...days('2027-06-09', '2027-06-09', 'Dragon Boat Festival,端午,1'),
  ...days('2027-09-15', '2027-09-15', 'Mid-autumn Festival,中秋,1'),
  ...days('2027-10-01', '2027-10-07', 'National Day,国庆节,7'),
};
const workdays2027 = { '2027-02-20': 'Spring Festival,春节,9', '2027-04-25': 'Labour Day,劳动节,5', '2027-09-26': 'National Day,国庆节,7', '2027-10-09': 'National Day,国庆节,7' };

describe('calendar:snapshot writes the PUT body that adds a newly published year', () => {
  it('from a dataset that has 2027: 2025–2027, ranges, make-up days, rules; valid; 2027 no longer provisional', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'partnerflow-snapshot-'));
    const dataset = path.join(dir, 'chinese-days.json');
    writeFileSync(dataset, JSON.stringify({ holidays: { ...installed.holidays, ...holidays2027 }, workdays: { ...installed.workdays, ...workdays2027 } }));
    const out = path.join(dir, 'CN.put.json');
    const printed = execFileSync(process.execPath, ['--import', 'tsx', 'scripts/snapshot-calendar.ts', '--dataset', dataset, '--out', out, '--no-snapshot'], {
      cwd: projectRoot,
      encoding: 'utf8',
    });
    expect(printed).toContain('PUT /v1/calendars/CN body for 2025-2027');
    const body = JSON.parse(readFileSync(out, 'utf8')) as CalendarData;
    expect(body).toMatchObject({ zone: 'Asia/Shanghai', restWeekdays: [6, 7], years: { first: 2025, last: 2027 }, rules: 'CN-statutory', uncoveredYears: 'provisional' });
    expect(body.holidays.filter((h) => h.from.startsWith('2027'))).toEqual([
      { from: '2027-01-01', to: '2027-01-03', name: "New Year's Day" },
      { from: '2027-02-05', to: '2027-02-13', name: 'Spring Festival' },
      { from: '2027-04-03', to: '2027-04-05', name: 'Tomb-sweeping Day' },
      { from: '2027-05-01', to: '2027-05-05', name: 'Labour Day' },
      { from: '2027-06-09', to: '2027-06-09', name: 'Dragon Boat Festival' },
      { from: '2027-09-15', to: '2027-09-15', name: 'Mid-autumn Festival' },
      { from: '2027-10-01', to: '2027-10-07', name: 'National Day' },
    ]);
    expect(body.makeupWorkdays.filter((m) => m.date.startsWith('2027')).map((m) => m.date)).toEqual(['2027-02-20', '2027-04-25', '2027-09-26', '2027-10-09']);
    // The 2025–2026 part is the seeded data (the migration's first CN ranges).
    expect(body.holidays[0]).toEqual({ from: '2025-01-01', to: '2025-01-01', name: "New Year's Day" });
    expect(calendarRuleErrors(body)).toEqual([]);

    // Wed 2026-12-30 10:00 + 3 in the published 2027: Thu 31, [Fri 01-01 … Sun 01-03], Mon 04, Tue 05 → not provisional.
    const { deadline, explanation } = calendarFromData('CN', body).addWorkingDays(new Date('2026-12-30T02:00:00Z'), 3);
    expect(deadline.toISOString()).toBe('2027-01-05T02:00:00.000Z');
    expect(explanation.provisional).toBeUndefined();
  });
});
