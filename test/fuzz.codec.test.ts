/**
 * Property-based fuzzing of the codec endpoint (issue 19 section 3) against the real API + PostgreSQL: the known-good
 * payload list with one part broken — a leaf of the wrong type, a hostile string, huge, missing, an unknown field, the
 * body replaced by any JSON or by bytes that are not JSON —, base64 that is none, hostile X-Namespace headers, and
 * every kind of caller. Every answer must be < 500 without internals; a 4xx a well-formed problem (a 400 naming its
 * fields) that changed nothing in any table; a request certainly refused never accepted; an accepted answer what the
 * route declares. The app runs without PAYLOAD_CODEC_KEYS (payloads pass through). FUZZ_SEED / FUZZ_RUNS as usual.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import { CODEC_PATH } from '../api/codec/routes.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { useTestEnv } from './support/env.js';
import { edgeString } from './support/fuzz.js';
import { authorizationOf, type BrokenBody, brokenBody, brokenLeaves, fuzzRuns, fuzzSeed, refusedByPolicy, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';

const env = useTestEnv({ taskQueue: 'fuzz-codec', api: true });
// No workflow runs and nothing but the audit log is written: more random runs than the process groups' default 5.
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_219), runs: fuzzRuns(40) });
const b64 = (text: string) => Buffer.from(text).toString('base64');
const VALID_BODY = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"customerName":"fuzz"}') }] };
const CODEC_ROUTES = [`POST ${CODEC_PATH}/decode`, `POST ${CODEC_PATH}/encode`];
let routes: RouteDef[];

type Caller = 'operator' | 'vendor' | 'auditor' | 'partner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  operator: ['vendor_operator'],
  vendor: ['vendor_admin'],
  auditor: ['vendor_auditor'],
  partner: ['partner_admin'],
};
type Fuzzed = { caller: Caller; body: BrokenBody | null; namespace: string | null };

const fuzzedArb = (): fc.Arbitrary<Fuzzed> =>
  fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant<Caller>('operator') }, fc.constantFrom<Caller>('vendor', 'auditor', 'partner', 'none', 'garbage')),
    body: fc.option(
      fc.oneof(
        brokenBody(VALID_BODY, ['{', '{"payloads":', '[1,', 'nul', '\u0000']),
        fc.constantFrom<BrokenBody>(
          { json: { payloads: [{ metadata: { encoding: '%%%' } }] }, label: 'metadata not base64' },
          { json: { payloads: [{ data: 'ab$=' }] }, label: 'data not base64' },
          { json: { payloads: [{ metadata: { '': b64('x') } }] }, label: 'empty metadata key' },
          { json: { payloads: Array.from({ length: 1001 }, () => ({})) }, label: 'too many payloads' },
          { json: { payloads: [{ metadata: { encoding: b64('binary/encrypted'), 'encryption-key-id': b64('k') }, data: b64('short') }] }, label: 'sealed-looking' },
        ),
      ),
      { freq: 4, nil: null },
    ),
    namespace: fc.option(fc.oneof(fc.constantFrom('default', 'other', ''), edgeString), { freq: 2 }),
  });

function examples(): [Fuzzed][] {
  const base: Fuzzed = { caller: 'operator', body: null, namespace: 'default' };
  const out: Fuzzed[] = [base, { ...base, namespace: null }, { ...base, namespace: 'another-namespace' }];
  for (const caller of ['vendor', 'auditor', 'partner', 'none', 'garbage'] as const) out.push({ ...base, caller });
  for (const body of brokenLeaves(VALID_BODY)) out.push({ ...base, body });
  return out.map((f) => [f]);
}

function certainlyRefused(route: RouteDef, f: Fuzzed, body: unknown): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (f.body?.raw !== undefined || !route.body!.safeParse(body).success) return 'the body schema refuses it';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const text = f.body?.raw ?? JSON.stringify(f.body ? f.body.json : VALID_BODY);
  const body = f.body?.raw !== undefined || text === undefined ? undefined : JSON.parse(text);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'partner' ? 'P-fz-codec' : undefined, `fz-${randomUUID()}`);
  if (authorization) headers.authorization = authorization;
  // A header value Node cannot send (control characters) is not a request anyone can make: sent without it.
  if (f.namespace !== null && /^[\t\x20-\x7e\x80-\xff]*$/.test(f.namespace)) headers['x-namespace'] = f.namespace;
  await fuzz.sendAndJudge({
    route,
    path: route.path,
    headers,
    body: text === undefined ? undefined : Buffer.from(text),
    where: `[${routeKey(route)}] caller ${f.caller}, body ${f.body?.label ?? 'known-good'}, X-Namespace ${JSON.stringify(f.namespace)}`,
    refused: certainlyRefused(route, f, body),
  });
}

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => CODEC_ROUTES.includes(routeKey(r)));
  await fuzz.rebase();
});

describe('fuzzing the codec endpoint: never a 5xx, always a problem, never a write on refusal', () => {
  it('the known-good body is good: accepted by the route schemas', () => {
    expect(routes.map(routeKey).sort()).toEqual([...CODEC_ROUTES].sort());
    for (const route of routes) expect(route.body!.safeParse(VALID_BODY).success, routeKey(route)).toBe(true);
  });

  it.each(CODEC_ROUTES)(
    '%s',
    async (name) => {
      const route = routes.find((r) => routeKey(r) === name)!;
      await fuzz.assertRoute(route, fuzzedArb(), examples(), (f) => runOne(route, f));
    },
    120_000,
  );
});
