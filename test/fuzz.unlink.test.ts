/**
 * Property-based fuzzing of the unlink's writes (the partner's and the customer's requests, both objections) and of
 * billing's refunds, against the real API, worker and PostgreSQL, on real objects: per run a fresh customer associated
 * with a fresh partner, its facts clear, the preview's true hash in the known-good request; for the objections an open
 * unlink the other side asked for. Known-good bodies with one part broken, and every kind of caller. Every answer must
 * be < 500 without internals; a 4xx a well-formed problem that changed nothing; a request certainly refused — no token,
 * a role the policy does not give, another partner, a body the route's own schema refuses — never accepted; an accepted
 * answer of the run's partner only, and the database keeping one open unlink per customer and every refund key once.
 * FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { customerToken, freshCustomer, freshPartner, insertCustomerFacts } from './support/customer-fixtures.js';
import { expectOk, useTestEnv } from './support/env.js';
import { edgeString, getAt, hugeString, leafPaths, numberish, setAt, wrongTypeFor } from './support/fuzz.js';
import { sendAndJudge } from './support/fuzz-judge.js';
import { policyAllows, ROUTE_PERMISSIONS } from './support/policy.js';

const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_219;
const RUNS = Number(process.env.FUZZ_RUNS ?? 30);

const env = useTestEnv({ taskQueue: 'fuzz-unlink', api: true });
const ROUTES = [
  'POST /v1/partners/:partnerId/customers/:customerId/unlinks',
  'POST /v1/unlinks/:id/objection',
  'POST /v1/customer/unlinks',
  'POST /v1/customer/unlinks/:id/objection',
  'POST /v1/customers/:customerId/refunds',
] as const;
type RouteKey = (typeof ROUTES)[number];

type Caller = 'owner' | 'sales' | 'vendor' | 'system' | 'customer' | 'otherPartner' | 'otherCustomer' | 'none' | 'garbage';
const ROLES_OF: Record<'owner' | 'sales' | 'vendor' | 'system' | 'otherPartner', Role[]> = {
  owner: ['partner_admin'],
  sales: ['partner_sales'],
  vendor: ['vendor_admin'],
  system: ['vendor_system'],
  otherPartner: ['partner_admin'],
};
/** HASH is the run's true preview hash; KEY a fresh refund key. */
const GOOD: Record<RouteKey, Record<string, unknown>[]> = {
  'POST /v1/partners/:partnerId/customers/:customerId/unlinks': [{ previewHash: 'HASH' }],
  'POST /v1/unlinks/:id/objection': [{ reason: 'Fuzz reason' }, {}],
  'POST /v1/customer/unlinks': [{ previewHash: 'HASH' }],
  'POST /v1/customer/unlinks/:id/objection': [{ reason: 'Fuzz reason' }, {}],
  'POST /v1/customers/:customerId/refunds': [{ source: 'billing', refunds: [{ key: 'KEY', consumedAt: 'NOW', amount: { currency: 'CNY', minor: 100 }, memo: 'fuzz' }] }],
};

type Body = { json: unknown; label: string } | { raw: Buffer; label: string };
type Fuzzed = { route: RouteKey; caller: Caller; body: Body; idempotent: boolean };

const hostile: fc.Arbitrary<unknown> = fc.oneof(edgeString, hugeString.map((s) => s.slice(0, 70_000)), numberish, fc.constantFrom<unknown>(null, '', '0'.repeat(64), randomUUID(), -1, 0));

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
      fc.constantFrom('{', '[]', 'null', '"x"', '{"previewHash":', '\u0000').map((text): Body => ({ raw: Buffer.from(text), label: 'not a JSON object' })),
    );
  });

const rightCaller = (route: RouteKey): Caller => (route.includes('/refunds') ? 'system' : route.startsWith('POST /v1/customer/') ? 'customer' : 'owner');
const fuzzedArb: fc.Arbitrary<Fuzzed> = fc.constantFrom(...ROUTES).chain((route) =>
  fc.record({
    route: fc.constant(route),
    caller: fc.oneof({ weight: 4, arbitrary: fc.constant(rightCaller(route)) }, fc.constantFrom<Caller>('owner', 'sales', 'vendor', 'system', 'customer', 'otherPartner', 'otherCustomer', 'none', 'garbage')),
    body: bodyArb(route),
    idempotent: fc.boolean(),
  }),
);

let routes: Map<string, RouteDef>;
const tally = { accepted: 0, refused: 0 };

function certainlyRefused(f: Fuzzed, route: RouteDef, sent: unknown): string | undefined {
  if (f.caller === 'none' || f.caller === 'garbage') return 'no valid token';
  const demands = ROUTE_PERMISSIONS[f.route]!;
  const roles: Role[] = f.caller === 'customer' || f.caller === 'otherCustomer' ? ['customer'] : ROLES_OF[f.caller];
  if (!roles.some((role) => policyAllows(role, demands as never))) return `${f.caller} lacks ${demands}`;
  if (f.caller === 'otherPartner') return "another partner's customer or unlink";
  if (f.caller === 'otherCustomer') return 'a customer with no association and no unlink';
  if ('raw' in f.body) return 'the body is not a JSON object';
  if (!route.body!.safeParse(sent).success) return 'the body schema refuses it';
  return undefined;
}

/** A fresh customer associated with a fresh partner (facts clear), and the preview's hash as the caller's side sees it. */
async function fixture(route: RouteKey) {
  const partnerId = freshPartner('fz-ul');
  const customerId = freshCustomer('fz-ul');
  await env.prisma.$executeRawUnsafe(
    `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by) VALUES ($1::uuid, $2, $3, '91330100799655058B', 'RESELLER', now() - interval '1 day', 'fuzz')`,
    randomUUID(), partnerId, customerId,
  );
  const observedAt = new Date(Date.now() - 60_000).toISOString();
  await insertCustomerFacts(customerId, [
    { kind: 'FROZEN', value: { frozen: false }, observedAt },
    { kind: 'RESERVED_INSTANCES', value: { count: 0 }, observedAt },
    { kind: 'SUPPORT_PLANS', value: { count: 0 }, observedAt },
  ]);
  const owner = await tokenFor(['partner_admin'], partnerId, 'fz-owner');
  const customer = await customerToken(customerId);
  const preview = await env.api('GET', `/v1/partners/${partnerId}/customers/${customerId}/unlink-preview`, owner);
  expectOk(preview, 200);
  let id = '';
  if (route.includes(':id')) {
    // The other side asked: the partner objects to the customer's request, the customer to the partner's.
    const made =
      route === 'POST /v1/unlinks/:id/objection'
        ? await env.api('POST', '/v1/customer/unlinks', customer, { previewHash: preview.body.previewHash }, { 'Idempotency-Key': randomUUID() })
        : await env.api('POST', `/v1/partners/${partnerId}/customers/${customerId}/unlinks`, owner, { previewHash: preview.body.previewHash }, { 'Idempotency-Key': randomUUID() });
    expectOk(made, 201);
    id = made.body.id as string;
  }
  return { partnerId, customerId, owner, customer, hash: preview.body.previewHash as string, id };
}

async function runOne(f: Fuzzed): Promise<void> {
  const route = routes.get(f.route)!;
  const x = await fixture(f.route);
  const json = 'json' in f.body ? JSON.parse(JSON.stringify(f.body.json ?? null).replaceAll('"HASH"', JSON.stringify(x.hash)).replaceAll('"KEY"', JSON.stringify(randomUUID())).replaceAll('"NOW"', JSON.stringify(new Date().toISOString()))) : undefined;
  const bytes = 'raw' in f.body ? f.body.raw : Buffer.from(JSON.stringify(json) ?? 'null');
  const path = route.path.replace(':id', x.id).replace(':partnerId', x.partnerId).replace(':customerId', x.customerId);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (f.caller === 'garbage') headers.authorization = 'Bearer x.y.z';
  else if (f.caller === 'customer') headers.authorization = `Bearer ${x.customer}`;
  else if (f.caller === 'otherCustomer') headers.authorization = `Bearer ${await customerToken(freshCustomer('fz-ul-o'))}`;
  else if (f.caller !== 'none') {
    const partner = f.caller === 'owner' || f.caller === 'sales' ? x.partnerId : f.caller === 'otherPartner' ? `${x.partnerId}-o` : undefined;
    headers.authorization = `Bearer ${await tokenFor(ROLES_OF[f.caller], partner, `fz-${randomUUID()}`)}`;
  }
  if (f.idempotent || f.route.includes('/refunds')) headers['idempotency-key'] = randomUUID();
  const where = `caller ${f.caller}, body ${f.body.label}: POST ${path} ${bytes.subarray(0, 300).toString('utf8')}`;
  const accepted = await sendAndJudge(env, { route, path, headers, bytes, where, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const partners = [...JSON.stringify(accepted.json).matchAll(/"partnerId":"([^"]*)"/g)].map((m) => m[1]).filter((p) => p !== undefined);
  if (!f.route.includes('/refunds') && partners.some((p) => p !== x.partnerId)) throw new Error(`another partner answered: ${accepted.got}\n${where}`);
  const [open] = await env.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM customer_unlink WHERE customer_id = $1 AND status = 'OBJECTION_WINDOW'`, x.customerId);
  if (open!.n > 1) throw new Error(`two open unlinks of one customer: ${where}`);
  const [twice] = await env.prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM (SELECT source, refund_key FROM customer_refund GROUP BY 1, 2 HAVING count(*) > 1) d`);
  if (twice!.n > 0) throw new Error(`a refund key recorded twice: ${where}`);
}

beforeAll(() => {
  routes = new Map(routesOf(env.deps()).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r]));
});

describe('fuzzing unlinks and refunds: never a 5xx, always a problem, nothing written on refusal', () => {
  it('the known-good bodies are good: accepted by the route schema', () => {
    for (const key of ROUTES) {
      for (const good of GOOD[key]) {
        const json = JSON.parse(JSON.stringify(good).replaceAll('"HASH"', JSON.stringify('a'.repeat(64))).replaceAll('"KEY"', '"k-1"').replaceAll('"NOW"', JSON.stringify(new Date().toISOString())));
        expect(routes.get(key)!.body!.safeParse(json).success, key).toBe(true);
      }
    }
  });

  it('the requests of both sides, both objections, refunds', async () => {
    const callers: Caller[] = ['owner', 'sales', 'vendor', 'system', 'customer', 'otherPartner', 'otherCustomer', 'none', 'garbage'];
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
    console.info(`fuzz.unlink: seed ${SEED}, ${tally.accepted} accepted, ${tally.refused} refused`);
    expect(tally.accepted).toBeGreaterThan(0);
    expect(tally.refused).toBeGreaterThan(0);
  }, 600_000);
});
