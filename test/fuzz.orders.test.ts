/**
 * Property-based fuzzing of the marketplace order routes (the feed, the reads, the price adjustment) against the real
 * API + PostgreSQL: known-good requests with one part broken — a leaf of the body of the wrong type, a hostile string,
 * huge, missing, an unknown field, the body replaced by any JSON or by bytes that are not JSON —, hostile order ids and
 * queries, missing or bad Idempotency-Keys and If-Match headers, and every kind of caller. Every answer must be < 500
 * without internals; a 4xx a well-formed problem (a 400 naming its fields) that changed nothing in any table; a request
 * certainly refused — its own route's schemas refuse a part, no or a bad Idempotency-Key on the feed, no or not the
 * current If-Match on an adjustment, an order that is not there or not the caller's, a caller the policy does not let
 * call — never accepted; an accepted answer what the route declares. FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { feedOrders, marketplaceOrder } from './support/access-matrix-orders.js';
import { useTestEnv } from './support/env.js';
import { badPathSegment, cursorLike, edgeString, numberish } from './support/fuzz.js';
import { authorizationOf, type BrokenBody, brokenBody, brokenLeaves, fuzzRuns, fuzzSeed, idempotencyKeyArb, isIdempotencyKey, refusedByPolicy, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';
import { ROUTE_PERMISSIONS } from './support/policy.js';

const env = useTestEnv({ taskQueue: 'fuzz-orders', api: true });
// No workflow runs: more random runs than the process groups' default 5.
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_205), runs: fuzzRuns(30) });
const PARTNER = `P-fz-ord-${randomUUID().slice(0, 8)}`;
const FEED = 'POST /v1/marketplace-orders';
const ADJUST = 'POST /v1/marketplace-orders/:id/price-adjustments';
let routes: RouteDef[];
let sharedOrder: string;

/** Known-good bodies; ORDER is replaced by a fresh order id per request, so an accepted feed creates a new order. */
const ORDER = 'ORDER-PLACEHOLDER';
const VALID_BODY: Record<string, Record<string, unknown>> = {
  [FEED]: { orders: [marketplaceOrder(PARTNER, { id: `${ORDER}-1`, renewalOf: 'MO-earlier' }), marketplaceOrder(PARTNER, { id: `${ORDER}-2`, state: 'PAID' })] },
  [ADJUST]: { unitPrice: { currency: 'CNY', minor: 9_000 }, reason: 'volume discount' },
};

type Caller = 'feeder' | 'owner' | 'vendor' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = { feeder: ['vendor_system'], owner: ['partner_sales'], vendor: ['vendor_admin'], otherPartner: ['partner_admin'] };
type Fuzzed = {
  caller: Caller;
  id: { raw: string } | null;
  body: BrokenBody | null;
  query: Record<string, string> | null;
  idempotencyKey: string | null | 'fresh';
  ifMatch: string | null;
};
const defaultCaller = (route: RouteDef): Caller => (routeKey(route) === FEED ? 'feeder' : 'owner');

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const valid = VALID_BODY[routeKey(route)];
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant(defaultCaller(route)) }, fc.constantFrom<Caller>('feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage')),
    id: route.params ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    body: valid ? fc.option(brokenBody(valid, ['{', '{"orders":', '[1,', 'nul', '\u0000']), { freq: 4, nil: null }) : fc.constant(null),
    query:
      route.query
        ? fc.option(
            fc.record(
              {
                limit: fc.oneof(fc.constantFrom('0', '1', '100', '101', '-1', '1.5', 'x', ''), numberish.map(String)),
                cursor: fc.oneof(cursorLike, edgeString),
                state: fc.oneof(fc.constantFrom('PAID', 'PENDING_PAYMENT', 'paid', ''), edgeString),
                partnerId: fc.oneof(fc.constant(PARTNER), edgeString),
                customerId: fc.oneof(fc.constantFrom('C-1', ''), edgeString),
              },
              { requiredKeys: [] },
            ),
            { freq: 2 },
          )
        : fc.constant(null),
    idempotencyKey: idempotencyKeyArb,
    ifMatch: fc.oneof({ weight: 6, arbitrary: fc.constant<string | null>('"1"') }, fc.constantFrom<string | null>(null, '', '*', '1', 'W/"1"', '"2"', '"1", "2"', '"0"', '"01"', '"1 "', '"9999999999"'),
      // Anything a header may carry (printable ASCII): a client's hand-written ETag.
      fc.stringMatching(/^[ -~]{0,24}$/),
    ),
  });
}

/** The known-good request, then each bad part alone: every caller, every bad header, each leaf missing, null or NUL. */
function examplesFor(route: RouteDef): [Fuzzed][] {
  const base: Fuzzed = { caller: defaultCaller(route), id: null, body: null, query: null, idempotencyKey: 'fresh', ifMatch: '"1"' };
  const out: Fuzzed[] = [base];
  for (const caller of ['feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage'] as const) out.push({ ...base, caller });
  if (route.method === 'post') for (const idempotencyKey of [null, '', ' ', 'a'.repeat(201)]) out.push({ ...base, idempotencyKey });
  if (routeKey(route) === ADJUST) for (const ifMatch of [null, '*', 'W/"1"', '"2"']) out.push({ ...base, ifMatch });
  const valid = VALID_BODY[routeKey(route)];
  if (valid) for (const body of brokenLeaves(valid)) out.push({ ...base, body });
  if (route.query) out.push({ ...base, query: { limit: '0' } }, { ...base, query: { cursor: 'not-a-cursor' } }, { ...base, query: { state: 'PAID', partnerId: PARTNER } });
  return out.map((f) => [f]);
}

/** Why the request is certainly refused (by the route's own schemas, the hand-written policy, the order's facts), or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed, body: unknown): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (route.params && f.id) return 'the path names no order that exists';
  if (route.params && f.caller === 'otherPartner') return "another partner's order";
  if (route.body && (f.body?.raw !== undefined || !route.body.safeParse(body).success)) return 'the body schema refuses it';
  if (route.method === 'post' && f.idempotencyKey !== 'fresh' && (f.idempotencyKey === null ? routeKey(route) === FEED : !isIdempotencyKey(f.idempotencyKey))) return 'no valid Idempotency-Key';
  if (routeKey(route) === ADJUST && f.ifMatch !== '"1"') return 'If-Match is not the fresh order\'s ETag "1"';
  if (route.query && f.query && !route.query.safeParse(f.query).success) return 'the query schema refuses it';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const fresh = randomUUID().slice(0, 13);
  // Each adjustment acts on a fresh PENDING_PAYMENT order of PARTNER (version 1); the reads on one shared order.
  const target = routeKey(route) === ADJUST ? (await feedOrders(env.base, [marketplaceOrder(PARTNER)]))[0]!.id : sharedOrder;
  if (routeKey(route) === ADJUST) await fuzz.rebase();
  const path = route.path.replace(':id', f.id?.raw ?? target);
  const query = f.query ? `?${new URLSearchParams(f.query).toString()}` : '';
  const valid = VALID_BODY[routeKey(route)];
  const json = f.body ? f.body.json : valid;
  const text = f.body?.raw ?? (json === undefined ? undefined : JSON.stringify(json).replaceAll(ORDER, `MO-fz-${fresh}`));
  const body = text === undefined || f.body?.raw !== undefined ? undefined : JSON.parse(text);
  const headers: Record<string, string> = {};
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' ? PARTNER : f.caller === 'otherPartner' ? `${PARTNER}-o` : undefined, `fz-${fresh}`);
  if (authorization) headers.authorization = authorization;
  if (route.method === 'post') {
    if (f.idempotencyKey === 'fresh') headers['idempotency-key'] = randomUUID();
    else if (f.idempotencyKey !== null) headers['idempotency-key'] = f.idempotencyKey;
    if (text !== undefined) headers['content-type'] = 'application/json';
  }
  if (routeKey(route) === ADJUST && f.ifMatch !== null) headers['if-match'] = f.ifMatch;
  const where = `[${routeKey(route)}] caller ${f.caller}, body ${f.body?.label ?? 'known-good'}, key ${JSON.stringify(f.idempotencyKey)}, If-Match ${JSON.stringify(f.ifMatch)}: ${route.method.toUpperCase()} ${path}${query}`;
  await fuzz.sendAndJudge({ route, path: path + query, headers, body: route.method === 'post' && text !== undefined ? Buffer.from(text) : undefined, where, refused: certainlyRefused(route, f, body) });
}

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => r.path.startsWith('/v1/marketplace-orders'));
  sharedOrder = (await feedOrders(env.base, [marketplaceOrder(PARTNER)]))[0]!.id;
  await fuzz.rebase();
});

describe('fuzzing the marketplace order routes: never a 5xx, always a problem, never a write on refusal', () => {
  it('the known-good bodies are good: accepted by their route schemas', () => {
    expect(routes.map(routeKey).sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).filter((k) => k.includes('/marketplace-orders')).sort());
    for (const route of routes.filter((r) => r.body)) expect(route.body!.safeParse(VALID_BODY[routeKey(route)]).success, routeKey(route)).toBe(true);
  });

  it.each([FEED, 'GET /v1/marketplace-orders', 'GET /v1/marketplace-orders/:id', ADJUST])(
    '%s',
    async (name) => {
      const route = routes.find((r) => routeKey(r) === name)!;
      await fuzz.assertRoute(route, fuzzedArb(route), examplesFor(route), (f) => runOne(route, f));
    },
    180_000,
  );
});
