/**
 * The fuzz test's stack and its run (test/fuzz*.test.ts): the real app on a dev server with this test worker's
 * database, the fixtures and the baseline state, and `fuzzRoutes()`, which fuzzes each route of the file's group — every
 * answer < 500, a well-formed problem when 4xx, and a refused request (or a read) changes nothing in the database or
 * in Temporal; a certainly-refused request (support/fuzz-verdict.ts) is never accepted, and an accepted answer is what
 * the route declares and names no other partner than a partner caller's.
 *
 * FUZZ_SEED=<n> replays a run (fixed by default; FUZZ_SEED=random explores); FUZZ_RUNS=<n> sets the random runs per
 * route (default 5, besides the fixed edge examples, to keep the suite short; FUZZ_RUNS=200 for a deep run before a
 * release); FUZZ_EXAMPLES=0 skips the fixed examples (to see what random runs find past them); FUZZ_SHRINK=1 shrinks
 * failures.
 */
import { randomUUID } from 'node:crypto';
import type { Connection } from '@temporalio/client';
import fc from 'fast-check';
import pino from 'pino';
import { afterAll, beforeAll, it } from 'vitest';
import { routesOf } from '../../api/app.js';
import type { RouteDef } from '../../api/kit/http.js';
import { defaultQuotas } from '../../platform/config.js';
import { JWT_SECRET, tokenFor } from './app.js';
import { useTestEnv } from './env.js';
import { encodeHostile, send, STACK } from './fuzz.js';
import { type FixturePart, type Fixtures, fixtureMaker, pathReviewStateFor } from './fuzz-fixtures.js';
import { FIXTURE_EXPERT, FIXTURE_MATERIAL, FUZZ_HOOK_URL, keyOf, paramNames } from './fuzz-inputs.js';
import { examplesFor, type Fuzzed, fuzzedArb } from './fuzz-requests.js';
import { fuzzState, type Snapshot, stateChanges } from './fuzz-state.js';
import { acceptedAnswerProblems, certainlyRefused, fuzzCaller } from './fuzz-verdict.js';

// Fixed by default, so CI runs the same requests every time (a failure reproduces); FUZZ_SEED=random explores.
export const SEED =
  process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : 20_261_204;
// 5 random runs per route (besides the fixed examples) keep the whole suite under 5 minutes; FUZZ_RUNS=200 for a deep run before a release.
export const RUNS = Number(process.env.FUZZ_RUNS ?? 5);
const TASK_QUEUE = 'fuzz-test';

/**
 * The test files split the routes into groups; a route matching none of these patterns is `core`'s, so a new route is
 * always some file's to fuzz.
 */
export type FuzzGroup = 'core' | 'organization' | 'incentives' | 'certifications' | 'path-reviews' | 'webhooks';
export function fuzzGroupOf(key: string): FuzzGroup {
  const path = key.slice(key.indexOf(' ') + 1);
  if (/^\/v1\/(paths|partners\/:partnerId\/(members|roles|experts|paths))(\/|$)/.test(path)) return 'organization';
  if (/^\/v1\/(admin\/incentive-runs|incentives)(\/|$)/.test(path)) return 'incentives';
  if (/^\/v1\/(certification-types|certifications|partners\/:partnerId\/certificates)(\/|$)/.test(path)) return 'certifications';
  if (/^\/v1\/(admin\/path-reviews|path-reviews)(\/|$)/.test(path)) return 'path-reviews';
  if (/^\/v1\/webhooks(\/|$)/.test(path)) return 'webhooks';
  return 'core';
}

/** Routes are listed when a file is collected, before beforeAll: a dependency-free listing is enough for names. */
export const listedRoutes = (): RouteDef[] =>
  routesOf({
    temporal: { connection: {}, workflow: {} } as never,
    prisma: {} as never,
    taskQueue: TASK_QUEUE,
    jwtSecret: JWT_SECRET,
    logger: pino({ level: 'silent' }),
    timeSkipping: { testService: {} } as unknown as Connection,
  });

/** The fixtures each group's routes act on (support/fuzz-fixtures.ts). */
const FIXTURES_OF: Record<FuzzGroup, FixturePart[]> = {
  core: ['opportunities'],
  organization: ['members', 'experts'],
  incentives: ['experts', 'incentives'],
  certifications: ['experts', 'certifications'],
  'path-reviews': ['experts', 'certifications', 'pathReviews'],
  webhooks: ['webhook'],
};

/** The stack for this file's `group`, started in beforeAll with fresh fixtures and the baseline state, stopped in afterAll. */
export function useFuzz(group: FuzzGroup) {
  // FUZZ_HOOK_URL is on 127.0.0.1: private webhook targets allowed.
  // …on port 9 (WEBHOOK_ALLOWED_PORTS); every fixture set registers one more endpoint: no webhook quota in the way.
  const env = useTestEnv({
    taskQueue: TASK_QUEUE,
    server: 'dev',
    api: { webhookAllowPrivateTargets: true, webhookAllowedPorts: [9], quotas: { ...defaultQuotas, webhookEndpoints: 1000 } },
  });
  let vendor: string;
  let mounted: Set<string>;
  let fixtures: Fixtures;
  let baseline: Snapshot;
  const makeFixtures = fixtureMaker(env, () => vendor);
  const { snapshot, settled } = fuzzState(env);

  /** Every route the app can mount: a stand-in time-skipping connection makes routesOf list the admin routes too. */
  const allRoutes = (): RouteDef[] => routesOf({ ...env.deps(), timeSkipping: { testService: {} } as unknown as Connection });

  beforeAll(async () => {
    vendor = await tokenFor(['vendor_staff']);
    /** The routes this app (dev server, no time skipping) mounts; the others must answer 404. */
    mounted = new Set(routesOf(env.deps()).map(keyOf));
    fixtures = await makeFixtures(FIXTURES_OF[group]);
    baseline = await settled();
    console.info(`fuzz: seed ${SEED} (FUZZ_SEED=${SEED} replays), ${RUNS} runs per route`);
  });

  afterAll(async () => {
    // Vendor endpoints receive every partner's events: leave none of the fuzz's active for the other test files.
    await env.prisma.webhookEndpoint.updateMany({ where: { url: FUZZ_HOOK_URL }, data: { active: false } });
  });

  function describeRequest(method: string, path: string, headers: Record<string, string>, body: Buffer | undefined): string {
    const shown = body ? (body.length > 300 ? `${body.subarray(0, 300).toString('utf8')}… (${body.length} bytes)` : body.toString('utf8')) : '';
    const hdrs = Object.entries(headers).map(([k, v]) => `-H ${JSON.stringify(`${k}: ${k === 'authorization' ? v.slice(0, 20) + '…' : v.length > 100 ? v.slice(0, 100) + '…' : v}`)}`);
    return `curl -X ${method} ${JSON.stringify(`$BASE${path.length > 300 ? path.slice(0, 300) + '…' : path}`)} ${hdrs.join(' ')}${body ? ` --data-binary ${JSON.stringify(shown)}` : ''}`;
  }

  async function runOne(route: RouteDef, f: Fuzzed): Promise<void> {
    const incentive = route.path.startsWith('/v1/incentives/');
    const certification = route.path.startsWith('/v1/certifications/');
    const pathReview = route.path.startsWith('/v1/path-reviews/');
    const webhook = route.path.startsWith('/v1/webhooks/');
    const material = pathReview ? fixtures.pathReviewFileId : certification ? fixtures.certificationFileIds[f.fixture]! : fixtures.materialIds[f.fixture]!;
    const validParam: Record<string, string> = {
      id: webhook
        ? fixtures.webhookId
        : pathReview
        ? fixtures.pathReviews[pathReviewStateFor(route.path)]
        : certification
        ? route.path.endsWith('/renew')
          ? fixtures.approvedCertificationId
          : fixtures.certificationIds[f.fixture]!
        : incentive
          ? fixtures.incentiveIds[f.fixture]!
          : fixtures.ids[f.fixture]!,
      materialId: material,
      name: route.method === 'put' ? 'FUZZ' : 'CN',
      partnerId: fixtures.partnerId,
      memberId: fixtures.memberId,
      roleId: fixtures.roleId,
      expertId: fixtures.expertId,
      pathId: 'SOFTWARE',
      year: '2024',
      deliveryId: fixtures.webhookDeliveryId,
    };
    const segments = Object.fromEntries(paramNames(route.path).map((name) => [name, f.params[name]?.raw ?? encodeURIComponent(validParam[name] ?? 'x')]));
    const path = route.path.replace(/:(\w+)/g, (_, name: string) => segments[name]!);
    // Values are capped so the request line stays under Node's 16 KiB header limit (beyond it Node itself answers 431).
    const qs = f.query ? f.query.pairs.map(([k, v]) => `${encodeHostile(k).slice(0, 300)}=${encodeHostile(v).slice(0, 2000)}`).join('&') : '';
    const target = qs ? `${path}?${qs}` : path;
    const caller = await fuzzCaller(route, f.token, fixtures.partnerId, `fuzz-${randomUUID()}`);
    const headers: Record<string, string> = { ...caller.headers, ...f.headers };
    let body: Buffer | undefined;
    if (f.body) {
      body = f.body.raw ?? Buffer.from(JSON.stringify(f.body.json) ?? 'null');
      // latin1 maps every byte to one char and back: random bytes survive, the ASCII placeholders are replaced.
      if (!f.body.raw || f.body.contentType === 'application/json') {
        const filled = body.toString('latin1').replaceAll(FIXTURE_EXPERT, fixtures.expertId).replaceAll(FIXTURE_MATERIAL, material);
        body = Buffer.from(filled, 'latin1');
      }
      const ct = f.body.contentType ?? 'application/json';
      if (ct) headers['content-type'] = ct;
      Object.assign(headers, f.body.headers);
    }
    const labelled = [f.body?.bad && f.body.label, f.query?.bad && f.query.label].filter(Boolean).join(', ');
    const refusedBecause = await certainlyRefused(route, { segments, query: qs, body, headers }, caller, {
      mounted: mounted.has(keyOf(route)),
      objectPartner: fixtures.partnerId,
      hostileParams: Object.keys(f.params).filter((name) => f.params[name]),
      ...(labelled ? { labelledBad: `the request model marks it bad (${labelled})` } : {}),
    });
    const where = () => `[${keyOf(route)}] ${f.body?.label ?? 'no body'} / ${f.query?.label ?? 'no query'} / token ${f.token}\n  ${describeRequest(route.method, target, headers, body)}`;

    let res;
    try {
      res = await send(env.base, route.method, target, headers, body, 5_000);
    } catch (error) {
      // No answer (a hang): say what it left behind, and start over with fresh fixtures and baseline.
      const before = baseline;
      const after = await settled();
      fixtures = await makeFixtures(FIXTURES_OF[group]);
      baseline = await settled();
      const changed = stateChanges(before, after);
      throw new Error(`request failed (${(error as Error).message})${changed.length ? `; state changed: ${changed.join('; ')}` : ''}: ${where()}`);
    }
    const got = () => `${res.status} ${res.contentType} ${res.text.slice(0, 500)}`;

    if (res.status >= 500) throw new Error(`5xx: ${got()}\n${where()}`);
    if (STACK.test(res.text)) throw new Error(`stack trace / internals in body: ${got()}\n${where()}`);
    if (res.status >= 400) {
      const p = res.json as { status?: unknown; type?: unknown; title?: unknown; errors?: unknown } | undefined;
      const ok =
        /^application\/problem\+json/.test(res.contentType) &&
        p !== undefined &&
        p.status === res.status &&
        typeof p.type === 'string' &&
        typeof p.title === 'string' &&
        (res.status !== 400 ||
          (Array.isArray(p.errors) &&
            p.errors.length > 0 &&
            p.errors.every((e: unknown) => typeof (e as { field?: unknown }).field === 'string' && typeof (e as { message?: unknown }).message === 'string')));
      if (!ok) throw new Error(`malformed problem: ${got()}\n${where()}`);
      const changed = stateChanges(baseline, await snapshot());
      if (changed.length) {
        baseline = await settled();
        throw new Error(`state changed on a refused request:\n  ${changed.join('\n  ')}\n${got()}\n${where()}`);
      }
      return;
    }
    // Accepted: never for a request certainly refused, and the answer must be what the route declares.
    const wrong = refusedBecause ? [`a certainly-bad request was accepted (${refusedBecause})`] : acceptedAnswerProblems(route, res, caller);
    if (route.method === 'get') {
      // A read changes nothing (and so needs no new baseline).
      const changed = stateChanges(baseline, await snapshot());
      if (changed.length) {
        baseline = await settled();
        wrong.push(`a read changed the state: ${changed.join('; ')}`);
      }
    } else {
      // The new state is the new baseline; the write may have used its fixture up.
      await settled();
      fixtures = await makeFixtures(FIXTURES_OF[group]);
      baseline = await settled();
    }
    if (wrong.length) throw new Error(`${wrong.join('; ')}: ${got()}\n${where()}`);
  }

  /** One property per route of the group: registered where it is called (inside the file's describe). */
  function fuzzRoutes() {
    const names = listedRoutes().map(keyOf).filter((name) => fuzzGroupOf(name) === group);
    it.each(names.map((name) => [name]))('%s', async (name) => {
      const route = allRoutes().find((r) => keyOf(r) === name)!;
      const examples = process.env.FUZZ_EXAMPLES === '0' ? [] : examplesFor(route);
      await fc.assert(
        fc.asyncProperty(fuzzedArb(route), (f) => runOne(route, f)),
        {
          // fast-check counts its examples among numRuns: every example, then RUNS random requests.
          numRuns: examples.length + RUNS,
          seed: SEED,
          examples,
          endOnFailure: !process.env.FUZZ_SHRINK,
          // fast-check's own report prints the whole (megabyte-sized) counterexample: say what was sent instead.
          reporter: (out) => {
            if (!out.failed) return;
            const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
            throw new Error(`${name}: property failed after ${out.numRuns} run(s); replay with FUZZ_SEED=${out.seed} (path ${out.counterexamplePath})\n${cause}`);
          },
        },
      );
    });
  }

  return { env, allRoutes, mounted: () => mounted, fuzzRoutes };
}
