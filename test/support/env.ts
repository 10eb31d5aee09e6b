/**
 * The one workflow-test environment the workflow and API test files use: a Temporal server of the file's own (the
 * time-skipping test server by default; a dev server where a test needs the real clock — schedules, backfills), the
 * app's worker with the real activities on this test worker's database, a calendar the test may swap at any time
 * (the next deadline is counted in it), and, when asked, the real API in front of them. `useTestEnv()` starts it
 * before the file's tests and stops every part after them — also when a test failed — so no server outlives the run.
 *
 * Servers are per file, not per test worker: a time-skipping server's clock belongs to one file's story (a file
 * jumps it years ahead), and starting one costs well under a second.
 */
import { DateTime } from 'luxon';
import { afterAll, beforeAll, expect } from 'vitest';
import type { AppDeps } from '../../api/app.js';
import type { BusinessCalendar, CalendarLookup } from '../../domain/calendar.js';
import type { PrismaClient } from '../../platform/db.js';
import { appDepsFor, type Call, call, startApp } from './app.js';
import { fixedCalendar, testCalendar, ZONE } from './calendar.js';
import { ownDatabase } from './database.js';
import { devServerEnv, startTestWorker, timeSkippingEnv } from './temporal.js';
import { advanceClockTo, eventually } from './wait.js';

type AppOptions = Parameters<typeof startApp>[1];
export type StartedApp = Awaited<ReturnType<typeof startApp>>;
/** startApp's options beside the task queue and the calendar; `clockRoutes` mounts POST /v1/admin/clock/advance. */
export type ApiOptions = Omit<AppOptions, 'taskQueue' | 'calendarFor' | 'timeSkipping'> & { clockRoutes?: boolean };

export type TestEnvOptions = {
  taskQueue: string;
  /** 'time-skipping' (default): the test moves the clock; 'dev': a real clock (schedules, backfills, visibility). */
  server?: 'time-skipping' | 'dev';
  /** The real API in front of the worker (`base`, `api()`); without it, the worker alone. A function is read at start. */
  api?: boolean | ApiOptions | (() => ApiOptions);
  /**
   * Where a partner's working days come from. Default: `env.calendar` (a TEST calendar around the server's clock at
   * start, swappable); 'database': the database's calendars, as in production; or a lookup built on the env.
   */
  calendarFor?: 'database' | ((env: TestEnv) => CalendarLookup);
  /**
   * 'worker' (default): the test worker's database, shared in turn with the files before it in that worker; 'own': a
   * fresh one for this file (support/database.ts ownDatabase), for pages that list everything of a kind. With the API.
   */
  database?: 'worker' | 'own';
};

const notStarted = (what: string): never => {
  throw new Error(`${what} is used before the test environment started (useTestEnv's beforeAll)`);
};

export class TestEnv {
  #temporal?: Awaited<ReturnType<typeof timeSkippingEnv>>;
  #prisma?: PrismaClient;
  #base?: string;
  #lookup?: CalendarLookup;
  #stops: (() => Promise<void>)[] = [];
  /** The calendar partners count in (unless `calendarFor` says otherwise): assign another to change their working days. */
  calendar!: BusinessCalendar;

  constructor(readonly options: TestEnvOptions) {}

  get taskQueue(): string {
    return this.options.taskQueue;
  }
  /** The TestWorkflowEnvironment itself, for what the shortcuts below do not cover. */
  get temporal() {
    return this.#temporal ?? notStarted('the Temporal server');
  }
  get client() {
    return this.temporal.client;
  }
  get connection() {
    return this.temporal.connection;
  }
  get nativeConnection() {
    return this.temporal.nativeConnection;
  }
  get prisma(): PrismaClient {
    return this.#prisma ?? notStarted('the database');
  }
  /** The API's address (http://127.0.0.1:<port>); only with the `api` option. */
  get base(): string {
    return this.#base ?? notStarted('the API (useTestEnv({ api: true }))');
  }
  /** The lookup the worker and the API count deadlines with. */
  get calendarFor(): CalendarLookup {
    return this.#lookup ?? notStarted('the calendar lookup');
  }

  /** The server's clock: the time-skipping server's own, else the wall clock. */
  currentTimeMs = (): Promise<number> => this.temporal.currentTimeMs();
  sleep = (ms: number): Promise<void> => this.temporal.sleep(ms);
  /** Moves the time-skipping server's clock forward to `target` (ms since the epoch); never back. */
  advanceTo = (target: number): Promise<void> => advanceClockTo(this, target);
  /** A request to the API, JSON in and out (support/app.ts `call`). */
  api = (method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<Call> =>
    call(this.base, method, path, token, body, headers);
  /** The outbox messages of one aggregate and topic, oldest first. */
  outbox = (topic: string, aggregateId: string) => this.prisma.outbox.findMany({ where: { topic, aggregateId }, orderBy: { id: 'asc' } });
  /** Waits until `count` messages of `topic` are in the outbox for the aggregate (an activity writes them), and returns them. */
  arrived = (topic: string, aggregateId: string, count: number) =>
    eventually(async () => {
      const rows = await this.outbox(topic, aggregateId);
      return rows.length >= count ? rows : undefined;
    });

  /** What createApp gets, for tests that call routesOf() themselves. */
  deps(taskQueue = this.taskQueue): AppDeps {
    return appDepsFor(this.temporal, { prisma: this.prisma }, taskQueue, this.calendarFor, this.clockRoutes);
  }

  /** Another API + worker on this server (its own task queue and options), stopped with the rest. */
  async startApp(options: Omit<AppOptions, 'calendarFor' | 'timeSkipping'> & { clockRoutes?: boolean }): Promise<StartedApp> {
    const { clockRoutes, ...rest } = options;
    const app = await startApp(this.temporal, { calendarFor: this.calendarFor, ...rest, ...(clockRoutes ? { timeSkipping: this.connection } : {}) });
    this.#stops.unshift(() => app.stop());
    return app;
  }

  #apiOptions(): ApiOptions | undefined {
    const { api } = this.options;
    return typeof api === 'function' ? api() : api === true ? {} : api || undefined;
  }

  private get clockRoutes(): boolean {
    return this.#apiOptions()?.clockRoutes === true;
  }

  async start(): Promise<void> {
    this.#temporal = this.options.server === 'dev' ? await devServerEnv() : await timeSkippingEnv();
    this.#stops.push(() => this.temporal.teardown());
    this.calendar = testCalendar(await this.currentTimeMs());
    const { calendarFor } = this.options;
    const api = this.#apiOptions();
    // 'database' leaves the lookup to startApp, which reads the database's calendars as production does.
    this.#lookup = typeof calendarFor === 'function' ? calendarFor(this) : fixedCalendar(() => this.calendar);
    if (calendarFor === 'database' && !api) throw new Error("calendarFor: 'database' comes with the API (api: true)");
    if (this.options.database === 'own' && !api) throw new Error("database: 'own' comes with the API (api: true)");
    if (api) {
      const { clockRoutes, ...rest } = api;
      let databaseUrl = rest.databaseUrl;
      if (this.options.database === 'own') {
        const own = await ownDatabase(this.taskQueue);
        this.#stops.unshift(own.drop);
        databaseUrl = own.url;
      }
      const app = await startApp(this.temporal, {
        ...rest,
        ...(databaseUrl ? { databaseUrl } : {}),
        taskQueue: this.taskQueue,
        ...(calendarFor === 'database' ? {} : { calendarFor: this.#lookup }),
        ...(clockRoutes ? { timeSkipping: this.connection } : {}),
      });
      this.#stops.unshift(() => app.stop());
      this.#prisma = app.prisma;
      this.#base = app.base;
      if (calendarFor === 'database') this.#lookup = app.calendarFor;
    } else {
      const worker = await startTestWorker(this.temporal, this.taskQueue, this.#lookup);
      this.#stops.unshift(() => worker.stop());
      this.#prisma = worker.prisma;
    }
  }

  /** Workers and APIs first (newest first), the server last; every part is stopped even when one fails to. */
  async stop(): Promise<void> {
    const stops = this.#stops.splice(0);
    const failures: unknown[] = [];
    for (const stop of stops) await stop().catch((error: unknown) => failures.push(error));
    if (failures.length) throw new AggregateError(failures, 'stopping the test environment');
  }
}

/** The environment for this test file: started in beforeAll, stopped in afterAll. */
export function useTestEnv(options: TestEnvOptions): TestEnv {
  const env = new TestEnv(options);
  beforeAll(() => env.start());
  afterAll(() => env.stop());
  return env;
}

// ── small helpers the workflow and API tests share ─────────────────────────────────────────────────────────────────

export const SECOND = 1000;
export const DAY = 24 * 3600 * SECOND;
// The smallest real files of each type the uploads accept: what file-type recognises by their magic bytes.
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8ffffff7f0009fb03fd2a86e38a0000000049454e44ae426082',
  'hex',
);
export const JPEG = Buffer.from('ffd8ffe000104a46494600010100000100010000ffd9', 'hex');
/** The answer has the status (200 unless said), or the failure shows its body. */
export const expectOk = (res: Call, status = 200) => expect(res.status, JSON.stringify(res.body)).toBe(status);
/** `days` × 24 h after the instant `from` (Asia/Shanghai has no DST: N days on is N × 24 h). */
export const daysAfter = (from: string, days: number) => new Date(Date.parse(from) + days * DAY).toISOString();
/** The date of an instant in the test calendar's zone. */
export const localDate = (iso: string) => DateTime.fromISO(iso).setZone(ZONE).toISODate()!;
/** A problem+json answer with this status (and problem type, when given). */
export function expectProblem(res: Call, status: number, type?: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  if (type) expect(res.body.type).toBe(`urn:partnerflow:problem:${type}`);
}
/** The fields a 400/422 problem names, in its order. */
export const fields = (res: Pick<Call, 'body'>) => (res.body.errors as { field: string }[]).map((e) => e.field);
/** A problem+json answer with this status, typed and titled, no stack trace in it, naming `field` when given. */
export function expectFieldProblem(res: Call, status: number, field?: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(res.body).toMatchObject({ status, type: expect.stringMatching(/^urn:partnerflow:problem:/), title: expect.any(String) });
  expect(JSON.stringify(res.body)).not.toMatch(/\bat .*\.ts:\d+/); // never a stack trace
  if (field) expect(res.body.errors.map((e: { field: string }) => e.field)).toContain(field);
}
