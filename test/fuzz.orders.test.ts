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
import { tokenFor } from './support/app.js';
import { feedOrders, marketplaceOrder } from './support/access-matrix-orders.js';
import { useTestEnv } from './support/env.js';
import { badPathSegment, cursorLike, edgeString, getAt, hugeString, leafPaths, numberish, type Sent, send, setAt, STACK, wrongTypeFor } from './support/fuzz.js';
import { policyAllows, ROUTE_PERMISSIONS } from './support/policy.js';
import { databaseSnapshot, type DatabaseSnapshot, tableChanges } from './support/snapshot.js';

const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_205;
// No workflow runs: more random runs than the process groups' default 5.
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

const env = useTestEnv({ taskQueue: 'fuzz-orders', api: true });
const PARTNER = `P-fz-ord-${randomUUID().slice(0, 8)}`;
const FEED = 'POST /v1/marketplace-orders';
const ADJUST = 'POST /v1/marketplace-orders/:id/price-adjustments';
let routes: RouteDef[];
let baseline: DatabaseSnapshot;
let sharedOrder: string;
const tally = new Map<string, { accepted: number; refused: number }>();
const keyOf = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method.toUpperCase()} ${r.path}`;
const count = (route: RouteDef, outcome: 'accepted' | 'refused') => {
  const t = tally.get(keyOf(route)) ?? { accepted: 0, refused: 0 };
  t[outcome]++;
  tally.set(keyOf(route), t);
};

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
  body: { json?: unknown; raw?: string; label: string } | null;
  query: Record<string, string> | null;
  idempotencyKey: string | null | 'fresh';
  ifMatch: string | null;
};
const defaultCaller = (route: RouteDef): Caller => (keyOf(route) === FEED ? 'feeder' : 'owner');

/** One part of the known-good body broken: a leaf replaced or removed, a field added, or the whole body replaced. */
function bodyArb(valid: Record<string, unknown>): fc.Arbitrary<NonNullable<Fuzzed['body']>> {
  const batch = Object.keys(valid).find((k) => Array.isArray(valid[k]));
  const items = batch ? (valid[batch] as unknown[]) : [];
  const all = [...leafPaths(valid), ...items.flatMap((item, i) => leafPaths(item).map((p) => [batch!, String(i), ...p]))];
  const setIn = (path: string[], replacement: unknown) => {
    const copy = structuredClone(valid);
    let node: unknown = copy;
    for (const k of path.slice(0, -1)) node = (node as Record<string, unknown>)[k];
    if (replacement === undefined) delete (node as Record<string, unknown>)[path.at(-1)!];
    else (node as Record<string, unknown>)[path.at(-1)!] = replacement;
    return copy;
  };
  const leaf = fc.constantFrom(...all);
  return fc.oneof(
    leaf.chain((p) => wrongTypeFor(getAt(valid, p)).map((w) => ({ json: setIn(p, w), label: `${p.join('.')} of another type` }))),
    leaf.chain((p) => fc.oneof(edgeString, hugeString, numberish).map((w) => ({ json: setIn(p, w), label: `${p.join('.')} hostile` }))),
    leaf.map((p) => ({ json: setIn(p, undefined), label: `${p.join('.')} missing` })),
    leaf.map((p) => ({ json: setIn([...p.slice(0, -1), '__extra'], 1), label: `unknown field beside ${p.join('.')}` })),
    fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json, label: 'any JSON' })),
    fc.constantFrom('{', '{"orders":', '[1,', 'nul', '\u0000').map((raw) => ({ raw, label: 'not JSON' })),
    ...(batch ? [fc.constant({ json: setAt(valid, [batch], []), label: `no ${batch}` }), fc.constant({ json: setAt(valid, [batch], Array.from({ length: 101 }, () => items[0])), label: `101 ${batch}` })] : []),
  );
}

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const valid = VALID_BODY[keyOf(route)];
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant(defaultCaller(route)) }, fc.constantFrom<Caller>('feeder', 'owner', 'vendor', 'otherPartner', 'none', 'garbage')),
    id: route.params ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    body: valid ? fc.option(bodyArb(valid), { freq: 4, nil: null }) : fc.constant(null),
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
    idempotencyKey: fc.oneof({ weight: 6, arbitrary: fc.constant<'fresh'>('fresh') }, fc.constantFrom<string | null>(null, '', ' ', 'a'.repeat(201), 'kl\u00fcssel')),
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
  if (keyOf(route) === ADJUST) for (const ifMatch of [null, '*', 'W/"1"', '"2"']) out.push({ ...base, ifMatch });
  const valid = VALID_BODY[keyOf(route)];
  if (valid) {
    const batch = Object.keys(valid).find((k) => Array.isArray(valid[k]));
    const items = batch ? (valid[batch] as unknown[]) : [];
    for (const path of [...leafPaths(valid), ...items.flatMap((item, i) => leafPaths(item).map((p) => [batch!, String(i), ...p]))]) {
      for (const [label, value] of [['missing', undefined], ['null', null], ['NUL', 'a\u0000b']] as const) {
        const json = structuredClone(valid);
        let node: Record<string, unknown> = json;
        for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
        if (value === undefined) delete node[path.at(-1)!];
        else node[path.at(-1)!] = value;
        out.push({ ...base, body: { json, label: `${path.join('.')} ${label}` } });
      }
    }
  }
  if (route.query) out.push({ ...base, query: { limit: '0' } }, { ...base, query: { cursor: 'not-a-cursor' } }, { ...base, query: { state: 'PAID', partnerId: PARTNER } });
  return out.map((f) => [f]);
}

/** Why the request is certainly refused (by the route's own schemas, the hand-written policy, the order's facts), or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed, body: unknown): string | undefined {
  if (f.caller === 'none' || f.caller === 'garbage') return 'no valid token';
  const demand = ROUTE_PERMISSIONS[keyOf(route)]!;
  if (!ROLES_OF[f.caller].some((role) => policyAllows(role, demand))) return `${f.caller} lacks ${demand}`;
  if (route.params && f.id) return 'the path names no order that exists';
  if (route.params && f.caller === 'otherPartner') return "another partner's order";
  if (route.body && (f.body?.raw !== undefined || !route.body.safeParse(body).success)) return 'the body schema refuses it';
  if (route.method === 'post' && f.idempotencyKey !== 'fresh' && (f.idempotencyKey === null ? keyOf(route) === FEED : !/^[\x21-\x7e]{1,200}$/.test(f.idempotencyKey))) return 'no valid Idempotency-Key';
  if (keyOf(route) === ADJUST && f.ifMatch !== '"1"') return 'If-Match is not the fresh order\'s ETag "1"';
  if (route.query && f.query && !route.query.safeParse(f.query).success) return 'the query schema refuses it';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const fresh = randomUUID().slice(0, 13);
  // Each adjustment acts on a fresh PENDING_PAYMENT order of PARTNER (version 1); the reads on one shared order.
  const target = keyOf(route) === ADJUST ? (await feedOrders(env.base, [marketplaceOrder(PARTNER)]))[0]!.id : sharedOrder;
  if (keyOf(route) === ADJUST) baseline = await databaseSnapshot(env.prisma);
  const path = route.path.replace(':id', f.id?.raw ?? target);
  const query = f.query ? `?${new URLSearchParams(f.query).toString()}` : '';
  const valid = VALID_BODY[keyOf(route)];
  const json = f.body ? f.body.json : valid;
  const text = f.body?.raw ?? (json === undefined ? undefined : JSON.stringify(json).replaceAll(ORDER, `MO-fz-${fresh}`));
  const body = text === undefined || f.body?.raw !== undefined ? undefined : JSON.parse(text);
  const headers: Record<string, string> = {};
  if (f.caller !== 'none') {
    const partner = f.caller === 'owner' ? PARTNER : f.caller === 'otherPartner' ? `${PARTNER}-o` : undefined;
    headers.authorization = f.caller === 'garbage' ? 'Bearer x.y.z' : `Bearer ${await tokenFor(ROLES_OF[f.caller], partner, `fz-${fresh}`)}`;
  }
  if (route.method === 'post') {
    if (f.idempotencyKey === 'fresh') headers['idempotency-key'] = randomUUID();
    else if (f.idempotencyKey !== null) headers['idempotency-key'] = f.idempotencyKey;
    if (text !== undefined) headers['content-type'] = 'application/json';
  }
  if (keyOf(route) === ADJUST && f.ifMatch !== null) headers['if-match'] = f.ifMatch;
  const refused = certainlyRefused(route, f, body);
  const where = `[${keyOf(route)}] caller ${f.caller}, body ${f.body?.label ?? 'known-good'}, key ${JSON.stringify(f.idempotencyKey)}, If-Match ${JSON.stringify(f.ifMatch)}: ${route.method.toUpperCase()} ${path}${query}`;

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
  baseline = after;
  if (refused) throw new Error(`accepted although certainly refused (${refused}): ${got}\n${where}`);
  const declared = route.responses[res.status] as { safeParse: (v: unknown) => { success: boolean } } | undefined;
  if (!declared?.safeParse(res.json).success) throw new Error(`the answer is not what the route declares for ${res.status}: ${got}\n${where}`);
  if (route.method === 'get' && tableChanges(before, after).length) throw new Error(`a read changed the database: ${tableChanges(before, after).join('; ')}\n${where}`);
}

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => r.path.startsWith('/v1/marketplace-orders'));
  sharedOrder = (await feedOrders(env.base, [marketplaceOrder(PARTNER)]))[0]!.id;
  baseline = await databaseSnapshot(env.prisma);
});

describe('fuzzing the marketplace order routes: never a 5xx, always a problem, never a write on refusal', () => {
  it('the known-good bodies are good: accepted by their route schemas', () => {
    expect(routes.map(keyOf).sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).filter((k) => k.includes('/marketplace-orders')).sort());
    for (const route of routes.filter((r) => r.body)) expect(route.body!.safeParse(VALID_BODY[keyOf(route)]).success, keyOf(route)).toBe(true);
  });

  it.each([FEED, 'GET /v1/marketplace-orders', 'GET /v1/marketplace-orders/:id', ADJUST])(
    '%s',
    async (name) => {
      const route = routes.find((r) => keyOf(r) === name)!;
      const examples = examplesFor(route);
      await fc.assert(
        fc.asyncProperty(fuzzedArb(route), (f) => runOne(route, f)),
        {
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
    180_000,
  );
});
