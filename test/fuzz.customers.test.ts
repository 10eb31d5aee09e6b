/**
 * Property-based fuzzing of customer facts and customer reports' writes (feed, report, review, invite, withdraw,
 * accept) against the real API, worker and PostgreSQL, on real objects: per run a fresh reportable enterprise (in the
 * records, one account registered today) and, for the routes taking an id, a report of a fresh partner (in manual
 * review for the review; protected otherwise; invited for the acceptance). Known-good bodies with one part broken,
 * and every kind of caller. Every answer must be < 500 without internals; a 4xx a well-formed problem that changed
 * nothing; a request certainly refused — no token, a role the policy does not give, another partner, a body the
 * route's own schema refuses — never accepted; an accepted answer what the route declares, of the run's partner only,
 * and the database keeping one protected report per enterprise and one association per report. FUZZ_SEED / FUZZ_RUNS
 * as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { customerToken, enterprises, feedCustomer, freshCreditCode, freshCustomer, reportableFacts } from './support/customer-fixtures.js';
import { tokenFor } from './support/app.js';
import { expectOk, useTestEnv } from './support/env.js';
import { authorizationOf, fuzzRuns, fuzzSeed, refusedByPolicy } from './support/fuzz-group.js';
import { sendAndJudge } from './support/fuzz-judge.js';
import { assertWrites, brokenWriteBody, fuzzedWrite, type FuzzedWrite, knownGoodWrites, partnersNamed } from './support/fuzz-writes.js';

const SEED = fuzzSeed(20_261_218);
const RUNS = fuzzRuns(30);

const env = useTestEnv({ taskQueue: 'fuzz-customers', api: true });
const ROUTES = [
  'POST /v1/customers/:customerId/facts',
  'POST /v1/partners/:partnerId/customer-reports',
  'POST /v1/customer-reports/:id/review',
  'POST /v1/customer-reports/:id/invitation',
  'POST /v1/customer-reports/:id/withdraw',
  'POST /v1/customer-invitations/:token/accept',
] as const;
type RouteKey = (typeof ROUTES)[number];

type Caller = 'owner' | 'sales' | 'manager' | 'system' | 'customer' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage' | 'customer'>, Role[]> = {
  owner: ['partner_admin'],
  sales: ['partner_sales'],
  manager: ['vendor_ecosystem_manager'],
  system: ['vendor_system'],
  otherPartner: ['partner_admin'],
};
const GOOD: Record<RouteKey, Record<string, unknown>[]> = {
  'POST /v1/customers/:customerId/facts': [
    { source: 'billing', facts: [{ kind: 'FROZEN', value: { frozen: true }, observedAt: '2026-11-02T08:00:00+08:00' }] },
    { source: 'iam', facts: [{ kind: 'REGISTERED', value: { registeredOn: '2026-11-01' }, observedAt: '2026-11-02T08:00:00+08:00' }] },
  ],
  'POST /v1/partners/:partnerId/customer-reports': [{ creditCode: 'CODE' }, { creditCode: 'CODE', manualReview: true, justification: 'Fuzz reason' }],
  'POST /v1/customer-reports/:id/review': [{ decision: 'APPROVE' }, { decision: 'REJECT', note: 'Fuzz note' }],
  'POST /v1/customer-reports/:id/invitation': [{ mode: 'RESELLER' }, { mode: 'CONSULTATIVE' }],
  'POST /v1/customer-reports/:id/withdraw': [{ reason: 'Fuzz reason' }, {}],
  'POST /v1/customer-invitations/:token/accept': [{}],
};

type Fuzzed = FuzzedWrite<RouteKey, Caller>;
const CALLERS: Caller[] = ['owner', 'sales', 'manager', 'system', 'customer', 'otherPartner', 'none', 'garbage'];

/** One part of a known-good body broken. */
const bodyArb = (route: RouteKey) =>
  brokenWriteBody(GOOD[route], {
    values: [null, '', 'RESELLER', '91330100799655058B', randomUUID()],
    addedKeys: ['extra', '__proto__', 'partnerId', 'status', 'customerId'],
    notJson: ['{', '[]', 'null', '"x"', '{"creditCode":', '\u0000'],
  });

const rightCaller = (route: RouteKey): Caller =>
  route.includes('/facts') ? 'system' : route.includes('/review') ? 'manager' : route.includes('/accept') ? 'customer' : 'owner';
const fuzzedArb = fuzzedWrite(ROUTES, CALLERS, rightCaller, bodyArb);

let routes: Map<string, RouteDef>;
const tally = { accepted: 0, refused: 0 };

function certainlyRefused(f: Fuzzed, route: RouteDef, sent: unknown): string | undefined {
  const byPolicy = refusedByPolicy(route, f.caller, { ...ROLES_OF, customer: ['customer'] });
  if (byPolicy) return byPolicy;
  if (f.caller === 'otherPartner') return "another partner's report or partner";
  // A route without a body (the acceptance) ignores one it was sent, whatever it is.
  if (!route.body) return undefined;
  if ('raw' in f.body) return 'the body is not a JSON object';
  if (!route.body.safeParse(sent).success) return 'the body schema refuses it';
  return undefined;
}

async function runOne(f: Fuzzed): Promise<void> {
  const route = routes.get(f.route)!;
  const partnerId = `P-fz-cr-${randomUUID().slice(0, 8)}`;
  const owner = await tokenFor(['partner_admin'], partnerId, 'fz-owner');
  const creditCode = freshCreditCode();
  const customerId = freshCustomer('fz');
  await enterprises(creditCode);
  const now = new Date().toISOString();
  await feedCustomer(env.api, customerId, reportableFacts(creditCode, now.slice(0, 10), now));
  let id = '';
  let token = '';
  if (f.route.includes(':id') || f.route.includes(':token')) {
    const manual = f.route.includes('/review');
    const made = await env.api('POST', `/v1/partners/${partnerId}/customer-reports`, owner, manual ? { creditCode, manualReview: true, justification: 'fuzz' } : { creditCode });
    expectOk(made, 201);
    id = made.body.id as string;
    if (f.route.includes(':token')) {
      const invited = await env.api('POST', `/v1/customer-reports/${id}/invitation`, owner, { mode: 'RESELLER' });
      expectOk(invited, 201);
      token = invited.body.token as string;
    }
  }
  const json = 'json' in f.body ? JSON.parse(JSON.stringify(f.body.json ?? null).replaceAll('"CODE"', JSON.stringify(creditCode))) : undefined;
  const bytes = 'raw' in f.body ? f.body.raw : Buffer.from(JSON.stringify(json) ?? 'null');
  const path = route.path.replace(':id', id).replace(':token', token).replace(':partnerId', partnerId).replace(':customerId', customerId);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (f.caller === 'customer') headers.authorization = `Bearer ${await customerToken(customerId)}`;
  else {
    const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' || f.caller === 'sales' ? partnerId : f.caller === 'otherPartner' ? `${partnerId}-o` : undefined, `fz-${randomUUID()}`);
    if (authorization) headers.authorization = authorization;
  }
  if (f.idempotent || f.route.includes('/facts')) headers['idempotency-key'] = randomUUID();
  const where = `caller ${f.caller}, body ${f.body.label}: POST ${path} ${bytes.subarray(0, 300).toString('utf8')}`;
  const accepted = await sendAndJudge(env, { route, path, headers, bytes, where, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  if (partnersNamed(accepted.json).some((p) => p !== partnerId)) throw new Error(`another partner answered: ${accepted.got}\n${where}`);
  // Whatever was accepted: one protected report per enterprise, one association per report.
  const [held] = await env.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM customer_report WHERE credit_code = $1 AND status IN ('PROTECTED', 'INVITED')`, creditCode);
  if (held!.n > 1) throw new Error(`two protected reports of one enterprise: ${where}`);
  if (id && (await env.prisma.customerAssociation.count({ where: { reportId: id } })) > 1) throw new Error(`a report associated twice: ${where}`);
}

beforeAll(() => {
  routes = new Map(routesOf(env.deps()).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]));
});

describe('fuzzing customer facts and reports: never a 5xx, always a problem, nothing written on refusal', () => {
  it('the known-good bodies are good: accepted by the route schema', () => {
    const code = freshCreditCode();
    for (const key of ROUTES) {
      const body = routes.get(key)!.body;
      if (body) for (const good of GOOD[key]) expect(body.safeParse(JSON.parse(JSON.stringify(good).replaceAll('"CODE"', JSON.stringify(code)))).success, key).toBe(true);
    }
  });

  it('feed, report, review, invite, withdraw, accept', async () => {
    await assertWrites('fuzz.customers', fuzzedArb, knownGoodWrites(ROUTES, GOOD, CALLERS), (f) => runOne(f), { seed: SEED, runs: RUNS, tally });
  }, 600_000);
});
