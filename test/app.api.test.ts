/**
 * What the whole HTTP API shares, end to end on the real Express app, worker, Temporal dev server and PostgreSQL:
 * deadlines counted on the shipped calendars, health, problems for unknown routes (and the clock route outside
 * time-skipping mode), security headers and request ids, IAM sub-users refused, the per-token rate limit.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { call, JWT_SECRET, tokenFor } from './support/app.js';
import { expectFieldProblem as expectProblem, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'app-api-test', server: 'dev', api: true });
const { api } = env;
let vendor: string;

beforeAll(async () => {
  vendor = await tokenFor(['vendor_staff']);
});

const newPartner = () => `P-${randomUUID().slice(0, 8)}`;

describe('calendar, health, unknown routes', () => {
  it('computes a deadline on the shipped CN calendar with its explanation', async () => {
    // Mon 2026-01-05 10:00 Shanghai → Thu 10:00.
    const res = await api('GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3', vendor);
    expect(res.status).toBe(200);
    expect(res.body.deadline).toBe('2026-01-08T02:00:00.000Z');
    expect(res.body.explanation.calendar).toBe('CN');
  });

  it('answers problems for a year without data, an unknown calendar and bad parameters', async () => {
    // SA has no statutory rules: a year without data fails closed (CN counts it provisionally, see calendar.api).
    const noData = await api('GET', '/v1/calendars/SA/deadline?from=2031-03-03T02:00:00Z&workingDays=3', vendor);
    expectProblem(noData, 422);
    expect(noData.body.detail).toContain('2031');
    expectProblem(await api('GET', '/v1/calendars/XX/deadline?from=2026-01-05T02:00:00Z&workingDays=3', vendor), 404);
    expectProblem(await api('GET', '/v1/calendars/CN/deadline?from=yesterday&workingDays=3', vendor), 400, 'query.from');
    expectProblem(await api('GET', '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=0', vendor), 400, 'query.workingDays');
  });

  it('healthz is 200 when Temporal and the database answer', async () => {
    const res = await api('GET', '/healthz');
    expect(res).toMatchObject({ status: 200, body: { status: 'ok', temporal: 'ok', database: 'ok' } });
  });

  it('404 problem for unknown routes and for the clock route outside time-skipping mode', async () => {
    expectProblem(await api('GET', '/v1/nope', vendor), 404);
    expectProblem(await api('POST', '/v1/admin/clock/advance', vendor, { duration: 'P5D' }), 404);
  });
});

describe('hardening', () => {
  it('sends security headers and a request id', async () => {
    const res = await api('GET', '/healthz', undefined, undefined, { 'X-Request-Id': 'trace-123' });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-request-id')).toBe('trace-123');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('refuses IAM sub-users on every partner-center route with 403 saying why', async () => {
    const { signToken } = await import('../domain/auth.js');
    const iam = await signToken({ sub: 'iam-1', roles: ['partner_admin'], partnerId: 'P-1', accountType: 'iam_user' }, JWT_SECRET);
    const res = await api('GET', '/v1/opportunities', iam);
    expectProblem(res, 403);
    expect(res.body.detail).toMatch(/IAM sub-users/);
  });

  it('rate-limits per token with a 429 problem and Retry-After', async () => {
    const limited = createApp({
      temporal: env.client,
      prisma: env.prisma,
      taskQueue: 'unused',
      jwtSecret: JWT_SECRET,
      logger: pino({ level: 'silent' }),
      rateLimitPerMinute: 3,
    });
    const server = await new Promise<Server>((resolve) => {
      const s = limited.listen(0, '127.0.0.1', () => resolve(s));
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
      const path = '/v1/calendars/CN/deadline?from=2026-01-05T02:00:00Z&workingDays=3';
      const other = await tokenFor(['partner_admin'], newPartner());
      for (let i = 0; i < 3; i++) expect((await call(base, 'GET', path, vendor)).status).toBe(200);
      const refused = await call(base, 'GET', path, vendor);
      expectProblem(refused, 429);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
      expect(refused.body.retryAfterSeconds).toBe(Number(refused.headers.get('retry-after')));
      expect((await call(base, 'GET', path, other)).status).toBe(200); // another token has its own budget
    } finally {
      server.close();
    }
  });
});
