/**
 * Property-based fuzzing of every route routesOf() declares, against the real stack (Express app, worker,
 * Temporal dev server, PostgreSQL): hostile payloads, query strings, path ids, content types and tokens; each
 * answer must be < 500, a well-formed problem when 4xx, and a refused request (or a read) must change nothing in any
 * table of the database or in Temporal; a request certainly refused (its own schemas refuse a part, a token that is
 * none, a role the policy does not give, another partner's staff on the partner's object: support/fuzz-verdict.ts)
 * must not be accepted, and an accepted answer must match the route's response schema and name no other partner
 * than a partner caller's (support/fuzz-stack.ts, with FUZZ_SEED, FUZZ_RUNS, FUZZ_EXAMPLES, FUZZ_SHRINK). This file:
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
    // …and the route's own schema takes it: the refusals derived from it (one part broken) are then refused for that part alone.
    expect(routes.filter((r) => r.body && !r.body.safeParse(VALID_BODY[keyOf(r)]).success).map(keyOf), 'known-good bodies the schema refuses').toEqual([]);
    expect(routes.filter((r) => r.query && !r.query.safeParse(VALID_QUERY[keyOf(r)]).success).map(keyOf), 'known-good queries the schema refuses').toEqual([]);
  });

  fuzzRoutes();
});
