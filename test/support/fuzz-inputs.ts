/**
 * The fuzz test's known-good inputs (test/fuzz*.test.ts), so that one corrupted part is the only thing wrong: a body
 * and a query per route that takes one, ids of the fixtures they name, and what a route's schema says about them.
 */
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { RouteDef } from '../../api/kit/http.js';
import { INCENTIVE_STATUSES } from '../../workflows/incentive/contract.js';
import { OUTCOMES, REJECT_REASONS, STAGES, STATUSES } from '../../workflows/opportunity/contract.js';

const FUZZ_AGREEMENT_TEXT = 'Fuzz agreement text';

export const keyOf = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method.toUpperCase()} ${r.path}`;

// Ids only known once the fixtures exist: known-good bodies name these, runOne() puts the fixture's ids in.
export const FIXTURE_EXPERT = '00000000-0000-4000-8000-0000000e0e0e';
export const FIXTURE_MATERIAL = '00000000-0000-4000-8000-000000000f1f';
export const FUZZ_HOOK_URL = 'http://127.0.0.1:9/fuzz';
export const VALID_BODY: Record<string, Record<string, unknown>> = {
  'POST /v1/bulk-actions': { kind: 'opportunity.accept', items: [{ opportunityId: '00000000-0000-4000-8000-00000000b01c' }] },
  'POST /v1/codec/decode': { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'e30=' }] },
  'POST /v1/codec/encode': { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'e30=' }] },
  'POST /v1/customers/:customerId/facts': { source: 'billing', facts: [{ kind: 'FROZEN', value: { frozen: false }, observedAt: '2026-11-02T08:00:00+08:00' }] },
  'POST /v1/partners/:partnerId/customer-reports': { creditCode: '91330100799655058B' },
  'POST /v1/customer-reports/:id/review': { decision: 'REJECT', note: 'Fuzz note' },
  'POST /v1/customer-reports/:id/invitation': { mode: 'RESELLER' },
  'POST /v1/customer-reports/:id/withdraw': { reason: 'Fuzz reason' },
  'POST /v1/opportunities': { partnerId: 'P-fuzz', customerName: 'ACME', title: 'Migration', estimatedAmount: { currency: 'CNY', minor: 100 } },
  'POST /v1/opportunities/:id/reject': { reasonCode: REJECT_REASONS[0], note: 'n' },
  'POST /v1/opportunities/:id/updates': { stage: STAGES[0], note: 'n' },
  'POST /v1/opportunities/:id/close': { outcome: OUTCOMES[0], note: 'n' },
  'POST /v1/admin/clock/advance': { duration: 'PT1M' },
  'POST /v1/admin/incentive-runs': { period: '2025-01' },
  'POST /v1/partners/:partnerId/members': { sub: 'fuzz-member', displayName: 'Fuzz member', roles: ['partner_sales'] },
  'PATCH /v1/partners/:partnerId/members/:memberId': { displayName: 'Fuzz member', active: true, roles: ['partner_sales'] },
  'POST /v1/partners/:partnerId/roles': { name: 'Fuzz role', permissions: ['opportunity.read'] },
  'PATCH /v1/partners/:partnerId/roles/:roleId': { name: 'Fuzz role', permissions: ['opportunity.read'] },
  'POST /v1/partners/:partnerId/experts': {
    employeeId: 'fuzz-expert',
    name: 'Fuzz expert',
    fullTime: true,
    fullTimeSince: '2025-01-01',
    certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2025-01-01', validTo: `${new Date().getUTCFullYear() + 2}-12-31` }],
  },
  // The fixture expert's facts as support/experts.ts insertExpert registers them (attested already: a success changes nothing).
  'POST /v1/partners/:partnerId/experts/:expertId/attestation': {
    fullTimeSince: '2020-01-01',
    certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2020-01-01', validTo: '2099-12-31' }],
  },
  // The incentive fixtures have one line: the fixture expert at the CLOUD_PROFESSIONAL rate.
  'POST /v1/incentives/:id/verify': { headcount: 1, totalMinor: 100000, materials: [FIXTURE_MATERIAL] },
  'POST /v1/incentives/:id/objections': { lines: [{ expertId: FIXTURE_EXPERT, reason: 'Fuzz reason' }] },
  'POST /v1/incentives/:id/objections/resolve': { rejectObjection: true, note: 'Fuzz note' },
  'POST /v1/certifications': { type: 'ROLE_CONSULTING' },
  // The certification fixtures are ADVANCED_CLOUD_SOFTWARE applications; FIXTURE_MATERIAL becomes their file.
  'PUT /v1/certifications/:id/materials': { materials: [{ kind: 'TEST_REPORT', materialId: FIXTURE_MATERIAL }] },
  'POST /v1/certifications/:id/supplement': { note: 'Fuzz note' },
  'POST /v1/certifications/:id/review': { decision: 'REQUEST_SUPPLEMENT', note: 'Fuzz note' },
  'PUT /v1/partners/:partnerId/paths/:pathId': { level: 'CERTIFIED', note: 'Fuzz note' },
  // A cycle year no other test file starts.
  'POST /v1/admin/path-reviews': { pathId: 'SOFTWARE', year: 2024 },
  // The path review fixtures are SOFTWARE CERTIFIED reviews; FIXTURE_MATERIAL becomes the APPLIED one's file.
  'PUT /v1/path-reviews/:id/materials': { materials: [{ kind: 'ANNUAL_REPORT', materialId: FIXTURE_MATERIAL }] },
  'POST /v1/path-reviews/:id/supplement': { note: 'Fuzz note' },
  'POST /v1/path-reviews/:id/decision': { decision: 'REQUEST_SUPPLEMENT', note: 'Fuzz note' },
  // Its own calendar (runOne names FUZZ in PUT paths): the seeds other test files count in stay untouched.
  'PUT /v1/calendars/:name': {
    zone: 'Asia/Riyadh',
    restWeekdays: [5, 6],
    years: { first: 2026, last: 2026 },
    holidays: [{ from: '2026-09-23', to: '2026-09-23', name: 'National Day' }],
    makeupWorkdays: [],
  },
  'PUT /v1/partners/:partnerId/calendar': { name: 'SA' },
  // A closed port: a redelivery fails at once and nothing leaves the machine.
  'POST /v1/webhooks': { url: FUZZ_HOOK_URL, events: ['incentive.reminder'] },
  'PATCH /v1/webhooks/:id': { active: true },
  // The partner account's feed (the known-good entry is recorded once; fed again it is the same transfer).
  'POST /v1/partners/:partnerId/account/facts': {
    source: 'billing',
    facts: [{ kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINING' }, observedAt: '2026-03-01T00:00:00Z' }],
  },
  'POST /v1/partners/:partnerId/account/ledger-entries': {
    source: 'fuzz',
    entries: [{ kind: 'RECHARGE', key: 'fuzz-recharge-1', amount: { currency: 'CNY', minor: 100 }, occurredAt: '2026-03-01T00:00:00Z', memo: 'Fuzz memo' }],
  },
  'PATCH /v1/partners/:partnerId/experts/:expertId': {
    name: 'Fuzz expert',
    fullTime: true,
    fullTimeSince: '2025-01-01',
    certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2025-01-01', validTo: `${new Date().getUTCFullYear() + 2}-12-31` }],
    active: true,
  },
  // Project specialists: a member id of no member (refused as not associated: nothing starts) on a path that exists.
  'POST /v1/specialist-applications': { memberId: '00000000-0000-4000-8000-00000000e11e', pathId: 'SOFTWARE' },
  'POST /v1/specialist-applications/batch': { applications: [{ memberId: '00000000-0000-4000-8000-00000000e11e', pathId: 'SOFTWARE' }] },
  'PUT /v1/specialist-applications/:id/materials': { materials: [{ kind: 'RESUME', materialId: FIXTURE_MATERIAL }] },
  'POST /v1/specialist-applications/:id/review': { decision: 'REJECT', note: 'Fuzz note' },
  'POST /v1/specialist-applications/:id/cancel': { reason: 'Fuzz reason' },
  // Level raises: a path that exists (the fuzzed partner meets none of its requirements: refused, nothing starts).
  'POST /v1/partners/:partnerId/level-raises': { pathId: 'SOFTWARE' },
  'POST /v1/level-raises/:id/review': { decision: 'REJECT', note: 'Fuzz note' },
  'POST /v1/level-raises/:id/withdraw': { reason: 'Fuzz reason' },
  // Agreements: a version taking effect in 2099 (never in force: no other route meets the gate), its hash the text's;
  // a signature of no agreement (404, nothing written).
  'POST /v1/agreements': {
    contractingEntity: 'Fuzz Entity Ltd.',
    text: FUZZ_AGREEMENT_TEXT,
    textSha256: createHash('sha256').update(FUZZ_AGREEMENT_TEXT, 'utf8').digest('hex'),
    effectiveDate: '2099-01-01',
    signByDate: '2098-12-01',
  },
  'POST /v1/partners/:partnerId/agreements/:id/signature': { textSha256: '0'.repeat(64) },
  // Enrollments: the reseller program (the fuzzed partner meets none of its conditions: refused, nothing starts); a
  // confirmation with a hash of no list (refused, nothing voided).
  'POST /v1/partners/:partnerId/enrollments': { program: 'RESELLER' },
  'POST /v1/enrollments/:id/review': { decision: 'REJECT', note: 'Fuzz note' },
  'POST /v1/enrollments/:id/confirm': { instrumentsHash: '0'.repeat(64) },
  'POST /v1/enrollments/:id/withdraw': { reason: 'Fuzz reason' },
  'POST /v1/enrollment-invitations': { partnerId: 'P-fuzz', program: 'RESELLER', note: 'Fuzz note' },
  'POST /v1/enrollments/:id/accept': {},
  'POST /v1/enrollments/:id/decline': { reason: 'Fuzz reason' },
  // Funds (issue 18 section 4): the fixture partner has no associated customer, so an allocation is refused (404) with
  // nothing moved; a spend of a customer with no allocation is refused too.
  'POST /v1/partners/:partnerId/customers/:customerId/allocations': { amount: { currency: 'CNY', minor: 1 }, memo: 'fuzz' },
  'POST /v1/partners/:partnerId/customers/:customerId/reclaims': { currency: 'CNY', minor: 1, memo: 'fuzz' },
  'POST /v1/customers/:customerId/spend': { source: 'billing', key: 'fuzz-spend-1', amount: { currency: 'CNY', minor: 1 }, occurredAt: '2026-03-02T08:00:00Z', memo: 'fuzz' },
  // Marketplace orders (issue 18 section 5): one order fed (then the same again: unchanged), an adjustment of an order
  // id that does not exist (404).
  'POST /v1/marketplace-orders': {
    orders: [
      {
        id: 'MO-fuzz-core-1',
        partnerId: 'P-fuzz',
        customerId: 'C-fuzz',
        productId: 'ecs.g7.large',
        quantity: 3,
        listUnitPrice: { currency: 'CNY', minor: 10_000 },
        floorUnitPrice: { currency: 'CNY', minor: 8_000 },
        state: 'PENDING_PAYMENT',
        placedAt: '2026-11-30T10:00:00+08:00',
      },
    ],
  },
  'POST /v1/marketplace-orders/:id/price-adjustments': { unitPrice: { currency: 'CNY', minor: 9_000 }, reason: 'volume discount' },
  // Unlinks: a hash of no preview (the fuzzed ids name no association: 404, nothing starts); an objection to no unlink;
  // a refund of a customer never associated (refunded to the customer: recorded, no partner movement).
  'POST /v1/partners/:partnerId/customers/:customerId/unlinks': { previewHash: '0'.repeat(64) },
  'POST /v1/unlinks/:id/objection': { reason: 'Fuzz reason' },
  'POST /v1/customer/unlinks': { previewHash: '0'.repeat(64) },
  'POST /v1/customer/unlinks/:id/objection': { reason: 'Fuzz reason' },
  'POST /v1/customers/:customerId/refunds': { source: 'billing', refunds: [{ key: 'fuzz-refund-1', consumedAt: '2026-11-02T08:00:00+08:00', amount: { currency: 'CNY', minor: 100 } }] },
  'POST /v1/review-queue/:kind/:id/assign': { reviewer: 'fuzz-reviewer' },
};
export const VALID_QUERY: Record<string, Record<string, string>> = {
  'GET /v1/opportunities': { status: STATUSES[0], limit: '5' },
  'GET /v1/admin/audit': { actor: 'fuzz-actor', limit: '5' },
  'GET /v1/calendars/:name/deadline': { from: new Date().toISOString(), workingDays: '3' },
  'GET /v1/admin/incentive-runs': { limit: '5' },
  'GET /v1/partners/:partnerId/experts': { active: 'true' },
  'GET /v1/enterprises': { name: '阿里巴巴', limit: '5' },
  'GET /v1/partners/:partnerId/customer-reports': { status: 'PROTECTED', limit: '5' },
  'GET /v1/partners/:partnerId/customers': { limit: '5' },
  'GET /v1/partners/:partnerId/account/facts': { kind: 'FROZEN', limit: '5' },
  'GET /v1/partners/:partnerId/statement': { from: '2026-01-01T00:00:00Z', format: 'json' },
  'GET /v1/marketplace-orders': { limit: '5' },
  'GET /v1/incentives': { status: INCENTIVE_STATUSES[0], period: '2025-06', limit: '5' },
  'GET /v1/certifications': { status: 'DRAFT', type: 'ROLE_CONSULTING', limit: '5' },
  'GET /v1/partners/:partnerId/paths/:pathId/requirements': { level: 'CERTIFIED' },
  'DELETE /v1/partners/:partnerId/paths/:pathId': { note: 'Fuzz note' },
  'GET /v1/path-reviews': { pathId: 'SOFTWARE', year: '2024', status: 'OPEN', limit: '5' },
  'GET /v1/webhooks': { limit: '5' },
  'GET /v1/webhooks/:id/deliveries': { limit: '5' },
  'GET /v1/partners/:partnerId/account/ledger': { limit: '5' },
  // The widest of the preflight's checks: a member id (of no member: answered as not associated, still 200).
  'GET /v1/partners/:partnerId/eligibility': { program: 'PROJECT_SPECIALIST', memberId: '00000000-0000-4000-8000-00000000e11e' },
  'GET /v1/specialist-applications': { status: 'SUBMITTED', pathId: 'SOFTWARE', limit: '5' },
  'GET /v1/partners/:partnerId/level-raises': { status: 'SUBMITTED', pathId: 'SOFTWARE', limit: '5' },
  'GET /v1/partners/:partnerId/enrollments': { status: 'INVITED', program: 'RESELLER', limit: '5' },
  'GET /v1/review-queue': { kind: 'certification', claim: 'unclaimed', limit: '5' },
  'GET /v1/bulk-actions': { kind: 'opportunity.accept', limit: '5' },
};

export const shapeKeys = (schema: z.ZodType | undefined): string[] => {
  const shape = (schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
};
/** What the route's schema says about the string at `path`: its max length, or that it is an enum. */
export function stringRuleAt(schema: z.ZodType | undefined, path: string[]): { max?: number; isEnum?: boolean } {
  type Def = { type?: string; innerType?: unknown; in?: unknown; shape?: Record<string, unknown> };
  let node = schema as unknown as { def?: Def; shape?: Record<string, unknown>; maxLength?: number | null } | undefined;
  const unwrap = () => {
    for (let i = 0; i < 10 && node?.def && ['optional', 'nullable', 'default', 'pipe', 'prefault'].includes(node.def.type ?? ''); i++)
      node = (node.def.innerType ?? node.def.in) as typeof node;
  };
  for (const key of path) {
    unwrap();
    node = node?.shape?.[key] as typeof node;
  }
  unwrap();
  if (node?.def?.type === 'enum' || node?.def?.type === 'literal') return { isEnum: true };
  return typeof node?.maxLength === 'number' ? { max: node.maxLength } : {};
}

export const paramNames = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);
