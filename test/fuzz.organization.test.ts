/**
 * Property-based fuzzing of the members, custom roles, experts and development paths routes against the real stack
 * (support/fuzz-stack.ts; test/fuzz.test.ts says what every answer must be).
 */
import { describe } from 'vitest';
import { useFuzz } from './support/fuzz-stack.js';

const { fuzzRoutes } = useFuzz('organization');

describe('fuzzing every route: never a 5xx, always a problem, never a state change on refusal', () => {
  fuzzRoutes();
});
