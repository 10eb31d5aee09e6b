/**
 * Property-based fuzzing of the funds routes (issue 18 section 4) against the real API + PostgreSQL: known-good
 * requests with one part broken — a leaf of the body of the wrong type, a hostile string, huge, missing, an unknown
 * field, the body replaced by any JSON or by bytes that are not JSON —, hostile partner and customer path segments, a
 * customer not associated with the partner, hostile statement periods and formats, missing or bad Idempotency-Keys, and
 * every kind of caller. Every answer must be < 500 without internals; a 4xx a well-formed problem (a 400 naming its
 * fields) that changed nothing in any table; a request certainly refused never accepted; an accepted answer what the
 * route declares (the statement's CSV: its header line). FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import { customerId as customerIdSchema } from '../api/funds/schemas.js';
import { partnerId as partnerIdSchema } from '../api/kit/validation.js';
import { type Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { associate, cny } from './support/funds.js';
import { badPathSegment, edgeString, safeDecode } from './support/fuzz.js';
import { authorizationOf, BAD_IDEMPOTENCY_KEYS, type BrokenBody, brokenBody, brokenLeaves, fuzzRuns, fuzzSeed, idempotencyKeyArb, isIdempotencyKey, refusedByPolicy, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';

const env = useTestEnv({ taskQueue: 'fuzz-funds', api: true });
// The ledger's tables are small and no workflow runs: more random runs than the process groups' default 5.
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_205), runs: fuzzRuns(40) });
const PARTNER = `P-fz-funds-${randomUUID().slice(0, 8)}`;
const CUSTOMER = `C-fz-funds-${randomUUID().slice(0, 8)}`;
let routes: RouteDef[];

/** Known-good bodies; KEY is replaced by a fresh entry key per request, so an accepted feed records something new. */
const KEY = 'KEY-PLACEHOLDER';
const VALID_BODY: Record<string, Record<string, unknown>> = {
  'POST /v1/partners/:partnerId/customers/:customerId/allocations': { amount: { currency: 'CNY', minor: 1 }, memo: 'fuzz' },
  'POST /v1/partners/:partnerId/customers/:customerId/reclaims': { currency: 'CNY', minor: 1, memo: 'fuzz' },
  'POST /v1/customers/:customerId/spend': { source: 'billing', key: KEY, amount: { currency: 'CNY', minor: 1 }, occurredAt: '2026-03-02T08:00:00Z', memo: 'fuzz' },
};

type Caller = 'feeder' | 'owner' | 'vendor' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  feeder: ['vendor_system'],
  owner: ['partner_admin'],
  vendor: ['vendor_admin'],
  otherPartner: ['partner_admin'],
};
type Fuzzed = {
  caller: Caller;
  partner: { raw: string } | null;
  customer: { raw: string } | null;
  body: BrokenBody | null;
  query: Record<string, string> | null;
  idempotencyKey: string | null | 'fresh';
};

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const valid = VALID_BODY[routeKey(route)];
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant<Caller>(rightCaller(route)) }, fc.constantFrom<Caller>('feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage')),
    partner: route.path.includes(':partnerId') ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    customer: route.path.includes(':customerId') ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    body: valid ? fc.option(brokenBody(valid, ['{', '{"amount":', '[1,', 'nul', '\u0000']), { freq: 4, nil: null }) : fc.constant(null),
    query:
      route.method === 'get'
        ? fc.option(
            fc.record(
              {
                from: fc.oneof(fc.constantFrom('2026-03-01T00:00:00Z', '2026-03-01T08:00:00+08:00', '1999-12-31T00:00:00Z', '2026-02-30T00:00:00Z', 'now', ''), edgeString),
                to: fc.oneof(fc.constantFrom('2099-01-01T00:00:00Z', '2026-03-01T00:00:00Z', '9999-12-31T23:59:59Z', '2026-13-01T00:00:00Z'), edgeString),
                format: fc.oneof(fc.constantFrom('json', 'csv', 'CSV', 'xml', ''), edgeString),
                limit: fc.constantFrom('1', 'x'),
              },
              { requiredKeys: [] },
            ),
            { freq: 2 },
          )
        : fc.constant(null),
    idempotencyKey: idempotencyKeyArb,
  });
}

/**
 * Deterministic examples run before the random ones: the known-good request, then each bad part alone — every caller
 * kind, every bad Idempotency-Key and none, and each leaf of the body missing, null, or a string with NUL — the cases
 * random runs reach only rarely.
 */
function examplesFor(route: RouteDef): [Fuzzed][] {
  const base: Fuzzed = { caller: rightCaller(route), partner: null, customer: null, body: null, query: null, idempotencyKey: 'fresh' };
  const out: Fuzzed[] = [base];
  for (const caller of ['feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage'] as const) out.push({ ...base, caller });
  if (route.method === 'post') for (const idempotencyKey of BAD_IDEMPOTENCY_KEYS) out.push({ ...base, idempotencyKey });
  const valid = VALID_BODY[routeKey(route)];
  if (valid) for (const body of brokenLeaves(valid)) out.push({ ...base, body });
  if (route.query) {
    out.push({ ...base, query: { format: 'csv' } }, { ...base, query: { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' } }, { ...base, query: { from: '2999-01-01T00:00:00Z' } }, { ...base, query: { format: 'xml' } });
  }
  if (route.path.includes(':customerId')) out.push({ ...base, customer: { raw: 'C-never-associated' } }, { ...base, customer: { raw: '%00' } });
  return out.map((f) => [f]);
}

/** Why the request is certainly refused (by the route's own schemas and the hand-written policy), or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed, body: unknown): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (f.caller === 'otherPartner') return "another partner's funds";
  if (f.partner && !partnerIdSchema.safeParse(safeDecode(f.partner.raw)).success) return 'the path names no partner';
  if (f.customer && !customerIdSchema.safeParse(safeDecode(f.customer.raw)).success) return 'the path names no customer';
  if (f.customer && route.method === 'post') return 'a customer that is not associated with the partner';
  if (route.body && (f.body?.raw !== undefined || !route.body.safeParse(body).success)) return 'the body schema refuses it';
  if (route.method === 'post' && f.idempotencyKey !== 'fresh' && !isIdempotencyKey(f.idempotencyKey)) return 'no valid Idempotency-Key';
  if (route.query && f.query && !route.query.safeParse(f.query).success) return 'the query schema refuses it';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const fresh = randomUUID();
  const path = route.path.replace(':partnerId', f.partner?.raw ?? PARTNER).replace(':customerId', f.customer?.raw ?? CUSTOMER);
  const query = f.query ? `?${new URLSearchParams(f.query).toString()}` : '';
  const valid = VALID_BODY[routeKey(route)];
  const json = f.body ? f.body.json : valid;
  const text = f.body?.raw ?? (json === undefined ? undefined : JSON.stringify(json).replaceAll(KEY, fresh));
  const body = text === undefined || f.body?.raw !== undefined ? undefined : JSON.parse(text);
  const headers: Record<string, string> = {};
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' ? PARTNER : f.caller === 'otherPartner' ? `${PARTNER}-o` : undefined, `fz-${fresh}`);
  if (authorization) headers.authorization = authorization;
  if (route.method === 'post') {
    if (f.idempotencyKey === 'fresh') headers['idempotency-key'] = fresh;
    else if (f.idempotencyKey !== null) headers['idempotency-key'] = f.idempotencyKey;
  }
  if (text !== undefined && route.method === 'post') headers['content-type'] = 'application/json';
  const where = `[${routeKey(route)}] caller ${f.caller}, body ${f.body?.label ?? 'known-good'}, key ${f.idempotencyKey === 'fresh' ? 'fresh' : JSON.stringify(f.idempotencyKey)}: ${route.method.toUpperCase()} ${path}${query}`;
  await fuzz.sendAndJudge({
    route,
    path: path + query,
    headers,
    body: route.method === 'post' && text !== undefined ? Buffer.from(text) : undefined,
    where,
    refused: certainlyRefused(route, f, body),
    // The statement as CSV: bytes, one OPENING and one CLOSING line per currency.
    download: { label: 'CSV', contentType: /^text\/csv/, expected: (res) => route.path.endsWith('/statement') && /^partnerId,currency,line,/.test(res.text) },
  });
}

/** The caller a route is for: the billing identity feeds spending; the partner's administrator does the rest. */
const rightCaller = (route: RouteDef): Caller => (route.path.endsWith('/spend') ? 'feeder' : 'owner');

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => FUNDS_ROUTES.includes(routeKey(r)));
  // OWN's funds: a recharge of 1 000 000 fen and an allocation of 100 000 to its associated RESELLER customer, so every
  // accepted movement (1 fen each) succeeds alike.
  const feeder = await tokenFor(['vendor_system'], undefined, 'fz-billing');
  const fed = await env.api('POST', `/v1/partners/${PARTNER}/account/ledger-entries`, feeder, { source: 'billing', entries: [{ kind: 'RECHARGE', key: randomUUID(), amount: cny(1_000_000), occurredAt: '2026-03-01T00:00:00Z' }] }, { 'Idempotency-Key': randomUUID() });
  expect(fed.status).toBe(201);
  await associate(env.prisma, PARTNER, CUSTOMER);
  const allocated = await env.api('POST', `/v1/partners/${PARTNER}/customers/${CUSTOMER}/allocations`, await tokenFor(['partner_admin'], PARTNER), { amount: cny(100_000) }, { 'Idempotency-Key': randomUUID() });
  expect(allocated.status).toBe(201);
  await fuzz.rebase();
});

// The reclaims last but the statement: a reclaim body without `minor` (a valid one) reclaims all that is unspent.
const FUNDS_ROUTES = [
  'POST /v1/partners/:partnerId/customers/:customerId/allocations',
  'POST /v1/customers/:customerId/spend',
  'GET /v1/partners/:partnerId/customers/:customerId/funds',
  'POST /v1/partners/:partnerId/customers/:customerId/reclaims',
  'GET /v1/partners/:partnerId/statement',
];

describe('fuzzing the funds routes: never a 5xx, always a problem, never a write on refusal', () => {
  it('the known-good bodies are good: accepted by their route schemas', () => {
    expect(routes.map(routeKey).sort()).toEqual([...FUNDS_ROUTES].sort());
    for (const route of routes.filter((r) => r.body)) expect(route.body!.safeParse(VALID_BODY[routeKey(route)]).success, routeKey(route)).toBe(true);
  });

  it.each(FUNDS_ROUTES)(
    '%s',
    async (name) => {
      const route = routes.find((r) => routeKey(r) === name)!;
      await fuzz.assertRoute(route, fuzzedArb(route), examplesFor(route), (f) => runOne(route, f));
    },
    120_000,
  );
});
