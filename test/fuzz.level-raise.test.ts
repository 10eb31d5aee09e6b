/**
 * Property-based fuzzing of level raises' writes (ask, review, withdraw) against the real API, worker and PostgreSQL,
 * on real objects: per run a fresh partner that meets SOFTWARE CERTIFIED and, for the routes taking an id, its
 * SUBMITTED raise. Known-good bodies with one part broken — a value hostile, huge, number-like or of another JSON
 * type, a field missing or unknown, the bytes not JSON —, and every kind of caller. Every answer must be < 500
 * without internals; a 4xx a well-formed problem (a 400 naming its fields) that changed nothing in the database; a
 * request certainly refused — no token, a role the policy does not give, another partner, a body the route's own
 * schema refuses — never accepted; an accepted answer what the route declares, of the caller's partner only, and the
 * database keeping one open raise per partner and path and one membership change per raise. FUZZ_SEED / FUZZ_RUNS as
 * in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { expectOk, useTestEnv } from './support/env.js';
import { edgeString, getAt, hugeString, leafPaths, numberish, setAt, wrongTypeFor } from './support/fuzz.js';
import { qualifySoftware } from './support/path-facts.js';
import { policyAllows, ROUTE_PERMISSIONS } from './support/policy.js';
import { sendAndJudge } from './support/fuzz-judge.js';

const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_206;
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

const env = useTestEnv({ taskQueue: 'fuzz-level-raise', api: true });
const ROUTES = ['POST /v1/partners/:partnerId/level-raises', 'POST /v1/level-raises/:id/review', 'POST /v1/level-raises/:id/withdraw'] as const;
type RouteKey = (typeof ROUTES)[number];

type Caller = 'owner' | 'sales' | 'reviewer' | 'staff' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  owner: ['partner_admin'],
  sales: ['partner_sales'],
  reviewer: ['vendor_reviewer'],
  staff: ['vendor_staff'],
  otherPartner: ['partner_admin'],
};
const GOOD: Record<RouteKey, Record<string, unknown>[]> = {
  'POST /v1/partners/:partnerId/level-raises': [{ pathId: 'SOFTWARE' }, { pathId: 'CONSULTING_SI' }],
  'POST /v1/level-raises/:id/review': [{ decision: 'APPROVE' }, { decision: 'REJECT', note: 'Fuzz note' }],
  'POST /v1/level-raises/:id/withdraw': [{ reason: 'Fuzz reason' }, {}],
};

type Body = { json: unknown; label: string } | { raw: Buffer; label: string };
type Fuzzed = { route: RouteKey; caller: Caller; body: Body; idempotent: boolean };

const hostile: fc.Arbitrary<unknown> = fc.oneof(edgeString, hugeString.map((s) => s.slice(0, 70_000)), numberish, fc.constantFrom<unknown>(null, '', 'SOFTWARE', 'ADVANCED', randomUUID()));

/** One part of a known-good body broken. */
const bodyArb = (route: RouteKey): fc.Arbitrary<Body> =>
  fc.constantFrom(...GOOD[route]).chain((good) => {
    const paths = leafPaths(good);
    const some = paths.length
      ? [
          fc.tuple(fc.constantFrom(...paths), hostile).map(([p, v]): Body => ({ json: setAt(good, p, v), label: `${p.join('.')} hostile` })),
          fc.constantFrom(...paths).chain((p) => wrongTypeFor(getAt(good, p)).map((v): Body => ({ json: setAt(good, p, v), label: `${p.join('.')} of another type` }))),
          fc.constantFrom(...paths).map((p): Body => ({ json: Object.fromEntries(Object.entries(good).filter(([k]) => k !== p[0])), label: `${p.join('.')} missing` })),
        ]
      : [];
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant<Body>({ json: good, label: 'known-good' }) },
      ...some,
      fc.tuple(fc.constantFrom('extra', '__proto__', 'partnerId', 'level', 'toLevel'), hostile).map(([k, v]): Body => ({ json: { ...good, [k]: v }, label: `${k} added` })),
      fc.constantFrom('{', '[]', 'null', '"x"', '{"pathId":', '\u0000').map((text): Body => ({ raw: Buffer.from(text), label: 'not a JSON object' })),
    );
  });

const fuzzedArb: fc.Arbitrary<Fuzzed> = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    caller: fc.oneof({ weight: 4, arbitrary: fc.constant<Caller>(route.includes('/review') ? 'reviewer' : 'owner') }, fc.constantFrom<Caller>('owner', 'sales', 'reviewer', 'staff', 'otherPartner', 'none', 'garbage')),
    body: bodyArb(route),
    idempotent: fc.boolean(),
  }),
);

let routes: Map<string, RouteDef>;
const tally = { accepted: 0, refused: 0 };

/** Why the request is certainly refused (the hand-written policy, the route's own body schema), or undefined. */
function certainlyRefused(f: Fuzzed, route: RouteDef, sent: unknown): string | undefined {
  if (f.caller === 'none' || f.caller === 'garbage') return 'no valid token';
  const demands = ROUTE_PERMISSIONS[f.route]!;
  if (!ROLES_OF[f.caller].some((role) => policyAllows(role, demands as never))) return `${f.caller} lacks ${demands}`;
  if (f.caller === 'otherPartner') return "another partner's raise or partner";
  if ('raw' in f.body) return 'the body is not a JSON object';
  if (!route.body!.safeParse(sent).success) return 'the body schema refuses it';
  return undefined;
}

async function runOne(f: Fuzzed): Promise<void> {
  const route = routes.get(f.route)!;
  // A fresh partner that meets SOFTWARE CERTIFIED, and for the routes taking an id its SUBMITTED raise.
  const partnerId = `P-fz-lr-${randomUUID().slice(0, 8)}`;
  await qualifySoftware(env.prisma, partnerId, 'CERTIFIED');
  let id: string | undefined;
  if (f.route.includes(':id')) {
    const asked = await env.api('POST', `/v1/partners/${partnerId}/level-raises`, await tokenFor(['partner_admin'], partnerId, 'fz-owner'), { pathId: 'SOFTWARE' });
    expectOk(asked, 201);
    id = asked.body.id as string;
  }
  const json = 'json' in f.body ? f.body.json : undefined;
  const bytes = 'raw' in f.body ? f.body.raw : Buffer.from(JSON.stringify(json) ?? 'null');
  const path = route.path.replace(':id', id ?? '').replace(':partnerId', partnerId);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (f.caller !== 'none') {
    const partner = f.caller === 'owner' || f.caller === 'sales' ? partnerId : f.caller === 'otherPartner' ? `${partnerId}-o` : undefined;
    headers.authorization = f.caller === 'garbage' ? 'Bearer x.y.z' : `Bearer ${await tokenFor(ROLES_OF[f.caller], partner, `fz-${randomUUID()}`)}`;
  }
  if (f.idempotent && !f.route.includes(':id')) headers['idempotency-key'] = randomUUID();
  const where = `caller ${f.caller}, body ${f.body.label}: POST ${path} ${bytes.subarray(0, 300).toString('utf8')}`;
  const accepted = await sendAndJudge(env, { route, path, headers, bytes, where, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const { got } = accepted;
  const partners = [...JSON.stringify(accepted.json).matchAll(/"partnerId":"([^"]*)"/g)].map((m) => m[1]);
  if (partners.some((p) => p !== partnerId)) throw new Error(`another partner answered: ${got}\n${where}`);
  // Whatever was accepted: one open raise per path, one membership change per raise, the level only ever CERTIFIED.
  const open = await env.prisma.levelRaise.groupBy({ by: ['pathId'], where: { partnerId, status: 'SUBMITTED' }, _count: true });
  if (open.some((g) => g._count > 1)) throw new Error(`two open raises of one path: ${where}`);
  const changes = await env.prisma.pathMembershipChange.groupBy({ by: ['levelRaiseId'], where: { partnerId, levelRaiseId: { not: null } }, _count: true });
  if (changes.some((g) => g._count > 1)) throw new Error(`a raise that moved the level twice: ${where}`);
  const level = await env.prisma.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId: 'SOFTWARE' } } });
  if (level && level.level !== 'CERTIFIED') throw new Error(`the level moved past the raise: ${level.level}\n${where}`);
}

beforeAll(() => {
  routes = new Map(routesOf(env.deps()).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]));
});

describe('fuzzing level raises: never a 5xx, always a problem, nothing written on refusal', () => {
  it('the known-good bodies are good: accepted by the route schema', () => {
    for (const key of ROUTES) for (const good of GOOD[key]) expect(routes.get(key)!.body!.safeParse(good).success, key).toBe(true);
  });

  it('ask, review, withdraw', async () => {
    const callers: Caller[] = ['owner', 'sales', 'reviewer', 'staff', 'otherPartner', 'none', 'garbage'];
    const examples: [Fuzzed][] = ROUTES.flatMap((route) => GOOD[route].flatMap((good) => callers.map((caller): [Fuzzed] => [{ route, caller, body: { json: good, label: 'known-good' }, idempotent: true }])));
    await fc.assert(fc.asyncProperty(fuzzedArb, (f) => runOne(f)), {
      numRuns: examples.length + RUNS,
      examples,
      seed: SEED,
      endOnFailure: true,
      reporter: (out) => {
        if (out.failed) throw new Error(`fuzz failure (FUZZ_SEED=${SEED} replays): ${String(out.errorInstance)}`);
      },
    });
    console.info(`fuzz.level-raise: seed ${SEED}, ${tally.accepted} accepted, ${tally.refused} refused`);
    // The run reached both sides: accepted requests and refused ones.
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 300_000);
});
