/**
 * Property-based fuzzing of every route routesOf() declares, against the real stack (Express app, worker,
 * Temporal dev server, PostgreSQL): hostile payloads, query strings, path ids, content types and tokens; each
 * answer must be < 500, a well-formed problem when 4xx, and a refused request must change nothing in the
 * database or in Temporal (support/fuzz-stack.ts, with FUZZ_SEED, FUZZ_RUNS, FUZZ_EXAMPLES, FUZZ_SHRINK). This file:
 * that every route has its known-good inputs, and the core routes (health, the document, opportunities, calendars,
 * the clock); the others, by group, in fuzz.<group>.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { keyOf, VALID_BODY, VALID_QUERY } from './support/fuzz-inputs.js';
import { useFuzz } from './support/fuzz-stack.js';

const { allRoutes, mounted: mountedRoutes, fuzzRoutes } = useFuzz('core');

describe('fuzzing every route: never a 5xx, always a problem, never a state change on refusal', () => {
  it('routesOf() lists routes, every one is fuzzed below', () => {
    const routes = allRoutes();
    expect(routes.length).toBeGreaterThan(0);
    for (const r of routes) if (!mountedRoutes().has(keyOf(r))) console.info(`fuzz: ${keyOf(r)} is not mounted on the dev-server stack: fuzzed for a clean 404`);
    // Without a known-good body or query a route is fuzzed with generic payloads only, which it refuses before its
    // rules are reached: every route taking one must have one.
    expect(routes.filter((r) => r.body && !VALID_BODY[keyOf(r)]).map(keyOf), 'routes without a known-good body').toEqual([]);
    expect(routes.filter((r) => r.query && !VALID_QUERY[keyOf(r)]).map(keyOf), 'routes without a known-good query').toEqual([]);
  });

  fuzzRoutes();
});
