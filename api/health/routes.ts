/**
 * Health of the API process, for people and for orchestrators (docs/observability.md):
 * - `/livez`: the process is up and its event loop answers; no dependency is checked, so an outage of the database or
 *   Temporal never gets a replica restarted (a restart would not bring them back).
 * - `/readyz`: whether this replica can serve now: 200 when Temporal and the database answer, else 503 with Retry-After
 *   (the load balancer sends requests elsewhere meanwhile). A replica shutting down answers 503 shutting-down, as every
 *   route then does (api/app.ts).
 * - `/healthz`: the same check for people, with what an operator must do soon (calendar warnings).
 * Public, so they say only `ok` or `unavailable`: why goes to the log.
 */
import type { Connection } from '@temporalio/client';
import type { Request } from 'express';
import { calendarWarnings } from '../../platform/calendars.js';
import type { PrismaClient } from '../../platform/db.js';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../kit/dependencies.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { healthSchema, livenessSchema, readinessSchema } from './schemas.js';

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no answer within ${ms} ms`)), ms).unref())]);

async function probe(check: () => Promise<unknown>, onError: (error: unknown) => void): Promise<'ok' | 'unavailable'> {
  try {
    await within(2000, check());
    return 'ok';
  } catch (error) {
    onError(error);
    return 'unavailable';
  }
}

type Dependencies = { temporal: Connection; prisma: PrismaClient };

/** Whether Temporal and the database answer (2 s each, at the same time); why not goes to the request's log. */
async function dependencies({ temporal, prisma }: Dependencies, req: Request, probeName: string) {
  const logFor = (dependency: string) => (error: unknown) => req.log.warn({ err: error, dependency }, `${probeName}: ${dependency} unavailable`);
  const [temporalStatus, database] = await Promise.all([
    probe(() => temporal.workflowService.getSystemInfo({}), logFor('temporal')),
    probe(() => prisma.$queryRaw`SELECT 1`, logFor('database')),
  ]);
  return { ok: temporalStatus === 'ok' && database === 'ok', temporal: temporalStatus, database };
}

const retryAfter = { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) };

/** `calendarWarnFrom` (CALENDAR_WARN_FROM): from that day, calendars whose next year is unpublished add a warning to /healthz (status stays 200). */
export function healthRoutes({ temporal, prisma, calendarWarnFrom = '11-01' }: Dependencies & { calendarWarnFrom?: string }): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      permission: 'public',
      summary: 'Health of the API and what it depends on.',
      responses: { 200: healthSchema, 503: healthSchema },
      handler: async ({ req }) => {
        const { ok, ...checked } = await dependencies({ temporal, prisma }, req, 'health');
        const warnings = checked.database === 'ok' ? await calendarWarnings(prisma, new Date(), calendarWarnFrom).catch(() => []) : [];
        return {
          status: ok ? 200 : 503,
          body: { status: ok ? 'ok' : 'degraded', ...checked, ...(warnings.length ? { warnings } : {}) },
          ...(ok ? {} : { headers: retryAfter }),
        };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/livez',
      permission: 'public',
      summary: 'Liveness: the API process is up (no dependency is checked).',
      responses: { 200: livenessSchema },
      handler: async () => ({ status: 200, body: { status: 'ok' as const } }),
    }),
    defineRoute({
      method: 'get',
      path: '/readyz',
      permission: 'public',
      summary: 'Readiness: whether this API process can serve requests now (Temporal and the database answer).',
      responses: { 200: readinessSchema, 503: readinessSchema },
      handler: async ({ req }) => {
        const { ok, ...checked } = await dependencies({ temporal, prisma }, req, 'readiness');
        return { status: ok ? 200 : 503, body: { status: ok ? 'ready' : 'unavailable', ...checked }, ...(ok ? {} : { headers: retryAfter }) };
      },
    }),
  ];
}
