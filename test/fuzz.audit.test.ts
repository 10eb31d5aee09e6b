/**
 * Property-based fuzzing of the audit log's read route (issue 19 section 3) against the real API + PostgreSQL: every
 * filter of the query — the actor, partner, action and target this file's own writes left, or hostile text (NUL, lone
 * surrogates, huge), periods at the edges of what dates are (and from after to), limits that are no number, cursors
 * shaped like this API's with hostile insides or at the edges of a row number, an unknown parameter, a filter given
 * twice — sent percent-encoded as they come, by every kind of caller. Every answer must be < 500 without internals; a
 * refusal a well-formed problem (a 400 naming its fields) that changed nothing; a request the query schema or the policy
 * certainly refuses never accepted; an accepted page what the route declares, and beyond that, each row matching every
 * filter given, inside the period, newest first, no more than the limit. FUZZ_SEED / FUZZ_RUNS as in support/fuzz-group.ts.
 */
import { randomUUID } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import { encodeCursor } from '../api/kit/pagination.js';
import type { AuditEntryView, AuditQuery } from '../api/audit/schemas.js';
import type { Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { cursorLike, dateEdge, edgeString, encodeHostile, hugeString, numberish } from './support/fuzz.js';
import { authorizationOf, fuzzRuns, fuzzSeed, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';
import { policyAllows } from './support/policy.js';

const env = useTestEnv({ taskQueue: 'fuzz-audit', api: true });
// One read route on an indexed table, no workflow: many random runs are cheap.
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_219), runs: fuzzRuns(150) });
const run = randomUUID().slice(0, 8);
const PARTNER = `P-fz-audit-${run}`;
const ADMIN = `fz-audit-admin-${run}`;
const MEMBERS = 'POST /v1/partners/:partnerId/members';
const MEMBER_CHANGE = 'PATCH /v1/partners/:partnerId/members/:memberId';
let route: RouteDef;
/** What this file's writes left: the member they made (the target), the instants of its rows, a cursor the API emitted. */
const known = { target: '', instants: [] as string[], cursor: '' };

type Caller = 'auditor' | 'vendor' | 'partner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = { auditor: ['vendor_auditor'], vendor: ['vendor_admin'], partner: ['partner_admin'] };
/**
 * Why the hand-written policy certainly refuses `caller`: the route demands audit.read (docs/audit.md), asked of the
 * policy's holders, not of the route's own declaration.
 */
const refusedByPolicy = (caller: Caller): string | undefined =>
  caller === 'none' || caller === 'garbage' ? 'no valid token' : ROLES_OF[caller].some((role) => policyAllows(role, 'audit.read')) ? undefined : `${caller} lacks audit.read`;
/** The query as sent: each parameter's raw (percent-encoded) text, in order; a name may come twice. */
type Fuzzed = { caller: Caller; params: [string, string][] };

// Long values, but a request line within what Node's HTTP server reads (16 KiB of headers, else 431 before the app).
const long = hugeString.map((s) => s.slice(0, 300));
const text = (...real: (() => string)[]) =>
  fc.oneof({ weight: 12, arbitrary: fc.constantFrom(...real).map((f) => f()) }, edgeString, long, fc.constantFrom('', ' ', 'vendor-user', 'x'.repeat(201)));
const instant = () => fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0, 1, 2, 3).map((i) => known.instants[i]!) }, dateEdge, fc.constantFrom('2026-03-01T08:00:00+08:00', '2026-03-01', '2026-03-01T00:00:00'));
const MAX_ROW = 2n ** 63n - 1n;
const cursor = () =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constant(null).map(() => known.cursor) },
    cursorLike,
    fc.tuple(fc.date({ min: new Date('1970-01-01'), max: new Date('9999-12-31'), noInvalidDate: true }), fc.bigInt({ min: 1n, max: MAX_ROW })).map(([at, id]) => encodeCursor(at, id.toString())),
    fc.constantFrom((MAX_ROW + 1n).toString(), '0', '-1', '01', '1.5').map((id) => encodeCursor(new Date(), id)),
    edgeString,
    long,
  );

function fuzzedArb(): fc.Arbitrary<Fuzzed> {
  const values = fc.record(
    {
      actor: text(() => ADMIN),
      partnerId: text(() => PARTNER),
      action: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(MEMBERS, MEMBER_CHANGE) }, fc.constantFrom('GET /v1/opportunities', 'POST', 'post /v1/x', `POST /${'x'.repeat(300)}`), edgeString),
      target: text(() => known.target, () => PARTNER),
      from: instant(),
      to: instant(),
      limit: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('1', '2', '3', '100') }, fc.constantFrom('0', '101'), numberish.map(String)),
      cursor: cursor(),
    },
    { requiredKeys: [] },
  );
  // Now and then a parameter that is no filter, or a filter given twice.
  const extra = fc.oneof({ weight: 8, arbitrary: fc.constant<'none'>('none') }, fc.constantFrom<'since' | 'twice'>('since', 'twice'));
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant<Caller>('auditor') }, fc.constantFrom<Caller>('vendor', 'partner', 'none', 'garbage')),
    params: fc.tuple(values, extra, instant()).map(([v, more, since]) => {
      const params = Object.entries(v).map(([name, value]) => [name, encodeHostile(value)] as [string, string]);
      if (more === 'since') return [...params, ['since', encodeHostile(since)] as [string, string]];
      return more === 'twice' && params[0] ? [...params, params[0]] : params;
    }),
  });
}

/** The known-good queries, then each filter alone at an edge — the cases random runs reach only rarely. */
function examples(): [Fuzzed][] {
  const auditor = (params: [string, string][]): Fuzzed => ({ caller: 'auditor', params: params.map(([n, v]) => [n, encodeHostile(v)]) });
  return [
    auditor([['actor', ADMIN]]),
    auditor([['actor', ADMIN], ['action', MEMBER_CHANGE], ['target', known.target], ['partnerId', PARTNER], ['from', known.instants[0]!], ['to', known.instants[3]!], ['limit', '1']]),
    auditor([['actor', ADMIN], ['limit', '1'], ['cursor', known.cursor]]),
    auditor([['from', known.instants[2]!], ['to', known.instants[1]!]]),
    auditor([['cursor', encodeCursor(new Date('9999-12-31T23:59:59.999Z'), MAX_ROW.toString())]]),
    auditor([['cursor', encodeCursor(new Date(0), '1')]]),
    auditor([['actor', 'a\u0000b']]),
    auditor([['target', '\ud800']]),
    auditor([['limit', '1e3']]),
    auditor([['cursor', 'x'.repeat(501)]]),
    ...(['vendor', 'partner', 'none', 'garbage'] as const).map((caller): Fuzzed => ({ caller, params: [['actor', ADMIN]] })),
  ].map((f) => [f]);
}

/** Each row of an accepted page matches every filter given, inside [from, to), newest first by (at, id), within the limit. */
function pageProblems(items: AuditEntryView[], q: AuditQuery): string[] {
  const wrong: string[] = [];
  if (items.length > q.limit) wrong.push(`${items.length} rows for a limit of ${q.limit}`);
  for (const [i, row] of items.entries()) {
    if (q.actor !== undefined && row.actor !== q.actor) wrong.push(`row ${row.id}: actor ${row.actor}`);
    if (q.partnerId !== undefined && row.partnerId !== q.partnerId) wrong.push(`row ${row.id}: partner ${row.partnerId}`);
    if (q.action !== undefined && row.action !== q.action) wrong.push(`row ${row.id}: action ${row.action}`);
    if (q.target !== undefined && row.target !== q.target) wrong.push(`row ${row.id}: target ${row.target}`);
    const at = Date.parse(row.at);
    if (q.from !== undefined && at < Date.parse(q.from)) wrong.push(`row ${row.id} at ${row.at}, before from`);
    if (q.to !== undefined && at >= Date.parse(q.to)) wrong.push(`row ${row.id} at ${row.at}, not before to`);
    const prev = items[i - 1];
    if (prev && (Date.parse(prev.at) < at || (Date.parse(prev.at) === at && BigInt(prev.id) <= BigInt(row.id)))) wrong.push(`row ${row.id} after row ${prev.id}: not newest first`);
  }
  return wrong;
}

async function runOne(f: Fuzzed): Promise<void> {
  const raw = f.params.map(([name, value]) => `${name}=${value}`).join('&');
  // The query as Express reads it ('simple': node's querystring, a repeated name an array), as the schema sees it.
  const parsed = route.query!.safeParse({ ...parseQuery(raw) });
  const headers: Record<string, string> = {};
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'partner' ? PARTNER : undefined, `fz-${randomUUID()}`);
  if (authorization) headers.authorization = authorization;
  const path = `${route.path}${raw ? `?${raw}` : ''}`;
  const res = await fuzz.sendAndJudge({
    route,
    path,
    headers,
    body: undefined,
    where: `[${routeKey(route)}] caller ${f.caller}: GET ${path.slice(0, 500)}`,
    refused: refusedByPolicy(f.caller) ?? (parsed.success ? undefined : 'the query schema refuses it'),
  });
  if (res && parsed.success) {
    const wrong = pageProblems((res.json as { items: AuditEntryView[] }).items, parsed.data as AuditQuery);
    if (wrong.length) throw new Error(`the page does not answer its query: ${wrong.join('; ')}\nGET ${path.slice(0, 500)}`);
  }
}

beforeAll(async () => {
  route = routesOf(env.deps()).find((r) => routeKey(r) === 'GET /v1/admin/audit')!;
  // Rows to find: OWN's administrator makes a member and renames it three times (four rows, a few milliseconds apart).
  const admin = await tokenFor(['partner_admin'], PARTNER, ADMIN);
  const made = await env.api('POST', `/v1/partners/${PARTNER}/members`, admin, { sub: `fz-audit-m-${run}`, displayName: 'Fuzz' });
  expect(made.status).toBe(201);
  known.target = made.body.id;
  for (const n of [1, 2, 3]) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await env.api('PATCH', `/v1/partners/${PARTNER}/members/${known.target}`, admin, { displayName: `Fuzz ${n}` })).status).toBe(200);
  }
  const rows = await env.prisma.auditLog.findMany({ where: { actor: ADMIN }, orderBy: { id: 'asc' } });
  known.instants = rows.map((r) => r.at.toISOString());
  expect(known.instants).toHaveLength(4);
  const first = await env.api('GET', `/v1/admin/audit?actor=${ADMIN}&limit=1`, await tokenFor(['vendor_auditor'], undefined, 'fz-auditor'));
  known.cursor = first.body.nextCursor;
  expect(known.cursor).toEqual(expect.any(String));
  await fuzz.rebase();
});

describe('fuzzing the audit route: never a 5xx, always a problem, every page answers its query', () => {
  it('GET /v1/admin/audit', async () => {
    await fuzz.assertRoute(route, fuzzedArb(), examples(), (f) => runOne(f));
  }, 180_000);
});
