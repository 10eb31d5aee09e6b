/**
 * Property-based fuzzing of enterprise lookup against the real API + PostgreSQL: the streamed import with known-good
 * NDJSON lines and one line broken (a leaf of another type, hostile, huge, missing, an unknown field, the line not
 * JSON, not UTF-8, past the line limit), the body replaced by any bytes, another Content-Type, missing or bad
 * Idempotency-Keys; the search with hostile names, codes, limits and cursors; the read with hostile path segments; and
 * every kind of caller. Every answer must be < 500 without internals; a 4xx a well-formed problem (a 400 naming its
 * fields) that changed nothing in any table; a request certainly refused (a caller the policy does not let call, no
 * or a bad Idempotency-Key, another Content-Type, a query its schema refuses) never accepted; an accepted answer what
 * the route declares — and in an accepted import, a line its own schema refuses answered refused naming a field,
 * every other line accepted. FUZZ_SEED / FUZZ_RUNS as in fuzz.account.test.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import { type Role } from '../domain/auth.js';
import { enterpriseLineSchema } from '../domain/enterprise.js';
import { madeUpCode } from './support/access-matrix-enterprise.js';
import { useTestEnv } from './support/env.js';
import { badPathSegment, cursorLike, edgeString, getAt, hugeString, leafPaths, numberish, setAt, wrongTypeFor } from './support/fuzz.js';
import { authorizationOf, fuzzRuns, fuzzSeed, idempotencyKeyArb, isIdempotencyKey, refusedByPolicy, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';
import { ROUTE_PERMISSIONS } from './support/policy.js';

const env = useTestEnv({ taskQueue: 'fuzz-enterprise', api: true });
// No workflow runs and the tables are small: more random runs than the process groups' default 5.
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_205), runs: fuzzRuns(40) });
let routes: RouteDef[];

/** Known-good lines: real-looking enterprises with valid codes. */
const GOOD_LINES = [
  { creditCode: madeUpCode(770_001), name: '模糊测试网络科技有限公司', industry: '软件和信息技术服务业', region: '浙江省杭州市', registeredCapital: { currency: 'CNY', minor: 1_000_000 } },
  { creditCode: madeUpCode(770_002), name: '模糊测试贸易有限公司' },
  { creditCode: madeUpCode(770_003), name: '模糊测试（中国）有限公司', region: '上海市' },
];

type Caller = 'manager' | 'admin' | 'sales' | 'finance' | 'system' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  manager: ['vendor_ecosystem_manager'],
  admin: ['vendor_admin'],
  sales: ['partner_sales'],
  finance: ['partner_finance'],
  system: ['vendor_system'],
};
const CALLERS: Caller[] = ['manager', 'admin', 'sales', 'finance', 'system', 'none', 'garbage'];

/** One line broken (its index and the broken text), or the whole body replaced. */
type Body = { broken?: { index: number; text: string; label: string }; raw?: Buffer; label: string };
type Fuzzed = { caller: Caller; body: Body | null; contentType: string | null; idempotencyKey: string | null | 'fresh'; query: Record<string, string> | null; segment: { raw: string } | null };

function lineArb(): fc.Arbitrary<NonNullable<Body['broken']>> {
  return fc.integer({ min: 0, max: GOOD_LINES.length - 1 }).chain((index) => {
    const valid = GOOD_LINES[index]!;
    const leaf = fc.constantFrom(...leafPaths(valid));
    const as = (json: unknown, label: string) => ({ index, text: JSON.stringify(json), label });
    return fc.oneof(
      leaf.chain((p) => wrongTypeFor(getAt(valid, p)).map((w) => as(setAt(valid, p, w), `${p.join('.')} of another type`))),
      leaf.chain((p) => fc.oneof(edgeString, hugeString, numberish).map((w) => as(setAt(valid, p, w), `${p.join('.')} hostile`))),
      leaf.map((p) => as(setAt(valid, p, undefined), `${p.join('.')} missing`)),
      fc.constant(as({ ...valid, __extra: 1 }, 'unknown field')),
      fc.constant(as({ ...valid, creditCode: `${valid.creditCode.slice(0, 17)}${valid.creditCode[17] === '0' ? '1' : '0'}` }, 'wrong check character')),
      fc.jsonValue({ maxDepth: 2 }).map((json) => as(json, 'any JSON')),
      fc.constantFrom('{', '{"creditCode":', '[1,', 'nul', '\u0000').map((text) => ({ index, text, label: 'not JSON' })),
    );
  });
}

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const post = route.method === 'post';
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant<Caller>(post ? 'manager' : 'sales') }, fc.constantFrom(...CALLERS)),
    body: post
      ? fc.option(
          fc.oneof(
            { weight: 6, arbitrary: lineArb().map((broken) => ({ broken, label: `line ${broken.index + 1}: ${broken.label}` })) },
            fc.uint8Array({ maxLength: 300 }).map((bytes) => ({ raw: Buffer.from(bytes), label: 'any bytes' })),
            fc.constant({ raw: Buffer.from(`${'x'.repeat(5000)}\n`), label: 'a line past 4 KiB' }),
            fc.constant({ raw: Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), label: 'not UTF-8' }),
          ),
          { freq: 2, nil: null },
        )
      : fc.constant(null),
    contentType: post ? fc.oneof({ weight: 8, arbitrary: fc.constant('application/x-ndjson') }, fc.constantFrom<string | null>(null, 'application/json', 'text/plain', 'application/x-ndjson; charset=utf-8')) : fc.constant(null),
    idempotencyKey: post ? idempotencyKeyArb : fc.constant(null),
    query:
      route.path === '/v1/enterprises'
        ? fc.option(
            fc.record(
              {
                name: fc.oneof(fc.constantFrom('模糊测试', '模糊侧试贸易有限公司', '有限公司', '%', '_', '\\'), edgeString, fc.constantFrom(100, 101, 500).map((n) => '企'.repeat(n))),
                creditCode: fc.oneof(fc.constant(GOOD_LINES[0]!.creditCode), edgeString, fc.constantFrom('91', madeUpCode(1).toLowerCase())),
                limit: fc.oneof(fc.constantFrom('0', '1', '100', '101', '-1', '1.5', 'x', ''), numberish.map(String)),
                cursor: fc.oneof(cursorLike, edgeString),
              },
              // (Names stop at 500 characters: past 16 KiB of request line Node's HTTP server answers 431 itself.)
              { requiredKeys: [] },
            ),
            { freq: 4 },
          )
        : fc.constant(null),
    segment: route.path.includes(':creditCode') ? fc.option(badPathSegment, { freq: 3 }) : fc.constant(null),
  });
}

function examplesFor(route: RouteDef): [Fuzzed][] {
  const post = route.method === 'post';
  const base: Fuzzed = { caller: post ? 'manager' : 'sales', body: null, contentType: post ? 'application/x-ndjson' : null, idempotencyKey: post ? 'fresh' : null, query: route.path === '/v1/enterprises' ? { name: '模糊侧试' } : null, segment: null };
  const out: Fuzzed[] = [base, ...CALLERS.map((caller) => ({ ...base, caller }))];
  if (post) {
    for (const idempotencyKey of [null, '', 'a'.repeat(201)]) out.push({ ...base, idempotencyKey });
    for (const contentType of [null, 'application/json']) out.push({ ...base, contentType });
    out.push({ ...base, body: { raw: Buffer.from(''), label: 'empty' } });
    GOOD_LINES.forEach((valid, index) => {
      for (const path of leafPaths(valid)) out.push({ ...base, body: { broken: { index, text: JSON.stringify(setAt(valid, path, null)), label: `${path.join('.')} null` }, label: `line ${index + 1}: ${path.join('.')} null` } });
    });
  }
  if (route.path === '/v1/enterprises') out.push({ ...base, query: { creditCode: '91' } }, { ...base, query: {} }, { ...base, query: { name: '模糊', cursor: 'not-a-cursor' } });
  if (route.path.includes(':creditCode')) out.push({ ...base, segment: { raw: '91' } }, { ...base, segment: { raw: madeUpCode(2) } });
  return out.map((f) => [f]);
}

/** Why the request is certainly refused, or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (route.method === 'post') {
    if (f.idempotencyKey !== 'fresh' && !isIdempotencyKey(f.idempotencyKey)) return 'no valid Idempotency-Key';
    if (f.contentType === null || !f.contentType.startsWith('application/x-ndjson')) return 'not NDJSON';
  }
  if (route.query && f.query && !route.query.safeParse(f.query).success) return 'the query schema refuses it';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const fresh = randomUUID();
  const path = route.path.replace(':creditCode', f.segment?.raw ?? GOOD_LINES[0]!.creditCode);
  const query = f.query ? `?${new URLSearchParams(f.query).toString()}` : route.path === '/v1/enterprises' ? '?name=%E6%A8%A1%E7%B3%8A' : '';
  const lines = GOOD_LINES.map((l, i) => (f.body?.broken?.index === i ? f.body.broken.text : JSON.stringify(l)));
  const body = route.method === 'post' ? (f.body?.raw ?? Buffer.from(`${lines.join('\n')}\n`)) : undefined;
  const headers: Record<string, string> = {};
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'sales' || f.caller === 'finance' ? 'P-fz-ent' : undefined, `fz-${fresh}`);
  if (authorization) headers.authorization = authorization;
  if (f.contentType) headers['content-type'] = f.contentType;
  if (f.idempotencyKey === 'fresh') headers['idempotency-key'] = fresh;
  else if (f.idempotencyKey !== null) headers['idempotency-key'] = f.idempotencyKey;
  const where = `[${routeKey(route)}] caller ${f.caller}, body ${f.body?.label ?? 'known-good'}, type ${f.contentType}, key ${f.idempotencyKey === 'fresh' ? 'fresh' : JSON.stringify(f.idempotencyKey)}: ${`${path}${query}`.slice(0, 400)}`;
  const res = await fuzz.sendAndJudge({ route, path: path + query, headers, body, where, refused: certainlyRefused(route, f) });
  if (!res) return;
  const got = `${res.status} ${res.text.slice(0, 300)}`;
  if (route.method === 'post' && !f.body?.raw) {
    // Each line answered as its own schema says: the broken one refused naming a field, the good ones accepted.
    const results = (res.json as { results: { line: number; ok: boolean; problem?: { errors: { field: string }[] } }[] }).results;
    for (const [i, text] of lines.entries()) {
      const result = results.find((r) => r.line === i + 1);
      let parsed = false;
      try {
        parsed = enterpriseLineSchema.safeParse(JSON.parse(text)).success;
      } catch {
        parsed = false;
      }
      if (!result) throw new Error(`line ${i + 1} has no result: ${got}\n${where}`);
      if (result.ok !== parsed) throw new Error(`line ${i + 1} answered ok=${result.ok}, its schema says ${parsed}: ${got}\n${where}`);
      if (!result.ok && !result.problem?.errors.length) throw new Error(`line ${i + 1} refused without naming a field: ${got}\n${where}`);
    }
  }
}

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => r.path.startsWith('/v1/enterprises'));
  await fuzz.rebase();
});

describe('fuzzing enterprise lookup: never a 5xx, always a problem, never a write on refusal, every line judged alone', () => {
  it('the routes fuzzed here are every enterprise route of the policy, and the known-good lines are good', () => {
    expect(routes.map(routeKey).sort()).toEqual(Object.keys(ROUTE_PERMISSIONS).filter((k) => k.includes('/v1/enterprises')).sort());
    for (const line of GOOD_LINES) expect(enterpriseLineSchema.safeParse(line).success).toBe(true);
  });

  it.each(['POST /v1/enterprises/import', 'GET /v1/enterprises', 'GET /v1/enterprises/:creditCode'])(
    '%s',
    async (name) => {
      const route = routes.find((r) => routeKey(r) === name)!;
      await fuzz.assertRoute(route, fuzzedArb(route), examplesFor(route), (f) => runOne(route, f));
    },
    180_000,
  );
});
