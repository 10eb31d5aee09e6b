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
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import type { RouteDef } from '../api/kit/http.js';
import type { Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { expectOk, useTestEnv } from './support/env.js';
import { authorizationOf, fuzzRuns, fuzzSeed } from './support/fuzz-group.js';
import { assertWrites, brokenWriteBody, fuzzedWrite, type FuzzedWrite, knownGoodWrites, partnersNamed, refusedWrite, sendWrite } from './support/fuzz-writes.js';
import { qualifySoftware } from './support/path-facts.js';

const SEED = fuzzSeed(20_261_206);
const RUNS = fuzzRuns(30);

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

type Fuzzed = FuzzedWrite<RouteKey, Caller>;
const CALLERS: Caller[] = ['owner', 'sales', 'reviewer', 'staff', 'otherPartner', 'none', 'garbage'];

/** One part of a known-good body broken. */
const bodyArb = (route: RouteKey) =>
  brokenWriteBody(GOOD[route], {
    values: [null, '', 'SOFTWARE', 'ADVANCED', randomUUID()],
    addedKeys: ['extra', '__proto__', 'partnerId', 'level', 'toLevel'],
    notJson: ['{', '[]', 'null', '"x"', '{"pathId":', '\u0000'],
  });

const fuzzedArb = fuzzedWrite(ROUTES, CALLERS, (route) => (route.includes('/review') ? 'reviewer' : 'owner'), bodyArb);

let routes: Map<string, RouteDef>;
const tally = { accepted: 0, refused: 0 };

/** Why the request is certainly refused (the policy, another partner, the route's own body schema), or undefined. */
const certainlyRefused = (f: Fuzzed, route: RouteDef, sent: unknown): string | undefined =>
  refusedWrite(route, { caller: f.caller, rolesOf: ROLES_OF, body: f.body, sent, beyond: f.caller === 'otherPartner' ? "another partner's raise or partner" : undefined });

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
  const path = route.path.replace(':id', id ?? '').replace(':partnerId', partnerId);
  const authorization = await authorizationOf(f.caller, ROLES_OF, f.caller === 'owner' || f.caller === 'sales' ? partnerId : f.caller === 'otherPartner' ? `${partnerId}-o` : undefined, `fz-${randomUUID()}`);
  const idempotencyKey = f.idempotent && !f.route.includes(':id');
  const accepted = await sendWrite(env, { route, caller: f.caller, body: f.body, json, path, authorization, idempotencyKey, tally, certainlyRefused: () => certainlyRefused(f, route, json) });
  if (!accepted) return;
  const { got, where } = accepted;
  if (partnersNamed(accepted.json).some((p) => p !== partnerId)) throw new Error(`another partner answered: ${got}\n${where}`);
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
    await assertWrites('fuzz.level-raise', fuzzedArb, knownGoodWrites(ROUTES, GOOD, CALLERS), (f) => runOne(f), { seed: SEED, runs: RUNS, tally });
  }, 300_000);
});
