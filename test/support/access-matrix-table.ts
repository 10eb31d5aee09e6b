/**
 * The access matrix's table (test/access-matrix.test.ts): how to call each route and what success answers, keys
 * exactly as declared in routesOf(), and the constants they share; the partner organization's and the opportunity and
 * calendar routes here, the processes' in access-matrix-table-processes.ts. Expected statuses are not here: support/access-matrix.ts derives
 * them from the hand-written policy.
 */
import { randomUUID } from 'node:crypto';
import type { MatrixFixtures, MatrixTable } from './access-matrix.js';
import { PDF } from './env.js';

export const run = randomUUID().slice(0, 8);
export const OWN = `P-mx-${run}`; // owns every opportunity the matrix acts on
export const OTHER = `P-mx-other-${run}`;
export const shareBody = (partnerId: string) => ({ partnerId, customerName: 'Matrix Ltd.', title: 'Access matrix' });
export const byId = ({ id }: { id: string }) => ({ params: { id } });
// The matrix's upload sends other bytes than the material every incentive object already has (support/env.ts PDF).
export const MATRIX_PDF = Buffer.concat([PDF, Buffer.from('% access matrix\n')]);
export const pdfUpload = (bytes: Buffer) => ({ body: bytes, headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="matrix.pdf"' } });
export const own = (fx: MatrixFixtures, params: Record<string, string> = {}) => ({ partnerId: fx.partnerId, ...params });
export const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
/**
 * A list's page: more items than OTHER's staff can own of any list during the run (they create one certification
 * application and one webhook endpoint), so an answer that ignored the caller's partner would show another's items.
 */
export const LIST_QUERY = { limit: '5' };
export const EXPERT = {
  employeeId: 'matrix-expert',
  name: 'Matrix expert',
  fullTime: true,
  fullTimeSince: '2025-01-01',
  certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2025-01-01', validTo: '2027-12-31' }],
};
/** The fixture expert as support/experts.ts insertExpert registers it (long before any month), attested in setup. */
export const FIXTURE_EXPERT = {
  employeeId: 'matrix-expert',
  name: 'Expert matrix-expert',
  attested: { fullTimeSince: '2020-01-01', certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2020-01-01', validTo: '2099-12-31' }] },
};

/** OWN's one path membership, set up before the calls (PUT answers it unchanged). */
export const MATRIX_PATH = { pathId: 'SOFTWARE', level: 'CERTIFIED' };

export const RUN_PERIOD = '2025-01';
/** The path review cycle the progress route reads (a year no other test file starts). */
export const CYCLE = { pathId: 'SOFTWARE', year: 2022 };

/** Where matrix endpoints point: a closed port (a redelivery fails at once; nothing leaves the machine). */
export const MATRIX_HOOK_URL = 'http://127.0.0.1:9/matrix';
export const MATRIX_QUOTAS = { webhookEndpoints: 1000, openApplications: 10_000, storedBytes: 1e12 };

/**
 * List routes whose items are no partner's data, so another partner's staff may see every one (reviewed like the
 * table): the reason, per route. Any other list must name each item's partner or be scoped by its path.
 */
export const CATALOG_LISTS: Record<string, string> = {
  'GET /v1/calendars': "the business calendars deadlines count in: the vendor's, the same for every partner",
  'GET /v1/paths': "the development paths of the partner programme: the programme's own catalog",
  'GET /v1/certification-types': "the certification types a partner may apply for: the programme's own catalog",
};

/** The entries of the health, document, opportunity, calendar and partner organization routes. */
export function partnerEntries(): MatrixTable {
  return {
    'GET /healthz': { success: 200, partnerOwned: false, request: () => ({}) },
    'GET /v1/openapi.json': { success: 200, partnerOwned: false, request: () => ({}) },
    'POST /v1/opportunities': {
      success: 201,
      partnerOwned: false,
      request: () => ({ body: shareBody(`P-mx-new-${run}`) }),
    },
    'GET /v1/opportunities': { success: 200, partnerOwned: false, request: () => ({ query: LIST_QUERY }) },
    'GET /v1/opportunities/:id': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PENDING_ACCEPTANCE', freshPerSuccess: false },
      request: byId,
    },
    'POST /v1/opportunities/:id/accept': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PENDING_ACCEPTANCE', freshPerSuccess: true },
      request: byId,
    },
    'POST /v1/opportunities/:id/reject': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PENDING_ACCEPTANCE', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { reasonCode: 'OTHER', note: 'access matrix' } }),
    },
    'POST /v1/opportunities/:id/updates': {
      success: 200,
      partnerOwned: true,
      object: { state: 'ACCEPTED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { stage: 'PROPOSAL', note: 'access matrix' } }),
    },
    'POST /v1/opportunities/:id/close': {
      success: 200,
      partnerOwned: true,
      object: { state: 'ACCEPTED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { outcome: 'LOST' } }),
    },
    'GET /v1/calendars/:name/deadline': {
      success: 200,
      partnerOwned: false,
      request: () => ({ params: { name: 'CN' }, query: { from: '2026-01-05T02:00:00Z', workingDays: '3' } }),
    },
    'GET /v1/calendars': { success: 200, partnerOwned: false, request: () => ({}) },
    'GET /v1/calendars/:name': { success: 200, partnerOwned: false, request: () => ({ params: { name: 'SA' } }) },
    'PUT /v1/calendars/:name': {
      success: 201, // a fresh calendar per call: created
      partnerOwned: false,
      request: () => ({
        params: { name: unique('MATRIX') },
        body: { zone: 'Asia/Riyadh', restWeekdays: [5, 6], years: { first: 2026, last: 2026 }, holidays: [], makeupWorkdays: [] },
      }),
    },
    'GET /v1/partners/:partnerId/calendar': { success: 200, partnerOwned: true, partnerInPath: true, request: (_, fx) => ({ params: own(fx) }) },
    'PUT /v1/partners/:partnerId/calendar': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx), body: { name: 'SA' } }),
    },
    'GET /v1/partners/:partnerId/members': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx) }),
    },
    'POST /v1/partners/:partnerId/members': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx), body: { sub: unique('matrix-new-member'), displayName: 'New member', roles: ['partner_finance'] } }),
    },
    'PATCH /v1/partners/:partnerId/members/:memberId': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      // The fixture's own values: a success changes nothing a refusal could be confused with.
      request: (_, fx) => ({ params: own(fx, { memberId: fx.memberId }), body: { displayName: 'Matrix member', roles: ['partner_finance'] } }),
    },
    'GET /v1/partners/:partnerId/roles': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx) }),
    },
    'POST /v1/partners/:partnerId/roles': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx), body: { name: unique('Matrix role'), permissions: ['opportunity.read'] } }),
    },
    'PATCH /v1/partners/:partnerId/roles/:roleId': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx, { roleId: fx.roleId }), body: { permissions: ['opportunity.read'] } }),
    },
    'DELETE /v1/partners/:partnerId/roles/:roleId': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: async (_, fx) => ({ params: own(fx, { roleId: await fx.newRole() }) }), // a fresh role per call: a success consumes it
    },
    'GET /v1/partners/:partnerId/experts': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx), query: { active: 'true' } }),
    },
    'POST /v1/partners/:partnerId/experts': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx), body: { ...EXPERT, employeeId: unique('matrix-expert') } }),
    },
    'PATCH /v1/partners/:partnerId/experts/:expertId': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      // The fixture's own values: a success changes nothing a refusal could be confused with.
      request: (_, fx) => ({ params: own(fx, { expertId: fx.expertId }), body: { name: FIXTURE_EXPERT.name, active: true } }),
    },
    'POST /v1/partners/:partnerId/experts/:expertId/attestation': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      // What setup attested already: a success changes nothing a refusal could be confused with.
      request: (_, fx) => ({ params: own(fx, { expertId: fx.expertId }), body: FIXTURE_EXPERT.attested }),
    },
  };
}
