/**
 * The smoke run of every process (support/smoke.ts) against the production topology `npm run cluster` starts: the real
 * Temporal server, two workers, two API replicas. Not in the default run (vitest.config.ts leaves test/cluster/** out);
 * `npm run test:cluster` runs it with CLUSTER_API_URLS, the replicas' base URLs comma-separated
 * (e.g. http://127.0.0.1:3001,http://127.0.0.1:3002). Tokens are signed with the development secret, as
 * `npm run token` signs them (AUTH_JWT_SECRET, AUTH_ISSUER and AUTH_AUDIENCE when the cluster's API is given others).
 */
import { expect, it } from 'vitest';
import { signToken } from '../../domain/auth.js';
import { devJwtSecret } from '../../platform/config.js';
import { smokeEveryProcess } from '../support/smoke.js';

/**
 * Not the in-process smoke's year (test/smoke.test.ts runs under npm run test:cluster too, on the cluster's Temporal
 * namespace but its own database): each run's path-review cycle is then a workflow of its own.
 */
const CLUSTER_REVIEW_YEAR = 2024;

/** The replicas' base URLs; a missing or empty CLUSTER_API_URLS fails the file at once, saying what to set. */
function clusterApis(): string[] {
  const apis = (process.env.CLUSTER_API_URLS ?? '')
    .split(',')
    .map((url) => url.trim().replace(/\/+$/, ''))
    .filter(Boolean);
  if (apis.length === 0) {
    throw new Error('CLUSTER_API_URLS is not set: give the API replicas\' base URLs, comma-separated (npm run test:cluster sets it from the running cluster)');
  }
  for (const url of apis) if (!/^https?:\/\/[^/]+$/.test(url)) throw new Error(`CLUSTER_API_URLS: "${url}" is not a base URL like http://127.0.0.1:3001`);
  return apis;
}

it('every process once through the HTTP API, alternating between the replicas', { timeout: 300_000 }, async () => {
  const apis = clusterApis();
  if (apis.length < 2) console.warn(`CLUSTER_API_URLS names one replica (${apis[0]}): the cross-replica read reads the same one`);
  const claims = {
    ...(process.env.AUTH_ISSUER ? { issuer: process.env.AUTH_ISSUER } : {}),
    ...(process.env.AUTH_AUDIENCE ? { audience: process.env.AUTH_AUDIENCE } : {}),
  };
  const steps: string[] = [];
  await smokeEveryProcess(apis, (principal) => signToken(principal, process.env.AUTH_JWT_SECRET ?? devJwtSecret, '1h', claims), (line) => {
    steps.push(line);
    console.log(`smoke: ${line}`);
  }, { reviewYear: CLUSTER_REVIEW_YEAR });
  for (const done of [/ACCEPTED on the other replica/, /^incentive .*: PENDING_VERIFICATION/, /^certification .*: APPROVED/, /^path review .*: OPEN/, /^enrollment .*: JOINED/, /allocated/]) {
    expect(steps.some((line) => done.test(line)), String(done)).toBe(true);
  }
});
