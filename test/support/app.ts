/** The real API + worker wired to a given Temporal environment and the test database, on a free port. */
import type { Server } from 'node:http';
import type { Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import pino from 'pino';
import { testDatabaseUrl } from './database.js';
import { type AppDeps, createApp } from '../../api/app.js';
import { type Role, signToken } from '../../domain/auth.js';
import type { CalendarLookup } from '../../domain/calendar.js';
import { databaseCalendarLookup } from '../../platform/calendars.js';
import type { Quotas } from '../../platform/config.js';
import { createPrisma } from '../../platform/db.js';
import { createWorker } from '../../worker/worker.js';
import type { DeliveryRetry } from '../../workflows/webhook/workflow.js';
import { workflowBundle } from './temporal.js';

export const JWT_SECRET = 'test-secret-0123456789abcdefghijklmnopqrstuvwxyz';

/**
 * What the test apps log at level error (a request that failed: its 500's cause), kept in memory instead of printed, so
 * that a test meeting an unexpected 500 can say why: serverErrorOf(the answer's X-Request-Id).
 */
const errorLines: string[] = [];
const testLogger = () => pino({ level: 'error' }, { write: (line: string) => void errorLines.push(line) });
export function serverErrorOf(requestId: string | null): string | undefined {
  if (!requestId) return undefined;
  const line = errorLines.find((l) => l.includes(requestId));
  if (!line) return undefined;
  const { err } = JSON.parse(line) as { err?: { type?: string; message?: string; stack?: string } };
  return err ? `${err.type}: ${err.message} ${(err.stack ?? '').split('\n').slice(1, 4).map((s) => s.trim()).join(' ← ')}` : line.slice(0, 500);
}

export async function startApp(
  env: TestWorkflowEnvironment,
  opts: {
    taskQueue: string;
    calendarFor?: CalendarLookup;
    timeSkipping?: Connection;
    webhookRetry?: DeliveryRetry;
    /** Webhook targets on 127.0.0.1 etc. (WEBHOOK_ALLOW_PRIVATE_TARGETS): off, as in production, unless a test delivers locally. */
    webhookAllowPrivateTargets?: boolean;
    /** Ports a webhook URL may name, in the API and the worker (WEBHOOK_ALLOWED_PORTS); default 80 and 443. */
    webhookAllowedPorts?: readonly number[];
    /** Per-partner quotas (QUOTA_*); default: platform/config.ts's defaults. */
    quotas?: Quotas;
    /** Requests a minute per caller and per address (RATE_LIMIT_*); default: the API's own (a test calling in bulk raises them). */
    rateLimitPerMinute?: number;
    rateLimitPerAddressPerMinute?: number;
    /** Another database than the suite's (a test's own cluster, e.g. one it stops). */
    databaseUrl?: string;
  },
) {
  const webhookAllowPrivateTargets = opts.webhookAllowPrivateTargets ?? false;
  const prisma = createPrisma(opts.databaseUrl ?? testDatabaseUrl());
  // No lookup given: the database's calendars, as in production.
  const calendarFor = opts.calendarFor ?? databaseCalendarLookup(prisma);
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: opts.taskQueue,
    prisma,
    calendarFor,
    ...(opts.webhookRetry ? { webhookRetry: opts.webhookRetry } : {}),
    webhookAllowPrivateTargets,
    ...(opts.webhookAllowedPorts ? { webhookAllowedPorts: opts.webhookAllowedPorts } : {}),
    workflowBundle: await workflowBundle(),
  });
  const running = worker.run();
  const app = createApp({
    temporal: env.client,
    prisma,
    taskQueue: opts.taskQueue,
    jwtSecret: JWT_SECRET,
    logger: testLogger(),
    calendarFor,
    webhookAllowPrivateTargets,
    ...(opts.webhookAllowedPorts ? { webhookAllowedPorts: opts.webhookAllowedPorts } : {}),
    ...(opts.quotas ? { quotas: opts.quotas } : {}),
    ...(opts.rateLimitPerMinute ? { rateLimitPerMinute: opts.rateLimitPerMinute } : {}),
    ...(opts.rateLimitPerAddressPerMinute ? { rateLimitPerAddressPerMinute: opts.rateLimitPerAddressPerMinute } : {}),
    ...(opts.timeSkipping ? { timeSkipping: opts.timeSkipping } : {}),
  });
  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;

  return {
    prisma,
    base,
    calendarFor,
    async stop() {
      server.close();
      worker.shutdown();
      await running;
      await prisma.$disconnect();
    },
  };
}

/** The deps createApp gets from startApp, for tests that call routesOf() themselves. */
export const appDepsFor = (env: TestWorkflowEnvironment, app: { prisma: AppDeps['prisma'] }, taskQueue: string, calendarFor: CalendarLookup, timeSkipping: boolean): AppDeps => ({
  temporal: env.client,
  prisma: app.prisma,
  taskQueue,
  jwtSecret: JWT_SECRET,
  logger: testLogger(),
  calendarFor,
  ...(timeSkipping ? { timeSkipping: env.connection } : {}),
});

export const tokenFor = (roles: Role[], partnerId?: string, sub = partnerId ? `${partnerId}-user` : 'vendor-user') =>
  signToken({ sub, roles, ...(partnerId ? { partnerId } : {}) }, JWT_SECRET);

export type Call = { status: number; body: any; headers: Headers };

/**
 * fetch with JSON in and out; `body` may be a raw string to send malformed JSON, or a Buffer to send bytes as
 * they are (give their Content-Type in `headers`). A non-JSON answer's body is its bytes (a Buffer).
 */
export async function call(base: string, method: string, path: string, token?: string, body?: unknown, headers: Record<string, string> = {}): Promise<Call> {
  const bytes = Buffer.isBuffer(body);
  const res = await fetch(base + path, {
    method,
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body !== undefined && !bytes ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: bytes ? new Uint8Array(body) : typeof body === 'string' ? body : JSON.stringify(body) } : {}),
  });
  const type = res.headers.get('content-type') ?? '';
  if (type && !/json/.test(type)) return { status: res.status, body: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}
