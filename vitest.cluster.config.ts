/**
 * `npm run test:cluster` (scripts/test-cluster.ts): the API tests that use a real-clock Temporal server, run against
 * the cluster's real Temporal server (TEST_TEMPORAL_ADDRESS, test/support/temporal.ts devServerEnv), and the smoke
 * suite of every process against the cluster's two API replicas (CLUSTER_API_URLS).
 *
 * Left out: the files that stop, kill or restart their own Temporal dev server or its data (outage, crash — the chaos
 * harness does that to the cluster: npm run chaos), and those on the time-skipping server only.
 */
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export const CLUSTER_TEST_FILES = [
  'test/access-matrix.test.ts',
  'test/app.api.test.ts',
  'test/calendar.api.test.ts',
  'test/expert-attestation.test.ts',
  'test/hot-path.test.ts',
  'test/experts.test.ts',
  'test/incentive-run.test.ts',
  'test/members-manageable.test.ts',
  'test/members.test.ts',
  'test/opportunity.api.test.ts',
  'test/path-review-cycle.test.ts',
  'test/quotas.test.ts',
  'test/rate-limit-shared.test.ts',
  'test/smoke.test.ts',
  'test/cluster/*.test.ts',
];

// Not mergeConfig: it would join the include and exclude lists with the default run's (which excludes test/cluster/).
export default defineConfig({ ...base, test: { ...base.test, include: CLUSTER_TEST_FILES, exclude: ['**/node_modules/**'] } });
