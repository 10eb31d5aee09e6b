/** The incentive qualification and amount rules (domain/incentive-rules.ts), table-driven, on fixed rules. */
import { describe, expect, it } from 'vitest';
import { type ExpertFacts, incentiveRules, loadIncentiveRules, monthBounds, qualify } from '../domain/incentive-rules.js';

const rules = loadIncentiveRules({
  version: 'test',
  timeZone: 'Asia/Shanghai',
  certificationTypes: [
    { type: 'BASIC', name: 'Basic (does not qualify)' },
    { type: 'PRO', name: 'Professional' },
    { type: 'EXPERT', name: 'Expert' },
  ],
  rates: [
    { type: 'PRO', rateMinor: 100000, currency: 'CNY' },
    { type: 'EXPERT', rateMinor: 300000, currency: 'CNY' },
  ],
});

// Qualifies for 2026-03 (registered and full-time before March, PRO valid all year).
const base: ExpertFacts = {
  active: true,
  fullTime: true,
  fullTimeSince: '2025-06-01',
  registeredOn: '2025-06-01',
  certifications: [{ type: 'PRO', validFrom: '2026-01-01', validTo: '2026-12-31' }],
};
const PRO = { currency: 'CNY', minor: 100000 };
const with_ = (change: Partial<ExpertFacts>): ExpertFacts => ({ ...base, ...change });
const cert = (type: string, validFrom: string, validTo: string) => ({ type, validFrom, validTo });

type Row = [label: string, expert: ExpertFacts, period: string, expected: { qualifies: boolean; reasons?: RegExp[]; amount?: typeof PRO; certification?: string }];
/** What a qualifying row expects (the PRO rate, from the PRO certification, unless said). */
const qualifies = (certification = 'PRO', amount = PRO) => ({ qualifies: true, amount, certification });

const TABLE: Row[] = [
  ['the baseline qualifies with its rate', base, '2026-03', qualifies()],
  ['registered the last day before M', with_({ registeredOn: '2026-02-28' }), '2026-03', qualifies()],
  ['registered on the 1st of M: not before M starts', with_({ registeredOn: '2026-03-01' }), '2026-03', { qualifies: false, reasons: [/registered on 2026-03-01/] }],
  ['registered on the 2nd of M', with_({ registeredOn: '2026-03-02' }), '2026-03', { qualifies: false, reasons: [/registered on 2026-03-02/] }],
  ['registered on the 1st of M qualifies for M+1', with_({ registeredOn: '2026-03-01' }), '2026-04', qualifies()],
  ['full-time since the 1st of M: all of M', with_({ fullTimeSince: '2026-03-01' }), '2026-03', qualifies()],
  ['full-time since mid-month', with_({ fullTimeSince: '2026-03-15' }), '2026-03', { qualifies: false, reasons: [/full-time only since 2026-03-15/] }],
  ['not full-time', with_({ fullTime: false, fullTimeSince: null }), '2026-03', { qualifies: false, reasons: [/not full-time/] }],
  ['certification ending the last day of M', with_({ certifications: [cert('PRO', '2025-01-01', '2026-03-31')] }), '2026-03', qualifies()],
  ['certification ending the day before', with_({ certifications: [cert('PRO', '2025-01-01', '2026-03-30')] }), '2026-03', { qualifies: false, reasons: [/no qualifying certification/] }],
  ['certification starting the 1st of M', with_({ certifications: [cert('PRO', '2026-03-01', '2026-03-31')] }), '2026-03', qualifies()],
  ['certification starting the 2nd of M', with_({ certifications: [cert('PRO', '2026-03-02', '2027-03-31')] }), '2026-03', { qualifies: false, reasons: [/no qualifying certification/] }],
  ['February of a leap year ends the 29th', with_({ certifications: [cert('PRO', '2028-01-01', '2028-02-28')] }), '2028-02', { qualifies: false, reasons: [/2028-02-01\.\.2028-02-29/] }],
  ['a non-qualifying type only', with_({ certifications: [cert('BASIC', '2020-01-01', '2030-12-31')] }), '2026-03', { qualifies: false, reasons: [/BASIC .*not qualifying/] }],
  ['no certification at all', with_({ certifications: [] }), '2026-03', { qualifies: false, reasons: [/held: none/] }],
  [
    'several qualifying certifications: the highest single rate',
    with_({ certifications: [cert('PRO', '2020-01-01', '2030-12-31'), cert('EXPERT', '2026-01-01', '2026-12-31'), cert('BASIC', '2020-01-01', '2030-12-31')] }),
    '2026-03',
    qualifies('EXPERT', { currency: 'CNY', minor: 300000 }),
  ],
  [
    'a higher rate not valid all month does not count',
    with_({ certifications: [cert('PRO', '2020-01-01', '2030-12-31'), cert('EXPERT', '2026-03-10', '2026-12-31')] }),
    '2026-03',
    qualifies(),
  ],
  ['inactive expert', with_({ active: false }), '2026-03', { qualifies: false, reasons: [/deactivated/] }],
  [
    'every unmet reason is listed',
    { active: false, fullTime: false, fullTimeSince: null, registeredOn: '2026-03-02', certifications: [cert('PRO', '2026-03-05', '2026-03-31')] },
    '2026-03',
    { qualifies: false, reasons: [/deactivated/, /not full-time/, /registered on 2026-03-02/, /no qualifying certification/] },
  ],
];

describe('qualify(expert, period, rules)', () => {
  it.each(TABLE)('%s', (_label, expert, period, expected) => {
    const result = qualify(expert, period, rules);
    expect(result.qualifies).toBe(expected.qualifies);
    if (expected.qualifies) {
      expect(result.reasons).toEqual([]);
      expect(result.amount).toEqual(expected.amount);
      expect(result.certification).toBe(expected.certification);
    } else {
      expect(result.amount).toBeUndefined();
      expect(result.reasons).toHaveLength(expected.reasons!.length);
      expected.reasons!.forEach((pattern, i) => expect(result.reasons[i]).toMatch(pattern));
    }
  });

  it('refuses a malformed period', () => {
    for (const period of ['2026-3', '2026-13', '2026-00', '202603', '']) expect(() => qualify(base, period, rules)).toThrow(/YYYY-MM/);
  });

  it('month bounds are calendar months', () => {
    expect(monthBounds('2026-02')).toEqual({ first: '2026-02-01', last: '2026-02-28' });
    expect(monthBounds('2024-02')).toEqual({ first: '2024-02-01', last: '2024-02-29' });
    expect(monthBounds('2026-12')).toEqual({ first: '2026-12-01', last: '2026-12-31' });
  });
});

describe('the rules are data', () => {
  it('the shipped rules load, every rated type is in the catalog, one currency', () => {
    const types = incentiveRules.certificationTypes.map((c) => c.type);
    expect(incentiveRules.timeZone).toBe('Asia/Shanghai');
    for (const rate of incentiveRules.rates) expect(types).toContain(rate.type);
    expect(new Set(incentiveRules.rates.map((r) => r.currency)).size).toBe(1);
  });

  it.each<[string, unknown, RegExp]>([
    ['a rate for an unknown type', { version: 'x', timeZone: 'Asia/Shanghai', certificationTypes: [{ type: 'A', name: 'A' }], rates: [{ type: 'B', rateMinor: 1, currency: 'CNY' }] }, /rates\.0\.type: B is not in certificationTypes/],
    ['two currencies', { version: 'x', timeZone: 'Asia/Shanghai', certificationTypes: [{ type: 'A', name: 'A' }, { type: 'B', name: 'B' }], rates: [{ type: 'A', rateMinor: 1, currency: 'CNY' }, { type: 'B', rateMinor: 1, currency: 'USD' }] }, /one currency/],
    ['a fractional rate', { version: 'x', timeZone: 'Asia/Shanghai', certificationTypes: [{ type: 'A', name: 'A' }], rates: [{ type: 'A', rateMinor: 1.5, currency: 'CNY' }] }, /rates\.0\.rateMinor/],
    ['an unknown zone', { version: 'x', timeZone: 'Mars/Olympus', certificationTypes: [{ type: 'A', name: 'A' }], rates: [] }, /timeZone/],
  ])('refuses invalid rules: %s', (_label, json, message) => {
    expect(() => loadIncentiveRules(json)).toThrow(message);
  });
});
