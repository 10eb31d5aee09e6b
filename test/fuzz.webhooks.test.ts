/**
 * Property-based fuzzing of the webhook routes (endpoints, deliveries, redelivery, secret rotation) against the
 * real stack (support/fuzz-stack.ts; test/fuzz.test.ts says what every answer must be).
 */
import { describe } from 'vitest';
import { useFuzz } from './support/fuzz-stack.js';

const { fuzzRoutes } = useFuzz('webhooks');

describe('fuzzing every route: never a 5xx, always a problem, never a state change on refusal', () => {
  fuzzRoutes();
});
