/**
 * The parts every process's fuzz of its writes on real objects shares (test/fuzz.customers.test.ts,
 * test/fuzz.enrollment.test.ts, fuzz.level-raise, fuzz.specialist, fuzz.unlink): the known-good bodies with one part
 * broken, the known-good examples for every caller, and the run — every example, then the random ones — that must
 * reach both an accepted and a refused request. Each request is judged by support/fuzz-judge.ts; each file keeps its
 * routes, callers, known-good bodies, the objects it makes per run, what it certainly refuses, and its process's
 * invariants.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { expect } from 'vitest';
import type { RouteDef } from '../../api/kit/http.js';
import type { Role } from '../../domain/auth.js';
import type { PrismaClient } from '../../platform/db.js';
import { edgeString, getAt, hugeString, leafPaths, numberish, setAt, wrongTypeFor } from './fuzz.js';
import { refusedByPolicy } from './fuzz-group.js';
import { type FuzzTally, sendAndJudge } from './fuzz-judge.js';

/** A body sent to a write: JSON, or bytes that are not a JSON object. */
export type WriteBody = { json: unknown; label: string } | { raw: Buffer; label: string };

/** One fuzzed write: its route, its caller, its body, and whether it carries an Idempotency-Key. */
export type FuzzedWrite<R extends string, C extends string> = { route: R; caller: C; body: WriteBody; idempotent: boolean };

/** Where a known-good body can be broken: its parts' paths, and the body with one of them replaced, read or removed. */
type BodyParts = { paths: (string | number)[][]; set: (p: (string | number)[], v: unknown) => unknown; get: (p: (string | number)[]) => unknown; remove: (p: (string | number)[]) => unknown };

/** The parts of an object's fields (arrays are leaves); a missing part drops its top-level field. */
function fieldParts(good: Record<string, unknown>): BodyParts {
  return {
    paths: leafPaths(good),
    set: (p, v) => setAt(good, p as string[], v),
    get: (p) => getAt(good, p as string[]),
    remove: (p) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== p[0])),
  };
}

/** Every path to a value in `value`, into arrays too (a batch's items are parts of their own). */
function partPaths(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (value === null || typeof value !== 'object') return prefix.length ? [prefix] : [];
  const entries: [string | number, unknown][] = Array.isArray(value) ? value.map((v, i) => [i, v]) : Object.entries(value);
  return [...(prefix.length ? [prefix] : []), ...entries.flatMap(([k, v]) => partPaths(v, [...prefix, k]))];
}

/** A copy of `value` with the part at `path` changed, or removed (an array's item spliced out). */
function editAt(value: unknown, path: (string | number)[], change: (old: unknown) => unknown, remove = false): unknown {
  if (path.length === 0) return change(value);
  const [head, ...rest] = path;
  if (Array.isArray(value)) {
    const copy = [...(value as unknown[])];
    if (rest.length === 0 && remove) copy.splice(head as number, 1);
    else copy[head as number] = editAt(copy[head as number], rest, change, remove);
    return copy;
  }
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && remove) delete copy[String(head)];
  else copy[String(head)] = editAt(copy[String(head)], rest, change, remove);
  return copy;
}

/** The parts of a body into its arrays; a missing part is removed where it stands. */
function deepParts(good: Record<string, unknown>): BodyParts {
  return {
    paths: partPaths(good),
    set: (p, v) => editAt(good, p, () => v),
    get: (p) => p.reduce<unknown>((v, k) => (v as Record<string | number, unknown> | undefined)?.[k], good),
    remove: (p) => editAt(good, p, () => undefined, true),
  };
}

/**
 * One of the known-good bodies, as it is (weighted 3) or with one part broken: a leaf hostile (a hostile string, one
 * of the process's own `values`, …), of another JSON type or missing, one of `addedKeys` added with a hostile value, or
 * the bytes one of `notJson`. With `intoArrays` the parts are those of a batch's items too; `more` are the process's
 * own broken bodies (a batch past its limit, …).
 */
export function brokenWriteBody(
  goods: Record<string, unknown>[],
  o: { values: unknown[]; addedKeys: string[]; notJson: string[]; intoArrays?: boolean; more?: fc.Arbitrary<WriteBody>[] },
): fc.Arbitrary<WriteBody> {
  const hostile: fc.Arbitrary<unknown> = fc.oneof(edgeString, hugeString.map((s) => s.slice(0, 70_000)), numberish, fc.constantFrom<unknown>(...o.values));
  return fc.constantFrom(...goods).chain((good) => {
    const { paths, set, get, remove } = o.intoArrays ? deepParts(good) : fieldParts(good);
    const some = paths.length
      ? [
          fc.tuple(fc.constantFrom(...paths), hostile).map(([p, v]): WriteBody => ({ json: set(p, v), label: `${p.join('.')} hostile` })),
          fc.constantFrom(...paths).chain((p) => wrongTypeFor(get(p)).map((v): WriteBody => ({ json: set(p, v), label: `${p.join('.')} of another type` }))),
          fc.constantFrom(...paths).map((p): WriteBody => ({ json: remove(p), label: `${p.join('.')} missing` })),
        ]
      : [];
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant<WriteBody>({ json: good, label: 'known-good' }) },
      ...some,
      fc.tuple(fc.constantFrom(...o.addedKeys), hostile).map(([k, v]): WriteBody => ({ json: { ...good, [k]: v }, label: `${k} added` })),
      fc.constantFrom(...o.notJson).map((text): WriteBody => ({ raw: Buffer.from(text), label: 'not a JSON object' })),
      ...(o.more ?? []),
    );
  });
}

/** A fuzzed write of any of `routes`: mostly by the route's right caller (weighted 4), else by any of `callers`. */
export function fuzzedWrite<R extends string, C extends string>(routes: readonly R[], callers: C[], rightCaller: (route: R) => C, body: (route: R) => fc.Arbitrary<WriteBody>): fc.Arbitrary<FuzzedWrite<R, C>> {
  return fc.constantFrom(...routes).chain((route) =>
    fc.record({
      route: fc.constant(route),
      caller: fc.oneof({ weight: 4, arbitrary: fc.constant<C>(rightCaller(route)) }, fc.constantFrom<C>(...callers)),
      body: body(route),
      idempotent: fc.boolean(),
    }),
  );
}

/** Every known-good body of every route, sent by every caller with an Idempotency-Key: the fixed examples. */
export function knownGoodWrites<R extends string, C extends string>(routes: readonly R[], goods: Record<R, Record<string, unknown>[]>, callers: C[]): [FuzzedWrite<R, C>][] {
  return routes.flatMap((route) => goods[route].flatMap((good) => callers.map((caller): [FuzzedWrite<R, C>] => [{ route, caller, body: { json: good, label: 'known-good' }, idempotent: true }])));
}

/**
 * Why a write is certainly refused: the hand-written policy, then what the file knows beyond it (`beyond`: another
 * partner's object, …), then a body that is not a JSON object or that the route's own schema refuses; or undefined.
 */
export function refusedWrite<C extends string>(
  route: RouteDef,
  w: { caller: C | 'none' | 'garbage'; rolesOf: Record<C, Role[]>; body: WriteBody; sent: unknown; beyond: string | undefined },
): string | undefined {
  const byPolicy = refusedByPolicy(route, w.caller, w.rolesOf);
  if (byPolicy) return byPolicy;
  if (w.beyond) return w.beyond;
  if ('raw' in w.body) return 'the body is not a JSON object';
  if (!route.body!.safeParse(w.sent).success) return 'the body schema refuses it';
  return undefined;
}

/**
 * Sends a fuzzed write to `path` — its bytes, or `json` (the body with the run's ids put in) —, with `authorization`
 * and, when `idempotencyKey`, a fresh Idempotency-Key, and judges the answer (support/fuzz-judge.ts). Answers the
 * accepted JSON, the answer and the request in words for the file's own checks, or undefined when refused.
 */
export async function sendWrite(
  env: { base: string; prisma: PrismaClient },
  r: { route: RouteDef; caller: string; body: WriteBody; json: unknown; path: string; authorization: string | undefined; idempotencyKey: boolean; tally: FuzzTally; certainlyRefused: () => string | undefined },
): Promise<{ json: unknown; got: string; where: string } | undefined> {
  const bytes = 'raw' in r.body ? r.body.raw : Buffer.from(JSON.stringify(r.json) ?? 'null');
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (r.authorization) headers.authorization = r.authorization;
  if (r.idempotencyKey) headers['idempotency-key'] = randomUUID();
  const where = `caller ${r.caller}, body ${r.body.label}: POST ${r.path} ${bytes.subarray(0, 300).toString('utf8')}`;
  const accepted = await sendAndJudge(env, { route: r.route, path: r.path, headers, bytes, where, tally: r.tally, certainlyRefused: r.certainlyRefused });
  return accepted && { ...accepted, where };
}

/**
 * Runs the examples, then `runs` random writes with `seed`; the first failure ends the run naming the seed that replays
 * it. Prints the tally, which must show both outcomes (a fuzz that only ever saw one of them proved little).
 */
export async function assertWrites<F>(name: string, arbitrary: fc.Arbitrary<F>, examples: [F][], runOne: (f: F) => Promise<void>, o: { seed: number; runs: number; tally: FuzzTally }): Promise<void> {
  await fc.assert(fc.asyncProperty(arbitrary, runOne), {
    numRuns: examples.length + o.runs,
    examples,
    seed: o.seed,
    endOnFailure: true,
    reporter: (out) => {
      if (out.failed) throw new Error(`fuzz failure (FUZZ_SEED=${o.seed} replays): ${String(out.errorInstance)}`);
    },
  });
  console.info(`${name}: seed ${o.seed}, ${o.tally.accepted} accepted, ${o.tally.refused} refused`);
  expect(o.tally.accepted).toBeGreaterThan(0);
  expect(o.tally.refused).toBeGreaterThan(0);
}

/** Every partner an answer names (its `partnerId` fields, at any depth). */
export const partnersNamed = (json: unknown): string[] => [...JSON.stringify(json).matchAll(/"partnerId":"([^"]*)"/g)].map((m) => m[1]!);
