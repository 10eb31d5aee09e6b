/**
 * The OpenAPI document (api/docs/openapi.ts) against the real stack: (a) its shape — OpenAPI 3.1, every mounted
 * route with its method, permission, parameters; (b) a contract test — real requests to every route,
 * successes and refusals, each answer validated (Ajv, JSON Schema 2020-12) against the schema the document
 * gives for that route and status. An answer whose status the document does not list fails.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppDeps, routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import { buildOpenApi, type OpenApiDocument, openApiPath } from '../api/docs/openapi.js';
import type { BusinessCalendar } from '../domain/calendar.js';
import { incentiveWorkflow, incentiveWorkflowId } from '../workflows/incentive/workflow.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { call, type Call, JWT_SECRET, startApp, tokenFor, appDepsFor } from './support/app.js';
import { testCalendar, fixedCalendar } from './support/calendar.js';
import { devServerEnv, timeSkippingEnv } from './support/temporal.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Started = Awaited<ReturnType<typeof startApp>>;
type Mode = 'normal' | 'time-skipping';
let devEnv: TestWorkflowEnvironment;
let tsEnv: TestWorkflowEnvironment;
let apps: Record<Mode, Started>;
let routes: Record<Mode, RouteDef[]>;
let docs: Record<Mode, OpenApiDocument>;
let calendar: BusinessCalendar;
let vendor: string;
const DOC_ID: Record<Mode, string> = { normal: 'https://partnerflow.test/normal/openapi.json', 'time-skipping': 'https://partnerflow.test/ts/openapi.json' };
const ajv = new Ajv2020({ strict: false, allErrors: true });
addFormats(ajv);

const depsOf = (env: TestWorkflowEnvironment, app: Started, taskQueue: string, timeSkipping: boolean): AppDeps =>
  appDepsFor(env, app, taskQueue, fixedCalendar(() => calendar), timeSkipping);

beforeAll(async () => {
  calendar = testCalendar(Date.now());
  [devEnv, tsEnv] = await Promise.all([devServerEnv(), timeSkippingEnv()]);
  const [normal, skipping] = await Promise.all([
    // The webhook test registers a URL on 127.0.0.1 here; the time-skipping app keeps the default and refuses it (422).
    startApp(devEnv, { taskQueue: 'openapi', calendarFor: fixedCalendar(() => calendar), webhookAllowPrivateTargets: true, webhookAllowedPorts: [9] }),
    startApp(tsEnv, { taskQueue: 'openapi-ts', calendarFor: fixedCalendar(() => calendar), timeSkipping: tsEnv.connection }),
  ]);
  apps = { normal, 'time-skipping': skipping };
  routes = {
    normal: routesOf(depsOf(devEnv, normal, 'openapi', false)),
    'time-skipping': routesOf(depsOf(tsEnv, skipping, 'openapi-ts', true)),
  };
  vendor = await tokenFor(['vendor_staff']);
  const served = await Promise.all([call(normal.base, 'GET', '/v1/openapi.json'), call(skipping.base, 'GET', '/v1/openapi.json')]);
  for (const res of served) expect(res.status).toBe(200);
  docs = { normal: served[0]!.body, 'time-skipping': served[1]!.body };
  for (const mode of ['normal', 'time-skipping'] as const) ajv.addSchema(docs[mode] as object, DOC_ID[mode]);
});

afterAll(async () => {
  await Promise.allSettled([apps?.normal.stop(), apps?.['time-skipping'].stop()]);
  await Promise.allSettled([devEnv?.teardown(), tsEnv?.teardown()]);
});

const routeKey = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method.toUpperCase()} ${r.path}`;

describe('the document', () => {
  it('is OpenAPI 3.1 and lists every mounted route with its method, permission, summary and parameters', () => {
    for (const mode of ['normal', 'time-skipping'] as const) {
      const doc = docs[mode];
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      // The served document is exactly what the declarations generate.
      expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApi(routes[mode]))));
      const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      expect(operations.sort()).toEqual(routes[mode].map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`).sort());
      for (const route of routes[mode]) {
        const path = openApiPath(route.path);
        const op = doc.paths[path]![route.method]!;
        expect(op['x-permission'], routeKey(route)).toBe(route.permission);
        expect(op.summary).toBe(route.summary);
        expect(op.security, routeKey(route)).toEqual(route.permission === 'public' ? [] : [{ bearerAuth: [] }]);
        const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        for (const name of pathParams) {
          expect(op.parameters?.find((p) => p.in === 'path' && p.name === name), `${routeKey(route)} {${name}}`).toMatchObject({ required: true });
        }
        expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? []).toEqual(pathParams);
        const statuses = Object.keys(op.responses).map(Number);
        expect(statuses.some((s) => s >= 200 && s < 300), `${routeKey(route)} declares a success response`).toBe(true);
        if (route.permission !== 'public') expect(statuses).toEqual(expect.arrayContaining([401, 403]));
        if (route.body) expect(op.requestBody?.content['application/json']?.schema).toMatchObject({ type: 'object' });
        if (route.rawBody) {
          expect(Object.keys(op.requestBody?.content ?? {}), routeKey(route)).toEqual([...route.rawBody.types]);
          for (const type of route.rawBody.types) expect(op.requestBody!.content[type]!.schema).toEqual({ type: 'string', contentMediaType: type });
        }
      }
    }
    const share = docs.normal.paths['/v1/opportunities']!.post!;
    expect(share.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    for (const path of ['/v1/partners/{partnerId}/members', '/v1/partners/{partnerId}/roles', '/v1/partners/{partnerId}/experts']) {
      expect(docs.normal.paths[path]!.post!.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    }
    const upload = docs.normal.paths['/v1/incentives/{id}/materials']!.post!;
    expect(upload.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
        expect.objectContaining({ name: 'Content-Disposition', in: 'header', required: true }),
      ]),
    );
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['200', '201', '413', '415', '422']));
    const download = docs.normal.paths['/v1/incentives/{id}/materials/{materialId}']!.get!;
    expect(Object.keys(download.responses['200']!.content)).toEqual(['application/pdf', 'image/png', 'image/jpeg']);
    expect(docs.normal.paths['/v1/admin/clock/advance']).toBeUndefined();
    expect(docs['time-skipping'].paths['/v1/admin/clock/advance']?.post?.['x-permission']).toBe('clock.advance');
  });

  it('serves browsable docs at /docs: our page, our init script, swagger-ui from node_modules, under the CSP', async () => {
    const page = await fetch(`${apps.normal.base}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/docs/init.js');
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script[^>]*>[^<]+<\/script>/); // no inline script
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    for (const asset of ['/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
      expect((await fetch(apps.normal.base + asset)).status, asset).toBe(200);
    }
    expect(await (await fetch(`${apps.normal.base}/docs/init.js`)).text()).toContain("url: '/v1/openapi.json'");
  });
});

// --- contract ---------------------------------------------------------------------------------------------

const seen = new Map<string, Set<number>>(); // "mode METHOD path" → statuses answered and validated

/** The route a concrete request hits (path template match). */
function routeFor(mode: Mode, method: string, url: string): RouteDef {
  const path = url.split('?')[0]!;
  const route = routes[mode].find(
    (r) => r.method === method.toLowerCase() && new RegExp(`^${r.path.replace(/:[A-Za-z_]\w*/g, '[^/]+')}$`).test(path),
  );
  if (!route) throw new Error(`no declared route for ${method} ${path} (${mode})`);
  return route;
}

const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** Everything wrong with `res` as an answer of `route` per the document; empty when it conforms. */
function contractErrors(mode: Mode, route: RouteDef, res: Pick<Call, 'status' | 'body' | 'headers'>): string[] {
  const path = openApiPath(route.path);
  const documented = docs[mode].paths[path]![route.method]!.responses[String(res.status)];
  if (!documented) return [`status ${res.status} is not documented for ${routeKey(route)}`];
  const actualType = res.headers.get('content-type') ?? '';
  const documentedTypes = Object.keys(documented.content);
  const contentType = documentedTypes.find((t) => actualType.startsWith(t)) ?? documentedTypes[0]!;
  const errors: string[] = [];
  if (!actualType.startsWith(contentType)) errors.push(`content-type ${actualType}, documented ${documentedTypes.join(' | ')}`);
  // Bytes (a download): documented by media type; the body is whatever the file is.
  if (!/json/.test(contentType)) return Buffer.isBuffer(res.body) && res.body.length > 0 ? errors : [...errors, 'an empty or non-binary body'];
  const ref = `${DOC_ID[mode]}#/${pointer('paths', path, route.method, 'responses', String(res.status), 'content', contentType, 'schema')}`;
  const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
  if (!validate(res.body)) errors.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`));
  return errors;
}

/** A real request; its answer must match the document. */
async function checked(mode: Mode, method: string, url: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<Call> {
  const route = routeFor(mode, method, url);
  const res = await call(apps[mode].base, method, url, token, body, headers);
  const errors = contractErrors(mode, route, res);
  if (errors.length) {
    throw new Error(`${method} ${url} → ${res.status} breaks the contract:\n  ${errors.join('\n  ')}\n  body: ${JSON.stringify(res.body).slice(0, 400)}`);
  }
  const key = `${mode} ${routeKey(route)}`;
  if (!seen.has(key)) seen.set(key, new Set());
  seen.get(key)!.add(res.status);
  return res;
}

const newPartner = () => `P-oa-${randomUUID().slice(0, 8)}`;
const shareBody = (partnerId: string) => ({ partnerId, customerName: 'Contract Ltd.', title: 'OpenAPI', estimatedAmount: { currency: 'CNY', minor: 100 } });
const expectStatus = (res: Call, status: number) => expect(res.status, JSON.stringify(res.body)).toBe(status);

describe('contract: real answers match the document', () => {
  it('health, the document itself, calendar', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    expectStatus(await n('GET', '/healthz'), 200);
    expectStatus(await n('GET', '/v1/openapi.json'), 200);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3', vendor), 200);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=2026-09-28T02:00:00Z&workingDays=10', vendor), 200); // over a holiday
    expectStatus(await n('GET', '/v1/calendars/XX/deadline?from=2026-01-05T02:00:00Z&workingDays=3', vendor), 404);
    // CN counts unpublished years provisionally with its statutory rules; SA (fail-closed) refuses them.
    const provisional = await n('GET', '/v1/calendars/CN/deadline?from=2031-03-03T02:00:00Z&workingDays=3', vendor);
    expectStatus(provisional, 200);
    expect(provisional.body.explanation).toMatchObject({ provisional: true, provisionalYears: [2031] });
    expectStatus(await n('GET', '/v1/calendars/SA/deadline?from=2031-03-03T02:00:00Z&workingDays=3', vendor), 422);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=yesterday&workingDays=3', vendor), 400);
    expectStatus(await n('GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3'), 401);
  });

  it('calendars: list, get, replace (created, replaced, invalid, stale), partner assignment — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const admin = await tokenFor(['vendor_admin']);
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_admin'], partnerId);
    const name = `OA-${randomUUID().slice(0, 8)}`;
    const body = { zone: 'Asia/Riyadh', restWeekdays: [5, 6], years: { first: 2026, last: 2026 }, holidays: [{ from: '2026-09-23', to: '2026-09-23', name: 'National Day' }], makeupWorkdays: [] };
    expectStatus(await n('GET', '/v1/calendars', partner), 200);
    expectStatus(await n('GET', '/v1/calendars/SA', vendor), 200);
    expectStatus(await n('GET', '/v1/calendars/XX', vendor), 404);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, body), 201);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, { ...body, holidays: [] }, { 'If-Match': '"1"' }), 200);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, body, { 'If-Match': '"1"' }), 412);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, { ...body, zone: 'Nowhere/Else' }), 422);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, admin, { ...body, zone: 7 }), 400);
    expectStatus(await n('PUT', `/v1/calendars/${name}`, vendor, body), 403);
    expectStatus(await n('GET', `/v1/calendars/${name}`, vendor), 200); // with changes
    expectStatus(await n('GET', `/v1/partners/${partnerId}/calendar`, partner), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/calendar`, await tokenFor(['partner_admin'], newPartner())), 404);
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name }), 200);
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/calendar`, admin, { name: 'NO-SUCH' }), 422);
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/calendar`, partner, { name }), 403);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/calendar`, partner), 200);
  });

  it('opportunities: share, list, get, accept, reject, updates, close — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const partner = await tokenFor(['partner_admin'], partnerId);
    const other = await tokenFor(['partner_admin'], newPartner());
    const { signToken } = await import('../domain/auth.js');
    const iam = await signToken({ sub: 'iam-oa', roles: ['partner_admin'], partnerId, accountType: 'iam_user' }, JWT_SECRET);

    // share
    const key = randomUUID();
    const shared = await n('POST', '/v1/opportunities', vendor, shareBody(partnerId), { 'Idempotency-Key': key });
    expectStatus(shared, 201);
    const id = shared.body.id as string;
    expectStatus(await n('POST', '/v1/opportunities', vendor, { ...shareBody(partnerId), title: 'other' }, { 'Idempotency-Key': key }), 422);
    expectStatus(await n('POST', '/v1/opportunities', vendor, { ...shareBody(partnerId), extra: 1 }), 400);
    expectStatus(await n('POST', '/v1/opportunities', vendor, '{"partnerId":'), 400);
    expectStatus(await n('POST', '/v1/opportunities', vendor, { ...shareBody(partnerId), title: 'x'.repeat(70_000) }), 413);
    expectStatus(await n('POST', '/v1/opportunities', undefined, shareBody(partnerId)), 401);
    expectStatus(await n('POST', '/v1/opportunities', partner, shareBody(partnerId)), 403);
    const previous = calendar;
    const year = new Date().getUTCFullYear();
    calendar = testCalendar(Date.now(), { years: [year - 3, year - 1] });
    try {
      expectStatus(await n('POST', '/v1/opportunities', vendor, shareBody(newPartner())), 422);
    } finally {
      calendar = previous;
    }
    const plain = await n('POST', '/v1/opportunities', vendor, { partnerId, customerName: 'No amount', title: 'Plain' });
    expectStatus(plain, 201);

    // list, get
    expectStatus(await n('GET', '/v1/opportunities?limit=1', vendor), 200);
    const page = await n('GET', `/v1/opportunities?partnerId=${partnerId}&status=PENDING_ACCEPTANCE`, partner);
    expectStatus(page, 200);
    expect(page.body.items).toHaveLength(2);
    expectStatus(await n('GET', '/v1/opportunities?limit=0', vendor), 400);
    expectStatus(await n('GET', '/v1/opportunities?cursor=garbage', vendor), 400);
    expectStatus(await n('GET', '/v1/opportunities'), 401);
    expectStatus(await n('GET', '/v1/opportunities', iam), 403);
    expectStatus(await n('GET', `/v1/opportunities/${id}`, partner), 200);
    expectStatus(await n('GET', `/v1/opportunities/${id}`, other), 404);
    expectStatus(await n('GET', '/v1/opportunities/not-a-uuid', vendor), 400);

    // accept → updates → close
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL', note: 'too early' }), 409);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, vendor), 403);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, other), 404);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, partner, { unexpected: true }), 400);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, partner), 200);
    expectStatus(await n('POST', `/v1/opportunities/${id}/accept`, partner), 409);
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL' }), 400);
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL', note: 'proposal sent' }), 200);
    expectStatus(await n('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'MAYBE' }), 400);
    const closed = await n('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'WON', note: 'signed' });
    expectStatus(closed, 200);
    await devEnv.client.workflow.getHandle(`opportunity-${id}`).result();
    expectStatus(await n('POST', `/v1/opportunities/${id}/close`, partner, { outcome: 'LOST' }), 409); // ended: currentStatus extension
    expectStatus(await n('POST', `/v1/opportunities/${id}/updates`, partner, { stage: 'PROPOSAL', note: 'late' }), 409);

    // reject
    const second = plain.body.id as string;
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, partner, { reasonCode: 'BORED' }), 400);
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, other, { reasonCode: 'OTHER' }), 404);
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, partner, { reasonCode: 'CANNOT_SUPPORT', note: 'no capacity' }), 200);
    expectStatus(await n('POST', `/v1/opportunities/${second}/reject`, partner, { reasonCode: 'OTHER' }), 409);
    expectStatus(await n('GET', `/v1/opportunities/${second}`, vendor), 200);
  });

  it('members and custom roles: list, create, change, delete — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const base = `/v1/partners/${partnerId}`;

    const role = await n('POST', `${base}/roles`, owner, { name: 'Reader', permissions: ['opportunity.read'] }, { 'Idempotency-Key': randomUUID() });
    expectStatus(role, 201);
    const roleId = role.body.id as string;
    expectStatus(await n('POST', `${base}/roles`, owner, { name: 'Reader', permissions: ['opportunity.read'] }), 409);
    expectStatus(await n('POST', `${base}/roles`, owner, { name: 'Sharer', permissions: ['opportunity.share'] }), 422);
    expectStatus(await n('POST', `${base}/roles`, owner, { name: 'Bad', permissions: [] }), 400);
    expectStatus(await n('POST', `${base}/roles`, other, { name: 'X', permissions: ['opportunity.read'] }), 404);
    expectStatus(await n('GET', `${base}/roles`, owner), 200);
    expectStatus(await n('GET', `${base}/roles`, vendor), 403);
    expectStatus(await n('PATCH', `${base}/roles/${roleId}`, owner, { name: 'Readers', permissions: ['opportunity.read', 'calendar.read'] }), 200);
    expectStatus(await n('PATCH', `${base}/roles/${randomUUID()}`, owner, { name: 'Nobody' }), 404);

    const member = await n('POST', `${base}/members`, owner, { sub: 'oa-member', displayName: 'OA member', roles: [roleId] }, { 'Idempotency-Key': randomUUID() });
    expectStatus(member, 201);
    const memberId = member.body.id as string;
    expectStatus(await n('POST', `${base}/members`, owner, { sub: 'oa-member', displayName: 'Again' }), 409);
    expectStatus(await n('POST', `${base}/members`, owner, { sub: 'oa-2', displayName: 'Two', roles: ['partner_chief'] }), 422);
    expectStatus(await n('GET', `${base}/members`, owner), 200);
    expectStatus(await n('GET', `${base}/members`, other), 404);
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, {}), 400);
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, { roles: ['partner_finance'], active: true }), 200);

    const spare = await n('POST', `${base}/roles`, owner, { name: 'Spare', permissions: ['calendar.read'] });
    expectStatus(spare, 201);
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, { roles: [spare.body.id] }), 200);
    expectStatus(await n('DELETE', `${base}/roles/${spare.body.id}`, owner), 409);
    expectStatus(await n('DELETE', `${base}/roles/${roleId}`, owner), 200);
    expectStatus(await n('DELETE', `${base}/roles/${roleId}`, owner), 404);

    // A deactivated member: 403 on its own partner's routes.
    const self = await tokenFor(['partner_admin'], partnerId, 'oa-member');
    expectStatus(await n('PATCH', `${base}/members/${memberId}`, owner, { active: false }), 200);
    expectStatus(await n('GET', `${base}/members`, self), 403);
  });

  it('experts: list, register, change, attest — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const base = `/v1/partners/${partnerId}/experts`;
    const expert = {
      employeeId: 'OA-1',
      name: 'OA expert',
      fullTime: true,
      fullTimeSince: '2025-01-01',
      certifications: [{ type: 'CLOUD_EXPERT', validFrom: '2025-01-01', validTo: '2027-12-31' }],
    };
    const created = await n('POST', base, owner, expert, { 'Idempotency-Key': randomUUID() });
    expectStatus(created, 201);
    const id = created.body.id as string;
    expectStatus(await n('POST', base, owner, { employeeId: 'OA-2', name: 'Part-timer', fullTime: false }), 201);
    expectStatus(await n('POST', base, owner, { ...expert, employeeId: 'OA-5', registeredOn: '2020-01-01' }), 400); // stamped by the server
    const attester = await tokenFor(['vendor_ecosystem_manager']);
    const facts = { fullTimeSince: expert.fullTimeSince, certifications: expert.certifications };
    expectStatus(await n('POST', `${base}/${id}/attestation`, attester, facts), 200);
    expectStatus(await n('POST', `${base}/${id}/attestation`, attester, { fullTimeSince: '2024-01-01' }), 409);
    expectStatus(await n('POST', `${base}/${id}/attestation`, attester, {}), 400);
    expectStatus(await n('POST', `${base}/${id}/attestation`, owner, facts), 403);
    expectStatus(await n('POST', `/v1/partners/${newPartner()}/experts/${id}/attestation`, attester, facts), 404);
    expectStatus(await n('POST', base, owner, expert), 409);
    expectStatus(await n('POST', base, owner, { ...expert, employeeId: 'OA-3', certifications: [{ type: 'NOPE', validFrom: '2025-01-01', validTo: '2025-02-01' }] }), 400);
    expectStatus(await n('POST', base, other, { ...expert, employeeId: 'OA-4' }), 404);
    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', `${base}?active=false`, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', base, vendor), 403);
    expectStatus(await n('PATCH', `${base}/${id}`, owner, { fullTime: false }), 200);
    expectStatus(await n('PATCH', `${base}/${id}`, owner, { fullTimeSince: '2026-01-01' }), 422);
    expectStatus(await n('PATCH', `${base}/${id}`, owner, { active: false }), 200);
    expectStatus(await n('PATCH', `${base}/${randomUUID()}`, owner, { active: false }), 404);
  });

  it('incentive runs: start a period, its progress — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partner = await tokenFor(['partner_admin'], newPartner());
    const admin = await tokenFor(['vendor_admin']);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', admin, { period: '2025-03' }), 202);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', admin, { period: '2999-01' }), 422);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', admin, { period: 'March' }), 400);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', partner, { period: '2025-03' }), 403);
    expectStatus(await n('POST', '/v1/admin/incentive-runs', vendor, { period: '2025-03' }), 403); // vendor_staff
    expectStatus(await n('GET', '/v1/admin/incentive-runs/2025-03', admin), 200);
    expectStatus(await n('GET', '/v1/admin/incentive-runs/2001-01', admin), 404);
  });

  it('incentives: list, get, materials up and down, verify, objections, resolve — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const vendorAdmin = await tokenFor(['vendor_admin']);
    // Registered long before the month (through the API registeredOn would be today), attested by the vendor.
    const expert = { body: { id: await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'OA-1', certification: 'CLOUD_EXPERT' })) } };
    const period = '2025-06';
    await devEnv.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue: 'openapi', args: [{ partnerId, period }] });
    const id = `${partnerId}-${period}`;
    for (let i = 0; !(await apps.normal.prisma.incentive.findUnique({ where: { id } })); i++) {
      if (i > 200) throw new Error(`incentive ${id} was not generated`);
      await new Promise((r) => setTimeout(r, 50));
    }

    expectStatus(await n('GET', '/v1/incentives?limit=1', vendor), 200);
    expectStatus(await n('GET', `/v1/incentives?partnerId=${partnerId}&period=${period}&status=PENDING_VERIFICATION`, owner), 200);
    expectStatus(await n('GET', '/v1/incentives?period=June', owner), 400);
    expectStatus(await n('GET', '/v1/incentives'), 401);
    expectStatus(await n('GET', `/v1/incentives/${id}`, owner), 200);
    expectStatus(await n('GET', `/v1/incentives/${id}`, other), 404);
    expectStatus(await n('GET', '/v1/incentives/nope', owner), 400);

    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const file = (type = 'application/pdf', name = 'roster.pdf') => ({ 'content-type': type, 'content-disposition': `attachment; filename="${name}"` });
    const base = `/v1/incentives/${id}`;
    const uploaded = await n('POST', `${base}/materials`, owner, pdf, { ...file(), 'Idempotency-Key': randomUUID() });
    expectStatus(uploaded, 201);
    expectStatus(await n('POST', `${base}/materials`, owner, pdf, file()), 200);
    expectStatus(await n('POST', `${base}/materials`, owner, pdf, file('text/plain')), 415);
    expectStatus(await n('POST', `${base}/materials`, owner, Buffer.from('not a png'), file('image/png', 'x.png')), 422);
    expectStatus(await n('POST', `${base}/materials`, owner, Buffer.concat([pdf, Buffer.alloc(10 * 1024 * 1024)]), file()), 413);
    expectStatus(await n('POST', `${base}/materials`, owner, pdf, file('application/pdf', '../x.pdf')), 400);
    expectStatus(await n('POST', `${base}/materials`, other, pdf, file()), 404);
    expectStatus(await n('POST', `${base}/materials`, vendor, pdf, file()), 403);
    expectStatus(await n('GET', `${base}/materials/${uploaded.body.id}`, vendor), 200);
    expectStatus(await n('GET', `${base}/materials/${randomUUID()}`, owner), 404);

    const materials = [uploaded.body.id as string];
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 2, totalMinor: 1, materials }), 422);
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: -1, totalMinor: 1, materials }), 400);
    expectStatus(await n('POST', `${base}/objections`, owner, { lines: [{ expertId: randomUUID(), reason: 'who?' }] }), 422);
    expectStatus(await n('POST', `${base}/objections`, owner, { lines: [{ expertId: expert.body.id, reason: 'Not full-time' }] }), 200);
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 1, totalMinor: 300000, materials }), 409);
    expectStatus(await n('POST', `${base}/objections/resolve`, owner, { rejectObjection: true, note: 'mine' }), 403);
    expectStatus(await n('POST', `${base}/objections/resolve`, vendorAdmin, { note: 'neither' }), 400);
    expectStatus(await n('POST', `${base}/objections/resolve`, vendorAdmin, { rejectObjection: true, note: 'Full-time all month' }), 200);
    expectStatus(await n('POST', `${base}/objections/resolve`, vendorAdmin, { rejectObjection: true, note: 'again' }), 409);
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 1, totalMinor: 300000, materials }), 200);
    await devEnv.client.workflow.getHandle(incentiveWorkflowId(partnerId, period)).result();
    expectStatus(await n('POST', `${base}/verify`, owner, { headcount: 1, totalMinor: 300000, materials }), 409); // ended: currentStatus extension
  });

  it('certifications: catalog, apply, files up and down, materials, submit, review, supplement, renew, certificates — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const reviewer = await tokenFor(['vendor_reviewer']);
    expectStatus(await n('GET', '/v1/certification-types', owner), 200);
    expectStatus(await n('GET', '/v1/certification-types'), 401);
    expectStatus(await n('POST', '/v1/certifications', owner, { type: 'ROLE_ASTROLOGY' }), 422);
    expectStatus(await n('POST', '/v1/certifications', owner, { type: 'lower' }), 400);
    expectStatus(await n('POST', '/v1/certifications', vendor, { type: 'ROLE_CONSULTING' }), 403);
    const created = await n('POST', '/v1/certifications', owner, { type: 'ROLE_CONSULTING' }, { 'Idempotency-Key': randomUUID() });
    expectStatus(created, 201);
    const id = created.body.id as string;
    const base = `/v1/certifications/${id}`;

    const pdf = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const file = (type = 'application/pdf', name = 'cases.pdf') => ({ 'content-type': type, 'content-disposition': `attachment; filename="${name}"` });
    const uploaded = await n('POST', `${base}/files`, owner, pdf, { ...file(), 'Idempotency-Key': randomUUID() });
    expectStatus(uploaded, 201);
    expectStatus(await n('POST', `${base}/files`, owner, pdf, file()), 200);
    expectStatus(await n('POST', `${base}/files`, owner, pdf, file('text/plain')), 415);
    expectStatus(await n('POST', `${base}/files`, owner, Buffer.from('not a png'), file('image/png', 'x.png')), 422);
    expectStatus(await n('POST', `${base}/files`, owner, Buffer.concat([pdf, Buffer.alloc(10 * 1024 * 1024)]), file()), 413);
    expectStatus(await n('POST', `${base}/files`, other, pdf, file()), 404);
    expectStatus(await n('GET', `${base}/files/${uploaded.body.id}`, vendor), 200);
    expectStatus(await n('GET', `${base}/files/${randomUUID()}`, owner), 404);

    const materialId = uploaded.body.id as string;
    expectStatus(await n('POST', `${base}/submit`, owner), 422); // materials missing
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'BROCHURE', materialId }] }), 422);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [] }), 400);
    expectStatus(
      await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'CASE_STUDIES', materialId }, { kind: 'TEAM_ROSTER', materialId }] }),
      200,
    );
    expectStatus(await n('POST', `${base}/submit`, owner), 422); // prerequisites unmet
    await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_EXPERT' }));
    await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'E2' }));
    await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId: 'E3' }));
    expectStatus(await n('POST', `${base}/submit`, owner), 200);
    expectStatus(await n('POST', `${base}/submit`, owner), 409);
    expectStatus(await n('POST', `${base}/review`, reviewer, { decision: 'REQUEST_SUPPLEMENT' }), 400);
    expectStatus(await n('POST', `${base}/review`, owner, { decision: 'APPROVE' }), 403);
    expectStatus(await n('POST', `${base}/review`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'More cases' }), 200);
    expectStatus(await n('POST', `${base}/supplement`, owner, { note: 'Added' }), 200);
    expectStatus(await n('POST', `${base}/supplement`, owner, {}), 409);
    expectStatus(await n('POST', `${base}/renew`, owner), 409); // no certificate yet
    expectStatus(await n('POST', `${base}/review`, reviewer, { decision: 'APPROVE' }), 200);
    expectStatus(await n('POST', `${base}/renew`, owner, undefined, { 'Idempotency-Key': randomUUID() }), 201);
    expectStatus(await n('POST', `${base}/renew`, other), 404);

    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', '/v1/certifications/nope', owner), 400);
    expectStatus(await n('GET', `/v1/certifications?partnerId=${partnerId}&status=APPROVED&type=ROLE_CONSULTING&limit=1`, vendor), 200);
    expectStatus(await n('GET', '/v1/certifications?status=MAYBE', owner), 400);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/certificates`, owner), 200);
    expectStatus(await n('GET', `/v1/partners/${partnerId}/certificates`, other), 404);
  });

  it('development paths: catalog, memberships, requirements, set and remove — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    const base = `/v1/partners/${partnerId}/paths`;
    expectStatus(await n('GET', '/v1/paths', owner), 200);
    expectStatus(await n('GET', '/v1/paths'), 401);
    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements`, owner), 409); // not a member, no level named
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements?level=ADVANCED`, owner), 200);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements?level=PLATINUM`, owner), 422);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements?level=gold`, owner), 400);
    expectStatus(await n('GET', `${base}/PLATFORM/requirements?level=CERTIFIED`, owner), 404);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, owner, { level: 'CERTIFIED' }), 403);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, manager, { level: 'PLATINUM' }), 422);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED', extra: 1 }), 400);
    expectStatus(await n('PUT', `${base}/PLATFORM`, manager, { level: 'CERTIFIED' }), 404);
    expectStatus(await n('PUT', `${base}/SOFTWARE`, manager, { level: 'CERTIFIED', note: 'Joined' }), 200);
    expectStatus(await n('GET', `${base}/SOFTWARE/requirements`, owner), 200);
    expectStatus(await n('GET', base, vendor), 200); // with the membership and its history
    expectStatus(await n('DELETE', `${base}/SOFTWARE`, owner), 403);
    expectStatus(await n('DELETE', `${base}/PLATFORM`, manager), 404);
    expectStatus(await n('DELETE', `${base}/SOFTWARE?note=Left`, manager), 200);
  });

  it('path reviews: cycle and progress, apply, files, materials, submit, decision, supplement, list, get — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    const reviewer = await tokenFor(['vendor_reviewer']);
    const year = 2023; // a cycle year no other test file starts
    const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
    const pdfHeaders = { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="annual-report.pdf"' };
    expectStatus(await n('PUT', `/v1/partners/${partnerId}/paths/SOFTWARE`, manager, { level: 'CERTIFIED' }), 200);
    expectStatus(await n('GET', `/v1/admin/path-reviews/SOFTWARE/2031`, vendor), 404);
    expectStatus(await n('POST', '/v1/admin/path-reviews', manager, { pathId: 'PLATFORM', year }), 422);
    expectStatus(await n('POST', '/v1/admin/path-reviews', manager, { pathId: 'SOFTWARE', year: '2023' }), 400);
    expectStatus(await n('POST', '/v1/admin/path-reviews', owner, { pathId: 'SOFTWARE', year }), 403);
    expectStatus(await n('POST', '/v1/admin/path-reviews', manager, { pathId: 'SOFTWARE', year }), 202);
    expectStatus(await n('GET', `/v1/admin/path-reviews/SOFTWARE/${year}`, vendor), 200);
    const id = `SOFTWARE-${partnerId}-${year}`;
    const base = `/v1/path-reviews/${id}`;
    for (let i = 0; (await call(apps.normal.base, 'GET', base, owner)).status !== 200; i++) {
      if (i > 200) throw new Error(`review ${id} did not open`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expectStatus(await n('GET', base, owner), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', '/v1/path-reviews/x', owner), 400);
    expectStatus(await n('GET', `/v1/path-reviews?pathId=SOFTWARE&year=${year}&status=OPEN&limit=5`, vendor), 200);
    expectStatus(await n('GET', '/v1/path-reviews?status=MAYBE', owner), 400);
    expectStatus(await n('POST', `${base}/apply`, owner), 422); // requirements unmet, every one listed
    expectStatus(await n('POST', `${base}/apply`, other), 404);
    expectStatus(await n('POST', `${base}/files`, owner, PDF, pdfHeaders), 409); // not applied yet
    for (const employeeId of ['E1', 'E2']) await attestExpert(apps.normal.prisma, partnerId, await insertExpert(apps.normal.prisma, partnerId, { employeeId }));
    const certificateId = randomUUID();
    const at = new Date();
    await apps.normal.prisma.certificationApplication.create({
      data: { id: certificateId, partnerId, type: 'ADVANCED_CLOUD_SOFTWARE', category: 'ADVANCED_CLOUD_SOFTWARE', appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'openapi', createdAt: at, lastSeq: 0, updatedAt: at },
    });
    await apps.normal.prisma.certificate.create({
      data: { number: `PF-OA-${certificateId}`, applicationId: certificateId, partnerId, type: 'ADVANCED_CLOUD_SOFTWARE', category: 'ADVANCED_CLOUD_SOFTWARE', labels: [], scope: 'partner', validFrom: new Date('2020-01-01T00:00:00Z'), validTo: new Date('2099-12-31T00:00:00Z'), status: 'ACTIVE', issuedAt: at, updatedAt: at },
    });
    expectStatus(await n('POST', `${base}/apply`, owner), 200);
    expectStatus(await n('POST', `${base}/apply`, owner), 409);
    expectStatus(await n('POST', `${base}/submit`, owner), 422); // materials missing
    const file = await n('POST', `${base}/files`, owner, PDF, pdfHeaders);
    expectStatus(file, 201);
    expectStatus(await n('POST', `${base}/files`, owner, PDF, pdfHeaders), 200);
    expectStatus(await n('POST', `${base}/files`, owner, PDF, { ...pdfHeaders, 'content-type': 'text/plain' }), 415);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'BROCHURE', materialId: file.body.id }] }), 422);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [] }), 400);
    expectStatus(await n('PUT', `${base}/materials`, owner, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.body.id }] }), 200);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'PASS' }), 409); // not submitted
    expectStatus(await n('POST', `${base}/submit`, owner), 200);
    expectStatus(await n('POST', `${base}/decision`, owner, { decision: 'PASS' }), 403);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'FAIL' }), 400);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'PASS', newLevel: 'PLATINUM' }), 422);
    expectStatus(await n('POST', `${base}/supplement`, owner, {}), 409);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'More cases' }), 200);
    expectStatus(await n('POST', `${base}/supplement`, owner, { note: 'Added' }), 200);
    expectStatus(await n('POST', `${base}/decision`, reviewer, { decision: 'PASS' }), 200);
    expectStatus(await n('GET', base, owner), 200); // with its history and the (absent) membership change
    expectStatus(await n('GET', `/v1/partners/${partnerId}/paths`, owner), 200); // currentReview PASSED
  });

  it('webhooks: register, list, get, deliveries, redeliver, rotate the secret, deactivate — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const partnerId = newPartner();
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const other = await tokenFor(['partner_admin'], newPartner());
    const url = 'http://127.0.0.1:9/openapi'; // a closed port: the redelivery fails at once, nothing leaves the machine
    expectStatus(await n('POST', '/v1/webhooks', owner, { url: 'ftp://example.com/x', events: ['incentive.reminder'] }), 400);
    expectStatus(await n('POST', '/v1/webhooks', vendor, { url, events: ['incentive.reminder'] }), 403);
    expectStatus(await checked('time-skipping', 'POST', '/v1/webhooks', owner, { url, events: ['incentive.reminder'] }), 422);
    const created = await n('POST', '/v1/webhooks', owner, { url, events: ['incentive.reminder', 'incentive.expired'] });
    expectStatus(created, 201);
    const base = `/v1/webhooks/${created.body.id}`;
    const key = `openapi-${randomUUID()}`;
    const message = await apps.normal.prisma.outbox.create({
      data: { topic: 'incentive.reminder', aggregateId: key, dedupeKey: key, payload: { partnerId }, dueAt: new Date(), dispatchedAt: new Date(), deliveredAt: new Date() },
    });
    const deliveryId = randomUUID();
    await apps.normal.prisma.webhookDelivery.create({
      data: { id: deliveryId, endpointId: created.body.id, outboxId: message.id, status: 'DEAD', attempts: 12, lastResponseStatus: 500, lastError: 'the endpoint answered 500', lastAttemptAt: new Date(), createdAt: new Date() },
    });
    expectStatus(await n('GET', '/v1/webhooks?limit=1', owner), 200);
    expectStatus(await n('GET', '/v1/webhooks?limit=0', owner), 400);
    expectStatus(await n('GET', base, vendor), 200);
    expectStatus(await n('GET', base, other), 404);
    expectStatus(await n('GET', '/v1/webhooks/nope', owner), 400);
    expectStatus(await n('GET', `${base}/deliveries?limit=5`, owner), 200);
    expectStatus(await n('GET', `${base}/deliveries`, other), 404);
    expectStatus(await n('POST', `${base}/deliveries/${randomUUID()}/redeliver`, owner), 404);
    expectStatus(await n('POST', `${base}/deliveries/${deliveryId}/redeliver`, owner), 202);
    expectStatus(await n('POST', `${base}/deliveries/${deliveryId}/redeliver`, owner), 409);
    expectStatus(await n('POST', `${base}/rotate-secret`, other), 404);
    expectStatus(await n('POST', `${base}/rotate-secret`, owner), 200);
    expectStatus(await n('DELETE', base, other), 404);
    expectStatus(await n('DELETE', base, owner), 200);
    expectStatus(await n('POST', `${base}/rotate-secret`, owner), 409);
    expectStatus(await n('PATCH', base, owner, { active: 'yes' }), 400);
    expectStatus(await n('PATCH', base, other, { active: true }), 404);
    expectStatus(await n('PATCH', base, owner, { active: true }), 200);
  });

  it('time-skipping mode: clock advance and its document', async () => {
    const partner = await tokenFor(['partner_admin'], newPartner());
    expectStatus(await checked('time-skipping', 'GET', '/v1/openapi.json'), 200);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', vendor, { duration: 'PT1M' }), 200);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', vendor, { duration: 'soon' }), 400);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', partner, { duration: 'PT1M' }), 403);
    expectStatus(await checked('time-skipping', 'POST', '/v1/admin/clock/advance', undefined, { duration: 'PT1M' }), 401);
  });

  it('every route was exercised with a success answer', () => {
    const missing = (['normal', 'time-skipping'] as const).flatMap((mode) =>
      routes[mode]
        .filter((r) => mode === 'normal' || !routes.normal.some((n) => routeKey(n) === routeKey(r)))
        .map((r) => `${mode} ${routeKey(r)}`)
        .filter((key) => ![...(seen.get(key) ?? [])].some((s) => s >= 200 && s < 300)),
    );
    expect(missing).toEqual([]);
    console.log(`contract: ${[...seen].map(([k, s]) => `${k} [${[...s].sort().join(',')}]`).join('; ')}`);
  });

  it('catches drift: an undocumented status, an extra field, a missing field, a wrong type', async () => {
    const route = routeFor('normal', 'GET', '/v1/opportunities');
    const res = await call(apps.normal.base, 'GET', '/v1/opportunities?limit=1', vendor);
    expect(contractErrors('normal', route, res)).toEqual([]);
    const item = res.body.items[0];
    const drifted = (body: unknown, status = 200) => contractErrors('normal', route, { ...res, status, body });
    expect(drifted({ ...res.body, total: 3 })).not.toEqual([]);
    expect(drifted({ ...res.body, items: [{ ...item, secret: 'x' }] })).not.toEqual([]);
    const { sharedAt: _, ...withoutSharedAt } = item;
    expect(drifted({ ...res.body, items: [withoutSharedAt] })).not.toEqual([]);
    expect(drifted({ ...res.body, items: [{ ...item, estimatedAmount: { currency: 'CNY', minor: '100' } }] })).not.toEqual([]);
    expect(drifted(res.body, 418)).toEqual(['status 418 is not documented for GET /v1/opportunities']);
  });
});
