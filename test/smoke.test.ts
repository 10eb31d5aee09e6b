/**
 * The smoke run of every process (support/smoke.ts) against the in-process stack: the real API and worker on a Temporal
 * dev server (a real clock: schedules and visibility as in production) and this test worker's PostgreSQL. One app, so
 * both "replicas" are the same base URL; `npm run test:cluster` runs the same steps against two replicas
 * (test/cluster/smoke.test.ts).
 */
import { expect, it } from 'vitest';
import { signToken } from '../domain/auth.js';
import { JWT_SECRET } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { smokeEveryProcess } from './support/smoke.js';

const env = useTestEnv({ taskQueue: 'smoke-test', server: 'dev', api: true });

// Seconds when it passes; the bound lets a stuck step's own error (its name, the last answer: 30 s at most) be the one seen.
it('every process once through the HTTP API: opportunity, incentive run, certification, path review, enrollment, funds', { timeout: 180_000 }, async () => {
  const steps: string[] = [];
  await smokeEveryProcess([env.base, env.base], (claims) => signToken(claims, JWT_SECRET), (line) => {
    steps.push(line);
    console.log(`smoke: ${line}`);
  });
  // Each process said it reached the state its step waits for (the steps throw otherwise: this guards against one skipped).
  for (const done of [/ACCEPTED on the other replica/, /^incentive .*: PENDING_VERIFICATION/, /^certification .*: APPROVED/, /^path review .*: OPEN/, /^enrollment .*: JOINED/, /allocated/]) {
    expect(steps.some((line) => done.test(line)), String(done)).toBe(true);
  }
});
