/** The access matrix's entries for the processes' routes: incentives, certifications, path reviews, paths, webhooks, the clock. */
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { byId, CYCLE, LIST_QUERY, MATRIX_HOOK_URL, MATRIX_PATH, MATRIX_PDF, own, pdfUpload, RUN_PERIOD } from './access-matrix-table.js';

/** The entries; `base` is the normal-mode API's address, where the progress routes start their run or cycle once. */
export function processEntries(base: () => string): MatrixTable {
  let runStarted: Promise<void> | undefined;
  /** The run the progress route reads: started once, before the first GET. */
  async function startRun() {
    const res = await call(base(), 'POST', '/v1/admin/incentive-runs', await tokenFor(['vendor_admin'], undefined, 'matrix-setup'), { period: RUN_PERIOD });
    if (res.status !== 202) throw new Error(`setup: incentive run answered ${res.status} ${JSON.stringify(res.body)}`);
  }
  let cycleStarted: Promise<void> | undefined;
  /** The path review cycle the progress route reads: started once, before the first GET. */
  async function startCycle() {
    const res = await call(base(), 'POST', '/v1/admin/path-reviews', await tokenFor(['vendor_admin'], undefined, 'matrix-setup'), CYCLE);
    if (res.status !== 202) throw new Error(`setup: path review cycle answered ${res.status} ${JSON.stringify(res.body)}`);
  }

  return {
    'POST /v1/admin/incentive-runs': {
      success: 202,
      partnerOwned: false,
      request: () => ({ body: { period: RUN_PERIOD } }), // joins the run in progress, or runs the period again: nothing twice
    },
    'GET /v1/admin/incentive-runs/:period': {
      success: 200,
      partnerOwned: false,
      request: async () => {
        await (runStarted ??= startRun());
        return { params: { period: RUN_PERIOD } };
      },
    },
    'GET /v1/incentives': { success: 200, partnerOwned: false, request: () => ({ query: LIST_QUERY }) },
    'GET /v1/incentives/:id': {
      success: 200,
      partnerOwned: true,
      object: { state: 'INCENTIVE_PENDING', freshPerSuccess: false },
      request: byId,
    },
    'POST /v1/incentives/:id/materials': {
      success: 201,
      partnerOwned: true,
      object: { state: 'INCENTIVE_PENDING', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), ...pdfUpload(MATRIX_PDF) }),
    },
    'GET /v1/incentives/:id/materials/:materialId': {
      success: 200,
      partnerOwned: true,
      object: { state: 'INCENTIVE_PENDING', freshPerSuccess: false },
      request: (o) => ({ params: { id: o.id, materialId: o.materialId! } }),
    },
    'POST /v1/incentives/:id/verify': {
      success: 200,
      partnerOwned: true,
      object: { state: 'INCENTIVE_PENDING', freshPerSuccess: true },
      // One line: the fixture expert, at the CLOUD_PROFESSIONAL rate.
      request: (o) => ({ ...byId(o), body: { headcount: 1, totalMinor: 100000, materials: [o.materialId!] } }),
    },
    'POST /v1/incentives/:id/objections': {
      success: 200,
      partnerOwned: true,
      object: { state: 'INCENTIVE_PENDING', freshPerSuccess: true },
      request: (o, fx) => ({ ...byId(o), body: { lines: [{ expertId: fx.expertId, reason: 'access matrix' }] } }),
    },
    'POST /v1/incentives/:id/objections/resolve': {
      success: 200,
      partnerOwned: true,
      object: { state: 'INCENTIVE_OBJECTED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { rejectObjection: true, note: 'access matrix' } }),
    },
    'GET /v1/certification-types': { success: 200, partnerOwned: false, request: () => ({}) },
    'POST /v1/certifications': {
      success: 201,
      partnerOwned: false, // every partner applies for itself
      request: () => ({ body: { type: 'ROLE_CONSULTING' } }),
    },
    'GET /v1/certifications': { success: 200, partnerOwned: false, request: () => ({ query: LIST_QUERY }) },
    'GET /v1/certifications/:id': {
      success: 200,
      partnerOwned: true,
      object: { state: 'CERTIFICATION_DRAFT', freshPerSuccess: false },
      request: byId,
    },
    'POST /v1/certifications/:id/files': {
      success: 201,
      partnerOwned: true,
      object: { state: 'CERTIFICATION_DRAFT', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), ...pdfUpload(MATRIX_PDF) }),
    },
    'GET /v1/certifications/:id/files/:materialId': {
      success: 200,
      partnerOwned: true,
      object: { state: 'CERTIFICATION_DRAFT', freshPerSuccess: false },
      request: (o) => ({ params: { id: o.id, materialId: o.materialId! } }),
    },
    'PUT /v1/certifications/:id/materials': {
      success: 200,
      partnerOwned: true,
      object: { state: 'CERTIFICATION_DRAFT', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { materials: [{ kind: 'TEST_REPORT', materialId: o.materialId! }] } }),
    },
    'POST /v1/certifications/:id/submit': {
      success: 200,
      partnerOwned: true,
      object: { state: 'CERTIFICATION_DRAFT', freshPerSuccess: true },
      request: byId,
    },
    'POST /v1/certifications/:id/supplement': {
      success: 200,
      partnerOwned: true,
      object: { state: 'CERTIFICATION_SUPPLEMENT_REQUESTED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { note: 'access matrix' } }),
    },
    'POST /v1/certifications/:id/renew': {
      success: 201,
      partnerOwned: true,
      // A renewal is a new application: the renewed one does not change.
      object: { state: 'CERTIFICATION_APPROVED', freshPerSuccess: false },
      request: byId,
    },
    'POST /v1/certifications/:id/review': {
      success: 200,
      partnerOwned: true,
      object: { state: 'CERTIFICATION_IN_REVIEW', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { decision: 'REJECT', note: 'access matrix' } }),
    },
    'GET /v1/partners/:partnerId/certificates': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx) }),
    },
    'POST /v1/admin/path-reviews': {
      success: 202,
      partnerOwned: false,
      request: () => ({ body: CYCLE }), // joins the cycle in progress, or runs it again: no review twice
    },
    'GET /v1/admin/path-reviews/:pathId/:year': {
      success: 200,
      partnerOwned: false,
      request: async () => {
        await (cycleStarted ??= startCycle());
        return { params: { pathId: CYCLE.pathId, year: String(CYCLE.year) } };
      },
    },
    'GET /v1/path-reviews': { success: 200, partnerOwned: false, request: () => ({ query: LIST_QUERY }) },
    'GET /v1/path-reviews/:id': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PATH_REVIEW_OPEN', freshPerSuccess: false },
      request: byId,
    },
    'POST /v1/path-reviews/:id/apply': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PATH_REVIEW_OPEN', freshPerSuccess: true },
      request: byId,
    },
    'POST /v1/path-reviews/:id/files': {
      success: 201,
      partnerOwned: true,
      object: { state: 'PATH_REVIEW_APPLIED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), ...pdfUpload(MATRIX_PDF) }),
    },
    'PUT /v1/path-reviews/:id/materials': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PATH_REVIEW_APPLIED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { materials: [{ kind: 'ANNUAL_REPORT', materialId: o.materialId! }] } }),
    },
    'POST /v1/path-reviews/:id/submit': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PATH_REVIEW_APPLIED', freshPerSuccess: true },
      request: byId,
    },
    'POST /v1/path-reviews/:id/supplement': {
      success: 200,
      partnerOwned: true,
      object: { state: 'PATH_REVIEW_SUPPLEMENT_REQUESTED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { note: 'access matrix' } }),
    },
    'POST /v1/path-reviews/:id/decision': {
      success: 200,
      partnerOwned: true,
      // Not PASS/FAIL: a decision that changes no membership (the organization snapshot must not move).
      object: { state: 'PATH_REVIEW_SUBMITTED', freshPerSuccess: true },
      request: (o) => ({ ...byId(o), body: { decision: 'REQUEST_SUPPLEMENT', note: 'access matrix' } }),
    },
    'GET /v1/paths': { success: 200, partnerOwned: false, request: () => ({}) },
    'GET /v1/partners/:partnerId/paths': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx) }),
    },
    'GET /v1/partners/:partnerId/paths/:pathId/requirements': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      request: (_, fx) => ({ params: own(fx, { pathId: 'SOFTWARE' }), query: { level: 'ADVANCED' } }),
    },
    'PUT /v1/partners/:partnerId/paths/:pathId': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      // The fixture's own level: a success changes nothing a refusal could be confused with.
      request: (_, fx) => ({ params: own(fx, { pathId: MATRIX_PATH.pathId }), body: { level: MATRIX_PATH.level } }),
    },
    'DELETE /v1/partners/:partnerId/paths/:pathId': {
      success: 200,
      partnerOwned: true,
      partnerInPath: true,
      // A path OWN is not on: a success removes nothing (and records nothing).
      request: (_, fx) => ({ params: own(fx, { pathId: 'CONSULTING_SI' }), query: { note: 'access matrix' } }),
    },
    'POST /v1/webhooks': {
      success: 201,
      partnerOwned: false,
      request: () => ({ body: { url: MATRIX_HOOK_URL, events: ['incentive.expired'] } }),
    },
    'GET /v1/webhooks': { success: 200, partnerOwned: false, request: () => ({ query: LIST_QUERY }) },
    'GET /v1/webhooks/:id': { success: 200, partnerOwned: true, object: { state: 'WEBHOOK_ENDPOINT', freshPerSuccess: false }, request: byId },
    'DELETE /v1/webhooks/:id': { success: 200, partnerOwned: true, object: { state: 'WEBHOOK_ENDPOINT', freshPerSuccess: true }, request: byId },
    // Re-enabling an active endpoint: a success changes nothing.
    'PATCH /v1/webhooks/:id': { success: 200, partnerOwned: true, object: { state: 'WEBHOOK_ENDPOINT', freshPerSuccess: false }, request: (o) => ({ params: { id: o.id }, body: { active: true } }) },
    // A success changes the secret (in the snapshot): a fresh endpoint each, so refusals are seen to change nothing.
    'POST /v1/webhooks/:id/rotate-secret': { success: 200, partnerOwned: true, object: { state: 'WEBHOOK_ENDPOINT', freshPerSuccess: true }, request: byId },
    'GET /v1/webhooks/:id/deliveries': {
      success: 200,
      partnerOwned: true,
      object: { state: 'WEBHOOK_DEAD_DELIVERY', freshPerSuccess: false },
      request: byId,
    },
    'POST /v1/webhooks/:id/deliveries/:deliveryId/redeliver': {
      success: 202,
      partnerOwned: true,
      object: { state: 'WEBHOOK_DEAD_DELIVERY', freshPerSuccess: true },
      request: (o) => ({ params: { id: o.id, deliveryId: o.deliveryId! } }),
    },
    'POST /v1/admin/clock/advance': {
      success: 200,
      partnerOwned: false,
      timeSkippingOnly: true,
      request: () => ({ body: { duration: 'PT1M' } }), // small: nothing due moves
    },
  };
}
