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
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { customerToken, enterprises, feedCustomer, freshCreditCode, freshCustomer, reportableFacts } from './support/customer-fixtures.js';
import { tokenFor } from './support/app.js';
import { expectOk, useTestEnv } from './support/env.js';
import { edgeString, getAt, hugeString, leafPaths, numberish, setAt, wrongTypeFor } from './support/fuzz.js';
import { sendAndJudge } from './support/fuzz-judge.js';
import { policyAllows, ROUTE_PERMISSIONS } from './support/policy.js';

const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_218;
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

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

type Body = { json: unknown; label: string } | { raw: Buffer; label: string };
type Fuzzed = { route: RouteKey; caller: Caller; body: Body; idempotent: boolean };

const hostile: fc.Arbitrary<unknown> = fc.oneof(edgeString, hugeString.map((s) => s.slice(0, 70_000)), numberish, fc.constantFrom<unknown>(null, '', 'RESELLER', '91330100799655058B', randomUUID()));

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
      fc.tuple(fc.constantFrom('extra', '__proto__', 'partnerId', 'status', 'customerId'), hostile).map(([k, v]): Body => ({ json: { ...good, [k]: v }, label: `${k} added` })),
      fc.constantFrom('{', '[]', 'null', '"x"', '{"creditCode":', '\u0000').map((text): Body => ({ raw: Buffer.from(text), label: 'not a JSON object' })),
    );
  });

const rightCaller = (route: RouteKey): Caller =>
  route.includes('/facts') ? 'system' : route.includes('/review') ? 'manager' : route.includes('/accept') ? 'customer' : 'owner';
const fuzzedArb: fc.Arbitrary<Fuzzed> = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    caller: fc.oneof({ weight: 4, arbitrary: fc.constant(rightCaller(route)) }, fc.constantFrom<Caller>('owner', 'sales', 'manager', 'system', 'customer', 'otherPartner', 'none', 'garbage')),
    body: bodyArb(route),
    idempotent: fc.boolean(),
  }),
);

let routes: Map<string, RouteDef>;
const tally = { accepted: 0, refused: 0 };

function certainlyRefused(f: Fuzzed, route: RouteDef, sent: unknown): string | undefined {
  if (f.caller === 'none' || f.caller === 'garbage') return 'no valid token';
  const demands = ROUTE_PERMISSIONS[f.route]!;
  const roles: Role[] = f.caller === 'customer' ? ['customer'] : ROLES_OF[f.caller];
  if (!roles.some((role) => policyAllows(role, demands as never))) return `${f.caller} lacks ${demands}`;
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
  if (f.caller === 'garbage') headers.authorization = 'Bearer x.y.z';
  else if (f.caller === 'customer') headers.authorization = `Bearer ${await customerToken(customerId)}`;
  else if (f.caller !== 'none') {
    const partner = f.caller === 'owner' || f.caller === 'sales' ? partnerId : f.caller === 'otherPartner' ? `${partnerId}-o` : undefined;
    headers.authorization = `Bearer ${await tokenFor(ROLES_OF[f.caller], partner, `fz-${randomUUID()}`)}`;
  }
  if (f.idempotent || f.route.includes('/facts')) headers['idempotency-key'] = randomUUID();
  const where = `caller ${f.caller}, body ${f.body.label}: POST ${path} ${bytes.subarray(0, 300).toString('utf8')}`;
  const accepted = await sendAndJudge(env, { route, path, headers, bytes, where, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const partners = [...JSON.stringify(accepted.json).matchAll(/"partnerId":"([^"]*)"/g)].map((m) => m[1]);
  if (partners.some((p) => p !== partnerId)) throw new Error(`another partner answered: ${accepted.got}\n${where}`);
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
    const callers: Caller[] = ['owner', 'sales', 'manager', 'system', 'customer', 'otherPartner', 'none', 'garbage'];
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
    console.info(`fuzz.customers: seed ${SEED}, ${tally.accepted} accepted, ${tally.refused} refused`);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 600_000);
});
