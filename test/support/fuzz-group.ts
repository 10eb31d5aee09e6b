/**
 * The runner of the route-group fuzz files (test/fuzz.account.test.ts, fuzz.enterprise, fuzz.orders, fuzz.funds): one
 * fixed seed and a number of random runs per route, the known-good body with one part broken, and the judge every one
 * of them applies to an answer — never a 5xx, never the server's internals, a refusal a well-formed problem that changed
 * nothing in any table, an acceptance not one the file certainly refuses and answered as the route declares, a read
 * that changed nothing. Unlike support/fuzz-judge.ts (a fresh object per request, a snapshot from a quiet database),
 * the requests of a group run on shared objects one after another, each compared with the state the one before left.
 * Each file keeps its own parts: its callers and their roles, its known-good bodies, what it certainly refuses, and
 * whatever it judges beyond the declared answer. The seed, the callers' tokens and the policy's refusals serve the
 * processes' write fuzz files too (support/fuzz-writes.ts).
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { jsonSchemaOf, type RouteDef } from '../../api/kit/http.js';
import type { Role } from '../../domain/auth.js';
import type { PrismaClient } from '../../platform/db.js';
import { tokenFor } from './app.js';
import { edgeString, getAt, hugeString, leafPaths, numberish, type Sent, send, setAt, STACK, wrongTypeFor } from './fuzz.js';
import type { FuzzTally } from './fuzz-judge.js';
import { policyAllows, ROUTE_PERMISSIONS } from './policy.js';
import { databaseSnapshot, type DatabaseSnapshot, tableChanges } from './snapshot.js';

/** Fixed by default, so every run sends the same requests (a failure reproduces); FUZZ_SEED=random explores. */
export const fuzzSeed = (fixed: number): number =>
  process.env.FUZZ_SEED === 'random' ? Math.floor(Math.random() * 2 ** 31) : process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : fixed;

/** The random runs per route besides the fixed examples: FUZZ_RUNS, else the file's own number. */
export const fuzzRuns = (fallback: number): number => Number(process.env.FUZZ_RUNS ?? fallback);

/** A route as the policy names it: `POST /v1/...`. */
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>): string => `${r.method.toUpperCase()} ${r.path}`;

/** A refusal as every route answers one: problem+json of its own status, a 400 naming each field it refused. */
export function isWellFormedProblem(res: Sent): boolean {
  const p = res.json as { status?: unknown; type?: unknown; errors?: { field?: unknown }[] } | undefined;
  return (
    /^application\/problem\+json/.test(res.contentType) &&
    p?.status === res.status &&
    typeof p.type === 'string' &&
    (res.status !== 400 || (Array.isArray(p.errors) && p.errors.length > 0 && p.errors.every((e) => typeof e.field === 'string')))
  );
}

/** The Authorization header of a fuzzed caller: none, a token that is not one, or a token of its roles (for `partner`). */
export async function authorizationOf<C extends string>(caller: C | 'none' | 'garbage', rolesOf: Record<C, Role[]>, partner: string | undefined, subject: string): Promise<string | undefined> {
  if (caller === 'none') return undefined;
  if (caller === 'garbage') return 'Bearer x.y.z';
  return `Bearer ${await tokenFor(rolesOf[caller as C], partner, subject)}`;
}

/** Why the hand-written policy certainly refuses `caller` on `route` (no valid token, no role holding its permission), or undefined. */
export function refusedByPolicy<C extends string>(route: Pick<RouteDef, 'method' | 'path'>, caller: C | 'none' | 'garbage', rolesOf: Record<C, Role[]>): string | undefined {
  if (caller === 'none' || caller === 'garbage') return 'no valid token';
  const demand = ROUTE_PERMISSIONS[routeKey(route)]!;
  if (!rolesOf[caller as C].some((role) => policyAllows(role, demand))) return `${caller} lacks ${demand}`;
  return undefined;
}

/** Idempotency-Keys the API refuses (none, empty, blank, too long, not ASCII): the fixed examples of a write. */
export const BAD_IDEMPOTENCY_KEYS: (string | null)[] = [null, '', ' ', 'a'.repeat(201), 'kl\u00fcssel'];
/** A write's Idempotency-Key: mostly a fresh one, else one of the bad ones. */
export const idempotencyKeyArb: fc.Arbitrary<string | null | 'fresh'> = fc.oneof({ weight: 6, arbitrary: fc.constant<'fresh'>('fresh') }, fc.constantFrom<string | null>(...BAD_IDEMPOTENCY_KEYS));
/** The API's Idempotency-Key format: 1 to 200 printable ASCII characters. */
export const isIdempotencyKey = (key: string | null): boolean => key !== null && /^[\x21-\x7e]{1,200}$/.test(key);

/** A fuzzed body: JSON (the known-good one with one part broken, or any) or bytes that are not JSON. */
export type BrokenBody = { json?: unknown; raw?: string; label: string };

/** Every leaf of a known-good body: the top-level ones and each item's of its batch (arrays are leaves to leafPaths). */
function leavesOf(valid: Record<string, unknown>): { batch: string | undefined; items: unknown[]; paths: string[][] } {
  const batch = Object.keys(valid).find((k) => Array.isArray(valid[k]));
  const items = batch ? (valid[batch] as unknown[]) : [];
  return { batch, items, paths: [...leafPaths(valid), ...items.flatMap((item, i) => leafPaths(item).map((p) => [batch!, String(i), ...p]))] };
}

/** A copy of `valid` with the leaf at `path` replaced, or removed when `replacement` is undefined (into batch items too). */
function replacedAt(valid: Record<string, unknown>, path: string[], replacement: unknown): Record<string, unknown> {
  const copy = structuredClone(valid);
  let node: unknown = copy;
  for (const k of path.slice(0, -1)) node = (node as Record<string, unknown>)[k];
  if (replacement === undefined) delete (node as Record<string, unknown>)[path.at(-1)!];
  else (node as Record<string, unknown>)[path.at(-1)!] = replacement;
  return copy;
}

/**
 * One part of the known-good body broken: a leaf of another type, hostile or missing, a field added beside it, the whole
 * body any JSON or one of `notJson` (bytes that are not JSON); with a batch, also none and one past the limit of 100.
 */
export function brokenBody(valid: Record<string, unknown>, notJson: string[]): fc.Arbitrary<BrokenBody> {
  const { batch, items, paths } = leavesOf(valid);
  const leaf = fc.constantFrom(...paths);
  return fc.oneof(
    leaf.chain((p) => wrongTypeFor(getAt(valid, p)).map((w) => ({ json: replacedAt(valid, p, w), label: `${p.join('.')} of another type` }))),
    leaf.chain((p) => fc.oneof(edgeString, hugeString, numberish).map((w) => ({ json: replacedAt(valid, p, w), label: `${p.join('.')} hostile` }))),
    leaf.map((p) => ({ json: replacedAt(valid, p, undefined), label: `${p.join('.')} missing` })),
    leaf.map((p) => ({ json: replacedAt(valid, [...p.slice(0, -1), '__extra'], 1), label: `unknown field beside ${p.join('.')}` })),
    fc.jsonValue({ maxDepth: 3 }).map((json) => ({ json, label: 'any JSON' })),
    fc.constantFrom(...notJson).map((raw) => ({ raw, label: 'not JSON' })),
    ...(batch ? [fc.constant({ json: setAt(valid, [batch], []), label: `no ${batch}` }), fc.constant({ json: setAt(valid, [batch], Array.from({ length: 101 }, () => items[0])), label: `101 ${batch}` })] : []),
  );
}

/** The fixed examples of a body: each leaf alone missing, null, or a string with NUL — cases random runs reach rarely. */
export function brokenLeaves(valid: Record<string, unknown>): BrokenBody[] {
  return leavesOf(valid).paths.flatMap((path) =>
    ([['missing', undefined], ['null', null], ['NUL', 'a\u0000b']] as const).map(([label, value]) => ({ json: replacedAt(valid, path, value), label: `${path.join('.')} ${label}` })),
  );
}

/** One request of a group, as the file made it: the path with its query, the headers, the body, and how to name it. */
export type GroupRequest = {
  route: RouteDef;
  path: string;
  headers: Record<string, string>;
  body: Buffer | undefined;
  /** The request in words, for a failure's message. */
  where: string;
  /** Why the request is certainly refused, or undefined. */
  refused: string | undefined;
  /** An answer that is no JSON the route declares (a download such as a statement's CSV), judged by the file instead. */
  download?: { label: string; contentType: RegExp; expected: (res: Sent) => boolean };
};

/** One group of routes fuzzed on shared objects against the real API + PostgreSQL: its seed, its tally, its judge. */
export class RouteGroupFuzz {
  readonly seed: number;
  readonly runs: number;
  /** Per route: how many requests were accepted and refused (a fuzz that only ever saw one of them proved little). */
  private readonly tally = new Map<string, FuzzTally>();
  private baseline: DatabaseSnapshot | undefined;

  constructor(
    private readonly env: { base: string; prisma: PrismaClient },
    o: { seed: number; runs: number },
  ) {
    this.seed = o.seed;
    this.runs = o.runs;
  }

  /** Takes the database as it is now as the state the next request is compared with (after the file made its objects). */
  async rebase(): Promise<void> {
    this.baseline = await databaseSnapshot(this.env.prisma);
  }

  private count(route: RouteDef, outcome: keyof FuzzTally): void {
    const t = this.tally.get(routeKey(route)) ?? { accepted: 0, refused: 0 };
    t[outcome]++;
    this.tally.set(routeKey(route), t);
  }

  /** Sends one request and judges the answer; throws on a wrong one. Answers the accepted response, or undefined when refused. */
  async sendAndJudge(r: GroupRequest): Promise<Sent | undefined> {
    const { route, where } = r;
    let res: Sent;
    try {
      res = await send(this.env.base, route.method, r.path, r.headers, r.body);
    } catch (error) {
      throw new Error(`no answer (${(error as Error).message}): ${where}`);
    }
    const got = `${res.status} ${res.text.slice(0, 300)}`;
    if (res.status >= 500) throw new Error(`5xx: ${got}\n${where}`);
    if (STACK.test(res.text)) throw new Error(`internals in the answer: ${got}\n${where}`);
    const after = await databaseSnapshot(this.env.prisma);
    const before = this.baseline!;
    // Whatever is judged below, the next request compares with the state this one left.
    this.baseline = after;
    if (res.status >= 400) {
      if (!isWellFormedProblem(res)) throw new Error(`malformed problem: ${got}\n${where}`);
      this.count(route, 'refused');
      const changed = tableChanges(before, after);
      if (changed.length) throw new Error(`a refused request changed the database: ${changed.join('; ')}\n${got}\n${where}`);
      return undefined;
    }
    this.count(route, 'accepted');
    if (r.refused) throw new Error(`accepted although certainly refused (${r.refused}): ${got}\n${where}`);
    if (r.download?.contentType.test(res.contentType)) {
      if (!r.download.expected(res)) throw new Error(`an unexpected ${r.download.label} answer: ${got}\n${where}`);
      return res;
    }
    const declared = route.responses[res.status];
    if (!declared || !jsonSchemaOf(declared)?.safeParse(res.json).success) throw new Error(`the answer is not what the route declares for ${res.status}: ${got}\n${where}`);
    if (route.method === 'get' && tableChanges(before, after).length) throw new Error(`a read changed the database: ${tableChanges(before, after).join('; ')}\n${where}`);
    return res;
  }

  /**
   * Fuzzes one route: every example first, then `runs` random requests (fast-check counts its examples among numRuns);
   * the first failure ends the run naming the seed that replays it. The route's tally must show both outcomes.
   */
  async assertRoute<F>(route: RouteDef, arbitrary: fc.Arbitrary<F>, examples: [F][], runOne: (f: F) => Promise<void>): Promise<void> {
    const name = routeKey(route);
    await fc.assert(fc.asyncProperty(arbitrary, runOne), {
      numRuns: examples.length + this.runs,
      examples,
      seed: this.seed,
      endOnFailure: true,
      reporter: (out) => {
        if (!out.failed) return;
        const cause = out.errorInstance instanceof Error ? out.errorInstance.message : String(out.errorInstance);
        throw new Error(`${name}: failed after ${out.numRuns} run(s); replay with FUZZ_SEED=${out.seed}\n${cause}`);
      },
    });
    console.info(`fuzz ${name}: seed ${this.seed}, ${JSON.stringify(this.tally.get(name))}`);
    expect(this.tally.get(name)?.accepted, 'accepted requests').toBeGreaterThan(0);
    expect(this.tally.get(name)?.refused, 'refused requests').toBeGreaterThan(0);
  }
}
