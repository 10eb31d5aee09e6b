/**
 * Property-based fuzzing of every route routesOf() declares, against the real stack (Express app, worker,
 * Temporal dev server, PostgreSQL). Hostile payloads, query strings, path ids, content types and tokens; each
 * answer must be < 500, a well-formed problem when 4xx, and a refused request must change nothing in the
 * database or in Temporal. FUZZ_SEED=<n> replays a run (fixed by default; FUZZ_SEED=random explores); FUZZ_RUNS=<n> sets runs per route; FUZZ_EXAMPLES=0 skips
 * the deterministic edge examples (to see what random runs find past them); FUZZ_SHRINK=1 shrinks failures.
 */
import { createHash, randomUUID } from 'node:crypto';
import type { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import { can, type Role, signToken } from '../domain/auth.js';
import { defaultQuotas } from '../platform/config.js';
import type { BusinessCalendar } from '../domain/calendar.js';
import { INCENTIVE_STATUSES, incentiveWorkflow, incentiveWorkflowId } from '../workflows/incentive/workflow.js';
import { OUTCOMES, REJECT_REASONS, STAGES, STATUSES } from '../workflows/opportunity/workflow.js';
import { pathReviewId, pathReviewWorkflow, pathReviewWorkflowId } from '../workflows/path-review/workflow.js';
import { call, JWT_SECRET, startApp, tokenFor } from './support/app.js';
import { testCalendar, fixedCalendar } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import {
  badPathSegment,
  cursorLike,
  dateEdge,
  edgeString,
  encodeHostile,
  getAt,
  hugeString,
  jsonTypeOf,
  leafPaths,
  numberish,
  send,
  setAt,
  wrongTypeFor,
} from './support/fuzz.js';
import { devServerEnv } from './support/temporal.js';

// Fixed by default, so CI runs the same requests every time (a failure reproduces); FUZZ_SEED=random explores.
const SEED =
  process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_204;
// 5 random runs per route (besides the fixed examples) keep the whole suite under 5 minutes; FUZZ_RUNS=200 for a deep run before a release.
const RUNS = Number(process.env.FUZZ_RUNS ?? 5);
const TASK_QUEUE = 'fuzz-test';

let env: TestWorkflowEnvironment;
let app: Awaited<ReturnType<typeof startApp>>;
let calendar: BusinessCalendar;
let vendor: string;

/** Every route the app can mount: a stand-in time-skipping connection makes routesOf list the admin routes too. */
const allRoutes = (): RouteDef[] =>
  routesOf({
    temporal: env.client,
    prisma: app.prisma,
    taskQueue: TASK_QUEUE,
    jwtSecret: JWT_SECRET,
    logger: pino({ level: 'silent' }),
    calendarFor: fixedCalendar(() => calendar),
    timeSkipping: { testService: {} } as unknown as Connection,
  });
/** The routes this app (dev server, no time skipping) mounts; the others must answer 404. */
let mounted: Set<string>;
const keyOf = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method.toUpperCase()} ${r.path}`;

// ---- known-good inputs, so that one corrupted part is the only thing wrong ------------------------------------

// Ids only known once the fixtures exist: known-good bodies name these, runOne() puts the fixture's ids in.
const FIXTURE_EXPERT = '00000000-0000-4000-8000-0000000e0e0e';
const FIXTURE_MATERIAL = '00000000-0000-4000-8000-000000000f1f';
const FUZZ_HOOK_URL = 'http://127.0.0.1:9/fuzz';
const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffffff7f0009fb03fd2a86e38a0000000049454e44ae426082',
  'hex',
);
const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');

const VALID_BODY: Record<string, Record<string, unknown>> = {
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
  'PATCH /v1/partners/:partnerId/experts/:expertId': {
    name: 'Fuzz expert',
    fullTime: true,
    fullTimeSince: '2025-01-01',
    certifications: [{ type: 'CLOUD_PROFESSIONAL', validFrom: '2025-01-01', validTo: `${new Date().getUTCFullYear() + 2}-12-31` }],
    active: true,
  },
};
const VALID_QUERY: Record<string, Record<string, string>> = {
  'GET /v1/opportunities': { status: STATUSES[0], limit: '5' },
  'GET /v1/calendars/:name/deadline': { from: new Date().toISOString(), workingDays: '3' },
  'GET /v1/partners/:partnerId/experts': { active: 'true' },
  'GET /v1/incentives': { status: INCENTIVE_STATUSES[0], period: '2025-06', limit: '5' },
  'GET /v1/certifications': { status: 'DRAFT', type: 'ROLE_CONSULTING', limit: '5' },
  'GET /v1/partners/:partnerId/paths/:pathId/requirements': { level: 'CERTIFIED' },
  'DELETE /v1/partners/:partnerId/paths/:pathId': { note: 'Fuzz note' },
  'GET /v1/path-reviews': { pathId: 'SOFTWARE', year: '2024', status: 'OPEN', limit: '5' },
  'GET /v1/webhooks': { limit: '5' },
  'GET /v1/webhooks/:id/deliveries': { limit: '5' },
};

const shapeKeys = (schema: z.ZodType | undefined): string[] => {
  const shape = (schema as unknown as { shape?: Record<string, unknown> } | undefined)?.shape;
  return shape ? Object.keys(shape) : [];
};
/** What the route's schema says about the string at `path`: its max length, or that it is an enum. */
function stringRuleAt(schema: z.ZodType | undefined, path: string[]): { max?: number; isEnum?: boolean } {
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

const paramNames = (path: string) => [...path.matchAll(/:(\w+)/g)].map((m) => m[1]!);

// ---- fixtures: opportunities, a member, a custom role and an expert the id-taking routes act on ----------------

/**
 * `ids`: a pending and an accepted opportunity; `incentiveIds`: a pending incentive and an objected one, each with
 * one material (`materialIds`); `certificationIds`: an ADVANCED_CLOUD_SOFTWARE application in DRAFT (its one file set
 * as both materials, prerequisites met: it can be submitted) and one IN_REVIEW, each with its file
 * (`certificationFileIds`) — fixture index 0 / 1 picks the pair; `approvedCertificationId`: one APPROVED with an
 * ACTIVE certificate, the renew route's target; `pathReviews`: SOFTWARE CERTIFIED reviews of the partner per state
 * (APPLIED with its file, `pathReviewFileId`, set as its ANNUAL_REPORT: it can be submitted); `webhookId`: an endpoint
 * of the partner with one DEAD delivery, `webhookDeliveryId` (redeliverable).
 */
type Fixtures = {
  partnerId: string;
  ids: string[];
  memberId: string;
  roleId: string;
  expertId: string;
  incentiveIds: string[];
  materialIds: string[];
  certificationIds: string[];
  certificationFileIds: string[];
  approvedCertificationId: string;
  pathReviews: Record<PathReviewState, string>;
  pathReviewFileId: string;
  webhookId: string;
  webhookDeliveryId: string;
};
type PathReviewState = 'OPEN' | 'APPLIED' | 'SUBMITTED' | 'SUPPLEMENT_REQUESTED';
/** The review a path-review route acts on: the state its success needs. */
const pathReviewStateFor = (path: string): PathReviewState =>
  path.endsWith('/decision') ? 'SUBMITTED' : path.endsWith('/supplement') ? 'SUPPLEMENT_REQUESTED' : /\/(files|materials|submit)$/.test(path) ? 'APPLIED' : 'OPEN';
let fixtures: Fixtures;

async function makeFixtures(): Promise<Fixtures> {
  const partnerId = `P-fz-${randomUUID().slice(0, 8)}`;
  const partner = await tokenFor(['partner_admin'], partnerId);
  const share = async () => {
    const res = await call(app.base, 'POST', '/v1/opportunities', vendor, { partnerId, customerName: 'ACME', title: 'Fuzz target' });
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const pending = await share();
  const accepted = await share();
  expect((await call(app.base, 'POST', `/v1/opportunities/${accepted}/accept`, partner)).status).toBe(200);
  const member = await call(app.base, 'POST', `/v1/partners/${partnerId}/members`, partner, { sub: 'fuzz-target', displayName: 'Fuzz target', roles: [] });
  expect(member.status).toBe(201);
  const role = await call(app.base, 'POST', `/v1/partners/${partnerId}/roles`, partner, { name: 'Fuzz target', permissions: ['opportunity.read'] });
  expect(role.status).toBe(201);
  // Registered long before the incentive months (through the API registeredOn would be today), attested by the vendor;
  // not the known-good body's employee id: a valid POST then succeeds.
  const expertId = await attestExpert(app.prisma, partnerId, await insertExpert(app.prisma, partnerId, { employeeId: 'fuzz-target' }));
  const incentive = async (period: string) => {
    await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue: TASK_QUEUE, args: [{ partnerId, period }] });
    const id = `${partnerId}-${period}`;
    for (let i = 0; !(await app.prisma.incentive.findUnique({ where: { id } })); i++) {
      if (i > 200) throw new Error(`fixture incentive ${id} was not generated`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const material = await call(app.base, 'POST', `/v1/incentives/${id}/materials`, partner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="fixture.pdf"' });
    expect(material.status).toBe(201);
    return { id, materialId: material.body.id as string };
  };
  const [pendingIncentive, objectedIncentive] = await Promise.all([incentive('2025-06'), incentive('2025-07')]);
  const objected = await call(app.base, 'POST', `/v1/incentives/${objectedIncentive.id}/objections`, partner, { lines: [{ expertId, reason: 'fixture' }] });
  expect(objected.status).toBe(200);
  // A second CLOUD_PROFESSIONAL expert for the certification prerequisites, once the incentives' lines are fixed.
  await attestExpert(app.prisma, partnerId, await insertExpert(app.prisma, partnerId, { employeeId: 'fuzz-certification' }));
  const reviewer = await tokenFor(['vendor_reviewer']);
  const certification = async (state: 'DRAFT' | 'IN_REVIEW' | 'APPROVED') => {
    const ok = async (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => {
      const res = await call(app.base, method, path, token, body, headers);
      expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
      return res.body as { id: string };
    };
    const { id } = await ok('POST', '/v1/certifications', partner, { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName: 'Fuzz solution' });
    const file = await ok('POST', `/v1/certifications/${id}/files`, partner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="fixture.pdf"' });
    await ok('PUT', `/v1/certifications/${id}/materials`, partner, { materials: ['SOLUTION_DESCRIPTION', 'TEST_REPORT'].map((kind) => ({ kind, materialId: file.id })) });
    if (state !== 'DRAFT') await ok('POST', `/v1/certifications/${id}/submit`, partner);
    if (state === 'APPROVED') await ok('POST', `/v1/certifications/${id}/review`, reviewer, { decision: 'APPROVE' });
    return { id, fileId: file.id };
  };
  // A webhook endpoint with one DEAD delivery, as the relay leaves it after its budget.
  const webhook = async () => {
    const created = await call(app.base, 'POST', '/v1/webhooks', partner, { url: FUZZ_HOOK_URL, events: ['incentive.reminder'] });
    expect(created.status).toBe(201);
    const key = `fuzz-${randomUUID()}`;
    const message = await app.prisma.outbox.create({
      data: { topic: 'incentive.reminder', aggregateId: key, dedupeKey: key, payload: { partnerId }, dueAt: new Date(), dispatchedAt: new Date(), deliveredAt: new Date() },
    });
    const webhookDeliveryId = randomUUID();
    await app.prisma.webhookDelivery.create({ data: { id: webhookDeliveryId, endpointId: created.body.id, outboxId: message.id, status: 'DEAD', attempts: 12, createdAt: new Date() } });
    return { webhookId: created.body.id as string, webhookDeliveryId };
  };
  const [draft, inReview, approved] = await Promise.all([certification('DRAFT'), certification('IN_REVIEW'), certification('APPROVED')]);
  // Path reviews, started as the cycle would; the partner meets SOFTWARE CERTIFIED (two full-time experts, the APPROVED certificate).
  const pathReview = async (state: PathReviewState, year: number) => {
    const id = pathReviewId('SOFTWARE', partnerId, year);
    const args = [{ pathId: 'SOFTWARE', partnerId, year, level: 'CERTIFIED', cycleStartedAt: new Date().toISOString() }] as const;
    await env.client.workflow.start(pathReviewWorkflow, { workflowId: pathReviewWorkflowId(id), taskQueue: TASK_QUEUE, args: [...args] });
    for (let i = 0; !(await app.prisma.pathReview.findUnique({ where: { id } })); i++) {
      if (i > 200) throw new Error(`fixture path review ${id} did not open`);
      await new Promise((r) => setTimeout(r, 50));
    }
    if (state === 'OPEN') return { id, fileId: undefined };
    for (let i = 0; ; i++) {
      const applied = await call(app.base, 'POST', `/v1/path-reviews/${id}/apply`, partner);
      if (applied.status === 200) break;
      if (applied.status !== 409 || i > 100) throw new Error(`fixture apply answered ${applied.status} ${JSON.stringify(applied.body)}`);
      await new Promise((r) => setTimeout(r, 50)); // still opening
    }
    const file = await call(app.base, 'POST', `/v1/path-reviews/${id}/files`, partner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="fixture.pdf"' });
    expect(file.status, JSON.stringify(file.body)).toBe(201);
    const set = await call(app.base, 'PUT', `/v1/path-reviews/${id}/materials`, partner, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.body.id }] });
    expect(set.status, JSON.stringify(set.body)).toBe(200);
    if (state !== 'APPLIED') expect((await call(app.base, 'POST', `/v1/path-reviews/${id}/submit`, partner)).status).toBe(200);
    if (state === 'SUPPLEMENT_REQUESTED') {
      const asked = await call(app.base, 'POST', `/v1/path-reviews/${id}/decision`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'fixture' });
      expect(asked.status, JSON.stringify(asked.body)).toBe(200);
    }
    return { id, fileId: file.body.id as string };
  };
  const [open, applied, submitted, supplementRequested] = await Promise.all([
    pathReview('OPEN', 2101),
    pathReview('APPLIED', 2102),
    pathReview('SUBMITTED', 2103),
    pathReview('SUPPLEMENT_REQUESTED', 2104),
  ]);
  return {
    partnerId,
    ids: [pending, accepted],
    memberId: member.body.id as string,
    roleId: role.body.id as string,
    expertId,
    incentiveIds: [pendingIncentive.id, objectedIncentive.id],
    materialIds: [pendingIncentive.materialId, objectedIncentive.materialId],
    certificationIds: [draft.id, inReview.id],
    certificationFileIds: [draft.fileId, inReview.fileId],
    approvedCertificationId: approved.id,
    pathReviews: { OPEN: open.id, APPLIED: applied.id, SUBMITTED: submitted.id, SUPPLEMENT_REQUESTED: supplementRequested.id },
    pathReviewFileId: applied.fileId!,
    ...(await webhook()),
  };
}

// ---- state snapshot -------------------------------------------------------------------------------------------

async function snapshot() {
  const rows = await app.prisma.opportunity.findMany({ select: { id: true, status: true, lastSeq: true }, orderBy: { id: 'asc' } });
  return {
    opportunities: rows.length,
    events: await app.prisma.opportunityEvent.count(),
    keys: await app.prisma.idempotencyKey.count(),
    audit: await app.prisma.auditLog.count(),
    rowsHash: createHash('sha256').update(JSON.stringify(rows)).digest('hex'),
    organization: createHash('sha256')
      .update(
        JSON.stringify([
          await app.prisma.partnerMember.findMany({ orderBy: { id: 'asc' }, include: { roles: { orderBy: { role: 'asc' } } } }),
          await app.prisma.partnerRole.findMany({ orderBy: { id: 'asc' } }),
        ]),
      )
      .digest('hex'),
    experts: createHash('sha256')
      .update(
        JSON.stringify(
          await app.prisma.expert.findMany({ orderBy: { id: 'asc' }, include: { certifications: { orderBy: { id: 'asc' } } } }),
          (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v),
        ),
      )
      .digest('hex'),
    expertChanges: await app.prisma.expertChange.count(),
    pathMemberships: createHash('sha256')
      .update(JSON.stringify(await app.prisma.pathMembership.findMany({ orderBy: [{ partnerId: 'asc' }, { pathId: 'asc' }] })))
      .digest('hex'),
    pathMembershipChanges: await app.prisma.pathMembershipChange.count(),
    incentives: createHash('sha256')
      .update(
        JSON.stringify(
          await app.prisma.incentive.findMany({ select: { id: true, status: true, lastSeq: true, headcount: true, totalMinor: true }, orderBy: { id: 'asc' } }),
          (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v),
        ),
      )
      .digest('hex'),
    incentiveEvents: await app.prisma.incentiveEvent.count(),
    settlements: await app.prisma.settlement.count(),
    certifications: createHash('sha256')
      .update(JSON.stringify(await app.prisma.certificationApplication.findMany({ select: { id: true, status: true, lastSeq: true }, orderBy: { id: 'asc' } })))
      .digest('hex'),
    certificationEvents: await app.prisma.certificationEvent.count(),
    pathReviews: createHash('sha256')
      .update(JSON.stringify(await app.prisma.pathReview.findMany({ select: { id: true, status: true, lastSeq: true }, orderBy: { id: 'asc' } })))
      .digest('hex'),
    pathReviewCycles: createHash('sha256')
      .update(JSON.stringify(await app.prisma.pathReviewCycle.findMany({ orderBy: [{ pathId: 'asc' }, { year: 'asc' }] })))
      .digest('hex'),
    calendars: createHash('sha256')
      .update(JSON.stringify(await app.prisma.calendarVersion.findMany({ select: { calendarName: true, version: true }, orderBy: [{ calendarName: 'asc' }, { version: 'asc' }] })))
      .digest('hex'),
    partnerCalendars: createHash('sha256')
      .update(JSON.stringify(await app.prisma.partnerCalendar.findMany({ orderBy: { partnerId: 'asc' } })))
      .digest('hex'),
    partnerCalendarChanges: await app.prisma.partnerCalendarChange.count(),
    certificates: await app.prisma.certificate.count(),
    // Status and runs only: a redelivery's attempts keep moving while it retries.
    webhooks: createHash('sha256')
      .update(
        JSON.stringify([
          await app.prisma.webhookEndpoint.findMany({ select: { id: true, active: true }, orderBy: { id: 'asc' } }),
          await app.prisma.webhookDelivery.findMany({ select: { id: true, status: true, runs: true }, orderBy: { id: 'asc' } }),
        ]),
      )
      .digest('hex'),
    materials: await app.prisma.material.count(),
    workflows: (await env.client.workflow.count()).count,
  };
}
type Snapshot = Awaited<ReturnType<typeof snapshot>>;
let baseline: Snapshot;

/** After an accepted (2xx) request: wait until the database and Temporal visibility stop moving. */
/** Incentive generation runs go on after their 202 (minutes at scale): wait until none is running. */
async function runsFinished(): Promise<void> {
  const giveUp = Date.now() + 120_000; // a run that failed leaves its row RUNNING: the snapshot comparison then tells
  for (let quiet = 0; quiet < 2 && Date.now() < giveUp; ) {
    const running: string[] = [];
    for await (const w of env.client.workflow.list({ query: `WorkflowType = 'incentiveRunWorkflow' AND ExecutionStatus = 'Running'` })) running.push(w.workflowId);
    for await (const w of env.client.workflow.list({ query: `WorkflowType = 'pathReviewCycleWorkflow' AND ExecutionStatus = 'Running'` })) running.push(w.workflowId);
    // Path review cycles by visibility only: a cycle row left RUNNING by another test file's torn-down server never finishes.
    const rows = await app.prisma.incentiveRun.count({ where: { status: 'RUNNING' } });
    if (running.length === 0 && rows === 0) quiet++;
    else quiet = 0;
    await Promise.all(running.map((id) => env.client.workflow.getHandle(id).result().catch(() => undefined)));
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function settled(): Promise<Snapshot> {
  await runsFinished();
  let last = await snapshot();
  for (let i = 0; i < 40; i++) {
    await new Promise((r) => setTimeout(r, 100));
    const next = await snapshot();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}

// ---- request model --------------------------------------------------------------------------------------------

type TokenKind = 'authorized' | 'owner' | 'none' | 'garbage' | 'malformedHeader' | 'expired' | 'wrongRole' | 'otherPartner';
type BodySpec = { label: string; bad: boolean; json?: unknown; raw?: Buffer; contentType?: string; headers?: Record<string, string> };
type Fuzzed = {
  token: TokenKind;
  fixture: number;
  params: Record<string, { raw: string } | null>;
  query: { label: string; bad: boolean; pairs: [string, string][] } | null;
  body: BodySpec | null;
  headers: Record<string, string>;
};

const headerSafe = fc.string({ unit: fc.integer({ min: 0x20, max: 0xff }).filter((c) => c !== 0x7f).map((c) => String.fromCharCode(c)), maxLength: 300 });

/** Uploads (routes taking bytes): real and fake files, sizes at the limit, hostile file names. */
function rawBodyArb(route: RouteDef): fc.Arbitrary<BodySpec> {
  const maxBytes = route.rawBody!.maxBytes;
  const named = (name: string) => ({ 'content-disposition': `attachment; filename*=UTF-8''${encodeHostile(name)}` });
  const file = (label: string, bad: boolean, raw: Buffer, contentType: string, headers: Record<string, string> = named('fuzz.pdf')): BodySpec => ({ label, bad, raw, contentType, headers });
  const real = fc.constantFrom<[Buffer, string]>([PDF, 'application/pdf'], [PNG, 'image/png'], [JPEG, 'image/jpeg']);
  return fc.oneof(
    real.chain(([bytes, type]) => fc.uint8Array({ maxLength: 32 }).map((tail) => file(`a real ${type}`, false, Buffer.concat([bytes, tail]), type))),
    real.map(([bytes, type]) => file(`a ${type} declared as something else`, true, bytes, type === 'application/pdf' ? 'image/png' : 'application/pdf')),
    fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 64 }), fc.constantFrom(...route.rawBody!.types)).map(([bytes, type]) => file(`random bytes as ${type}`, false, Buffer.from(bytes), type)),
    fc.constantFrom(...route.rawBody!.types).map((type) => file(`empty ${type}`, true, Buffer.alloc(0), type)),
    fc.constant(file('one byte over the limit', true, Buffer.concat([PDF, Buffer.alloc(maxBytes + 1 - PDF.length)]), 'application/pdf')),
    fc.constantFrom('text/plain', 'application/octet-stream', 'application/pdfx', 'image/*', 'application/json', '').map((type) => file(`a PDF as ${JSON.stringify(type)}`, true, PDF, type)),
    // hostile names: unicode edges may be fine; separators never are
    edgeString.map((name) => file(`file name ${JSON.stringify(name)}`, false, PDF, 'application/pdf', named(name))),
    fc.constantFrom('../x.pdf', 'a/b.pdf', 'a\\b.pdf', 'x'.repeat(201), 'a\u0000b.pdf', 'a\u202efdp.exe').map((name) => file(`bad file name ${JSON.stringify(name)}`, true, PDF, 'application/pdf', named(name))),
    fc.oneof(headerSafe, fc.constantFrom('', 'inline; filename="a.pdf"', 'attachment', 'attachment; filename=', 'attachment; filename="a.pdf"; filename="b.pdf"'))
      .map((header) => file(`Content-Disposition ${JSON.stringify(header.slice(0, 40))}`, false, PDF, 'application/pdf', { 'content-disposition': header })),
  );
}

function bodyArb(route: RouteDef): fc.Arbitrary<BodySpec> {
  const valid = VALID_BODY[keyOf(route)];
  const keys = shapeKeys(route.body);
  const takesBody = route.body !== undefined;
  const json = (label: string, bad: boolean) => (value: unknown): BodySpec => ({ label, bad, json: value });
  const generic: fc.Arbitrary<BodySpec>[] = [
    fc.jsonValue({ maxDepth: 4 }).map(json('random JSON', false)),
    fc.anything({ maxDepth: 3, withNullPrototype: true, withObjectString: true, withBoxedValues: true, withSparseArray: true })
      .map((v) => { try { return JSON.parse(JSON.stringify(v) ?? 'null') as unknown; } catch { return null; } })
      .map(json('fc.anything as JSON', false)),
    fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }).map(json('array instead of object', takesBody)),
    fc.string({ minLength: 1, maxLength: 40 })
      .filter((t) => t.trim() !== '' && /[^\x20\x09\x0a\x0d]/.test(t) && (() => { try { const p: unknown = JSON.parse(t); return p === null || typeof p !== 'object'; } catch { return true; } })())
      .map((raw) => ({ label: 'invalid JSON text', bad: true, raw: Buffer.from(raw), contentType: 'application/json' })),
    fc.constantFrom('{"a":', '{a:1}', "{'a':1}", '[1,]', '{"a":1}}', 'NaN', 'null', '"str"', '1e999', '{"a":"\\ud800"', '{"__proto__":{"x":1}', '\u0000')
      .map((raw) => ({ label: 'invalid JSON text', bad: true, raw: Buffer.from(raw), contentType: 'application/json' })),
    fc.uint8Array({ minLength: 1, maxLength: 64 }).map((bytes) => ({ label: 'random bytes as JSON', bad: false, raw: Buffer.from(bytes), contentType: 'application/json' })),
    fc.constant({ label: 'oversized JSON', bad: true, json: { pad: 'x'.repeat(70_000) } }),
    fc.record({ k: edgeString, v: fc.jsonValue({ maxDepth: 1 }) }).map(({ k, v }) => json('object with hostile keys', takesBody)({ [k]: v })),
  ];
  const stringPaths = valid ? leafPaths(valid).filter((p) => typeof getAt(valid, p) === 'string') : [];
  const withValid: fc.Arbitrary<BodySpec>[] = valid
    ? [
        // valid keys, wrong types
        fc.constantFrom(...leafPaths(valid)).chain((path) => wrongTypeFor(getAt(valid, path)).map((w) => json(`wrong type at ${path.join('.')}`, true)(setAt(valid, path, w)))),
        // extra unknown keys
        fc.tuple(fc.oneof(edgeString, fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'status', 'toString', 'ID', `${keys[0] ?? 'x'} `)), fc.jsonValue({ maxDepth: 1 }))
          .filter(([k]) => !keys.includes(k))
          .map(([k, v]) => ({ label: `unknown key ${JSON.stringify(k)}`, bad: true, raw: Buffer.from(JSON.stringify(valid).replace(/^\{/, `{${JSON.stringify(k)}:${JSON.stringify(v)},`)), contentType: 'application/json' })),
        // huge strings beyond limits (bodies without a top-level string leaf skip the string cases)
        ...(stringPaths.length ? [
        fc.tuple(fc.constantFrom(...stringPaths), hugeString)
          .map(([path, s]) => {
            const rule = stringRuleAt(route.body, path);
            // zod counts a string's length in code points (an emoji is one), not UTF-16 units
            return json(`huge string at ${path.join('.')}`, rule.isEnum === true || (rule.max !== undefined && [...s].length > rule.max))(setAt(valid, path, s));
          }),
        // unicode edges in strings (may be legitimate: 2xx allowed)
        fc.tuple(fc.constantFrom(...stringPaths), edgeString)
          .map(([path, s]) => json(`unicode edge at ${path.join('.')}`, false)(setAt(valid, path, s))),
        ] : []),
        // number edges anywhere
        fc.tuple(fc.constantFrom(...leafPaths(valid)), numberish).map(([path, n]) => json(`number edge at ${path.join('.')}`, false)(setAt(valid, path, n))),
        // arrays where objects are expected
        fc.constantFrom(...leafPaths(valid).filter((p) => jsonTypeOf(getAt(valid, p)) === 'object'), [] as string[])
          .map((path) => json(`array at ${path.join('.') || '(body)'}`, true)(setAt(valid, path, [getAt(valid, path)]))),
        // valid body, wrong Content-Type
        fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/json; charset=latin1', 'application/vnd.x+json', 'application/jsonx', '', 'application/json, text/plain')
          .map((contentType) => ({ label: `content-type ${JSON.stringify(contentType)}`, bad: false, raw: Buffer.from(JSON.stringify(valid)), contentType })),
      ]
    : [];
  const raw = route.rawBody ? [rawBodyArb(route), rawBodyArb(route), rawBodyArb(route)] : []; // uploads: mostly file-shaped bodies
  return fc.oneof(...generic, ...withValid, ...withValid, ...raw); // hostile-but-nearly-valid bodies twice as often
}

function queryArb(route: RouteDef): fc.Arbitrary<Fuzzed['query']> {
  const known = shapeKeys(route.query);
  const valid = VALID_QUERY[keyOf(route)] ?? {};
  const value = fc.oneof(
    { weight: 4, arbitrary: edgeString },
    { weight: 1, arbitrary: numberish.map(String) },
    { weight: 1, arbitrary: hugeString.map((s) => s.slice(0, 3000)) },
    { weight: 1, arbitrary: dateEdge },
    { weight: 2, arbitrary: cursorLike },
    { weight: 1, arbitrary: fc.constantFrom('', '[]', '{}', 'true', 'null') },
  );
  const randomKey = fc.oneof(edgeString, fc.constantFrom('__proto__', 'constructor', 'hasOwnProperty', 'a[b]', 'limit[]', 'x'));
  return fc.oneof(
    // a valid query with exactly one hostile value: the only thing wrong, so it reaches the handler
    { weight: 3, arbitrary: fc.tuple(known.length ? fc.constantFrom(...known) : randomKey, value)
      .map(([k, v]) => ({ label: `hostile ${k}`, bad: false, pairs: [...Object.entries(valid).filter(([p]) => p !== k), [k, v] as [string, string]] })) },
    // valid keys, hostile values (possibly repeated keys → arrays)
    fc.array(fc.tuple(known.length ? fc.constantFrom(...known) : randomKey, value), { minLength: 1, maxLength: 4 })
      .map((pairs) => ({ label: 'hostile values', bad: false, pairs: [...Object.entries(valid).filter(([k]) => !pairs.some(([p]) => p === k)), ...pairs] })),
    // unknown keys next to a valid query: refused where the route declares a (strict) query schema
    fc.array(fc.tuple(randomKey.filter((k) => !known.includes(k)), value), { minLength: 1, maxLength: 3 })
      .map((extra) => ({ label: 'unknown keys', bad: route.query !== undefined, pairs: [...Object.entries(valid), ...extra] })),
  );
}

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const names = paramNames(route.path);
  return fc.record({
    token: fc.oneof(
      { weight: 10, arbitrary: fc.constantFrom<TokenKind>('authorized', 'owner') },
      { weight: 2, arbitrary: fc.constantFrom<TokenKind>('none', 'garbage', 'malformedHeader', 'expired', 'wrongRole', 'otherPartner') },
    ),
    fixture: fc.constantFrom(0, 1),
    params: fc.record(Object.fromEntries(names.map((n) => [n, fc.option(badPathSegment, { freq: 2 })]))) as fc.Arbitrary<Fuzzed['params']>,
    query: fc.option(queryArb(route), { freq: 4 }),
    body: fc.option(bodyArb(route), { freq: 4 }),
    headers: fc.oneof(
      { weight: 5, arbitrary: fc.constant({}) },
      fc.record({ 'idempotency-key': fc.oneof(headerSafe, fc.constantFrom('', ' ', 'a'.repeat(201), 'ключ'.replace(/./g, 'x') + '\u00ff')) }, { requiredKeys: [] }),
      fc.record({ 'x-request-id': headerSafe, accept: fc.constantFrom('text/html', 'application/xml', '*/*', '') }, { requiredKeys: [] }),
    ),
  });
}

/**
 * Deterministic examples run before the random ones: NUL and a lone surrogate alone in each string field of a
 * known-good body and in each query parameter, and cursors at the edges of the Date range — the cases that
 * random runs reach only rarely.
 */
function examplesFor(route: RouteDef): [Fuzzed][] {
  const valid = VALID_BODY[keyOf(route)];
  const query = VALID_QUERY[keyOf(route)] ?? {};
  const names = paramNames(route.path);
  const base = (fixture: number): Fuzzed => ({ token: 'authorized', fixture, params: Object.fromEntries(names.map((n) => [n, null])), query: null, body: null, headers: {} });
  const out: Fuzzed[] = [];
  for (const fixture of names.includes('id') ? [0, 1] : [0]) {
    for (const hot of ['a\u0000b', 'a\ud800b']) {
      if (valid)
        for (const path of leafPaths(valid).filter((p) => typeof getAt(valid, p) === 'string'))
          out.push({ ...base(fixture), body: { label: `unicode edge at ${path.join('.')}`, bad: false, json: setAt(valid, path, hot) } });
      for (const k of shapeKeys(route.query))
        out.push({ ...base(fixture), query: { label: `hostile ${k}`, bad: false, pairs: [...Object.entries(query).filter(([p]) => p !== k), [k, hot]] } });
    }
  }
  // The known-good body as is, on each fixture: the success path (and its state conflicts) every run.
  if (valid) for (const fixture of names.includes('id') ? [0, 1] : [0]) out.push({ ...base(fixture), body: { label: 'known-good body', bad: false, json: valid } });
  // Uploads: a real file of each type, and the refusals every run should see.
  if (route.rawBody) {
    const named = { 'content-disposition': 'attachment; filename="fuzz.pdf"' };
    const files: BodySpec[] = [
      { label: 'a real PDF', bad: false, raw: PDF, contentType: 'application/pdf', headers: named },
      { label: 'a real PNG', bad: false, raw: PNG, contentType: 'image/png', headers: named },
      { label: 'a real JPEG', bad: false, raw: JPEG, contentType: 'image/jpeg', headers: named },
      { label: 'a PNG declared as a PDF', bad: true, raw: PNG, contentType: 'application/pdf', headers: named },
      { label: 'an empty PDF', bad: true, raw: Buffer.alloc(0), contentType: 'application/pdf', headers: named },
      { label: 'a PDF without a file name', bad: true, raw: PDF, contentType: 'application/pdf' },
      { label: 'one byte over the limit', bad: true, raw: Buffer.concat([PDF, Buffer.alloc(route.rawBody.maxBytes + 1 - PDF.length)]), contentType: 'application/pdf', headers: named },
    ];
    for (const fixture of [0, 1]) for (const body of files) out.push({ ...base(fixture), body });
  }
  if (shapeKeys(route.query).includes('cursor'))
    for (const v of [['-271821-04-20T00:00:00.000Z', 'x'], ['2024-01-01T00:00:00.000Z', 'a\u0000']])
      out.push({ ...base(0), token: 'authorized', query: { label: 'hostile cursor', bad: false, pairs: [['cursor', Buffer.from(JSON.stringify(v)).toString('base64url')]] } });
  return out.map((f) => [f]);
}

// ---- running one fuzzed request -------------------------------------------------------------------------------

// vendor_staff where it is allowed (as before), vendor_admin where only it is (e.g. resolving an incentive objection).
const vendorRolesFor = (permission: RouteDef['permission']): Role[] => [
  (['vendor_staff', 'vendor_admin'] as const).find((r) => permission === 'public' || can({ sub: 'x', roles: [r] }, permission)) ?? 'vendor_staff',
];
const PARTNER_ROLES: Role[] = ['partner_admin'];

async function tokenHeader(route: RouteDef, kind: TokenKind): Promise<Record<string, string>> {
  const sub = `fuzz-${randomUUID()}`; // fresh token per request: the per-token rate limit never interferes
  const perm = route.permission;
  const VENDOR_ROLES = vendorRolesFor(perm);
  const vendorOk = perm === 'public' || can({ sub, roles: VENDOR_ROLES }, perm);
  const partnerOk = perm === 'public' || can({ sub, roles: PARTNER_ROLES, partnerId: fixtures.partnerId }, perm);
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  switch (kind) {
    case 'authorized':
      return bearer(vendorOk ? await tokenFor(VENDOR_ROLES, undefined, sub) : await tokenFor(PARTNER_ROLES, fixtures.partnerId, sub));
    case 'owner':
      return bearer(partnerOk ? await tokenFor(PARTNER_ROLES, fixtures.partnerId, sub) : await tokenFor(VENDOR_ROLES, undefined, sub));
    case 'none':
      return {};
    case 'garbage':
      return bearer(`${randomUUID()}.${randomUUID()}.x`);
    case 'malformedHeader':
      return { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` };
    case 'expired':
      return bearer(await signToken({ sub, roles: VENDOR_ROLES }, JWT_SECRET, '-5m'));
    case 'wrongRole':
      return bearer(vendorOk ? await tokenFor(PARTNER_ROLES, fixtures.partnerId, sub) : await tokenFor(VENDOR_ROLES, undefined, sub));
    case 'otherPartner':
      return bearer(await tokenFor(PARTNER_ROLES, `P-other-${sub.slice(5, 13)}`, sub));
  }
}

/** A refusal is certain (not merely likely) for this request. */
function certainlyBad(route: RouteDef, f: Fuzzed): boolean {
  if (!mounted.has(keyOf(route))) return true;
  if (route.permission !== 'public' && ['none', 'garbage', 'malformedHeader', 'expired'].includes(f.token)) return true;
  if (route.permission !== 'public' && f.token === 'wrongRole') {
    // wrongRole sends the other kind of staff: refused only when that kind lacks the permission
    const vendorOk = can({ sub: 'x', roles: vendorRolesFor(route.permission) }, route.permission);
    const partnerOk = can({ sub: 'x', roles: PARTNER_ROLES, partnerId: 'P' }, route.permission);
    if (!(vendorOk && partnerOk)) return true;
  }
  // a non-UUID opportunity, member, role, expert or material id, not an incentive id, or not a development path
  if (f.params.id || f.params.memberId || f.params.roleId || f.params.expertId || f.params.materialId || f.params.pathId) return true;
  if (f.body?.bad || f.query?.bad) return true;
  if (!route.body && f.body?.json !== undefined && typeof f.body.json === 'object' && f.body.json !== null && Object.keys(f.body.json).length > 0)
    return true; // a body where none is taken
  return false;
}

const STACK = /\bat .*\.[cm]?[jt]s:\d+|node_modules|\/work\/|Error: .*\n\s+at /;

function describeRequest(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): string {
  const shown = body ? (body.length > 300 ? `${body.subarray(0, 300).toString('utf8')}… (${body.length} bytes)` : body.toString('utf8')) : '';
  const hdrs = Object.entries(headers).map(([k, v]) => `-H ${JSON.stringify(`${k}: ${k === 'authorization' ? v.slice(0, 20) + '…' : v.length > 100 ? v.slice(0, 100) + '…' : v}`)}`);
  return `curl -X ${method} ${JSON.stringify(`$BASE${path.length > 300 ? path.slice(0, 300) + '…' : path}`)} ${hdrs.join(' ')}${body ? ` --data-binary ${JSON.stringify(shown)}` : ''}`;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const incentive = route.path.startsWith('/v1/incentives/');
  const certification = route.path.startsWith('/v1/certifications/');
  const pathReview = route.path.startsWith('/v1/path-reviews/');
  const webhook = route.path.startsWith('/v1/webhooks/');
  const material = pathReview ? fixtures.pathReviewFileId : certification ? fixtures.certificationFileIds[f.fixture]! : fixtures.materialIds[f.fixture]!;
  const validParam: Record<string, string> = {
    id: webhook
      ? fixtures.webhookId
      : pathReview
      ? fixtures.pathReviews[pathReviewStateFor(route.path)]
      : certification
      ? route.path.endsWith('/renew')
        ? fixtures.approvedCertificationId
        : fixtures.certificationIds[f.fixture]!
      : incentive
        ? fixtures.incentiveIds[f.fixture]!
        : fixtures.ids[f.fixture]!,
    materialId: material,
    name: route.method === 'put' ? 'FUZZ' : 'CN',
    partnerId: fixtures.partnerId,
    memberId: fixtures.memberId,
    roleId: fixtures.roleId,
    expertId: fixtures.expertId,
    pathId: 'SOFTWARE',
    year: '2024',
    deliveryId: fixtures.webhookDeliveryId,
  };
  const path = route.path.replace(/:(\w+)/g, (_, name: string) => f.params[name]?.raw ?? encodeURIComponent(validParam[name] ?? 'x'));
  // Values are capped so the request line stays under Node's 16 KiB header limit (beyond it Node itself answers 431).
  const qs = f.query ? f.query.pairs.map(([k, v]) => `${encodeHostile(k).slice(0, 300)}=${encodeHostile(v).slice(0, 2000)}`).join('&') : '';
  const target = qs ? `${path}?${qs}` : path;
  const headers: Record<string, string> = { ...(await tokenHeader(route, f.token)), ...f.headers };
  let body: Buffer | undefined;
  if (f.body) {
    body = f.body.raw ?? Buffer.from(JSON.stringify(f.body.json) ?? 'null');
    // latin1 maps every byte to one char and back: random bytes survive, the ASCII placeholders are replaced.
    if (!f.body.raw || f.body.contentType === 'application/json') {
      const filled = body.toString('latin1').replaceAll(FIXTURE_EXPERT, fixtures.expertId).replaceAll(FIXTURE_MATERIAL, material);
      body = Buffer.from(filled, 'latin1');
    }
    const ct = f.body.contentType ?? 'application/json';
    if (ct) headers['content-type'] = ct;
    Object.assign(headers, f.body.headers);
  }
  const bad = certainlyBad(route, f);
  const where = () => `[${keyOf(route)}] ${f.body?.label ?? 'no body'} / ${f.query?.label ?? 'no query'} / token ${f.token}\n  ${describeRequest(route.method, target, headers, body)}`;

  let res;
  try {
    res = await send(app.base, route.method, target, headers, body, 5_000);
  } catch (error) {
    // No answer (a hang): say what it left behind, and start over with fresh fixtures and baseline.
    const before = baseline;
    const after = await settled();
    fixtures = await makeFixtures();
    baseline = await settled();
    const changed = JSON.stringify(after) !== JSON.stringify(before) ? `; state changed ${JSON.stringify(before)} → ${JSON.stringify(after)}` : '';
    throw new Error(`request failed (${(error as Error).message})${changed}: ${where()}`);
  }
  const got = () => `${res.status} ${res.contentType} ${res.text.slice(0, 500)}`;

  if (res.status >= 500) throw new Error(`5xx: ${got()}\n${where()}`);
  if (STACK.test(res.text)) throw new Error(`stack trace / internals in body: ${got()}\n${where()}`);
  if (res.status >= 400) {
    const p = res.json as { status?: unknown; type?: unknown; title?: unknown; errors?: unknown } | undefined;
    const ok =
      /^application\/problem\+json/.test(res.contentType) &&
      p !== undefined &&
      p.status === res.status &&
      typeof p.type === 'string' &&
      typeof p.title === 'string' &&
      (res.status !== 400 ||
        (Array.isArray(p.errors) &&
          p.errors.length > 0 &&
          p.errors.every((e: unknown) => typeof (e as { field?: unknown }).field === 'string' && typeof (e as { message?: unknown }).message === 'string')));
    if (!ok) throw new Error(`malformed problem: ${got()}\n${where()}`);
    const after = await snapshot();
    if (JSON.stringify(after) !== JSON.stringify(baseline)) {
      const before = baseline;
      baseline = await settled();
      throw new Error(`state changed on a refused request: ${JSON.stringify(before)} → ${JSON.stringify(after)}\n${got()}\n${where()}`);
    }
    return;
  }
  if (bad) {
    baseline = await settled();
    if (route.method !== 'get') fixtures = await makeFixtures().then(async (fx) => ((baseline = await settled()), fx));
    throw new Error(`a certainly-bad request was accepted: ${got()}\n${where()}`);
  }
  // Accepted and legitimately so (e.g. accept with an empty body): the new state is the new baseline.
  if (route.method !== 'get') {
    await settled();
    fixtures = await makeFixtures();
  }
  baseline = await settled();
}

// ---- the properties -------------------------------------------------------------------------------------------

beforeAll(async () => {
  env = await devServerEnv();
  calendar = testCalendar(Date.now());
  // FUZZ_HOOK_URL is on 127.0.0.1: private webhook targets allowed.
  // …on port 9 (WEBHOOK_ALLOWED_PORTS); every fixture set registers one more endpoint: no webhook quota in the way.
  app = await startApp(env, {
    taskQueue: TASK_QUEUE,
    calendarFor: fixedCalendar(() => calendar),
    webhookAllowPrivateTargets: true,
    webhookAllowedPorts: [9],
    quotas: { ...defaultQuotas, webhookEndpoints: 1000 },
  });
  vendor = await tokenFor(['vendor_staff']);
  mounted = new Set(
    routesOf({ temporal: env.client, prisma: app.prisma, taskQueue: TASK_QUEUE, jwtSecret: JWT_SECRET, logger: pino({ level: 'silent' }), calendarFor: fixedCalendar(() => calendar) }).map(keyOf),
  );
  fixtures = await makeFixtures();
  baseline = await settled();
  console.info(`fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays), ${RUNS} runs per route`);
});

afterAll(async () => {
  // Vendor endpoints receive every partner's events: leave none of the fuzz's active for the other test files.
  await app?.prisma.webhookEndpoint.updateMany({ where: { url: FUZZ_HOOK_URL }, data: { active: false } });
  await app?.stop();
  await env?.teardown();
});

describe('fuzzing every route: never a 5xx, always a problem, never a state change on refusal', () => {
  it('routesOf() lists routes, every one is fuzzed below', () => {
    const routes = allRoutes();
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) if (!mounted.has(keyOf(r))) console.info(`fuzz: ${keyOf(r)} is not mounted on the dev-server stack: fuzzed for a clean 404`);
    // Without a known-good body or query a route is fuzzed with generic payloads only, which it refuses before its
    // rules are reached: every route taking one must have one.
    expect(routes.filter((r) => r.body && !VALID_BODY[keyOf(r)]).map(keyOf), 'routes without a known-good body').toEqual([]);
    expect(routes.filter((r) => r.query && !VALID_QUERY[keyOf(r)]).map(keyOf), 'routes without a known-good query').toEqual([]);
  });

  // Routes are listed when the file is collected, before beforeAll: a dependency-free listing is enough for names.
  const listed = routesOf({
    temporal: { connection: {}, workflow: {} } as never,
    prisma: {} as never,
    taskQueue: TASK_QUEUE,
    jwtSecret: JWT_SECRET,
    logger: pino({ level: 'silent' }),
    timeSkipping: { testService: {} } as unknown as Connection,
  });
  it.each(listed.map((r) => [keyOf(r)]))('%s', async (name) => {
    const route = allRoutes().find((r) => keyOf(r) === name)!;
    await fc.assert(
      fc.asyncProperty(fuzzedArb(route), (f) => runOne(route, f)),
      {
        numRuns: RUNS,
        seed: SEED,
        examples: process.env.FUZZ_EXAMPLES === '0' ? [] : examplesFor(route),
        endOnFailure: !process.env.FUZZ_SHRINK,
        // fast-check's own report prints the whole (megabyte-sized) counterexample: say what was sent instead.
        reporter: (out) => {
          if (!out.failed) return;
          const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
          throw new Error(`${name}: property failed after ${out.numRuns} run(s); replay with FUZZ_SEED=${out.seed} (path ${out.counterexamplePath})\n${cause}`);
        },
      },
    );
  });
});
