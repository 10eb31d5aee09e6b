/**
 * Property-based fuzzing of the reviewer queue's routes (issue 20 section 3) against the real API, worker and
 * PostgreSQL: the known-good request with one part broken — a hostile kind or id in the path, a leaf of the assign body
 * of the wrong type, hostile, huge or missing, an unknown field, the body replaced by any JSON or by bytes that are not
 * JSON, a hostile query — and every kind of caller, on two real waiting items (a level raise, which vendor_reviewer may
 * decide, and a customer report, which vendor_ecosystem_manager may). Every answer must be < 500 without internals; a
 * 4xx a well-formed problem that changed nothing in any table; a request certainly refused never accepted (the
 * hand-written policy, the route's own schemas, a claim without the kind's decide permission); an accepted answer what
 * the route declares. FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { reviewItems } from './support/access-matrix-review-queue.js';
import { useTestEnv } from './support/env.js';
import { badPathSegment, safeDecode } from './support/fuzz.js';
import { authorizationOf, type BrokenBody, brokenBody, brokenLeaves, fuzzRuns, fuzzSeed, refusedByPolicy, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';
import { HOLDERS } from './support/policy.js';

const env = useTestEnv({ taskQueue: 'fuzz-review-queue', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_206), runs: fuzzRuns(15) });
let routes: RouteDef[];
const ITEMS: Record<'level-raise' | 'customer-report', string> = { 'level-raise': '', 'customer-report': '' };

const VALID_BODY: Record<string, Record<string, unknown>> = { 'POST /v1/review-queue/:kind/:id/assign': { reviewer: 'fuzz-reviewer' } };
const VALID_QUERY = { kind: 'level-raise', claim: 'any', limit: '5' };

type Caller = 'reviewer' | 'manager' | 'admin' | 'partner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  reviewer: ['vendor_reviewer'],
  manager: ['vendor_ecosystem_manager'],
  admin: ['vendor_admin'],
  partner: ['partner_admin'],
};
/** The decide permission of each kind fuzzed here, as the hand-written policy names it. */
const DECIDE = { 'level-raise': 'levelRaise.review', 'customer-report': 'customerReport.review' } as const;

type Fuzzed = {
  caller: Caller;
  item: 'level-raise' | 'customer-report';
  kind: { raw: string } | null;
  id: { raw: string } | null;
  body: BrokenBody | null;
  query: [string, string][] | null;
};

const queryArb: fc.Arbitrary<[string, string][]> = fc.array(
  fc.tuple(fc.constantFrom('kind', 'claim', 'partnerId', 'limit', 'cursor', 'fuzzUnknown'), fc.oneof(fc.string({ maxLength: 40 }), fc.constantFrom('mine', 'others', '0', '101', '-1', 'certification', 'W10', '%00'))),
  { maxLength: 3 },
);

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const valid = VALID_BODY[routeKey(route)];
  const item = route.path.includes(':kind');
  return fc.record({
    caller: fc.oneof({ weight: 6, arbitrary: fc.constantFrom<Caller>('reviewer', 'manager', 'admin') }, fc.constantFrom<Caller>('partner', 'none', 'garbage')),
    item: fc.constantFrom('level-raise' as const, 'customer-report' as const),
    kind: item ? fc.option(badPathSegment, { freq: 5 }) : fc.constant(null),
    id: item ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    body: valid ? fc.option(brokenBody(valid, ['{', '{"reviewer":', '[1,', 'nul', '\u0000']), { freq: 4, nil: null }) : fc.constant(null),
    query: item ? fc.constant(null) : fc.option(queryArb, { freq: 3, nil: null }),
  });
}

/** The known-good request by each caller on each item, then each bad part alone. */
function examplesFor(route: RouteDef): [Fuzzed][] {
  const base: Fuzzed = { caller: 'admin', item: 'level-raise', kind: null, id: null, body: null, query: null };
  const out: Fuzzed[] = [];
  for (const item of ['level-raise', 'customer-report'] as const) for (const caller of ['admin', 'reviewer', 'manager', 'partner', 'none', 'garbage'] as const) out.push({ ...base, item, caller });
  const valid = VALID_BODY[routeKey(route)];
  if (valid) for (const body of brokenLeaves(valid)) out.push({ ...base, body });
  if (route.path.includes(':kind')) {
    out.push({ ...base, kind: { raw: 'opportunity' } }, { ...base, id: { raw: '00000000-0000-4000-8000-000000000000' } }, { ...base, id: { raw: 'not-an-id' } });
    // The other kind's id under this kind: not waiting as this kind.
    out.push({ ...base, kind: { raw: 'enrollment' } });
  } else {
    out.push({ ...base, query: [['cursor', 'bm90LWEtY3Vyc29y']] }, { ...base, query: [['limit', '0']] }, { ...base, query: [['claim', 'theirs']] });
  }
  return out.map((f) => [f]);
}

/** Why the request is certainly refused (the hand-written policy, the route's own schemas, a claim it may not make), or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed, body: unknown, query: URLSearchParams): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (route.query && !route.query.safeParse(Object.fromEntries(query)).success) return 'the query schema refuses it';
  if (f.kind && safeDecode(f.kind.raw) !== f.item) return 'the path names no such kind of this item';
  if (f.id && safeDecode(f.id.raw) !== ITEMS[f.item]) return 'the path names no waiting item';
  if (route.body && (f.body?.raw !== undefined || !route.body.safeParse(body).success)) return 'the body schema refuses it';
  const roles = ROLES_OF[f.caller as Exclude<Caller, 'none' | 'garbage'>];
  if (route.method === 'post' && route.path.endsWith('/claim') && !roles.some((role) => HOLDERS[DECIDE[f.item]].includes(role))) return `${f.caller} may not decide ${f.item}`;
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const kind = f.kind?.raw ?? f.item;
  const id = f.id?.raw ?? ITEMS[f.item];
  const query = new URLSearchParams(f.query ?? (route.query ? Object.entries(VALID_QUERY) : []));
  const path = route.path.replace(':kind', kind).replace(':id', id) + (route.query && [...query].length ? `?${query}` : '');
  const json = f.body ? f.body.json : VALID_BODY[routeKey(route)];
  const text = f.body?.raw ?? (json === undefined ? undefined : JSON.stringify(json));
  const body = text === undefined || f.body?.raw !== undefined ? undefined : JSON.parse(text);
  const headers: Record<string, string> = {};
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'partner' ? 'P-fz-rq' : undefined, `fz-rq-${f.caller}`);
  if (authorization) headers.authorization = authorization;
  if (text !== undefined && route.body) headers['content-type'] = 'application/json';
  await fuzz.sendAndJudge({
    route,
    path,
    headers,
    body: route.body && text !== undefined ? Buffer.from(text) : undefined,
    where: `[${routeKey(route)}] caller ${f.caller}, item ${f.item}, body ${f.body?.label ?? 'known-good'}: ${route.method.toUpperCase()} ${path}`,
    refused: certainlyRefused(route, f, body, query),
  });
}

const QUEUE_ROUTES = ['GET /v1/review-queue', 'POST /v1/review-queue/:kind/:id/claim', 'POST /v1/review-queue/:kind/:id/assign', 'DELETE /v1/review-queue/:kind/:id/claim'];

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => QUEUE_ROUTES.includes(routeKey(r)));
  const items = reviewItems(() => env.base, () => env.prisma);
  ITEMS['level-raise'] = (await items.levelRaise()).id;
  ITEMS['customer-report'] = (await items.customerReport()).id;
  await fuzz.rebase();
});

describe('fuzzing the reviewer-queue routes: never a 5xx, always a problem, never a write on refusal', () => {
  it('the known-good body and query are good: accepted by their route schemas', () => {
    expect(routes.map(routeKey).sort()).toEqual([...QUEUE_ROUTES].sort());
    for (const route of routes.filter((r) => r.body)) expect(route.body!.safeParse(VALID_BODY[routeKey(route)]).success, routeKey(route)).toBe(true);
    for (const route of routes.filter((r) => r.query)) expect(route.query!.safeParse(VALID_QUERY).success, routeKey(route)).toBe(true);
  });

  it.each(QUEUE_ROUTES)(
    '%s',
    async (name) => {
      const route = routes.find((r) => routeKey(r) === name)!;
      await fuzz.assertRoute(route, fuzzedArb(route), examplesFor(route), (f) => runOne(route, f));
    },
    180_000,
  );
});
