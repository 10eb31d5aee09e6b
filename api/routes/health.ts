/** Liveness of what the API depends on: 200 when Temporal and the database answer, 503 otherwise. */
import type { Connection } from '@temporalio/client';
import type { PrismaClient } from '../../platform/db.js';
import { defineRoute, type RouteDef } from '../http.js';
import { healthSchema } from '../schemas.js';

const within = <T>(ms: number, work: Promise<T>) =>
  Promise.race([work, new Promise<never>((_, fail) => setTimeout(() => fail(new Error(`no answer within ${ms} ms`)), ms).unref())]);

async function probe(check: () => Promise<unknown>): Promise<string> {
  try {
    await within(2000, check());
    return 'ok';
  } catch (error) {
    return `unavailable: ${(error as Error).message}`;
  }
}

export function healthRoutes({ temporal, prisma }: { temporal: Connection; prisma: PrismaClient }): RouteDef[] {
  return [
    defineRoute({
      method: 'get',
      path: '/healthz',
      permission: 'public',
      summary: 'Health of the API and what it depends on.',
      responses: { 200: healthSchema, 503: healthSchema },
      handler: async () => {
        const [temporalStatus, database] = await Promise.all([
          probe(() => temporal.workflowService.getSystemInfo({})),
          probe(() => prisma.$queryRaw`SELECT 1`),
        ]);
        const ok = temporalStatus === 'ok' && database === 'ok';
        return { status: ok ? 200 : 503, body: { status: ok ? 'ok' : 'degraded', temporal: temporalStatus, database } };
      },
    }),
  ];
}
