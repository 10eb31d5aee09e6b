/**
 * Property-based fuzzing of the eligibility preflight (GET /v1/partners/:partnerId/eligibility) against the real API +
 * PostgreSQL, on a partner whose facts were fed so that reasons of every kind fire: known-good queries (one per
 * program) with one part broken — a value hostile, huge or number-like, another program's parameter, a parameter
 * missing or unknown —, hostile Accept-Language headers and path segments, and every kind of caller. Every answer
 * must be < 500 without internals; a 4xx a well-formed problem (a 400 naming its fields); nothing ever written (it is
 * a read); a request certainly refused — its query schema refuses it, a caller the policy does not let call, another
 * partner's staff — never accepted; an accepted answer what the route declares, in the language the header asks for
 * (zh-CN unless English is preferred), eligible exactly when nothing is unmet. The route is also fuzzed generically
 * with the core routes (test/fuzz.test.ts). FUZZ_SEED / FUZZ_RUNS as in support/fuzz-stack.ts.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { routesOf } from '../api/app.js';
import { eligibilitySchema } from '../api/eligibility/schemas.js';
import type { RouteDef } from '../api/kit/http.js';
import { partnerId as partnerIdSchema } from '../api/kit/validation.js';
import type { Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { badPathSegment, edgeString, hugeString, numberish, safeDecode, send, STACK } from './support/fuzz.js';
import { policyAllows, ROUTE_PERMISSIONS } from './support/policy.js';
import { databaseSnapshot, tableChanges } from './support/snapshot.js';

const SEED = process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_205;
// One read route and no workflow: more random runs than the process groups' default 5.
const RUNS = Number(process.env.FUZZ_RUNS ?? 150);
const ROUTE = 'GET /v1/partners/:partnerId/eligibility';

const env = useTestEnv({ taskQueue: 'fuzz-eligibility', api: true });
const PARTNER = `P-fz-elig-${randomUUID().slice(0, 8)}`;
let route: RouteDef;
let memberId: string;
const tally = { accepted: 0, refused: 0 };

type Caller = 'owner' | 'finance' | 'vendor' | 'sales' | 'feeder' | 'otherPartner' | 'none' | 'garbage';
const ROLES_OF: Record<Exclude<Caller, 'none' | 'garbage'>, Role[]> = {
  owner: ['partner_admin'],
  finance: ['partner_finance'],
  vendor: ['vendor_staff'],
  sales: ['partner_sales'],
  feeder: ['vendor_system'],
  otherPartner: ['partner_admin'],
};
type Fuzzed = { caller: Caller; partner: { raw: string } | null; query: { values: Record<string, string>; label: string }; acceptLanguage: string | null };

/** The known-good queries, one per program; MEMBER is replaced by the fixture member's id. */
const MEMBER = 'MEMBER-PLACEHOLDER';
const GOOD: Record<string, string>[] = [
  { program: 'SOLUTION_PROVIDER' },
  { program: 'RESELLER' },
  { program: 'DISTRIBUTOR' },
  { program: 'PROJECT_SPECIALIST', memberId: MEMBER },
  { program: 'LEVEL_UP', pathId: 'SOFTWARE' },
];
const PARAMS = ['program', 'memberId', 'pathId'];
// At most 1,000 characters: a longer URL is Node's 431 before the app is reached (16 KiB of request head), not the route's answer.
const hostile = fc.oneof(edgeString, hugeString.map((s) => s.slice(0, 1_000)), numberish.map(String), fc.constantFrom('', ' ', 'solution_provider', 'LEVEL_UP ', randomUUID(), 'SOFTWARE'));

/** One part of a known-good query broken: a value replaced, a parameter removed or added (another program's, or unknown). */
const queryArb: fc.Arbitrary<Fuzzed['query']> = fc.constantFrom(...GOOD).chain((good) => {
  const keys = Object.keys(good);
  return fc.oneof(
    { weight: 3, arbitrary: fc.constant({ values: good, label: `known-good ${good.program}` }) },
    fc.tuple(fc.constantFrom(...keys), hostile).map(([k, v]) => ({ values: { ...good, [k]: v }, label: `${k} hostile` })),
    fc.constantFrom(...keys).map((k) => ({ values: Object.fromEntries(Object.entries(good).filter(([key]) => key !== k)), label: `${k} missing` })),
    fc.tuple(fc.constantFrom(...PARAMS, 'lang', '__proto__', 'program[]'), fc.oneof(hostile, fc.constantFrom(MEMBER, 'SOFTWARE'))).map(([k, v]) => ({ values: { ...good, [k]: v }, label: `${k} added` })),
  );
});

// Header values Node sends (no control characters but tab): the tags, weights and separators a client could get wrong.
const acceptLanguageArb: fc.Arbitrary<string | null> = fc.oneof(
  fc.constantFrom<string | null>(null, 'en', 'zh-CN', 'en-US,en;q=0.9', 'zh;q=0.1, en;q=0.2', 'fr', '*', 'en;q=0', 'en;q=1.5', 'en;q=-1', 'en;q=abc', ';;,,', 'x'.repeat(4000)),
  fc.stringMatching(/^[\t\x20-\x7e]{0,80}$/),
);

/** The language a header asks for, written out by the rule the docs state (not by the code under test). */
function expectedLanguage(header: string | null): 'zh-CN' | 'en' {
  if (!header) return 'zh-CN';
  let best: { lang: 'zh-CN' | 'en'; q: number } | undefined;
  for (const part of header.split(',')) {
    const [tag = '', ...params] = part.trim().split(';');
    const t = tag.trim().toLowerCase();
    const lang = t === 'en' || t.startsWith('en-') ? 'en' : t === 'zh' || t.startsWith('zh-') ? 'zh-CN' : undefined;
    const qs = params.map((p) => /^q=([01](?:\.\d{0,3})?)$/i.exec(p.trim())?.[1]).filter((q) => q !== undefined);
    const q = qs.length ? Number(qs[0]) : 1;
    if (lang && q > 0 && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'zh-CN';
}

const fuzzedArb: fc.Arbitrary<Fuzzed> = fc.record({
  caller: fc.oneof({ weight: 6, arbitrary: fc.constant<Caller>('owner') }, fc.constantFrom<Caller>('owner', 'finance', 'vendor', 'sales', 'feeder', 'otherPartner', 'none', 'garbage')),
  partner: fc.option(badPathSegment, { freq: 6 }),
  query: queryArb,
  acceptLanguage: acceptLanguageArb,
});

/** Why the request is certainly refused (the route's own query schema, the hand-written policy), or undefined. */
function certainlyRefused(f: Fuzzed, values: Record<string, string>): string | undefined {
  if (f.caller === 'none' || f.caller === 'garbage') return 'no valid token';
  if (!ROLES_OF[f.caller].some((role) => policyAllows(role, ROUTE_PERMISSIONS[ROUTE]!))) return `${f.caller} lacks ${ROUTE_PERMISSIONS[ROUTE]}`;
  if (f.caller === 'otherPartner') return "another partner's eligibility";
  if (f.partner && !partnerIdSchema.safeParse(safeDecode(f.partner.raw)).success) return 'the path names no partner';
  if (!route.query!.safeParse(values).success) return 'the query schema refuses it';
  return undefined;
}

async function runOne(f: Fuzzed): Promise<void> {
  const values = Object.fromEntries(Object.entries(f.query.values).map(([k, v]) => [k, v === MEMBER ? memberId : v]));
  const partnerSegment = f.partner?.raw ?? PARTNER;
  const path = `/v1/partners/${partnerSegment}/eligibility?${new URLSearchParams(values).toString()}`;
  const headers: Record<string, string> = {};
  if (f.caller !== 'none') {
    const partner = f.caller === 'vendor' || f.caller === 'feeder' ? undefined : f.caller === 'otherPartner' ? `${PARTNER}-o` : PARTNER;
    headers.authorization = f.caller === 'garbage' ? 'Bearer x.y.z' : `Bearer ${await tokenFor(ROLES_OF[f.caller], partner, `fz-${randomUUID()}`)}`;
  }
  if (f.acceptLanguage !== null) headers['accept-language'] = f.acceptLanguage;
  const where = `caller ${f.caller}, query ${f.query.label}, Accept-Language ${JSON.stringify(f.acceptLanguage)?.slice(0, 100)}: GET ${path.slice(0, 300)}`;
  const before = await databaseSnapshot(env.prisma);
  const res = await send(env.base, 'get', path, headers, undefined);
  const got = `${res.status} ${res.text.slice(0, 300)}`;
  if (res.status >= 500) throw new Error(`5xx: ${got}\n${where}`);
  if (STACK.test(res.text)) throw new Error(`internals in the answer: ${got}\n${where}`);
  const changed = tableChanges(before, await databaseSnapshot(env.prisma));
  if (changed.length) throw new Error(`a read changed the database: ${changed.join('; ')}\n${where}`);
  if (res.status >= 400) {
    const p = res.json as { status?: unknown; type?: unknown; errors?: { field?: unknown }[] } | undefined;
    const wellFormed =
      /^application\/problem\+json/.test(res.contentType) &&
      p?.status === res.status &&
      typeof p.type === 'string' &&
      (res.status !== 400 || (Array.isArray(p.errors) && p.errors.length > 0 && p.errors.every((e) => typeof e.field === 'string')));
    if (!wellFormed) throw new Error(`malformed problem: ${got}\n${where}`);
    tally.refused++;
    return;
  }
  tally.accepted++;
  const refused = certainlyRefused(f, values);
  if (refused) throw new Error(`accepted although certainly refused (${refused}): ${got}\n${where}`);
  const parsed = eligibilitySchema.safeParse(res.json);
  if (!parsed.success) throw new Error(`the answer is not what the route declares: ${got}\n${where}`);
  const body = parsed.data;
  if (body.partnerId !== safeDecode(partnerSegment) || body.program !== values.program) throw new Error(`another partner or program answered: ${got}\n${where}`);
  if (body.language !== expectedLanguage(f.acceptLanguage)) throw new Error(`language ${body.language}, asked ${expectedLanguage(f.acceptLanguage)}: ${where}`);
  if (body.eligible !== (body.unmet.length === 0)) throw new Error(`eligible ${body.eligible} with ${body.unmet.length} unmet: ${where}`);
}

beforeAll(async () => {
  route = routesOf(env.deps()).find((r) => `${r.method.toUpperCase()} ${r.path}` === ROUTE)!;
  // Reasons of every kind for the partner: fed facts, an unknown one (postpaid never fed), the ledger, a member without a work residence.
  const feeder = await tokenFor(['vendor_system'], undefined, 'fuzz-billing');
  const facts = await env.api('POST', `/v1/partners/${PARTNER}/account/facts`, feeder, {
    source: 'billing',
    facts: [
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' },
      { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'RESALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 }, observedAt: '2026-03-01T00:00:00Z' },
      { kind: 'OPEN_RESOURCES', value: { count: 4 }, observedAt: '2026-03-01T00:00:00Z' },
      { kind: 'FROZEN', value: { frozen: true }, observedAt: '2026-03-01T00:00:00Z' },
      { kind: 'DESIGNATED_CONTRACT', subject: 'OFFLINE_DIRECT', value: { signed: true }, observedAt: '2026-03-01T00:00:00Z' },
    ],
  }, { 'Idempotency-Key': randomUUID() });
  expect(facts.status, JSON.stringify(facts.body)).toBe(201);
  const ledger = await env.api('POST', `/v1/partners/${PARTNER}/account/ledger-entries`, feeder, {
    source: 'billing',
    entries: [
      { kind: 'RECHARGE', key: `${PARTNER}-1`, amount: { currency: 'CNY', minor: 1_000 }, occurredAt: '2026-03-01T00:00:00Z' },
      { kind: 'CHARGE', key: `${PARTNER}-2`, amount: { currency: 'USD', minor: 700 }, drawn: { arrears: 700 }, occurredAt: '2026-03-02T00:00:00Z' },
    ],
  }, { 'Idempotency-Key': randomUUID() });
  expect(ledger.status, JSON.stringify(ledger.body)).toBe(201);
  const member = await env.api('POST', `/v1/partners/${PARTNER}/members`, await tokenFor(['vendor_admin']), { sub: 'fz-member', displayName: 'Fuzz member', roles: ['partner_sales'] });
  expect(member.status, JSON.stringify(member.body)).toBe(201);
  memberId = member.body.id;
});

describe('fuzzing the eligibility preflight: never a 5xx, always a problem, never a write, the asked language', () => {
  it('the known-good queries are good: accepted by the route schema', () => {
    for (const good of GOOD) expect(route.query!.safeParse({ ...good, ...(good.memberId ? { memberId: randomUUID() } : {}) }).success, JSON.stringify(good)).toBe(true);
  });

  it(
    ROUTE,
    async () => {
      // Deterministic examples first: each known-good query with each caller kind, and with each fixed header.
      const callers: Caller[] = ['owner', 'finance', 'vendor', 'sales', 'feeder', 'otherPartner', 'none', 'garbage'];
      const examples: [Fuzzed][] = [
        ...GOOD.flatMap((good) => callers.map((caller): [Fuzzed] => [{ caller, partner: null, query: { values: good, label: `known-good ${good.program}` }, acceptLanguage: null }])),
        ...['en', 'en;q=0', 'zh;q=0.1, en;q=0.2', '*'].map((acceptLanguage): [Fuzzed] => [{ caller: 'owner', partner: null, query: { values: GOOD[0]!, label: 'known-good' }, acceptLanguage }]),
      ];
      await fc.assert(
        fc.asyncProperty(fuzzedArb, (f) => runOne(f)),
        {
          numRuns: examples.length + RUNS,
          examples,
          seed: SEED,
          endOnFailure: true,
          reporter: (out) => {
            if (!out.failed) return;
            const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
            throw new Error(`${ROUTE}: failed after ${out.numRuns} run(s); replay with FUZZ_SEED=${out.seed}\n${cause}`);
          },
        },
      );
      console.info(`fuzz ${ROUTE}: seed ${SEED}, ${JSON.stringify(tally)}`);
      expect(tally.accepted, 'accepted requests').toBeGreaterThan(0);
      expect(tally.refused, 'refused requests').toBeGreaterThan(0);
    },
    180_000,
  );
});
