/** The certification catalog as data: its validation, and prerequisites evaluated against live facts (table-driven). */
import { describe, expect, it } from 'vitest';
import {
  type CatalogEntry,
  catalogEntry,
  certificationCatalog,
  evaluatePrerequisites,
  loadCertificationCatalog,
  type PartnerFacts,
  unmet,
} from '../domain/certification-catalog.js';
import type { ExpertFacts } from '../domain/incentive-rules.js';

const TODAY = '2026-06-15';
const expert = (over: Partial<ExpertFacts> = {}, certifications: ExpertFacts['certifications'] = []): ExpertFacts => ({
  active: true,
  fullTime: true,
  fullTimeSince: '2025-01-01',
  registeredOn: '2025-01-01',
  certifications,
  ...over,
});
const cert = (type: string, validFrom = '2025-01-01', validTo = '2027-12-31') => ({ type, validFrom, validTo });
const roleCertificate = (over: Partial<PartnerFacts['certificates'][number]> = {}) => ({
  type: 'ROLE_CONSULTING',
  category: 'ROLE',
  validFrom: '2026-01-01',
  validTo: '2026-12-31',
  active: true,
  ...over,
});

const entry = (type: string): CatalogEntry => catalogEntry(type)!;

describe('certification catalog', () => {
  it('ships the three categories, each entry complete', () => {
    expect(new Set(certificationCatalog.types.map((t) => t.category))).toEqual(new Set(['ADVANCED_CLOUD_SOFTWARE', 'ROLE', 'CAPABILITY_DIFFERENTIATION']));
    expect(entry('ADVANCED_CLOUD_SOFTWARE')).toMatchObject({ appliesTo: 'SOLUTION', validityYears: 3 });
    expect(catalogEntry('NOPE')).toBeUndefined();
  });

  it.each([
    ['a duplicate type', (c: any) => c.types.push({ ...c.types[0] }), /types\.4\.type: duplicate type ADVANCED_CLOUD_SOFTWARE/],
    ['an unknown expert certification', (c: any) => (c.types[0].prerequisites[0].certification = 'WIZARD'), /prerequisites\.0\.certification: WIZARD is not an expert certification/],
    ['a certificate prerequisite naming neither category nor type', (c: any) => (c.types[3].prerequisites[0] = { kind: 'ACTIVE_CERTIFICATES', min: 1 }), /name exactly one of category or type/],
    ['a certification requiring itself', (c: any) => (c.types[1].prerequisites.push({ kind: 'ACTIVE_CERTIFICATES', category: 'ROLE', min: 1 })), /cannot require itself/],
    ['a material kind twice', (c: any) => c.types[0].requiredMaterials.push({ ...c.types[0].requiredMaterials[0] }), /listed twice/],
    ['a validity of zero years', (c: any) => (c.types[0].validityYears = 0), /types\.0\.validityYears/],
    ['an unknown field', (c: any) => (c.types[0].price = 1), /types\.0/],
  ])('refuses a catalog with %s, naming where', (_, mutate, message) => {
    const copy = structuredClone(certificationCatalog);
    mutate(copy);
    expect(() => loadCertificationCatalog(copy)).toThrow(message);
  });

  const cases: Array<[string, string, PartnerFacts, Array<[string, number, number]>]> = [
    [
      'consulting role, everything met',
      'ROLE_CONSULTING',
      { experts: [expert({}, [cert('CLOUD_EXPERT')]), expert(), expert()], certificates: [] },
      [],
    ],
    [
      'consulting role, every unmet item listed (not only the first)',
      'ROLE_CONSULTING',
      { experts: [expert(), expert({ fullTime: false, fullTimeSince: null })], certificates: [] },
      [
        ['at least 3 full-time experts registered', 3, 1],
        ['at least 1 expert holding a valid CLOUD_EXPERT certification', 1, 0],
      ],
    ],
    [
      'deactivated experts and expired or future certifications do not count',
      'ROLE_IMPLEMENTATION',
      {
        experts: [
          expert({}, [cert('CLOUD_PROFESSIONAL', '2024-01-01', '2026-06-14')]), // expired yesterday
          expert({}, [cert('CLOUD_PROFESSIONAL', '2026-06-16')]), // valid from tomorrow
          expert({ active: false }, [cert('CLOUD_PROFESSIONAL')]),
          expert({}, [cert('CLOUD_PROFESSIONAL', '2026-06-15', '2026-06-15')]), // valid today only: counts
        ],
        certificates: [],
      },
      [['at least 2 experts holding a valid CLOUD_PROFESSIONAL certification', 2, 1]],
    ],
    [
      'capability needs an active ROLE certificate: an expired or inactive one does not count',
      'CAPABILITY_DATA_ANALYTICS',
      {
        experts: [expert({}, [cert('DATA_PROFESSIONAL')]), expert({}, [cert('DATA_PROFESSIONAL')])],
        certificates: [roleCertificate({ validTo: '2026-06-14' }), roleCertificate({ active: false }), roleCertificate({ category: 'ADVANCED_CLOUD_SOFTWARE', type: 'ADVANCED_CLOUD_SOFTWARE' })],
      },
      [['at least 1 active ROLE certificate', 1, 0]],
    ],
    [
      'capability with an active ROLE certificate',
      'CAPABILITY_DATA_ANALYTICS',
      { experts: [expert({}, [cert('DATA_PROFESSIONAL')]), expert({}, [cert('DATA_PROFESSIONAL')])], certificates: [roleCertificate()] },
      [],
    ],
  ];

  it.each(cases)('%s', (_, type, facts, expected) => {
    const results = evaluatePrerequisites(entry(type), facts, TODAY);
    expect(results).toHaveLength(entry(type).prerequisites.length);
    expect(unmet(results).map((r) => [r.description, r.required, r.actual])).toEqual(expected);
  });
});
