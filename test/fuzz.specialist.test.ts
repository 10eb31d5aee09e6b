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
import { authorizationOf, fuzzRuns, fuzzSeed } from './support/fuzz-group.js';
import { assertWrites, brokenWriteBody, fuzzedWrite, type FuzzedWrite, knownGoodWrites, partnersNamed, refusedWrite, sendWrite, type WriteBody } from './support/fuzz-writes.js';

const SEED = fuzzSeed(20_261_206);
const RUNS = fuzzRuns(40);

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

type Fuzzed = FuzzedWrite<RouteKey, Caller>;
const CALLERS: Caller[] = ['owner', 'sales', 'reviewer', 'staff', 'otherPartner', 'none', 'garbage'];

/** One part of a known-good body broken, into the batch's items too. */
const bodyArb = (route: RouteKey) =>
  brokenWriteBody(GOOD[route], {
    values: [null, '', 'SOFTWARE', randomUUID(), NO_RESIDENCE],
    addedKeys: ['extra', '__proto__', 'partnerId', 'status'],
    notJson: ['{', '[]', 'null', '"x"', '{"memberId":', '\u0000'],
    intoArrays: true,
    // A batch past its limit, or naming one member twice.
    more:
      route === 'POST /v1/specialist-applications/batch'
        ? [
            fc.integer({ min: 51, max: 60 }).map((n): WriteBody => ({ json: { applications: Array.from({ length: n }, () => ({ memberId: randomUUID(), pathId: 'SOFTWARE' })) }, label: `${n} members` })),
            fc.constant<WriteBody>({ json: { applications: [{ memberId: ELIGIBLE, pathId: 'SOFTWARE' }, { memberId: ELIGIBLE, pathId: 'SOFTWARE' }] }, label: 'a member twice' }),
          ]
        : [],
  });

const fuzzedArb = fuzzedWrite(ROUTES, CALLERS, (route) => (route.includes('/review') ? 'reviewer' : 'owner'), bodyArb);

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

/**
 * Why the request is certainly refused (the hand-written policy, another partner's application, the route's own body
 * schema), or undefined.
 */
const certainlyRefused = (f: Fuzzed, route: RouteDef, sent: unknown): string | undefined =>
  refusedWrite(route, { caller: f.caller, rolesOf: ROLES_OF, body: f.body, sent, beyond: f.caller === 'otherPartner' && f.route.includes(':id') ? "another partner's application" : undefined });

async function runOne(f: Fuzzed): Promise<void> {
  const route = routes.get(f.route)!;
  const eligible = f.route.startsWith('POST /v1/specialist-applications') && !f.route.includes(':id') ? await member('Hangzhou') : undefined;
  const id = f.route.includes(':id') ? await submitted() : undefined;
  const replace = (v: unknown): unknown =>
    v === ELIGIBLE ? eligible : v === NO_RESIDENCE ? noResidence : Array.isArray(v) ? v.map(replace) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replace(x)])) : v;
  const json = 'json' in f.body ? replace(f.body.json) : undefined;
  const path = route.path.replace(':id', id ?? '');
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' || f.caller === 'sales' ? PARTNER : f.caller === 'otherPartner' ? `${PARTNER}-o` : undefined, `fz-${randomUUID()}`);
  const idempotencyKey = f.idempotent && !f.route.includes(':id');
  const accepted = await sendWrite(env, { route, caller: f.caller, body: f.body, json, path, authorization, idempotencyKey, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const { got, where } = accepted;
  if (authorization && f.caller !== 'reviewer' && f.caller !== 'staff' && partnersNamed(accepted.json).some((p) => p !== PARTNER)) throw new Error(`another partner answered: ${got}\n${where}`);
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
    await assertWrites('fuzz.specialist', fuzzedArb, knownGoodWrites(ROUTES, GOOD, CALLERS), (f) => runOne(f), { seed: SEED, runs: RUNS, tally });
  }, 300_000);
});
