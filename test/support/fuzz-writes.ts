/**
 * The parts every process's fuzz of its writes on real objects shares (test/fuzz.customers.test.ts,
 * test/fuzz.enrollment.test.ts): the known-good bodies with one part broken, the known-good examples for every caller,
 * and the run — every example, then the random ones — that must reach both an accepted and a refused request. Each
 * request is judged by support/fuzz-judge.ts; each file keeps its routes, callers, known-good bodies, the objects it
 * makes per run, what it certainly refuses, and its process's invariants.
 */
import fc from 'fast-check';
import { expect } from 'vitest';
import { edgeString, getAt, hugeString, leafPaths, numberish, setAt, wrongTypeFor } from './fuzz.js';
import type { FuzzTally } from './fuzz-judge.js';

/** A body sent to a write: JSON, or bytes that are not a JSON object. */
export type WriteBody = { json: unknown; label: string } | { raw: Buffer; label: string };

/** One fuzzed write: its route, its caller, its body, and whether it carries an Idempotency-Key. */
export type FuzzedWrite<R extends string, C extends string> = { route: R; caller: C; body: WriteBody; idempotent: boolean };

/**
 * One of the known-good bodies, as it is (weighted 3) or with one part broken: a leaf hostile (a hostile string, one
 * of the process's own `values`, …), of another JSON type or missing, one of `addedKeys` added with a hostile value, or
 * the bytes one of `notJson`.
 */
export function brokenWriteBody(goods: Record<string, unknown>[], o: { values: unknown[]; addedKeys: string[]; notJson: string[] }): fc.Arbitrary<WriteBody> {
  const hostile: fc.Arbitrary<unknown> = fc.oneof(edgeString, hugeString.map((s) => s.slice(0, 70_000)), numberish, fc.constantFrom<unknown>(...o.values));
  return fc.constantFrom(...goods).chain((good) => {
    const paths = leafPaths(good);
    const some = paths.length
      ? [
          fc.tuple(fc.constantFrom(...paths), hostile).map(([p, v]): WriteBody => ({ json: setAt(good, p, v), label: `${p.join('.')} hostile` })),
          fc.constantFrom(...paths).chain((p) => wrongTypeFor(getAt(good, p)).map((v): WriteBody => ({ json: setAt(good, p, v), label: `${p.join('.')} of another type` }))),
          fc.constantFrom(...paths).map((p): WriteBody => ({ json: Object.fromEntries(Object.entries(good).filter(([k]) => k !== p[0])), label: `${p.join('.')} missing` })),
        ]
      : [];
    return fc.oneof(
      { weight: 3, arbitrary: fc.constant<WriteBody>({ json: good, label: 'known-good' }) },
      ...some,
      fc.tuple(fc.constantFrom(...o.addedKeys), hostile).map(([k, v]): WriteBody => ({ json: { ...good, [k]: v }, label: `${k} added` })),
      fc.constantFrom(...o.notJson).map((text): WriteBody => ({ raw: Buffer.from(text), label: 'not a JSON object' })),
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
