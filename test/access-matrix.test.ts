/**
 * The access matrix: every mounted route × every built-in role (partner roles as the object's partner and as
 * another partner) × IAM sub-users × no token, against the real app. Expected statuses are derived by one rule
 * (support/access-matrix.ts expectedFor) from the hand-written policy (support/policy.ts: what each route demands,
 * what each role holds) — not from the code under test. The table below only says how to call each route and what
 * success is.
 * Beyond the status (support/access-matrix-run.ts): every refused write runs alone and must leave every table of the
 * database as it was; a success must match the route's response schema, and answered to partner staff name only their
 * partner (the object, a list's items, what they created); every list route must be seen to be checkable for another
 * partner's items. A route without an entry, or an entry without a route, fails the test.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { routesOf } from '../api/app.js';
import { defineRoute, type RouteDef } from '../api/kit/http.js';
import { call, JWT_SECRET, serverErrorOf, tokenFor } from './support/app.js';
import {
  type Caller,
  callersFor,
  checkCoverage,
  DEACTIVATED_SUB,
  type Expected,
  expectedFor,
  inBatches,
  type MatrixEntry,
  type MatrixFixtures,
  type MatrixObject,
  type MatrixRequest,
  type MatrixTable,
  type Mounted,
  routeKey,
  urlFor,
} from './support/access-matrix.js';
import { matrixObjects, organizationSnapshot, targetsSnapshot } from './support/access-matrix-objects.js';
import { answerProblems, type Case, type ListEvidence, listCoverage, noteListAnswer, refusedOneAtATime } from './support/access-matrix-run.js';
import { CATALOG_LISTS, FIXTURE_EXPERT, LIST_QUERY, MATRIX_HOOK_URL, MATRIX_PATH, MATRIX_PDF, MATRIX_QUOTAS, OTHER, OWN, own, partnerEntries, pdfUpload, unique } from './support/access-matrix-table.js';
import { processEntries } from './support/access-matrix-table-processes.js';
import { useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { levelRaiseEntries } from './support/access-matrix-level-raise.js';
import { customerEntries } from './support/access-matrix-customers.js';
import { agreementEntries } from './support/access-matrix-agreement.js';
import { enrollmentEntries } from './support/access-matrix-enrollment.js';
import { ENTERPRISE_CATALOG, enterpriseEntries } from './support/access-matrix-enterprise.js';
import { orderEntries } from './support/access-matrix-orders.js';
import { fundsEntries } from './support/access-matrix-funds.js';
import { unlinkEntries } from './support/access-matrix-unlink.js';
import { auditEntries } from './support/access-matrix-audit.js';
import { healthEntries } from './support/access-matrix-health.js';
import { codecEntries } from './support/access-matrix-codec.js';
import { bulkEntries } from './support/access-matrix-bulk.js';
import { reviewQueueEntries } from './support/access-matrix-review-queue.js';
import { OPERATIONS_CATALOG, operationsEntries } from './support/access-matrix-operations.js';
import { meEntries } from './support/access-matrix-me.js';

// MATRIX_HOOK_URL is on 127.0.0.1: private webhook targets allowed, and on port 9 (WEBHOOK_ALLOWED_PORTS); quotas
// high enough for every success the matrix makes for OWN.
// The matrix calls every route from 127.0.0.1 many times a minute, its set-up as a few callers: limits high enough
// not to answer it 429 (the limits have their own tests).
const apiOptions = { webhookAllowPrivateTargets: true, webhookAllowedPorts: [9], quotas: MATRIX_QUOTAS, rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 };
const normal = useTestEnv({ taskQueue: 'access-matrix', server: 'dev', api: apiOptions });
const skipping = useTestEnv({ taskQueue: 'access-matrix-ts', api: { ...apiOptions, clockRoutes: true } });
let mounted: Mounted;

/**
 * The partner account's routes (the partner names them by path): the feed with a fresh Idempotency-Key per call, and
 * a fresh entry key, so every allowed call records something new; the reads, the eligibility preflight among them.
 */
const feedHeaders = () => ({ 'Idempotency-Key': randomUUID() });
const accountEntries = (): MatrixTable => ({
  'POST /v1/partners/:partnerId/account/facts': {
    success: 201,
    partnerOwned: true,
    partnerInPath: true,
    request: (_, fx) => ({
      params: own(fx),
      body: { source: 'matrix', facts: [{ kind: 'POSTPAID', value: { enabled: true }, observedAt: '2026-03-01T00:00:00Z' }] },
      headers: feedHeaders(),
    }),
  },
  'POST /v1/partners/:partnerId/account/ledger-entries': {
    success: 201,
    partnerOwned: true,
    partnerInPath: true,
    request: (_, fx) => ({
      params: own(fx),
      body: { source: 'matrix', entries: [{ kind: 'RECHARGE', key: randomUUID(), amount: { currency: 'CNY', minor: 100 }, occurredAt: '2026-03-01T00:00:00Z' }] },
      headers: feedHeaders(),
    }),
  },
  'GET /v1/partners/:partnerId/account': { success: 200, partnerOwned: true, partnerInPath: true, request: (_, fx) => ({ params: own(fx) }) },
  'GET /v1/partners/:partnerId/account/ledger': { success: 200, partnerOwned: true, partnerInPath: true, request: (_, fx) => ({ params: own(fx), query: LIST_QUERY }) },
  'GET /v1/partners/:partnerId/account/facts': { success: 200, partnerOwned: true, partnerInPath: true, request: (_, fx) => ({ params: own(fx), query: LIST_QUERY }) },
  // The project specialist check reads the account and the fixture member: the widest of the preflight's reads.
  'GET /v1/partners/:partnerId/eligibility': {
    success: 200,
    partnerOwned: true,
    partnerInPath: true,
    request: (_, fx) => ({ params: own(fx), query: { program: 'PROJECT_SPECIALIST', memberId: fx.memberId } }),
  },
});

/**
 * Project specialist applications of OWN. support/access-matrix.ts has no specialist object states yet, so each
 * request makes its own object through the real API as OWN's administrator would — a new member with a work residence,
 * applied for (OWN is made a reseller, which may apply, once) — fresh for every write, one shared by the reads. The
 * routes taking an application id are partner-owned through that object: `partnerInPath` only satisfies
 * checkCoverage's "where does the partner come from" (the id's object is OWN's, made here).
 */
function specialistEntries(base: () => string): MatrixTable {
  let reseller: Promise<unknown> | undefined;
  const send = async (method: string, path: string, body?: unknown, headers?: Record<string, string>, token?: string) => {
    const res = await call(base(), method, path, token ?? (await tokenFor(['partner_admin'], OWN, 'matrix-setup-partner')), body, headers);
    if (res.status >= 300) throw new Error(`setup: ${method} ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string };
  };
  const member = async () => {
    reseller ??= tokenFor(['vendor_system'], undefined, 'matrix-feeder').then((feeder) =>
      send('POST', `/v1/partners/${OWN}/account/facts`, { source: 'matrix', facts: [{ kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' }] }, feedHeaders(), feeder),
    );
    await reseller;
    return (await send('POST', `/v1/partners/${OWN}/members`, { sub: unique('matrix-specialist'), displayName: 'Matrix specialist', roles: ['partner_sales'], workResidence: 'Hangzhou' })).id;
  };
  /** A SUBMITTED application of OWN with one uploaded file. */
  const application = async () => {
    const { id } = await send('POST', '/v1/specialist-applications', { memberId: await member(), pathId: 'SOFTWARE' });
    const file = await send('POST', `/v1/specialist-applications/${id}/files`, MATRIX_PDF, pdfUpload(MATRIX_PDF).headers);
    return { id, materialId: file.id };
  };
  let shared: ReturnType<typeof application> | undefined;
  const read = () => (shared ??= application());
  const byOwnId = { success: 200, partnerOwned: true, partnerInPath: true } as const;
  return {
    'POST /v1/specialist-applications': { success: 201, partnerOwned: false, request: async () => ({ body: { memberId: await member(), pathId: 'SOFTWARE' }, headers: feedHeaders() }) },
    'POST /v1/specialist-applications/batch': {
      success: 200,
      partnerOwned: false,
      request: async () => ({ body: { applications: [{ memberId: await member(), pathId: 'SOFTWARE' }] }, headers: feedHeaders() }),
    },
    'GET /v1/specialist-applications': { success: 200, partnerOwned: false, request: async () => (await read(), { query: LIST_QUERY }) },
    'GET /v1/specialist-applications/:id': { ...byOwnId, request: async () => ({ params: { id: (await read()).id } }) },
    'POST /v1/specialist-applications/:id/files': { ...byOwnId, success: 201, request: async () => ({ params: { id: (await application()).id }, ...pdfUpload(Buffer.concat([MATRIX_PDF, Buffer.from('% 2\n')])) }) },
    'GET /v1/specialist-applications/:id/files/:materialId': { ...byOwnId, request: async () => ({ params: await read().then((a) => ({ id: a.id, materialId: a.materialId })) }) },
    'PUT /v1/specialist-applications/:id/materials': {
      ...byOwnId,
      request: async () => {
        const a = await application();
        return { params: { id: a.id }, body: { materials: [{ kind: 'RESUME', materialId: a.materialId }] } };
      },
    },
    'POST /v1/specialist-applications/:id/review': { ...byOwnId, request: async () => ({ params: { id: (await application()).id }, body: { decision: 'REJECT', note: 'access matrix' } }) },
    'POST /v1/specialist-applications/:id/cancel': { ...byOwnId, request: async () => ({ params: { id: (await application()).id }, body: { reason: 'access matrix' } }) },
  };
}

/**
 * Routes whose body names an object of the own partner that the path does not (the member to apply for): another
 * partner's staff allowed to call the route are answered as that object's rules say, not with the route's success.
 */
const OTHER_PARTNER_ANSWERS: Record<string, Expected> = {
  'POST /v1/specialist-applications': { status: 422, why: "another partner's member is not associated with the caller's partner (specialist-not-eligible)" },
};

/** The agreement versions: one catalog for every partner (each partner's signatures are read by its own partner-scoped routes). */
const AGREEMENT_CATALOG = { 'GET /v1/agreements': "the vendor's published agreement versions: the same for every partner" };

/** How to call each route and what success answers. Keys exactly as declared in routesOf(). */
const TABLE: MatrixTable = { ...partnerEntries(), ...processEntries(() => normal.base), ...accountEntries(), ...specialistEntries(() => normal.base), ...levelRaiseEntries(() => normal.base, () => normal.prisma), ...customerEntries(() => normal.base), ...agreementEntries(() => normal.base), ...orderEntries(() => normal.base), ...fundsEntries(() => normal.base, () => normal.prisma), ...enterpriseEntries(() => normal.base), ...enrollmentEntries(() => normal.base, () => normal.prisma, () => normal.client), ...unlinkEntries(() => normal.base, () => normal.prisma), ...auditEntries(), ...healthEntries(), ...codecEntries(), ...bulkEntries(() => normal.base), ...reviewQueueEntries(() => normal.base, () => normal.prisma), ...operationsEntries(() => normal.base), ...meEntries() };

beforeAll(() => {
  // The routes each app mounts: routesOf() on the deps createApp got.
  mounted = { normal: routesOf(normal.deps()), timeSkipping: routesOf(skipping.deps()) };
});

afterAll(async () => {
  // Vendor endpoints receive every partner's events: leave none of the matrix's active for the other test files.
  await normal.prisma.webhookEndpoint.updateMany({ where: { url: MATRIX_HOOK_URL }, data: { active: false } });
});

/**
 * The matrix sends more requests a minute than the app takes from one address (1200, counted before authentication):
 * a 429 is the limiter answering before the route is reached — nothing authenticated, nothing written — so the call
 * waits as Retry-After says and is made again; the route's own answer is what the case judges.
 */
async function callPastRateLimit(send: () => ReturnType<typeof call>): ReturnType<typeof call> {
  let res = await send();
  for (let retry = 0; res.status === 429 && retry < 3; retry++) {
    await new Promise((resolve) => setTimeout(resolve, (Number(res.headers.get('retry-after')) || 1) * 1000 + 100));
    res = await send();
  }
  return res;
}

const describeCase = (c: Case) => `${c.key.padEnd(36)} ${c.mode === 'normal' ? '' : '[time-skipping] '}× ${c.caller.label.padEnd(27)}`;

function planCases(callers: Caller[]): Case[] {
  const cases: Case[] = [];
  const normalKeys = new Set(mounted.normal.map(routeKey));
  const plan = (mode: Case['mode'], route: RouteDef, expectedOf: (entry: MatrixEntry, caller: Caller) => Expected) => {
    const key = routeKey(route);
    const entry = TABLE[key]!;
    for (const caller of callers) {
      const derived = expectedOf(entry, caller);
      const expected = caller.side === 'other' && derived.status === entry.success && OTHER_PARTNER_ANSWERS[key] ? OTHER_PARTNER_ANSWERS[key] : derived;
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

  it('the list check catches a list whose items say not whose they are, and a list no other partner was answered', () => {
    const handler = async () => ({ status: 200 });
    const listOf = (item: z.ZodType) =>
      defineRoute({ method: 'get', path: '/v1/x', permission: 'opportunity.read', summary: 'list', responses: { 200: z.strictObject({ items: z.array(item) }) }, handler });
    const entry = { 'GET /v1/x': { success: 200, partnerOwned: false, request: () => ({}) } };
    expect(listCoverage([listOf(z.strictObject({ id: z.string() }))], entry, {}, new Map())).toEqual([
      'GET /v1/x lists items that do not say whose they are: give them a partnerId, scope the path to a partner, or declare it a catalog',
    ]);
    const partnerItems = listOf(z.strictObject({ id: z.string(), partnerId: z.string() }));
    expect(listCoverage([partnerItems], entry, {}, new Map())).toEqual(["GET /v1/x: no 200 answer to another partner's staff was checked for foreign items"]);
    expect(listCoverage([partnerItems], entry, {}, new Map([['GET /v1/x', { checkedForOther: 1, notOthersSeenByVendor: 0 }]]))).toEqual([
      "GET /v1/x: the vendor's answer held no item of another partner than the caller's — a leak could not have shown",
    ]);
    expect(listCoverage([partnerItems], entry, { 'GET /v1/x': 'a catalog' }, new Map())).toEqual(['GET /v1/x is declared a catalog, yet its items name a partner']);
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
    const { makeObjects } = matrixObjects({ base: normal.base, prisma: normal.prisma, client: normal.client, setupVendor, setupPartner, fx, setupCall });

    // Objects of OWN: one shared target per route (refused calls hit it and must not change it), one fresh per
    // allowed call that consumes its object.
    const needs = [
      ...Object.entries(TABLE)
        .filter(([, entry]) => entry.object)
        .map(([key, entry]) => ({ key, state: entry.object!.state, forCase: undefined as Case | undefined })),
      ...cases.filter((c) => c.object === 'fresh').map((c) => ({ key: c.key, state: c.entry.object!.state, forCase: c as Case | undefined })),
    ];
    const objects = await makeObjects(needs.map((need) => need.state));
    const sharedTargets = new Map<string, MatrixObject>();
    needs.forEach((need, i) => (need.forCase ? (need.forCase.target = objects[i]) : sharedTargets.set(need.key, objects[i]!)));
    for (const c of cases) if (c.object === 'shared') c.target = sharedTargets.get(c.key);
    const snapshot = () => targetsSnapshot(normal.prisma, sharedTargets);
    const before = [...(await snapshot()), await organizationSnapshot(normal.prisma, fx)];

    const requestOf = async (c: Case): Promise<MatrixRequest> =>
      c.entry.request(
        c.target
          ? c.target
          : {
              get id(): string {
                throw new Error(`the access-matrix entry for ${c.key} uses an object id but declares no object`);
              },
            },
        fx,
      );
    const evidence: ListEvidence = new Map();
    /** One case: the call, its status, and what answerProblems finds wrong with the answer. */
    const runCase = async (c: Case, request: MatrixRequest): Promise<string | undefined> => {
      const base = c.mode === 'normal' ? normal.base : skipping.base;
      const what = describeCase(c);
      let res: Awaited<ReturnType<typeof call>>;
      try {
        res = await callPastRateLimit(() => call(base, c.route.method.toUpperCase(), urlFor(c.route.path, request), c.caller.token, request.body, request.headers));
      } catch (error) {
        return `${what} → request failed (${(error as Error).message}), expected ${c.expected.status} (${c.expected.why})`;
      }
      const cause = res.status === 500 ? serverErrorOf(res.headers.get('x-request-id')) : undefined;
      const said = (res.body && typeof res.body === 'object' && 'detail' in res.body ? `: "${String(res.body.detail).slice(0, 100)}"` : '') + (cause ? ` — the server logged ${cause}` : '');
      if (res.status !== c.expected.status) return `${what} → ${res.status}, expected ${c.expected.status} (${c.expected.why})${said}`;
      noteListAnswer(evidence, c, res, OTHER);
      const wrong = await answerProblems(c, request, res, normal.prisma);
      return wrong.length ? `${what} → ${res.status}, but ${wrong.join('; ')}` : undefined;
    };

    // Refused writes first, one at a time while nothing else writes: each must leave every table as it was (a row
    // inserted before the permission check, a counter moved, a secret rotated — whichever table it is in).
    const refusedWrites = cases.filter((c) => c.route.method !== 'get' && c.expected.status >= 400);
    const writeRequests = await inBatches(refusedWrites, 12, requestOf); // made first: some make a fresh fixture
    const quietFailures = await refusedOneAtATime(normal.prisma, refusedWrites.map((c, i) => ({ c, request: writeRequests[i]! })), ({ c }) => describeCase(c), ({ c, request }) => runCase(c, request));
    // The rest side by side: the successes first, then the refused reads. Some requests wait for another case's
    // success (an enrollment's acceptance for the withdrawal before it, a customer's unlink reads for the invitation's
    // acceptance): queued behind a dozen refused reads that wait for it too, that success could find every lane taken
    // by its waiters and never start — so every success is taken by a lane before any refused read.
    const others = cases.filter((c) => !refusedWrites.includes(c));
    others.sort((a, b) => Number(a.expected.status >= 400) - Number(b.expected.status >= 400));
    // A request whose set-up failed (a wait for another case's success that did not come) is that case's failure,
    // reported beside every other case's answer — the one that did not succeed among them.
    const runWithSetUp = async (c: Case) => {
      let request: MatrixRequest;
      try {
        request = await requestOf(c);
      } catch (error) {
        return `${describeCase(c)} → not called: ${(error as Error).message}`;
      }
      return runCase(c, request);
    };
    const failures = [...quietFailures, ...(await inBatches(others, 12, runWithSetUp))];

    const after = [...(await snapshot()), await organizationSnapshot(normal.prisma, fx)];
    const changed = before.flatMap((line, i) => (line === after[i] ? [] : [`refused calls changed a shared target: ${line} → ${after[i]}`]));
    const lists = listCoverage(mounted.normal, TABLE, { ...CATALOG_LISTS, ...AGREEMENT_CATALOG, ...ENTERPRISE_CATALOG, ...OPERATIONS_CATALOG }, evidence);
    const wrong = [...failures.filter((f): f is string => f !== undefined), ...changed, ...lists];
    const totals = `${cases.length} cases over ${new Set(cases.map((c) => c.key)).size} routes × ${callers.length} callers`;
    console.log(
      `access matrix: ${totals} (${refusedWrites.length} refused writes each compared with the whole database), ${objects.length} opportunities, incentives, certification applications, path reviews and webhook endpoints prepared, ${wrong.length} wrong`,
    );
    if (wrong.length) throw new Error(`${wrong.length} of ${totals} answered other than the rule derives:\n  ${wrong.join('\n  ')}`);
  }, 240_000); // waits out the rate limit (callPastRateLimit): more than the default minute
});

