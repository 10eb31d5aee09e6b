/**
 * The access matrix: every mounted route × every built-in role (partner roles as the object's partner and as
 * another partner) × IAM sub-users × no token, against the real app. Expected statuses are derived by one rule
 * (support/access-matrix.ts expectedFor) from the hand-written policy (support/policy.ts: what each route demands,
 * what each role holds) — not from the code under test. The table below only says how to call each route and what
 * success is.
 * A route without an entry, or an entry without a route, fails the test.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppDeps, routesOf } from '../api/app.js';
import { defineRoute, type RouteDef } from '../api/kit/http.js';
import type { BusinessCalendar } from '../domain/calendar.js';
import { getIncentive, incentiveWorkflow, incentiveWorkflowId } from '../workflows/incentive/workflow.js';
import { pathReviewId, pathReviewWorkflow, pathReviewWorkflowId } from '../workflows/path-review/workflow.js';
import { call, JWT_SECRET, startApp, tokenFor, appDepsFor } from './support/app.js';
import {
  type Caller,
  callersFor,
  DEACTIVATED_SUB,
  type MatrixFixtures,
  checkCoverage,
  type Expected,
  expectedFor,
  inBatches,
  type MatrixEntry,
  type MatrixObject,
  type MatrixTable,
  type Mounted,
  type ObjectState,
  routeKey,
  urlFor,
} from './support/access-matrix.js';
import { testCalendar, fixedCalendar } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { devServerEnv, timeSkippingEnv } from './support/temporal.js';

const run = randomUUID().slice(0, 8);
const OWN = `P-mx-${run}`; // owns every opportunity the matrix acts on
const OTHER = `P-mx-other-${run}`;
const shareBody = (partnerId: string) => ({ partnerId, customerName: 'Matrix Ltd.', title: 'Access matrix' });
const byId = ({ id }: { id: string }) => ({ params: { id } });
// One-page PDFs; the matrix's upload sends other bytes than the material every incentive object already has.
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const MATRIX_PDF = Buffer.concat([PDF, Buffer.from('% access matrix\n')]);
const pdfUpload = (bytes: Buffer) => ({ body: bytes, headers: { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="matrix.pdf"' } });
const own = (fx: MatrixFixtures, params: Record<string, string> = {}) => ({ partnerId: fx.partnerId, ...params });
const unique = (prefix: string) => `${prefix}-${randomUUID().slice(0, 8)}`;
const EXPERT = {
  employeeId: 'matrix-expert',
  name: 'Matrix expert',
  fullTime: true,
  fullTimeSince: '2025-01-01',
  certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2025-01-01', validTo: '2027-12-31' }],
};
/** The fixture expert as support/experts.ts insertExpert registers it (long before any month), attested in setup. */
const FIXTURE_EXPERT = {
  employeeId: 'matrix-expert',
  name: 'Expert matrix-expert',
  attested: { fullTimeSince: '2020-01-01', certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2020-01-01', validTo: '2099-12-31' }] },
};

/** OWN's one path membership, set up before the calls (PUT answers it unchanged). */
const MATRIX_PATH = { pathId: 'SOFTWARE', level: 'CERTIFIED' };

const RUN_PERIOD = '2025-01';
let runStarted: Promise<void> | undefined;
/** The run the progress route reads: started once, before the first GET. */
async function startRun() {
  const res = await call(normal.base, 'POST', '/v1/admin/incentive-runs', await tokenFor(['vendor_admin'], undefined, 'matrix-setup'), { period: RUN_PERIOD });
  if (res.status !== 202) throw new Error(`setup: incentive run answered ${res.status} ${JSON.stringify(res.body)}`);
}

/** The path review cycle the progress route reads (a year no other test file starts): started once, before the first GET. */
const CYCLE = { pathId: 'SOFTWARE', year: 2022 };
let cycleStarted: Promise<void> | undefined;
async function startCycle() {
  const res = await call(normal.base, 'POST', '/v1/admin/path-reviews', await tokenFor(['vendor_admin'], undefined, 'matrix-setup'), CYCLE);
  if (res.status !== 202) throw new Error(`setup: path review cycle answered ${res.status} ${JSON.stringify(res.body)}`);
}

/** Where matrix endpoints point: a closed port (a redelivery fails at once; nothing leaves the machine). */
const MATRIX_HOOK_URL = 'http://127.0.0.1:9/matrix';
const MATRIX_QUOTAS = { webhookEndpoints: 1000, openApplications: 10_000, storedBytes: 1e12 };

/** How to call each route and what success answers. Keys exactly as declared in routesOf(). */
const TABLE: MatrixTable = {
  'GET /healthz': { success: 200, partnerOwned: false, request: () => ({}) },
  'GET /v1/openapi.json': { success: 200, partnerOwned: false, request: () => ({}) },
  'POST /v1/opportunities': {
    success: 201,
    partnerOwned: false,
    request: () => ({ body: shareBody(`P-mx-new-${run}`) }),
  },
  'GET /v1/opportunities': { success: 200, partnerOwned: false, request: () => ({ query: { limit: '1' } }) },
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
  'GET /v1/incentives': { success: 200, partnerOwned: false, request: () => ({ query: { limit: '1' } }) },
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
  'GET /v1/certifications': { success: 200, partnerOwned: false, request: () => ({ query: { limit: '1' } }) },
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
  'GET /v1/path-reviews': { success: 200, partnerOwned: false, request: () => ({ query: { limit: '1' } }) },
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
  'GET /v1/webhooks': { success: 200, partnerOwned: false, request: () => ({ query: { limit: '1' } }) },
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

/** An ACTIVE ADVANCED_CLOUD_SOFTWARE certificate (with its approved application), straight through Prisma. */
async function insertCertificate(prisma: Started['prisma'], partnerId: string) {
  const id = randomUUID();
  const at = new Date();
  const type = 'ADVANCED_CLOUD_SOFTWARE';
  await prisma.certificationApplication.create({
    data: { id, partnerId, type, category: type, appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'matrix-setup', createdAt: at, decidedAt: at, lastSeq: 0, updatedAt: at },
  });
  await prisma.certificate.create({
    data: { number: `PF-MX-${id}`, applicationId: id, partnerId, type, category: type, labels: [], scope: 'partner', validFrom: new Date('2020-01-01T00:00:00Z'), validTo: new Date('2099-12-31T00:00:00Z'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
  });
}

type Started = Awaited<ReturnType<typeof startApp>>;
let devEnv: TestWorkflowEnvironment;
let tsEnv: TestWorkflowEnvironment;
let normal: Started;
let skipping: Started;
let mounted: Mounted;
let calendar: BusinessCalendar;

/** The deps routesOf() gets inside createApp (support/app.ts startApp builds the same). */
const depsOf = (env: TestWorkflowEnvironment, app: Started, taskQueue: string, timeSkipping: boolean): AppDeps =>
  appDepsFor(env, app, taskQueue, fixedCalendar(() => calendar), timeSkipping);

beforeAll(async () => {
  calendar = testCalendar(Date.now());
  [devEnv, tsEnv] = await Promise.all([devServerEnv(), timeSkippingEnv()]);
  [normal, skipping] = await Promise.all([
    // MATRIX_HOOK_URL is on 127.0.0.1: private webhook targets allowed.
    // …and on port 9 (WEBHOOK_ALLOWED_PORTS); quotas high enough for every success the matrix makes for OWN.
    startApp(devEnv, { taskQueue: 'access-matrix', calendarFor: fixedCalendar(() => calendar), webhookAllowPrivateTargets: true, webhookAllowedPorts: [9], quotas: MATRIX_QUOTAS }),
    startApp(tsEnv, { taskQueue: 'access-matrix-ts', calendarFor: fixedCalendar(() => calendar), timeSkipping: tsEnv.connection, webhookAllowPrivateTargets: true, webhookAllowedPorts: [9], quotas: MATRIX_QUOTAS }),
  ]);
  mounted = {
    normal: routesOf(depsOf(devEnv, normal, 'access-matrix', false)),
    timeSkipping: routesOf(depsOf(tsEnv, skipping, 'access-matrix-ts', true)),
  };
});

afterAll(async () => {
  // Vendor endpoints receive every partner's events: leave none of the matrix's active for the other test files.
  await normal?.prisma.webhookEndpoint.updateMany({ where: { url: MATRIX_HOOK_URL }, data: { active: false } });
  await Promise.allSettled([normal?.stop(), skipping?.stop()]);
  await Promise.allSettled([devEnv?.teardown(), tsEnv?.teardown()]);
});

type Case = {
  mode: 'normal' | 'time-skipping';
  key: string;
  route: RouteDef;
  entry: MatrixEntry;
  caller: Caller;
  expected: Expected;
  object?: 'fresh' | 'shared';
  target?: MatrixObject;
};

function planCases(callers: Caller[]): Case[] {
  const cases: Case[] = [];
  const normalKeys = new Set(mounted.normal.map(routeKey));
  const plan = (mode: Case['mode'], route: RouteDef, expectedOf: (entry: MatrixEntry, caller: Caller) => Expected) => {
    const key = routeKey(route);
    const entry = TABLE[key]!;
    for (const caller of callers) {
      const expected = expectedOf(entry, caller);
      const object = !entry.object ? undefined : expected.status === entry.success && entry.object.freshPerSuccess ? 'fresh' : 'shared';
      cases.push({ mode, key, route, entry, caller, expected, ...(object ? { object } : {}) });
    }
  };
  for (const route of mounted.normal) plan('normal', route, (entry, caller) => expectedFor(route, entry, caller));
  for (const route of mounted.timeSkipping.filter((r) => !normalKeys.has(routeKey(r)))) {
    plan('time-skipping', route, (entry, caller) => expectedFor(route, entry, caller));
    // The same route outside time-skipping mode: not there at all, for anyone.
    plan('normal', route, () => ({ status: 404, why: 'not mounted outside time-skipping mode' }));
  }
  return cases;
}

describe('access matrix', () => {
  it('every mounted route has an entry, every entry a route, every permission is in the catalog', () => {
    expect(checkCoverage(mounted, TABLE)).toEqual([]);
  });

  it('the coverage check catches a new route without an entry, a stale entry and an unknown permission', () => {
    const handler = async () => ({ status: 200 });
    const added = defineRoute({ method: 'post', path: '/v1/x', permission: 'opportunity.read', summary: 'new', responses: {}, handler });
    expect(checkCoverage({ ...mounted, normal: [...mounted.normal, added] }, TABLE)).toEqual([
      'route POST /v1/x has no access-matrix entry — add one',
    ]);
    const { ['GET /healthz']: _, ...withoutHealth } = TABLE;
    expect(checkCoverage(mounted, { ...withoutHealth, 'DELETE /v1/gone': TABLE['GET /healthz']! })).toEqual([
      'route GET /healthz has no access-matrix entry — add one',
      'access-matrix entry DELETE /v1/gone matches no route — remove it (or fix its key)',
    ]);
    const rogue = { ...mounted.normal[1]!, permission: 'opportunity.delete' } as unknown as RouteDef;
    expect(checkCoverage({ ...mounted, normal: [mounted.normal[0]!, rogue, ...mounted.normal.slice(2)] }, TABLE)).toEqual([
      `route ${routeKey(rogue)} declares permission 'opportunity.delete', which is not in PERMISSIONS (domain/auth.ts)`,
    ]);
    const leaked = mounted.timeSkipping.find((r) => TABLE[routeKey(r)]?.timeSkippingOnly)!;
    expect(checkCoverage({ ...mounted, normal: [...mounted.normal, leaked] }, TABLE)).toEqual([
      `route ${routeKey(leaked)} is marked time-skipping only but is mounted in normal mode`,
    ]);
  });

  it('every route × every role (own / other partner) × IAM sub-user × deactivated member × no token answers what the rule derives', async () => {
    const coverage = checkCoverage(mounted, TABLE);
    if (coverage.length) throw new Error(`fix the access-matrix table first:\n  ${coverage.join('\n  ')}`);

    const callers = await callersFor(JWT_SECRET, OWN, OTHER);
    const cases = planCases(callers);

    const setupVendor = await tokenFor(['vendor_admin'], undefined, 'matrix-setup');
    const setupPartner = await tokenFor(['partner_admin'], OWN, 'matrix-setup-partner');
    // Organization fixtures of OWN: a member, a custom role, an expert (the one line of every incentive object),
    // and the deactivated member caller's record.
    const setupCall = async (method: string, path: string, body?: unknown, headers?: Record<string, string>) => {
      const res = await call(normal.base, method, path, setupPartner, body, headers);
      if (res.status >= 300) throw new Error(`setup: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
      return res.body as { id: string };
    };
    const newRole = async () => (await setupCall('POST', `/v1/partners/${OWN}/roles`, { name: unique('Matrix target'), permissions: ['opportunity.read'] })).id;
    const fx: MatrixFixtures = {
      partnerId: OWN,
      memberId: (await setupCall('POST', `/v1/partners/${OWN}/members`, { sub: 'matrix-member', displayName: 'Matrix member', roles: ['partner_finance'] })).id,
      roleId: await newRole(),
      expertId: await attestExpert(normal.prisma, OWN, await insertExpert(normal.prisma, OWN, { employeeId: FIXTURE_EXPERT.employeeId })),
      newRole,
    };
    const deactivated = await setupCall('POST', `/v1/partners/${OWN}/members`, { sub: DEACTIVATED_SUB, displayName: 'Deactivated', roles: ['partner_admin'] });
    const joined = await call(normal.base, 'PUT', `/v1/partners/${OWN}/paths/${MATRIX_PATH.pathId}`, setupVendor, { level: MATRIX_PATH.level });
    if (joined.status !== 200) throw new Error(`setup: path membership answered ${joined.status} ${JSON.stringify(joined.body)}`);
    await setupCall('PATCH', `/v1/partners/${OWN}/members/${deactivated.id}`, { active: false });
    const organizationSnapshot = async () => {
      const member = await normal.prisma.partnerMember.findUniqueOrThrow({ where: { id: fx.memberId }, include: { roles: true } });
      const role = await normal.prisma.partnerRole.findUniqueOrThrow({ where: { id: fx.roleId } });
      const expert = await normal.prisma.expert.findUniqueOrThrow({ where: { id: fx.expertId }, include: { certifications: true, changes: true } });
      const paths = await normal.prisma.pathMembership.findMany({ where: { partnerId: OWN }, orderBy: { pathId: 'asc' } });
      const pathChanges = await normal.prisma.pathMembershipChange.count({ where: { partnerId: OWN } });
      return (
        `paths [${paths.map((p) => `${p.pathId}:${p.level}`)}], ${pathChanges} path changes; ` +
        `member ${member.displayName}, ${member.active}, [${member.roles.map((r) => r.role).sort()}]; role ${role.name} [${role.permissions}]; ` +
        `expert ${expert.name}, ${expert.active}, ${expert.certifications.length} certifications (${expert.certifications.filter((c) => c.attestedAt).length} attested), ` +
        `full-time attested ${expert.fullTimeAttestedAt !== null}, ${expert.changes.length} changes`
      );
    };

    // Objects of OWN: one shared target per route (refused calls hit it and must not change it), one fresh per
    // allowed call that consumes its object.
    const createOpportunity = async (state: ObjectState): Promise<MatrixObject> => {
      const shared = await call(normal.base, 'POST', '/v1/opportunities', setupVendor, shareBody(OWN));
      if (shared.status !== 201) throw new Error(`setup: share answered ${shared.status} ${JSON.stringify(shared.body)}`);
      const id = shared.body.id as string;
      if (state === 'ACCEPTED') {
        const accepted = await call(normal.base, 'POST', `/v1/opportunities/${id}/accept`, setupPartner);
        if (accepted.status !== 200) throw new Error(`setup: accept answered ${accepted.status} ${JSON.stringify(accepted.body)}`);
      }
      return { id };
    };
    // Incentives of OWN, one month each (the fixture expert qualifies from 2025-02), started as the schedule will.
    let month = 0;
    const createIncentive = async (state: ObjectState): Promise<MatrixObject> => {
      const period = new Date(Date.UTC(2025, 1 + month++, 1)).toISOString().slice(0, 7);
      await devEnv.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(OWN, period), taskQueue: 'access-matrix', args: [{ partnerId: OWN, period }] });
      const id = `${OWN}-${period}`;
      // Generated once the workflow itself has it (its row commits a moment before the workflow hears so).
      const handle = devEnv.client.workflow.getHandle(incentiveWorkflowId(OWN, period));
      for (let i = 0; !(await handle.query(getIncentive)).generatedAt; i++) {
        if (i > 200) throw new Error(`setup: incentive ${id} was not generated`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const { body, headers } = pdfUpload(PDF);
      const material = await setupCall('POST', `/v1/incentives/${id}/materials`, body, headers);
      if (state === 'INCENTIVE_OBJECTED') await setupCall('POST', `/v1/incentives/${id}/objections`, { lines: [{ expertId: fx.expertId, reason: 'setup' }] });
      return { id, materialId: material.id };
    };
    // Certification applications of OWN (ADVANCED_CLOUD_SOFTWARE: two CLOUD_PROFESSIONAL experts, added only after
    // every incentive exists so that no incentive's lines change), one file set as both materials.
    const vendorCall = async (method: string, path: string, body?: unknown) => {
      const res = await call(normal.base, method, path, setupVendor, body);
      if (res.status >= 300) throw new Error(`setup: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    };
    const createCertification = async (state: ObjectState): Promise<MatrixObject> => {
      const { id } = await setupCall('POST', '/v1/certifications', { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName: 'Matrix solution' });
      const { body, headers } = pdfUpload(PDF);
      const file = await setupCall('POST', `/v1/certifications/${id}/files`, body, headers);
      const materials = ['SOLUTION_DESCRIPTION', 'TEST_REPORT'].map((kind) => ({ kind, materialId: file.id }));
      await setupCall('PUT', `/v1/certifications/${id}/materials`, { materials });
      if (state !== 'CERTIFICATION_DRAFT') await setupCall('POST', `/v1/certifications/${id}/submit`);
      if (state === 'CERTIFICATION_SUPPLEMENT_REQUESTED') await vendorCall('POST', `/v1/certifications/${id}/review`, { decision: 'REQUEST_SUPPLEMENT', note: 'setup' });
      if (state === 'CERTIFICATION_APPROVED') await vendorCall('POST', `/v1/certifications/${id}/review`, { decision: 'APPROVE' });
      return { id, materialId: file.id };
    };
    // SOFTWARE CERTIFIED reviews of OWN, one year each (far from any cycle's), started as the cycle would; OWN meets
    // the level's requirements once the certification phase has added its experts and an ACTIVE certificate exists.
    let reviewYear = 2100;
    const createPathReview = async (state: ObjectState): Promise<MatrixObject> => {
      const year = reviewYear++;
      const id = pathReviewId('SOFTWARE', OWN, year);
      const args = [{ pathId: 'SOFTWARE', partnerId: OWN, year, level: 'CERTIFIED', cycleStartedAt: new Date().toISOString() }] as const;
      await devEnv.client.workflow.start(pathReviewWorkflow, { workflowId: pathReviewWorkflowId(id), taskQueue: 'access-matrix', args: [...args] });
      for (let i = 0; !(await normal.prisma.pathReview.findUnique({ where: { id } })); i++) {
        if (i > 200) throw new Error(`setup: path review ${id} did not open`);
        await new Promise((r) => setTimeout(r, 50));
      }
      if (state === 'PATH_REVIEW_OPEN') return { id };
      for (let i = 0; ; i++) {
        const applied = await call(normal.base, 'POST', `/v1/path-reviews/${id}/apply`, setupPartner);
        if (applied.status === 200) break;
        if (applied.status !== 409 || i > 100) throw new Error(`setup: apply answered ${applied.status} ${JSON.stringify(applied.body)}`);
        await new Promise((r) => setTimeout(r, 50)); // still opening
      }
      const { body, headers } = pdfUpload(PDF);
      const file = await setupCall('POST', `/v1/path-reviews/${id}/files`, body, headers);
      await setupCall('PUT', `/v1/path-reviews/${id}/materials`, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.id }] });
      if (state === 'PATH_REVIEW_APPLIED') return { id, materialId: file.id };
      await setupCall('POST', `/v1/path-reviews/${id}/submit`);
      if (state === 'PATH_REVIEW_SUPPLEMENT_REQUESTED') await vendorCall('POST', `/v1/path-reviews/${id}/decision`, { decision: 'REQUEST_SUPPLEMENT', note: 'setup' });
      return { id, materialId: file.id };
    };
    // Webhook endpoints of OWN; a DEAD delivery of an OWN outbox message, as the relay leaves it after its budget.
    const createWebhook = async (state: ObjectState): Promise<MatrixObject> => {
      const { id } = await setupCall('POST', '/v1/webhooks', { url: MATRIX_HOOK_URL, events: ['incentive.reminder'] });
      if (state === 'WEBHOOK_ENDPOINT') return { id };
      const key = unique('matrix-outbox');
      const message = await normal.prisma.outbox.create({
        data: { topic: 'incentive.reminder', aggregateId: key, dedupeKey: key, payload: { partnerId: OWN }, dueAt: new Date(), dispatchedAt: new Date(), deliveredAt: new Date() },
      });
      const deliveryId = randomUUID();
      await normal.prisma.webhookDelivery.create({
        data: { id: deliveryId, endpointId: id, outboxId: message.id, status: 'DEAD', attempts: 12, lastError: 'matrix setup', createdAt: new Date() },
      });
      return { id, deliveryId };
    };
    const isCertification = (state: ObjectState) => state.startsWith('CERTIFICATION_');
    const isPathReview = (state: ObjectState) => state.startsWith('PATH_REVIEW_');
    const phaseOf = (state: ObjectState) => (isPathReview(state) ? 2 : isCertification(state) ? 1 : 0);
    const createObject = (state: ObjectState) =>
      isPathReview(state)
        ? createPathReview(state)
        : isCertification(state)
          ? createCertification(state)
          : state.startsWith('INCENTIVE_')
            ? createIncentive(state)
            : state.startsWith('WEBHOOK_')
              ? createWebhook(state)
              : createOpportunity(state);
    const needs = [
      ...Object.entries(TABLE)
        .filter(([, entry]) => entry.object)
        .map(([key, entry]) => ({ key, state: entry.object!.state, forCase: undefined as Case | undefined })),
      ...cases.filter((c) => c.object === 'fresh').map((c) => ({ key: c.key, state: c.entry.object!.state, forCase: c as Case | undefined })),
    ];
    const objects: MatrixObject[] = new Array(needs.length);
    for (const phase of [0, 1, 2]) {
      if (phase === 1) for (const employeeId of ['matrix-cert-1', 'matrix-cert-2']) await attestExpert(normal.prisma, OWN, await insertExpert(normal.prisma, OWN, { employeeId }));
      if (phase === 2) await insertCertificate(normal.prisma, OWN);
      const batch = needs.flatMap((need, i) => (phaseOf(need.state) === phase ? [i] : []));
      const made = await inBatches(batch, 8, (i) => createObject(needs[i]!.state));
      batch.forEach((i, k) => (objects[i] = made[k]!));
    }
    const sharedTargets = new Map<string, MatrixObject>();
    needs.forEach((need, i) => (need.forCase ? (need.forCase.target = objects[i]) : sharedTargets.set(need.key, objects[i]!)));
    for (const c of cases) if (c.object === 'shared') c.target = sharedTargets.get(c.key);
    const snapshot = async () =>
      Promise.all(
        [...sharedTargets].map(async ([key, { id }]) => {
          if (key.includes(' /v1/path-reviews/')) {
            const row = await normal.prisma.pathReview.findUniqueOrThrow({ where: { id }, include: { events: true, materials: true } });
            const files = await normal.prisma.material.count({ where: { ownerKind: 'path-review', ownerId: id } });
            return `${key}: ${row.status}, ${row.events.length} events, ${row.materials.length} materials set, ${files} files`;
          }
          if (key.includes(' /v1/certifications/')) {
            const row = await normal.prisma.certificationApplication.findUniqueOrThrow({ where: { id }, include: { events: true, materials: true } });
            const files = await normal.prisma.material.count({ where: { ownerKind: 'certification', ownerId: id } });
            return `${key}: ${row.status}, ${row.events.length} events, ${row.materials.length} materials set, ${files} files`;
          }
          if (key.includes(' /v1/webhooks/')) {
            const row = await normal.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id }, include: { deliveries: true } });
            return `${key}: active ${row.active}, secret ${row.secret}, deliveries [${row.deliveries.map((d) => `${d.status} run ${d.runs}`)}]`;
          }
          if (key.startsWith('GET /v1/incentives') || key.startsWith('POST /v1/incentives')) {
            const row = await normal.prisma.incentive.findUniqueOrThrow({ where: { id }, include: { events: true, settlement: true } });
            const materials = await normal.prisma.material.count({ where: { ownerKind: 'incentive', ownerId: id } });
            return `${key}: ${row.status}, ${row.events.length} events, ${materials} materials, settled ${row.settlement !== null}`;
          }
          const row = await normal.prisma.opportunity.findUniqueOrThrow({ where: { id }, include: { events: true } });
          return `${key}: ${row.status}, ${row.events.length} events`;
        }),
      );
    const before = [...(await snapshot()), await organizationSnapshot()];

    const failures = await inBatches(cases, 12, async (c): Promise<string | undefined> => {
      const request = await c.entry.request(
        c.target
          ? c.target
          : {
              get id(): string {
                throw new Error(`the access-matrix entry for ${c.key} uses an object id but declares no object`);
              },
            },
        fx,
      );
      const base = c.mode === 'normal' ? normal.base : skipping.base;
      const what = `${c.key.padEnd(36)} ${c.mode === 'normal' ? '' : '[time-skipping] '}× ${c.caller.label.padEnd(27)}`;
      let res: Awaited<ReturnType<typeof call>>;
      try {
        res = await call(base, c.route.method.toUpperCase(), urlFor(c.route.path, request), c.caller.token, request.body, request.headers);
      } catch (error) {
        return `${what} → request failed (${(error as Error).message}), expected ${c.expected.status} (${c.expected.why})`;
      }
      const said = res.body && typeof res.body === 'object' && 'detail' in res.body ? `: "${String(res.body.detail).slice(0, 100)}"` : '';
      if (res.status !== c.expected.status) return `${what} → ${res.status}, expected ${c.expected.status} (${c.expected.why})${said}`;
      // A list answered to partner staff holds only their own partner's items (OWN has plenty: another partner's staff
      // must see none of them).
      const partnerOfCaller = c.caller.principal?.partnerId;
      const items = (res.body as { items?: unknown } | undefined)?.items;
      if (res.status === 200 && partnerOfCaller && Array.isArray(items)) {
        const foreign = items.filter((item) => item && typeof item === 'object' && 'partnerId' in item && (item as { partnerId: unknown }).partnerId !== partnerOfCaller);
        if (foreign.length) return `${what} → 200 listing ${foreign.length} item(s) of another partner (${JSON.stringify(foreign[0]).slice(0, 120)})`;
      }
      if (res.status >= 300) {
        const type = res.headers.get('content-type') ?? '(none)';
        if (!/^application\/problem\+json/.test(type)) return `${what} → ${res.status} as ${type}, expected application/problem+json`;
        if (res.body?.status !== res.status || typeof res.body?.type !== 'string') {
          return `${what} → ${res.status} with a problem body that does not say so: ${JSON.stringify(res.body).slice(0, 120)}`;
        }
      }
      return undefined;
    });

    const after = [...(await snapshot()), await organizationSnapshot()];
    const changed = before.flatMap((line, i) => (line === after[i] ? [] : [`refused calls changed a shared target: ${line} → ${after[i]}`]));
    const wrong = [...failures.filter((f): f is string => f !== undefined), ...changed];
    const totals = `${cases.length} cases over ${new Set(cases.map((c) => c.key)).size} routes × ${callers.length} callers`;
    console.log(`access matrix: ${totals}, ${objects.length} opportunities, incentives, certification applications, path reviews and webhook endpoints prepared, ${wrong.length} wrong`);
    if (wrong.length) throw new Error(`${wrong.length} of ${totals} answered other than the rule derives:\n  ${wrong.join('\n  ')}`);
  });
});
