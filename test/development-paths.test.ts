/** Development paths as data: validation, requirement evaluation (table-driven), consequences of a failed review. */
import { describe, expect, it } from 'vitest';
import { developmentPaths, evaluateRequirements, isKeptOrRaised, levelAfterFailure, loadDevelopmentPaths, pathById } from '../domain/development-paths.js';
import type { ExpertFacts } from '../domain/incentive-rules.js';
import type { PartnerFacts } from '../domain/partner-rules.js';

const TODAY = '2027-03-01';
const expert = (certifications: ExpertFacts['certifications'] = [], over: Partial<ExpertFacts> = {}): ExpertFacts => ({
  active: true,
  fullTime: true,
  fullTimeSince: '2025-01-01',
  registeredOn: '2025-01-01',
  certifications,
  ...over,
});
const cert = (type: string, validTo = '2029-12-31') => ({ type, validFrom: '2025-01-01', validTo });
const certificate = (category: string, over: Partial<PartnerFacts['certificates'][number]> = {}) => ({
  type: category === 'ROLE' ? 'ROLE_CONSULTING' : category === 'ADVANCED_CLOUD_SOFTWARE' ? 'ADVANCED_CLOUD_SOFTWARE' : 'CAPABILITY_DATA_ANALYTICS',
  category,
  validFrom: '2026-06-01',
  validTo: '2027-05-31',
  active: true,
  ...over,
});
const path = (id: string) => pathById(id)!;

describe('development paths', () => {
  it('ship two paths with ascending levels and review settings', () => {
    expect(developmentPaths.paths.map((p) => [p.id, p.levels.map((l) => l.level), p.review.windowWorkingDays])).toEqual([
      ['SOFTWARE', ['CERTIFIED', 'ADVANCED'], 30],
      ['CONSULTING_SI', ['MEMBER', 'ADVANCED'], 30],
    ]);
  });

  it.each([
    ['a duplicate path', (c: any) => c.paths.push(structuredClone(c.paths[0])), /paths\.2\.id: duplicate path SOFTWARE/],
    ['a duplicate level', (c: any) => c.paths[0].levels.push(structuredClone(c.paths[0].levels[0])), /levels\.2\.level: duplicate level CERTIFIED/],
    ['an unknown certificate type', (c: any) => (c.paths[0].levels[0].requirements[0] = { kind: 'ACTIVE_CERTIFICATES', type: 'GOLD', min: 1 }), /requirements\.0\.type: GOLD is not in the certification catalog/],
    ['an unknown expert certification', (c: any) => (c.paths[1].levels[1].requirements[2].certification = 'WIZARD'), /requirements\.2\.certification: WIZARD/],
    ['a review day past the 28th', (c: any) => (c.paths[0].review.day = 31), /paths\.0\.review\.day/],
    ['an unknown consequence', (c: any) => (c.paths[0].onFail = 'BAN'), /paths\.0\.onFail/],
  ])('refuses paths with %s, naming where', (_, mutate, message) => {
    const copy = structuredClone(developmentPaths);
    mutate(copy);
    expect(() => loadDevelopmentPaths(copy)).toThrow(message);
  });

  const cases: Array<[string, string, string, PartnerFacts, Array<[string, number, number]>]> = [
    ['software CERTIFIED, all met', 'SOFTWARE', 'CERTIFIED', { experts: [expert(), expert()], certificates: [certificate('ADVANCED_CLOUD_SOFTWARE')] }, []],
    [
      'software CERTIFIED, nothing met: every item listed',
      'SOFTWARE',
      'CERTIFIED',
      { experts: [expert([], { fullTime: false, fullTimeSince: null })], certificates: [] },
      [
        ['at least 1 active ADVANCED_CLOUD_SOFTWARE certificate', 1, 0],
        ['at least 2 full-time experts registered', 2, 0],
      ],
    ],
    [
      'consulting ADVANCED: an expired ROLE certificate and a deactivated expert do not count',
      'CONSULTING_SI',
      'ADVANCED',
      {
        experts: [expert([cert('CLOUD_EXPERT')]), expert([cert('CLOUD_EXPERT')], { active: false }), expert([cert('CLOUD_EXPERT', '2027-02-28')])],
        certificates: [certificate('ROLE'), certificate('ROLE', { validTo: '2027-02-28' }), certificate('CAPABILITY_DIFFERENTIATION')],
      },
      [
        ['at least 2 active ROLE certificates', 2, 1],
        ['at least 2 experts holding a valid CLOUD_EXPERT certification', 2, 1],
      ],
    ],
  ];

  it.each(cases)('%s', (_, pathId, level, facts, expected) => {
    const results = evaluateRequirements(path(pathId), level, facts, TODAY);
    expect(results).toHaveLength(path(pathId).levels.find((l) => l.level === level)!.requirements.length);
    expect(results.filter((r) => !r.met).map((r) => [r.description, r.required, r.actual])).toEqual(expected);
  });

  it.each([
    ['SOFTWARE', 'ADVANCED', 'CERTIFIED'],
    ['SOFTWARE', 'CERTIFIED', null],
    ['CONSULTING_SI', 'ADVANCED', null],
    ['CONSULTING_SI', 'MEMBER', null],
  ])('a failed review of %s %s leaves the partner at %s', (pathId, level, after) => {
    expect(levelAfterFailure(path(pathId), level)).toBe(after);
  });

  it('a pass keeps or raises the level, never lowers it', () => {
    expect(isKeptOrRaised(path('SOFTWARE'), 'CERTIFIED', 'CERTIFIED')).toBe(true);
    expect(isKeptOrRaised(path('SOFTWARE'), 'CERTIFIED', 'ADVANCED')).toBe(true);
    expect(isKeptOrRaised(path('SOFTWARE'), 'ADVANCED', 'CERTIFIED')).toBe(false);
    expect(isKeptOrRaised(path('SOFTWARE'), 'ADVANCED', 'GOLD')).toBe(false);
  });
});
