/**
 * Property-based fuzzing of the partner account routes (the feed and the reads) against the real API + PostgreSQL:
 * known-good requests with one part broken — a leaf of the body of the wrong type, a hostile string, huge, missing, an
 * unknown field, the body replaced by any JSON or by bytes that are not JSON —, hostile path segments and queries,
 * missing or bad Idempotency-Keys, and every kind of caller. Every answer must be < 500 without internals; a 4xx a
 * well-formed problem (a 400 naming its fields) that changed nothing in any table; a request certainly refused — its
 * own route's schemas refuse a part, no or a bad Idempotency-Key on a feed, a caller the policy does not let call —
 * never accepted; an accepted answer what the route declares. FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import { partnerId as partnerIdSchema } from '../api/kit/validation.js';
import { type Role } from '../domain/auth.js';
import { useTestEnv } from './support/env.js';
import { badPathSegment, cursorLike, edgeString, numberish, safeDecode } from './support/fuzz.js';
import { authorizationOf, BAD_IDEMPOTENCY_KEYS, type BrokenBody, brokenBody, brokenLeaves, fuzzRuns, fuzzSeed, idempotencyKeyArb, isIdempotencyKey, refusedByPolicy, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';
import { ROUTE_PERMISSIONS } from './support/policy.js';

const env = useTestEnv({ taskQueue: 'fuzz-account', api: true });
// The account's tables are small and no workflow runs: more random runs than the process groups' default 5.
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_205), runs: fuzzRuns(40) });
const PARTNER = `P-fz-acct-${randomUUID().slice(0, 8)}`;
let routes: RouteDef[];

/** Known-good bodies; KEY is replaced by a fresh entry key per request, so an accepted feed records something new. */
const KEY = 'KEY-PLACEHOLDER';
const VALID_BODY: Record<string, Record<string, unknown>> = {
  'POST /v1/partners/:partnerId/account/facts': {
    source: 'billing',
    facts: [
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINING' }, observedAt: '2026-03-01T08:00:00+08:00' },
      { kind: 'VOUCHER', subject: 'V-1', value: { issuer: 'marketing', amount: { currency: 'CNY', minor: 100 }, state: 'ACTIVE' }, observedAt: '2026-03-01T08:00:00Z' },
      { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'CONSULTATIVE_SALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 }, observedAt: '2026-03-01T08:00:00Z' },
    ],
  },
  'POST /v1/partners/:partnerId/account/ledger-entries': {
    source: 'billing',
    entries: [
      { kind: 'RECHARGE', key: `${KEY}-1`, amount: { currency: 'CNY', minor: 1_000 }, occurredAt: '2026-03-01T08:00:00Z', memo: 'bank' },
      { kind: 'CHARGE', key: `${KEY}-2`, amount: { currency: 'CNY', minor: 1_500 }, drawn: { recharge: 1_000, arrears: 500 }, occurredAt: '2026-03-02T08:00:00Z' },
    ],
  },
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
  body: BrokenBody | null;
  query: Record<string, string> | null;
  idempotencyKey: string | null | 'fresh';
};

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const valid = VALID_BODY[routeKey(route)];
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant<Caller>(route.method === 'get' ? 'owner' : 'feeder') }, fc.constantFrom<Caller>('feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage')),
    partner: fc.option(badPathSegment, { freq: 4 }),
    body: valid ? fc.option(brokenBody(valid, ['{', '{"source":', '[1,', 'nul', '\u0000']), { freq: 4, nil: null }) : fc.constant(null),
    query:
      route.method === 'get'
        ? fc.option(
            fc.record(
              {
                limit: fc.oneof(fc.constantFrom('0', '1', '100', '101', '-1', '1.5', 'x', ''), numberish.map(String)),
                cursor: fc.oneof(cursorLike, edgeString),
                // The facts' history narrows by kind and subject (ignored as unknown fields elsewhere: refused).
                ...(route.path.endsWith('/facts') ? { kind: fc.oneof(fc.constantFrom('FROZEN', 'VOUCHER', 'frozen', ''), edgeString), subject: fc.oneof(fc.constantFrom('V-1', ''), edgeString) } : {}),
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
  const base: Fuzzed = { caller: route.method === 'get' ? 'owner' : 'feeder', partner: null, body: null, query: null, idempotencyKey: 'fresh' };
  const out: Fuzzed[] = [base];
  for (const caller of ['feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage'] as const) out.push({ ...base, caller });
  if (route.method === 'post') for (const idempotencyKey of BAD_IDEMPOTENCY_KEYS) out.push({ ...base, idempotencyKey });
  const valid = VALID_BODY[routeKey(route)];
  if (valid) for (const body of brokenLeaves(valid)) out.push({ ...base, body });
  if (route.query) out.push({ ...base, query: { limit: '0' } }, { ...base, query: { cursor: 'not-a-cursor' } }, { ...base, query: { limit: '2' } });
  if (route.path.endsWith('/facts') && route.method === 'get') out.push({ ...base, query: { kind: 'VOUCHER', subject: 'V-1' } }, { ...base, query: { subject: 'V-1' } }, { ...base, query: { kind: 'NOT_A_KIND' } });
  return out.map((f) => [f]);
}

/** Why the request is certainly refused (by the route's own schemas and the hand-written policy), or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed, body: unknown): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (f.caller === 'otherPartner') return "another partner's account";
  if (f.partner && !partnerIdSchema.safeParse(safeDecode(f.partner.raw)).success) return 'the path names no partner';
  if (route.body && (f.body?.raw !== undefined || !route.body.safeParse(body).success)) return 'the body schema refuses it';
  if (route.method === 'post' && f.idempotencyKey !== 'fresh' && !isIdempotencyKey(f.idempotencyKey)) return 'no valid Idempotency-Key';
  if (route.query && f.query && !route.query.safeParse(f.query).success) return 'the query schema refuses it';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const fresh = randomUUID();
  const path = route.path.replace(':partnerId', f.partner?.raw ?? PARTNER);
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
  await fuzz.sendAndJudge({ route, path: path + query, headers, body: route.method === 'post' && text !== undefined ? Buffer.from(text) : undefined, where, refused: certainlyRefused(route, f, body) });
}

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => r.path.startsWith('/v1/partners/:partnerId/account'));
  await fuzz.rebase();
});

describe('fuzzing the partner account routes: never a 5xx, always a problem, never a write on refusal', () => {
  it('the known-good bodies are good: accepted by their route schemas', () => {
    expect(routes.map(routeKey).sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).filter((k) => k.includes('/account')).sort());
    for (const route of routes.filter((r) => r.body)) expect(route.body!.safeParse(VALID_BODY[routeKey(route)]).success, routeKey(route)).toBe(true);
  });

  it.each([
    'POST /v1/partners/:partnerId/account/facts',
    'POST /v1/partners/:partnerId/account/ledger-entries',
    'GET /v1/partners/:partnerId/account',
    'GET /v1/partners/:partnerId/account/facts',
    'GET /v1/partners/:partnerId/account/ledger',
  ])(
    '%s',
    async (name) => {
      const route = routes.find((r) => routeKey(r) === name)!;
      await fuzz.assertRoute(route, fuzzedArb(route), examplesFor(route), (f) => runOne(route, f));
    },
    120_000,
  );
});
