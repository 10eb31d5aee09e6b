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
import { jsonSchemaOf, type RouteDef } from '../api/kit/http.js';
import { customerId as customerIdSchema } from '../api/funds/schemas.js';
import { partnerId as partnerIdSchema } from '../api/kit/validation.js';
import { type Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { associate, cny } from './support/funds.js';
import { badPathSegment, cursorLike, edgeString, getAt, hugeString, leafPaths, numberish, safeDecode, type Sent, send, setAt, STACK, wrongTypeFor } from './support/fuzz.js';
import { policyAllows, ROUTE_PERMISSIONS } from './support/policy.js';
import { databaseSnapshot, tableChanges, type DatabaseSnapshot } from './support/snapshot.js';

const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_205;
// The ledger's tables are small and no workflow runs: more random runs than the process groups' default 5.
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

const env = useTestEnv({ taskQueue: 'fuzz-funds', api: true });
const PARTNER = `P-fz-funds-${randomUUID().slice(0, 8)}`;
const CUSTOMER = `C-fz-funds-${randomUUID().slice(0, 8)}`;
let routes: RouteDef[];
let baseline: DatabaseSnapshot;
/** Per route: how many requests were accepted and refused (a fuzz that only ever saw one of them proved little). */
const tally = new Map<string, { accepted: number; refused: number }>();
const count = (route: RouteDef, outcome: 'accepted' | 'refused') => {
  const t = tally.get(keyOf(route)) ?? { accepted: 0, refused: 0 };
  t[outcome]++;
  tally.set(keyOf(route), t);
};

/** Known-good bodies; KEY is replaced by a fresh entry key per request, so an accepted feed records something new. */
const KEY = 'KEY-PLACEHOLDER';
const VALID_BODY: Record<string, unknown> = {
  'POST /v1/partners/:partnerId/customers/:customerId/allocations': { amount: { currency: 'CNY', minor: 1 }, memo: 'fuzz' },
  'POST /v1/partners/:partnerId/customers/:customerId/reclaims': { currency: 'CNY', minor: 1, memo: 'fuzz' },
  'POST /v1/customers/:customerId/spend': { source: 'billing', key: KEY, amount: { currency: 'CNY', minor: 1 }, occurredAt: '2026-03-02T08:00:00Z', memo: 'fuzz' },
};
const keyOf = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method.toUpperCase()} ${r.path}`;

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
  body: { json?: unknown; raw?: string; label: string } | null;
  query: Record<string, string> | null;
  idempotencyKey: string | null | 'fresh';
};

/** One part of the known-good body broken: a leaf replaced or removed, a field added, or the whole body replaced. */
function bodyArb(valid: unknown): fc.Arbitrary<NonNullable<Fuzzed['body']>> {
  const leaf = fc.constantFrom(...leafPaths(valid));
  return fc.oneof(
    leaf.chain((p) => wrongTypeFor(getAt(valid, p)).map((w) => ({ json: setAt(valid, p, w), label: `${p.join('.')} of another type` }))),
    leaf.chain((p) => fc.oneof(edgeString, hugeString, numberish).map((w) => ({ json: setAt(valid, p, w), label: `${p.join('.')} hostile` }))),
    leaf.map((p) => ({ json: setAt(valid, p, undefined), label: `${p.join('.')} missing` })),
    leaf.map((p) => ({ json: setAt(valid, [...p.slice(0, -1), '__extra'], 1), label: `unknown field beside ${p.join('.')}` })),
    fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json, label: 'any JSON' })),
    fc.constantFrom('{', '{"amount":', '[1,', 'nul', '\u0000').map((raw) => ({ raw, label: 'not JSON' })),
  );
}

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const valid = VALID_BODY[keyOf(route)];
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant<Caller>(rightCaller(route)) }, fc.constantFrom<Caller>('feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage')),
    partner: route.path.includes(':partnerId') ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    customer: route.path.includes(':customerId') ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    body: valid ? fc.option(bodyArb(valid), { freq: 4, nil: null }) : fc.constant(null),
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
    idempotencyKey: fc.oneof({ weight: 6, arbitrary: fc.constant<'fresh'>('fresh') }, fc.constantFrom<string | null>(null, '', ' ', 'a'.repeat(201), 'kl\u00fcssel')),
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
  if (route.method === 'post') for (const idempotencyKey of [null, '', ' ', 'a'.repeat(201), 'kl\u00fcssel']) out.push({ ...base, idempotencyKey });
  const valid = VALID_BODY[keyOf(route)];
  if (valid) {
    for (const path of leafPaths(valid)) {
      for (const [label, value] of [['missing', undefined], ['null', null], ['NUL', 'a\u0000b']] as const) out.push({ ...base, body: { json: setAt(valid, path, value), label: `${path.join('.')} ${label}` } });
    }
  }
  if (route.query) {
    out.push({ ...base, query: { format: 'csv' } }, { ...base, query: { from: '2026-03-02T00:00:00Z', to: '2026-03-01T00:00:00Z' } }, { ...base, query: { from: '2999-01-01T00:00:00Z' } }, { ...base, query: { format: 'xml' } });
  }
  if (route.path.includes(':customerId')) out.push({ ...base, customer: { raw: 'C-never-associated' } }, { ...base, customer: { raw: '%00' } });
  return out.map((f) => [f]);
}

/** Why the request is certainly refused (by the route's own schemas and the hand-written policy), or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed, partner: string, body: unknown): string | undefined {
  if (f.caller === 'none' || f.caller === 'garbage') return 'no valid token';
  const demand = ROUTE_PERMISSIONS[keyOf(route)]!;
  if (demand === 'public') return undefined;
  if (!ROLES_OF[f.caller].some((role) => policyAllows(role, demand))) return `${f.caller} lacks ${demand}`;
  if (f.caller === 'otherPartner') return "another partner's funds";
  if (f.partner && !partnerIdSchema.safeParse(safeDecode(f.partner.raw)).success) return 'the path names no partner';
  if (f.customer && !customerIdSchema.safeParse(safeDecode(f.customer.raw)).success) return 'the path names no customer';
  if (f.customer && route.method === 'post') return 'a customer that is not associated with the partner';
  if (route.body && (f.body?.raw !== undefined || !route.body.safeParse(body).success)) return 'the body schema refuses it';
  if (route.method === 'post' && f.idempotencyKey !== 'fresh' && (f.idempotencyKey === null || !/^[\x21-\x7e]{1,200}$/.test(f.idempotencyKey))) return 'no valid Idempotency-Key';
  if (route.query && f.query && !route.query.safeParse(f.query).success) return 'the query schema refuses it';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const fresh = randomUUID();
  const partnerSegment = f.partner?.raw ?? PARTNER;
  const path = route.path.replace(':partnerId', partnerSegment).replace(':customerId', f.customer?.raw ?? CUSTOMER);
  const query = f.query ? `?${new URLSearchParams(f.query).toString()}` : '';
  const valid = VALID_BODY[keyOf(route)];
  const json = f.body ? f.body.json : valid;
  const text = f.body?.raw ?? (json === undefined ? undefined : JSON.stringify(json).replaceAll(KEY, fresh));
  const body = text === undefined || f.body?.raw !== undefined ? undefined : JSON.parse(text);
  const headers: Record<string, string> = {};
  if (f.caller !== 'none') {
    headers.authorization =
      f.caller === 'garbage' ? 'Bearer x.y.z' : `Bearer ${await tokenFor(ROLES_OF[f.caller], f.caller === 'owner' ? PARTNER : f.caller === 'otherPartner' ? `${PARTNER}-o` : undefined, `fz-${fresh}`)}`;
  }
  if (route.method === 'post') {
    if (f.idempotencyKey === 'fresh') headers['idempotency-key'] = fresh;
    else if (f.idempotencyKey !== null) headers['idempotency-key'] = f.idempotencyKey;
  }
  if (text !== undefined && route.method === 'post') headers['content-type'] = 'application/json';
  const refused = certainlyRefused(route, f, partnerSegment, body);
  const where = `[${keyOf(route)}] caller ${f.caller}, body ${f.body?.label ?? 'known-good'}, key ${f.idempotencyKey === 'fresh' ? 'fresh' : JSON.stringify(f.idempotencyKey)}: ${route.method.toUpperCase()} ${path}${query}`;

  let res: Sent;
  try {
    res = await send(env.base, route.method, path + query, headers, route.method === 'post' && text !== undefined ? Buffer.from(text) : undefined);
  } catch (error) {
    throw new Error(`no answer (${(error as Error).message}): ${where}`);
  }
  const got = `${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx: ${got}\n${where}`);
  if (STACK.test(res.text)) throw new Error(`internals in the answer: ${got}\n${where}`);
  const after = await databaseSnapshot(env.prisma);
  if (res.status >= 400) {
    const p = res.json as { status?: unknown; type?: unknown; errors?: { field?: unknown }[] } | undefined;
    const wellFormed =
      /^application\/problem\+json/.test(res.contentType) &&
      p?.status === res.status &&
      typeof p.type === 'string' &&
      (res.status !== 400 || (Array.isArray(p.errors) && p.errors.length > 0 && p.errors.every((e) => typeof e.field === 'string')));
    if (!wellFormed) throw new Error(`malformed problem: ${got}\n${where}`);
    count(route, 'refused');
    const changed = tableChanges(baseline, after);
    baseline = after;
    if (changed.length) throw new Error(`a refused request changed the database: ${changed.join('; ')}\n${got}\n${where}`);
    return;
  }
  count(route, 'accepted');
  const before = baseline;
  baseline = after; // whatever is judged below, the next request compares with the state this one left
  if (refused) throw new Error(`accepted although certainly refused (${refused}): ${got}\n${where}`);
  // The statement as CSV: bytes, one OPENING and one CLOSING line per currency.
  if (/^text\/csv/.test(res.contentType)) {
    if (!(route.path.endsWith('/statement') && /^partnerId,currency,line,/.test(res.text))) throw new Error(`an unexpected CSV answer: ${got}\n${where}`);
    return;
  }
  const declared = route.responses[res.status];
  if (!declared || !jsonSchemaOf(declared)?.safeParse(res.json).success) throw new Error(`the answer is not what the route declares for ${res.status}: ${got}\n${where}`);
  if (route.method === 'get' && tableChanges(before, after).length) throw new Error(`a read changed the database: ${tableChanges(before, after).join('; ')}\n${where}`);
}

/** The caller a route is for: the billing identity feeds spending; the partner's administrator does the rest. */
const rightCaller = (route: RouteDef): Caller => (route.path.endsWith('/spend') ? 'feeder' : 'owner');

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => FUNDS_ROUTES.includes(keyOf(r)));
  // OWN's funds: a recharge of 1 000 000 fen and an allocation of 100 000 to its associated RESELLER customer, so every
  // accepted movement (1 fen each) succeeds alike.
  const feeder = await tokenFor(['vendor_system'], undefined, 'fz-billing');
  const fed = await env.api('POST', `/v1/partners/${PARTNER}/account/ledger-entries`, feeder, { source: 'billing', entries: [{ kind: 'RECHARGE', key: randomUUID(), amount: cny(1_000_000), occurredAt: '2026-03-01T00:00:00Z' }] }, { 'Idempotency-Key': randomUUID() });
  expect(fed.status).toBe(201);
  await associate(env.prisma, PARTNER, CUSTOMER);
  const allocated = await env.api('POST', `/v1/partners/${PARTNER}/customers/${CUSTOMER}/allocations`, await tokenFor(['partner_admin'], PARTNER), { amount: cny(100_000) }, { 'Idempotency-Key': randomUUID() });
  expect(allocated.status).toBe(201);
  baseline = await databaseSnapshot(env.prisma);
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
    expect(routes.map(keyOf).sort()).toEqual([...FUNDS_ROUTES].sort());
    for (const route of routes.filter((r) => r.body)) expect(route.body!.safeParse(VALID_BODY[keyOf(route)]).success, keyOf(route)).toBe(true);
  });

  it.each(FUNDS_ROUTES)(
    '%s',
    async (name) => {
      const route = routes.find((r) => keyOf(r) === name)!;
      const examples = examplesFor(route);
      await fc.assert(
        fc.asyncProperty(fuzzedArb(route), (f) => runOne(route, f)),
        {
          // fast-check counts its examples among numRuns: every example, then RUNS random requests.
          numRuns: examples.length + RUNS,
          examples,
          seed: SEED,
          endOnFailure: true,
          reporter: (out) => {
            if (!out.failed) return;
            const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
            throw new Error(`${name}: failed after ${out.numRuns} run(s); replay with FUZZ_SEED=${out.seed}\n${cause}`);
          },
        },
      );
      console.info(`fuzz ${name}: seed ${SEED}, ${JSON.stringify(tally.get(name))}`);
      expect(tally.get(name)?.accepted, 'accepted requests').toBeGreaterThan(0);
      expect(tally.get(name)?.refused, 'refused requests').toBeGreaterThan(0);
    },
    120_000,
  );
});
