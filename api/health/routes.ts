/**
 * Health of what the API depends on: 200 when Temporal and the database answer, 503 (with Retry-After) naming the one
 * that does not. Public, so it says only `ok` or `unavailable`: why goes to the log.
 */
import type { Connection } from '@temporalio/client';
import { calendarWarnings } from '../../platform/calendars.js';
import type { PrismaClient } from '../../platform/db.js';
import { OUTAGE_RETRY_AFTER_SECONDS } from '../kit/dependencies.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { healthSchema } from './schemas.js';

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

/** `calendarWarnFrom` (CALENDAR_WARN_FROM): from that day, calendars whose next year is unpublished add a warning (status stays 200). */
export function healthRoutes({ temporal, prisma, calendarWarnFrom = '11-01' }: { temporal: Connection; prisma: PrismaClient; calendarWarnFrom?: string }): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      permission: 'public',
      summary: 'Health of the API and what it depends on.',
      responses: { 200: healthSchema, 503: healthSchema },
      handler: async ({ req }) => {
        const logFor = (dependency: string) => (error: unknown) => req.log.warn({ err: error, dependency }, `health: ${dependency} unavailable`);
        const [temporalStatus, database] = await Promise.all([
          probe(() => temporal.workflowService.getSystemInfo({}), logFor('temporal')),
          probe(() => prisma.$queryRaw`SELECT 1`, logFor('database')),
        ]);
        const ok = temporalStatus === 'ok' && database === 'ok';
        const warnings = database === 'ok' ? await calendarWarnings(prisma, new Date(), calendarWarnFrom).catch(() => []) : [];
        return {
          status: ok ? 200 : 503,
          body: { status: ok ? 'ok' : 'degraded', temporal: temporalStatus, database, ...(warnings.length ? { warnings } : {}) },
          ...(ok ? {} : { headers: { 'Retry-After': String(OUTAGE_RETRY_AFTER_SECONDS) } }),
        };
      },
    }),
  ];
}
