/**
 * Property-based fuzzing of project specialist applications' writes (apply, batch, review, cancel) against the real
 * API, worker and PostgreSQL, on real objects: a reseller partner with eligible members, a member without a work
 * residence, and SUBMITTED applications. Known-good bodies with one part broken — a value hostile, huge, number-like
 * or of another JSON type, a field missing or unknown, the bytes not JSON —, and every kind of caller. Every answer
 * must be < 500 without internals; a 4xx a well-formed problem (a 400 naming its fields) that changed nothing in the
 * database; a request certainly refused — no token, a role the policy does not give, a body the route's own schema
 * refuses — never accepted; an accepted answer what the route declares, of the caller's partner only, and the
 * database keeping one open application per member. The routes are also fuzzed generically with the core routes
 * (test/fuzz.test.ts), where their ids name no application. FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { defaultQuotas } from '../platform/config.js';
import { tokenFor } from './support/app.js';
import { expectOk, useTestEnv } from './support/env.js';
import { edgeString, hugeString, numberish, wrongTypeFor } from './support/fuzz.js';
import { policyAllows, ROUTE_PERMISSIONS } from './support/policy.js';
import { sendAndJudge } from './support/fuzz-judge.js';

const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_206;
const RUNS = Number(process.env.FUZZ_RUNS ?? 40);

// Every run makes fresh applications of one partner: no open-applications quota in the way.
const env = useTestEnv({ taskQueue: 'fuzz-specialist', api: { quotas: { ...defaultQuotas, openApplications: 10_000 } } });
const PARTNER = `P-fz-sp-${randomUUID().slice(0, 8)}`;
const ROUTES = ['POST /v1/specialist-applications', 'POST /v1/specialist-applications/batch', 'POST /v1/specialist-applications/:id/review', 'POST /v1/specialist-applications/:id/cancel'] as const;
type RouteKey = (typeof ROUTES)[number];

type Caller = 'owner' | 'sales' | 'reviewer' | 'staff' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  owner: ['partner_admin'],
  sales: ['partner_sales'],
  reviewer: ['vendor_reviewer'],
  staff: ['vendor_staff'],
  otherPartner: ['partner_admin'],
};

// Placeholders the run replaces with fixture ids: a fresh eligible member, the member without a work residence, a
// SUBMITTED application of PARTNER.
const ELIGIBLE = 'ELIGIBLE-MEMBER';
const NO_RESIDENCE = 'NO-RESIDENCE-MEMBER';
const GOOD: Record<RouteKey, Record<string, unknown>[]> = {
  'POST /v1/specialist-applications': [
    { memberId: ELIGIBLE, pathId: 'SOFTWARE' },
    { memberId: NO_RESIDENCE, pathId: 'CONSULTING_SI' },
  ],
  'POST /v1/specialist-applications/batch': [{ applications: [{ memberId: ELIGIBLE, pathId: 'SOFTWARE' }, { memberId: NO_RESIDENCE, pathId: 'SOFTWARE' }] }],
  'POST /v1/specialist-applications/:id/review': [{ decision: 'REJECT', note: 'Fuzz note' }, { decision: 'APPROVE' }],
  'POST /v1/specialist-applications/:id/cancel': [{ reason: 'Fuzz reason' }],
};

type Body = { json: unknown; label: string } | { raw: Buffer; label: string };
type Fuzzed = { route: RouteKey; caller: Caller; body: Body; idempotent: boolean };

const hostile: fc.Arbitrary<unknown> = fc.oneof(edgeString, hugeString.map((s) => s.slice(0, 70_000)), numberish, fc.constantFrom<unknown>(null, '', 'SOFTWARE', randomUUID(), NO_RESIDENCE));

/** Every path to a value in `value` (into arrays too): what one broken part may replace or remove. */
function leaves(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return prefix.length ? [prefix] : [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [...(prefix.length ? [prefix] : []), ...entries.flatMap(([k, v]) => leaves(v, [...prefix, k]))];
}
function edit(value: unknown, path: (string | number)[], change: (old: unknown) => unknown, remove = false): unknown {
  if (path.length === 0) return change(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])];
    if (rest.length === 0 && remove) copy.splice(head as number, 1);
    else copy[head as number] = edit(copy[head as number], rest, change, remove);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && remove) delete copy[String(head)];
  else copy[String(head)] = edit(copy[String(head)], rest, change, remove);
  return copy;
}
const getAt = (value: unknown, path: (string | number)[]) => path.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], value);

/** One part of a known-good body broken. */
const bodyArb = (route: RouteKey): fc.Arbitrary<Body> =>
  fc.constantFrom(...GOOD[route]).chain((good) => {
    const paths = leaves(good);
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant<Body>({ json: good, label: 'known-good' }) },
      fc.tuple(fc.constantFrom(...paths), hostile).map(([p, v]): Body => ({ json: edit(good, p, () => v), label: `${p.join('.')} hostile` })),
      fc.constantFrom(...paths).chain((p) => wrongTypeFor(getAt(good, p)).map((v): Body => ({ json: edit(good, p, () => v), label: `${p.join('.')} of another type` }))),
      fc.constantFrom(...paths).map((p): Body => ({ json: edit(good, p, () => undefined, true), label: `${p.join('.')} missing` })),
      fc.tuple(fc.constantFrom('extra', '__proto__', 'partnerId', 'status'), hostile).map(([k, v]): Body => ({ json: { ...good, [k]: v }, label: `${k} added` })),
      fc.constantFrom('{', '[]', 'null', '"x"', '{"memberId":', '\u0000').map((text): Body => ({ raw: Buffer.from(text), label: 'not a JSON object' })),
      // A batch past its limit, or naming one member twice.
      ...(route === 'POST /v1/specialist-applications/batch'
        ? [
            fc.integer({ min: 51, max: 60 }).map((n): Body => ({ json: { applications: Array.from({ length: n }, () => ({ memberId: randomUUID(), pathId: 'SOFTWARE' })) }, label: `${n} members` })),
            fc.constant<Body>({ json: { applications: [{ memberId: ELIGIBLE, pathId: 'SOFTWARE' }, { memberId: ELIGIBLE, pathId: 'SOFTWARE' }] }, label: 'a member twice' }),
          ]
        : []),
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
let vendorAdmin: string;
let noResidence: string;
const tally = { accepted: 0, refused: 0 };

async function member(workResidence: string | null) {
  const res = await env.api('POST', `/v1/partners/${PARTNER}/members`, vendorAdmin, { sub: `fz-${randomUUID().slice(0, 8)}`, displayName: 'Fuzz member', roles: ['partner_sales'], ...(workResidence ? { workResidence } : {}) });
  expectOk(res, 201);
  return res.body.id as string;
}
/** A SUBMITTED application of PARTNER (made as its administrator would). */
async function submitted() {
  const res = await env.api('POST', '/v1/specialist-applications', await tokenFor(['partner_admin'], PARTNER, 'fz-owner'), { memberId: await member('Hangzhou'), pathId: 'SOFTWARE' });
  expectOk(res, 201);
  return res.body.id as string;
}

/** Why the request is certainly refused (the hand-written policy, the route's own body schema), or undefined. */
function certainlyRefused(f: Fuzzed, route: RouteDef, sent: unknown): string | undefined {
  if (f.caller === 'none' || f.caller === 'garbage') return 'no valid token';
  const demands = ROUTE_PERMISSIONS[f.route]!;
  if (!ROLES_OF[f.caller].some((role) => policyAllows(role, demands as never))) return `${f.caller} lacks ${demands}`;
  if (f.caller === 'otherPartner' && f.route.includes(':id')) return "another partner's application";
  if ('raw' in f.body) return 'the body is not a JSON object';
  if (!route.body!.safeParse(sent).success) return 'the body schema refuses it';
  return undefined;
}

async function runOne(f: Fuzzed): Promise<void> {
  const route = routes.get(f.route)!;
  const eligible = f.route.startsWith('POST /v1/specialist-applications') && !f.route.includes(':id') ? await member('Hangzhou') : undefined;
  const id = f.route.includes(':id') ? await submitted() : undefined;
  const replace = (v: unknown): unknown =>
    v === ELIGIBLE ? eligible : v === NO_RESIDENCE ? noResidence : Array.isArray(v) ? v.map(replace) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)])) : v;
  const json = 'json' in f.body ? replace(f.body.json) : undefined;
  const bytes = 'raw' in f.body ? f.body.raw : Buffer.from(JSON.stringify(json) ?? 'null');
  const path = route.path.replace(':id', id ?? '');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (f.caller !== 'none') {
    const partner = f.caller === 'owner' || f.caller === 'sales' ? PARTNER : f.caller === 'otherPartner' ? `${PARTNER}-o` : undefined;
    headers.authorization = f.caller === 'garbage' ? 'Bearer x.y.z' : `Bearer ${await tokenFor(ROLES_OF[f.caller], partner, `fz-${randomUUID()}`)}`;
  }
  if (f.idempotent && !f.route.includes(':id')) headers['idempotency-key'] = randomUUID();
  const where = `caller ${f.caller}, body ${f.body.label}: POST ${path} ${bytes.subarray(0, 300).toString('utf8')}`;
  const accepted = await sendAndJudge(env, { route, path, headers, bytes, where, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const { got } = accepted;
  const answered = JSON.stringify(accepted.json);
  const partners = [...answered.matchAll(/"partnerId":"([^"]*)"/g)].map((m) => m[1]);
  if (headers.authorization && f.caller !== 'reviewer' && f.caller !== 'staff' && partners.some((p) => p !== PARTNER)) throw new Error(`another partner answered: ${got}\n${where}`);
  // Whatever was accepted, the database keeps one open application per member.
  const open = await env.prisma.specialistApplication.groupBy({ by: ['memberId'], where: { partnerId: PARTNER, status: { in: ['SUBMITTED', 'APPROVED'] } }, _count: true });
  if (open.some((g) => g._count > 1)) throw new Error(`a member with two open applications: ${where}`);
  if (open.some((g) => g.memberId === noResidence)) throw new Error(`the member without a work residence was admitted: ${where}`);
}

beforeAll(async () => {
  routes = new Map(routesOf(env.deps()).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]));
  vendorAdmin = await tokenFor(['vendor_admin']);
  const feeder = await tokenFor(['vendor_system'], undefined, 'fz-crm');
  const facts = [{ kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' }];
  expectOk(await env.api('POST', `/v1/partners/${PARTNER}/account/facts`, feeder, { source: 'crm', facts }, { 'Idempotency-Key': randomUUID() }), 201);
  noResidence = await member(null);
});

describe('fuzzing project specialist applications: never a 5xx, always a problem, nothing written on refusal', () => {
  it('the known-good bodies are good: accepted by the route schema', () => {
    for (const key of ROUTES) for (const good of GOOD[key]) expect(routes.get(key)!.body!.safeParse(JSON.parse(JSON.stringify(good).replaceAll(/"[A-Z-]+-MEMBER"/g, () => `"${randomUUID()}"`))).success, key).toBe(true);
  });

  it('apply, batch, review, cancel', async () => {
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
    console.info(`fuzz.specialist: seed ${SEED}, ${tally.accepted} accepted, ${tally.refused} refused`);
    // The run reached both sides: accepted requests and refused ones.
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 300_000);
});
