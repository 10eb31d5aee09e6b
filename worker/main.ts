/** The worker process: runs workflows and activities until SIGINT/SIGTERM, then drains and exits. */
import '../platform/parent-watch.js'; // stops with `npm start` however it ends
import { NativeConnection, Runtime, makeTelemetryFilterString } from '@temporalio/worker';
import { loadConfig, webhookRetryOf } from '../platform/config.js';
import { calendarWarnings, createCalendarStore } from '../platform/calendars.js';
import { createPrisma } from '../platform/db.js';
import { createLogger } from '../platform/logger.js';
import { dataConverterOf, payloadCodecOf } from '../platform/payload-codec.js';
import { connectClient, temporalSecurity } from '../platform/temporal.js';
import { ensureMonthlyIncentiveSchedule, ensurePathReviewSchedules, MONTHLY_SCHEDULE_ID } from './schedules.js';
import { sweepOutbox } from '../activities/webhook.js';
import { sealWebhookSecretsAtStart } from '../platform/webhook-secrets.js';
import { processDeadlinesOf } from './slas.js';
import { createWorker, WORKER_NODE_FLAGS } from './worker.js';
import { startTracing } from '../platform/tracing.js';

const config = loadConfig();
/** `host:port` as a socket address is written (an IPv6 host in brackets). */
const hostPort = (host: string, port: number) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
const log = createLogger('worker', config.LOG_LEVEL);
Runtime.install({
  logger: {
    log: (level, message, meta) => log[level.toLowerCase() as 'info'](meta ?? {}, message),
    trace: (m, meta) => log.trace(meta ?? {}, m),
    debug: (m, meta) => log.debug(meta ?? {}, m),
    info: (m, meta) => log.info(meta ?? {}, m),
    warn: (m, meta) => log.warn(meta ?? {}, m),
    error: (m, meta) => log.error(meta ?? {}, m),
  },
  telemetryOptions: {
    logging: { filter: makeTelemetryFilterString({ core: 'WARN' }) },
    // The SDK's own metrics (temporal_*: task slots, poll and schedule-to-start latencies, cache, workflow outcomes) in
    // Prometheus text at http://METRICS_HOST:WORKER_METRICS_PORT/metrics; unset: not served (docs/observability.md).
    ...(config.WORKER_METRICS_PORT === undefined ? {} : { metrics: { prometheus: { bindAddress: hostPort(config.METRICS_HOST, config.WORKER_METRICS_PORT) } } }),
  },
});
// Traces (OTEL_EXPORTER_OTLP_ENDPOINT): the workflows' and activities' spans continue the trace of the request that
// started or updated them.
const tracing = await startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? 'partnerflow-worker' });

// Heap flags act only when given at start: say so when they were not (docs/configuration.md, "The worker's memory").
const nodeArgs = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)];
const missingFlags = WORKER_NODE_FLAGS.filter((flag) => !nodeArgs.some((arg) => arg.startsWith(flag.slice(0, flag.indexOf('=')))));
if (missingFlags.length > 0) {
  log.warn({ missingFlags }, `started without ${missingFlags.join(' ')}: the heaps grow lazily toward V8's default limit (start with NODE_OPTIONS='${WORKER_NODE_FLAGS.join(' ')}')`);
}

const prisma = createPrisma(config.databaseUrl, config.DB_POOL_SIZE);
// TLS / mTLS / API key as configured, and the payload codec when PAYLOAD_CODEC_KEYS is set (docs/temporal-security.md).
const security = temporalSecurity(config);
const dataConverter = dataConverterOf(payloadCodecOf(config.PAYLOAD_CODEC_KEYS));
const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS, ...security });
// For the schedules and the outbox sweeper (activities get their own client from createWorker).
const { client, connection: clientConnection } = await connectClient(config.TEMPORAL_ADDRESS, config.TEMPORAL_NAMESPACE, {
  security,
  ...(dataConverter ? { dataConverter } : {}),
});
let sweeper: NodeJS.Timeout | undefined;
let calendarCheck: NodeJS.Timeout | undefined;
// Once at start and once a day: calendars whose next year is not published (from CALENDAR_WARN_FROM on).
const warnAboutCalendars = () =>
  calendarWarnings(prisma, new Date(), config.CALENDAR_WARN_FROM)
    .then((warnings) => warnings.forEach((warning) => log.warn({ calendarWarning: true }, warning)))
    .catch((error: unknown) => log.warn({ err: error }, 'calendar check failed'));
try {
  const worker = await createWorker({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    ...(dataConverter ? { dataConverter } : {}),
    prisma,
    calendarFor: createCalendarStore(prisma, config.DEFAULT_CALENDAR).forPartner,
    webhookRetry: webhookRetryOf(config),
    webhookAllowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
    webhookAllowedPorts: config.WEBHOOK_ALLOWED_PORTS,
    webhookDisableAfterDead: config.WEBHOOK_DISABLE_AFTER_DEAD,
    // The review SLAs, invitation expiry and confirmation deadline of the processes started from now on.
    ...processDeadlinesOf(),
    ...(config.WORKER_MAX_CACHED_WORKFLOWS !== undefined ? { tuning: { maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS } } : {}),
    ...(tracing ? { interceptors: tracing.workerInterceptors, sinks: tracing.workerSinks } : {}),
  });
  if (config.TEMPORAL_TIME_SKIPPING) {
    // The time-skipping test server has no schedules: runs and cycles are started with POST /v1/admin/incentive-runs
    // and POST /v1/admin/path-reviews.
    log.info({ schedule: MONTHLY_SCHEDULE_ID }, 'time-skipping server: schedules not created (not supported there)');
  } else {
    const outcome = await ensureMonthlyIncentiveSchedule(client, config.TEMPORAL_TASK_QUEUE);
    log.info({ schedule: MONTHLY_SCHEDULE_ID }, `schedule ${outcome}`);
    for (const [schedule, pathOutcome] of Object.entries(await ensurePathReviewSchedules(client, config.TEMPORAL_TASK_QUEUE))) {
      log.info({ schedule }, `schedule ${pathOutcome}`);
    }
  }
  // Real time, not workflow time: a clock advance on the time-skipping server wakes nothing here.
  void warnAboutCalendars();
  // Webhook secrets in plain text, or sealed with a key no longer first in WEBHOOK_SECRET_KEYS, sealed with the first (in
  // the background: deliveries sign meanwhile; safe on several replicas at once, platform/webhook-secrets.ts).
  void sealWebhookSecretsAtStart(prisma, log);
  calendarCheck = setInterval(() => void warnAboutCalendars(), 24 * 3600 * 1000);
  sweeper = setInterval(() => {
    sweepOutbox(prisma, client, config.TEMPORAL_TASK_QUEUE)
      .then((started) => started > 0 && log.info({ started }, 'outbox sweeper started lost relay workflows'))
      .catch((error: unknown) => log.warn({ err: error }, 'outbox sweep failed'));
  }, config.OUTBOX_SWEEP_SECONDS * 1000);
  log.info({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE, taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  await worker.run();
} finally {
  clearInterval(sweeper);
  clearInterval(calendarCheck);
  await clientConnection.close();
  await connection.close();
  await prisma.$disconnect();
  await tracing?.shutdown();
  log.info('worker stopped');
}
