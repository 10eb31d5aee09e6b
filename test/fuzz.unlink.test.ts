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
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { customerToken, freshCustomer, freshPartner, insertCustomerFacts } from './support/customer-fixtures.js';
import { expectOk, useTestEnv } from './support/env.js';
import { authorizationOf, fuzzRuns, fuzzSeed } from './support/fuzz-group.js';
import { assertWrites, brokenWriteBody, fuzzedWrite, type FuzzedWrite, knownGoodWrites, partnersNamed, refusedWrite, sendWrite } from './support/fuzz-writes.js';

const SEED = fuzzSeed(20_261_219);
const RUNS = fuzzRuns(30);

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
// The customers' role serves the policy's verdict only: their tokens are a customer's own, made per run
// (support/customer-fixtures.ts customerToken).
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  owner: ['partner_admin'],
  sales: ['partner_sales'],
  vendor: ['vendor_admin'],
  system: ['vendor_system'],
  customer: ['customer'],
  otherPartner: ['partner_admin'],
  otherCustomer: ['customer'],
};
/** HASH is the run's true preview hash; KEY a fresh refund key. */
const GOOD: Record<RouteKey, Record<string, unknown>[]> = {
  'POST /v1/partners/:partnerId/customers/:customerId/unlinks': [{ previewHash: 'HASH' }],
  'POST /v1/unlinks/:id/objection': [{ reason: 'Fuzz reason' }, {}],
  'POST /v1/customer/unlinks': [{ previewHash: 'HASH' }],
  'POST /v1/customer/unlinks/:id/objection': [{ reason: 'Fuzz reason' }, {}],
  'POST /v1/customers/:customerId/refunds': [{ source: 'billing', refunds: [{ key: 'KEY', consumedAt: 'NOW', amount: { currency: 'CNY', minor: 100 }, memo: 'fuzz' }] }],
};

type Fuzzed = FuzzedWrite<RouteKey, Caller>;
const CALLERS: Caller[] = ['owner', 'sales', 'vendor', 'system', 'customer', 'otherPartner', 'otherCustomer', 'none', 'garbage'];

/** One part of a known-good body broken. */
const bodyArb = (route: RouteKey) =>
  brokenWriteBody(GOOD[route], {
    values: [null, '', '0'.repeat(64), randomUUID(), -1, 0],
    addedKeys: ['extra', '__proto__', 'partnerId', 'status', 'customerId'],
    notJson: ['{', '[]', 'null', '"x"', '{"previewHash":', '\u0000'],
  });

const rightCaller = (route: RouteKey): Caller => (route.includes('/refunds') ? 'system' : route.startsWith('POST /v1/customer/') ? 'customer' : 'owner');
const fuzzedArb = fuzzedWrite(ROUTES, CALLERS, rightCaller, bodyArb);

let routes: Map<string, RouteDef>;
const tally = { accepted: 0, refused: 0 };

/** What the run's objects certainly refuse beyond the policy: another partner, a customer of none of them. */
const BEYOND_POLICY: Partial<Record<Caller, string>> = { otherPartner: "another partner's customer or unlink", otherCustomer: 'a customer with no association and no unlink' };
const certainlyRefused = (f: Fuzzed, route: RouteDef, sent: unknown): string | undefined => refusedWrite(route, { caller: f.caller, rolesOf: ROLES_OF, body: f.body, sent, beyond: BEYOND_POLICY[f.caller] });

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
  const path = route.path.replace(':id', x.id).replace(':partnerId', x.partnerId).replace(':customerId', x.customerId);
  const authorization =
    f.caller === 'customer'
      ? `Bearer ${x.customer}`
      : f.caller === 'otherCustomer'
        ? `Bearer ${await customerToken(freshCustomer('fz-ul-o'))}`
        : await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' || f.caller === 'sales' ? x.partnerId : f.caller === 'otherPartner' ? `${x.partnerId}-o` : undefined, `fz-${randomUUID()}`);
  const idempotencyKey = f.idempotent || f.route.includes('/refunds');
  const accepted = await sendWrite(env, { route, caller: f.caller, body: f.body, json, path, authorization, idempotencyKey, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const { where } = accepted;
  if (!f.route.includes('/refunds') && partnersNamed(accepted.json).some((p) => p !== x.partnerId)) throw new Error(`another partner answered: ${accepted.got}\n${where}`);
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
    await assertWrites('fuzz.unlink', fuzzedArb, knownGoodWrites(ROUTES, GOOD, CALLERS), (f) => runOne(f), { seed: SEED, runs: RUNS, tally });
  }, 600_000);
});
