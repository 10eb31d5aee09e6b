/**
 * Property-based fuzzing of the bulk-action routes (issue 20 section 5) against the real API, worker and PostgreSQL:
 * the known-good request with one part broken — a leaf of the body of the wrong type, a hostile string, huge, missing,
 * an unknown field, the body replaced by any JSON or by bytes that are not JSON —, hostile job ids, missing or bad
 * Idempotency-Keys, and every kind of caller. Every answer must be < 500 without internals; a 4xx a well-formed problem
 * that changed nothing in any table; a request certainly refused never accepted; an accepted answer what the route
 * declares. An accepted job runs on in the worker: the next request is judged once it has completed (its item writes
 * are the job's, not the next request's). FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Permission, Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { badPathSegment, safeDecode } from './support/fuzz.js';
import { authorizationOf, BAD_IDEMPOTENCY_KEYS, type BrokenBody, brokenBody, brokenLeaves, fuzzRuns, fuzzSeed, idempotencyKeyArb, isIdempotencyKey, refusedByPolicy, RouteGroupFuzz, routeKey } from './support/fuzz-group.js';
import { policyAllows } from './support/policy.js';
import { eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'fuzz-bulk-action', api: { rateLimitPerMinute: 100_000, rateLimitPerAddressPerMinute: 100_000 } });
const fuzz = new RouteGroupFuzz(env, { seed: fuzzSeed(20_261_205), runs: fuzzRuns(15) });
const PARTNER = `P-fz-bulk-${randomUUID().slice(0, 8)}`;
// An opportunity id nothing holds: every accepted job settles its one item REFUSED 404 and touches no other table.
const NOWHERE = '00000000-0000-4000-8000-00000000b01c';
let routes: RouteDef[];
let jobId: string;

const VALID_BODY: Record<string, Record<string, unknown>> = {
  'POST /v1/bulk-actions': { kind: 'opportunity.accept', items: [{ opportunityId: NOWHERE }] },
};
// The other kinds, each naming an object nothing holds (REFUSED 404 when accepted): an incentive, and a review.
const VERIFY_NOWHERE = { kind: 'incentive.verify', items: [{ incentiveId: `${PARTNER}-2025-01`, headcount: 0, totalMinor: 0, materials: [] }] };
const DECIDE_NOWHERE = { kind: 'review.decide', items: [{ review: 'certification', id: NOWHERE, decision: 'APPROVE' }] };

/**
 * What a job demands, written here by hand (docs/bulk-actions.md): the route admits every staff role, each kind needs
 * its single routes' permission — a review decision review.queue and each item's kind's (certification.review …).
 */
const KIND_DEMANDS: Record<string, Permission> = {
  'opportunity.accept': 'opportunity.act',
  'opportunity.reject': 'opportunity.act',
  'incentive.verify': 'incentive.verify',
  'review.decide': 'review.queue',
};
const REVIEW_DEMANDS: Record<string, Permission> = {
  certification: 'certification.review',
  'path-review': 'pathReview.decide',
  specialist: 'specialist.review',
  enrollment: 'enrollment.review',
  'level-raise': 'levelRaise.review',
  'customer-report': 'customerReport.review',
};

type Caller = 'owner' | 'vendor' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = { owner: ['partner_sales'], vendor: ['vendor_admin'], otherPartner: ['partner_admin'] };

/** Why the caller may not submit this (valid) body: the permission its kind, or one of its reviews, demands. */
function lacksKindPermission(caller: Caller, body: unknown): string | undefined {
  if (caller === 'none' || caller === 'garbage') return undefined;
  const job = body as { kind: string; items: { review?: string }[] };
  const demands = [KIND_DEMANDS[job.kind]!, ...(job.kind === 'review.decide' ? job.items.map((item) => REVIEW_DEMANDS[item.review!]!) : [])];
  const missing = demands.find((permission) => !ROLES_OF[caller].some((role) => policyAllows(role, permission)));
  return missing ? `${caller} lacks ${missing}` : undefined;
}
type Fuzzed = { caller: Caller; id: { raw: string } | null; body: BrokenBody | null; idempotencyKey: string | null | 'fresh' };

function fuzzedArb(route: RouteDef): fc.Arbitrary<Fuzzed> {
  const valid = VALID_BODY[routeKey(route)];
  return fc.record({
    caller: fc.oneof({ weight: 8, arbitrary: fc.constant<Caller>('owner') }, fc.constantFrom<Caller>('owner', 'vendor', 'otherPartner', 'none', 'garbage')),
    id: route.path.includes(':id') ? fc.option(badPathSegment, { freq: 4 }) : fc.constant(null),
    body: valid ? fc.option(brokenBody(valid, ['{', '{"kind":', '[1,', 'nul', '\u0000']), { freq: 4, nil: null }) : fc.constant(null),
    idempotencyKey: idempotencyKeyArb,
  });
}

/** The known-good request, then each bad part alone: every caller, every bad Idempotency-Key, each leaf broken. */
function examplesFor(route: RouteDef): [Fuzzed][] {
  const base: Fuzzed = { caller: 'owner', id: null, body: null, idempotencyKey: 'fresh' };
  const out: Fuzzed[] = [base];
  for (const caller of ['vendor', 'otherPartner', 'none', 'garbage'] as const) out.push({ ...base, caller });
  if (route.method === 'post') for (const idempotencyKey of BAD_IDEMPOTENCY_KEYS) out.push({ ...base, idempotencyKey });
  const valid = VALID_BODY[routeKey(route)];
  if (valid) {
    for (const body of brokenLeaves(valid)) out.push({ ...base, body });
    out.push({ ...base, body: { json: { kind: 'opportunity.accept', items: [{ opportunityId: NOWHERE }, { opportunityId: NOWHERE }] }, label: 'a duplicate item' } });
    out.push({ ...base, body: { json: { kind: 'opportunity.reject', items: [{ opportunityId: NOWHERE }] }, label: 'a reject without its reason' } });
    // The other kinds: each refused to whoever lacks its permission, accepted from whoever holds it.
    for (const caller of ['owner', 'vendor', 'otherPartner'] as const) {
      out.push({ ...base, caller, body: { json: VERIFY_NOWHERE, label: 'an incentive verification' } });
      out.push({ ...base, caller, body: { json: DECIDE_NOWHERE, label: 'a review decision' } });
    }
    for (const body of brokenLeaves(VERIFY_NOWHERE)) out.push({ ...base, caller: 'otherPartner', body });
    for (const body of brokenLeaves(DECIDE_NOWHERE)) out.push({ ...base, caller: 'vendor', body });
    out.push({ ...base, caller: 'vendor', body: { json: { ...DECIDE_NOWHERE, items: [...DECIDE_NOWHERE.items, ...DECIDE_NOWHERE.items] }, label: 'the same review twice' } });
  }
  if (route.path.includes(':id')) out.push({ ...base, id: { raw: randomUUID() } });
  return out.map((f) => [f]);
}

/** The same object twice: an opportunity's or an incentive's id, or a review's kind and id. */
const duplicated = (body: unknown) => {
  const ids = ((body as { items?: { opportunityId?: unknown; incentiveId?: unknown; review?: unknown; id?: unknown }[] })?.items ?? []).map((i) =>
    JSON.stringify([i?.opportunityId, i?.incentiveId, i?.review, i?.id]),
  );
  return new Set(ids).size !== ids.length;
};

/** Why the request is certainly refused (by the route's own schemas and the hand-written policy), or undefined. */
function certainlyRefused(route: RouteDef, f: Fuzzed, body: unknown): string | undefined {
  // Submitting is judged by what the job's kind demands (below, once the body is known to be valid); reading by the policy.
  const byPolicy = route.method === 'post' ? (f.caller === 'none' || f.caller === 'garbage' ? 'no valid token' : undefined) : refusedByPolicy(route, f.caller, ROLES_OF);
  if (byPolicy) return byPolicy;
  if (route.method === 'get' && f.caller === 'otherPartner') return "another partner's job";
  if (f.id && safeDecode(f.id.raw) !== jobId) return 'the path names no job of this partner';
  if (route.body && (f.body?.raw !== undefined || !route.body.safeParse(body).success)) return 'the body schema refuses it';
  if (route.body) {
    const lacks = lacksKindPermission(f.caller, body);
    if (lacks) return lacks;
  }
  if (route.body && duplicated(body)) return 'a duplicate item';
  if (route.method === 'post' && f.idempotencyKey !== 'fresh' && !isIdempotencyKey(f.idempotencyKey)) return 'no valid Idempotency-Key';
  return undefined;
}

async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
  const fresh = randomUUID();
  const path = route.path.replace(':id', f.id?.raw ?? jobId);
  const valid = VALID_BODY[routeKey(route)];
  const json = f.body ? f.body.json : valid;
  const text = f.body?.raw ?? (json === undefined ? undefined : JSON.stringify(json));
  const body = text === undefined || f.body?.raw !== undefined ? undefined : JSON.parse(text);
  const headers: Record<string, string> = {};
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' ? PARTNER : f.caller === 'otherPartner' ? `${PARTNER}-o` : undefined, `fz-${fresh}`);
  if (authorization) headers.authorization = authorization;
  if (route.method === 'post') {
    if (f.idempotencyKey === 'fresh') headers['idempotency-key'] = fresh;
    else if (f.idempotencyKey !== null) headers['idempotency-key'] = f.idempotencyKey;
    if (text !== undefined) headers['content-type'] = 'application/json';
  }
  const where = `[${routeKey(route)}] caller ${f.caller}, body ${f.body?.label ?? 'known-good'}, key ${f.idempotencyKey === 'fresh' ? 'fresh' : JSON.stringify(f.idempotencyKey)}: ${route.method.toUpperCase()} ${path}`;
  const accepted = await fuzz.sendAndJudge({
    route,
    path,
    headers,
    body: route.method === 'post' && text !== undefined ? Buffer.from(text) : undefined,
    where,
    refused: certainlyRefused(route, f, body),
  });
  if (accepted && route.method === 'post') await settled((accepted.json as { id: string }).id);
}

/** Until the job has completed, then its writes are the state the next request is judged against. */
async function settled(id: string): Promise<void> {
  await eventually(async () => ((await env.prisma.bulkAction.findUnique({ where: { id } }))?.status === 'COMPLETED' ? true : undefined));
  await fuzz.rebase();
}

const BULK_ROUTES = ['POST /v1/bulk-actions', 'GET /v1/bulk-actions/:id'];

beforeAll(async () => {
  routes = routesOf(env.deps()).filter((r) => BULK_ROUTES.includes(routeKey(r)));
  const res = await env.api('POST', '/v1/bulk-actions', await tokenFor(['partner_sales'], PARTNER), VALID_BODY['POST /v1/bulk-actions'], { 'Idempotency-Key': randomUUID() });
  expect(res.status).toBe(202);
  jobId = res.body.id;
  await settled(jobId);
});

describe('fuzzing the bulk-action routes: never a 5xx, always a problem, never a write on refusal', () => {
  it('the known-good body is good: accepted by its route schema', () => {
    expect(routes.map(routeKey).sort()).toEqual([...BULK_ROUTES].sort());
    for (const route of routes.filter((r) => r.body)) expect(route.body!.safeParse(VALID_BODY[routeKey(route)]).success, routeKey(route)).toBe(true);
  });

  it.each(BULK_ROUTES)(
    '%s',
    async (name) => {
      const route = routes.find((r) => routeKey(r) === name)!;
      await fuzz.assertRoute(route, fuzzedArb(route), examplesFor(route), (f) => runOne(route, f));
    },
    180_000,
  );
});
