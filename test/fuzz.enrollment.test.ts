/**
 * Property-based fuzzing of enrollments' writes (ask, invite, accept, decline, review, confirm, withdraw) against the
 * real API, worker and PostgreSQL, on real objects: per run a fresh partner meeting every reseller condition and, for
 * the routes taking an id, its enrollment in the state the route acts on (INVITED for accept and decline, IN_REVIEW
 * for review and withdraw, AWAITING_CONFIRMATION for confirm). Known-good bodies with one part broken, and every kind
 * of caller. Every answer must be < 500 without internals; a 4xx a well-formed problem that changed nothing in the
 * database (support/fuzz-judge.ts); a request certainly refused never accepted; an accepted answer what the route
 * declares, about the run's partner only, and the database keeping one open enrollment per partner and program and
 * every instrument voided at most once. FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { instrumentListHash } from '../platform/partner-account.js';
import { tokenFor } from './support/app.js';
import { expectOk, SECOND, useTestEnv } from './support/env.js';
import { authorizationOf, fuzzRuns, fuzzSeed, refusedByPolicy } from './support/fuzz-group.js';
import { sendAndJudge } from './support/fuzz-judge.js';
import { assertWrites, brokenWriteBody, fuzzedWrite, type FuzzedWrite, knownGoodWrites, partnersNamed } from './support/fuzz-writes.js';

const SEED = fuzzSeed(20_261_207);
const RUNS = fuzzRuns(30);

const env = useTestEnv({ taskQueue: 'fuzz-enrollment', api: true });
const ROUTES = [
  'POST /v1/partners/:partnerId/enrollments',
  'POST /v1/enrollment-invitations',
  'POST /v1/enrollments/:id/accept',
  'POST /v1/enrollments/:id/decline',
  'POST /v1/enrollments/:id/review',
  'POST /v1/enrollments/:id/confirm',
  'POST /v1/enrollments/:id/withdraw',
] as const;
type RouteKey = (typeof ROUTES)[number];

type Caller = 'owner' | 'sales' | 'reviewer' | 'manager' | 'staff' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  owner: ['partner_admin'],
  sales: ['partner_sales'],
  reviewer: ['vendor_reviewer'],
  manager: ['vendor_ecosystem_manager'],
  staff: ['vendor_staff'],
  otherPartner: ['partner_admin'],
};
/** The run's partner, in an invitation's body (the vendor names whom it invites). */
const THE_PARTNER = '$partner';
/** The partner has no instruments: joining voids the empty list. */
const NOTHING_VOIDED = instrumentListHash([]);
const GOOD: Record<RouteKey, Record<string, unknown>[]> = {
  'POST /v1/partners/:partnerId/enrollments': [{ program: 'RESELLER' }, { program: 'SOLUTION_PROVIDER' }],
  'POST /v1/enrollment-invitations': [{ partnerId: THE_PARTNER, program: 'RESELLER', note: 'Fuzz note' }, { partnerId: THE_PARTNER, program: 'SOLUTION_PROVIDER' }],
  'POST /v1/enrollments/:id/accept': [{}],
  'POST /v1/enrollments/:id/decline': [{ reason: 'Fuzz reason' }, {}],
  'POST /v1/enrollments/:id/review': [{ decision: 'APPROVE' }, { decision: 'REJECT', note: 'Fuzz note' }],
  'POST /v1/enrollments/:id/confirm': [{ instrumentsHash: NOTHING_VOIDED }],
  'POST /v1/enrollments/:id/withdraw': [{ reason: 'Fuzz reason' }, {}],
};
const GOOD_CALLER: Record<RouteKey, Caller> = {
  'POST /v1/partners/:partnerId/enrollments': 'owner',
  'POST /v1/enrollment-invitations': 'manager',
  'POST /v1/enrollments/:id/accept': 'owner',
  'POST /v1/enrollments/:id/decline': 'owner',
  'POST /v1/enrollments/:id/review': 'reviewer',
  'POST /v1/enrollments/:id/confirm': 'owner',
  'POST /v1/enrollments/:id/withdraw': 'owner',
};

type Fuzzed = FuzzedWrite<RouteKey, Caller>;
const CALLERS: Caller[] = ['owner', 'sales', 'reviewer', 'manager', 'staff', 'otherPartner', 'none', 'garbage'];

/** One part of a known-good body broken. */
const bodyArb = (route: RouteKey) =>
  brokenWriteBody(GOOD[route], {
    values: [null, '', 'RESELLER', 'DISTRIBUTOR', randomUUID()],
    addedKeys: ['extra', '__proto__', 'partnerId', 'status', 'program'],
    notJson: ['{', '[]', 'null', '"x"', '{"program":', '\u0000'],
  });

const fuzzedArb = fuzzedWrite(ROUTES, CALLERS, (route) => GOOD_CALLER[route], bodyArb);

let routes: Map<string, RouteDef>;
let feeder: string;
let reviewer: string;
let manager: string;
const tally = { accepted: 0, refused: 0 };

/** Why the request is certainly refused (the hand-written policy, the route's own body schema), or undefined. */
function certainlyRefused(f: Fuzzed, route: RouteDef, sent: unknown): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (f.caller === 'otherPartner') return "another partner's enrollment or partner";
  if ('raw' in f.body) return 'the body is not a JSON object';
  if (!route.body!.safeParse(sent).success) return 'the body schema refuses it';
  return undefined;
}

/** A fresh partner meeting every reseller condition (and so every solution-provider one it is fed). */
async function freshPartner() {
  const partnerId = `P-fz-en-${randomUUID().slice(0, 8)}`;
  const observedAt = new Date((await env.currentTimeMs()) - 60 * SECOND).toISOString();
  const facts = [
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' }, observedAt },
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'NOT_JOINED' }, observedAt },
    { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
    { kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 0 } }, observedAt },
    { kind: 'POSTPAID', value: { enabled: false }, observedAt },
    ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT', subject, value: { signed: false }, observedAt })),
    { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
  ];
  expectOk(await env.api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'billing', facts }, { 'Idempotency-Key': randomUUID() }), 201);
  return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, 'fz-en-owner') };
}

/** The enrollment the route acts on, in its state. */
async function objectFor(route: RouteKey, p: { partnerId: string; owner: string }): Promise<string> {
  if (route.endsWith('/accept') || route.endsWith('/decline')) {
    const invited = await env.api('POST', '/v1/enrollment-invitations', manager, { partnerId: p.partnerId, program: 'RESELLER' });
    expectOk(invited, 201);
    return invited.body.id as string;
  }
  const asked = await env.api('POST', `/v1/partners/${p.partnerId}/enrollments`, p.owner, { program: 'RESELLER' });
  expectOk(asked, 201);
  if (route.endsWith('/confirm')) expectOk(await env.api('POST', `/v1/enrollments/${asked.body.id}/review`, reviewer, { decision: 'APPROVE' }));
  return asked.body.id as string;
}

async function runOne(f: Fuzzed): Promise<void> {
  const route = routes.get(f.route)!;
  const p = await freshPartner();
  const id = f.route.includes(':id') ? await objectFor(f.route, p) : undefined;
  const raw = 'json' in f.body ? f.body.json : undefined;
  const json = raw && typeof raw === 'object' && (raw as { partnerId?: unknown }).partnerId === THE_PARTNER ? { ...raw, partnerId: p.partnerId } : raw;
  const bytes = 'raw' in f.body ? f.body.raw : Buffer.from(JSON.stringify(json) ?? 'null');
  const path = route.path.replace(':id', id ?? '').replace(':partnerId', p.partnerId);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' || f.caller === 'sales' ? p.partnerId : f.caller === 'otherPartner' ? `${p.partnerId}-o` : undefined, `fz-${randomUUID()}`);
  if (authorization) headers.authorization = authorization;
  if (f.idempotent && !f.route.includes(':id')) headers['idempotency-key'] = randomUUID();
  const where = `caller ${f.caller}, body ${f.body.label}: POST ${path} ${bytes.subarray(0, 300).toString('utf8')}`;
  const accepted = await sendAndJudge(env, { route, path, headers, bytes, where, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const { got } = accepted;
  // An invitation names its partner in the body: the answer is about that partner; everything else about the run's.
  const about = f.route === 'POST /v1/enrollment-invitations' ? (json as { partnerId: string }).partnerId : p.partnerId;
  if (partnersNamed(accepted.json).some((x) => x !== about)) throw new Error(`another partner answered: ${got}\n${where}`);
  // Whatever was accepted: one open enrollment per program, no instrument voided twice.
  const open = await env.prisma.$queryRaw<{ program: string; n: bigint }[]>`
    SELECT program, count(*) AS n FROM enrollment WHERE partner_id = ${about} AND status IN ('INVITED', 'IN_REVIEW', 'AWAITING_CONFIRMATION') GROUP BY program`;
  if (open.some((g) => g.n > 1n)) throw new Error(`two open enrollments of one program: ${where}`);
}

beforeAll(async () => {
  routes = new Map(routesOf(env.deps()).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]));
  feeder = await tokenFor(['vendor_system'], undefined, 'fz-en-feeder');
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'fz-en-reviewer');
  manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'fz-en-manager');
});

describe('fuzzing enrollments: never a 5xx, always a problem, nothing written on refusal', () => {
  it('the known-good bodies are good: accepted by the route schema', () => {
    for (const key of ROUTES) for (const good of GOOD[key]) expect(routes.get(key)!.body!.safeParse({ ...good, ...('partnerId' in good ? { partnerId: 'P-1' } : {}) }).success, key).toBe(true);
  });

  it('ask, invite, accept, decline, review, confirm, withdraw', async () => {
    await assertWrites('fuzz.enrollment', fuzzedArb, knownGoodWrites(ROUTES, GOOD, CALLERS), (f) => runOne(f), { seed: SEED, runs: RUNS, tally });
  }, 600_000);
});
