/** The HTTP API process. */
import '../platform/parent-watch.js'; // stops with `npm start` however it ends
import { Client, Connection } from '@temporalio/client';
import { apiStartRefusal, loadConfig, quotasOf, trustProxyOf } from '../platform/config.js';
import { createCalendarStore } from '../platform/calendars.js';
import { createPrisma } from '../platform/db.js';
import { createLogger } from '../platform/logger.js';
import { dataConverterOf, payloadCodecOf } from '../platform/payload-codec.js';
import { apiConnectionOptions, connectTimeSkipping, temporalSecurity } from '../platform/temporal.js';
import { createApp } from './app.js';
import { consoleSignInOf } from './console-config.js';
import { serveMetrics } from './metrics.js';
import { startTracing } from '../platform/tracing.js';

const config = loadConfig();
// Before anything connects or listens: a configuration that would let anyone mint tokens does not start.
const refusal = apiStartRefusal(config);
if (refusal) {
  process.stderr.write(`${refusal}\n`);
  process.exit(1);
}
const logger = createLogger('api', config.LOG_LEVEL);
const prisma = createPrisma(config.databaseUrl, config.DB_POOL_SIZE);
// Lazy: the API starts (and answers 503 naming Temporal) while Temporal is unreachable, and reconnects by itself.
const connection = config.TEMPORAL_TIME_SKIPPING
  ? await connectTimeSkipping(config.TEMPORAL_ADDRESS)
  : Connection.lazy(apiConnectionOptions(config.TEMPORAL_ADDRESS, temporalSecurity(config)));
// The payload codec (PAYLOAD_CODEC_KEYS): what the API starts and updates is encrypted before it reaches Temporal, and
// the codec endpoint (api/codec/) decodes with the same keys.
const dataConverter = dataConverterOf(payloadCodecOf(config.PAYLOAD_CODEC_KEYS));
// Traces (OTEL_EXPORTER_OTLP_ENDPOINT): the client's starts and updates carry the request's span to the workflow.
const tracing = await startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: config.OTEL_SERVICE_NAME ?? 'partnerflow-api' });
const temporal = new Client({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  ...(dataConverter ? { dataConverter } : {}),
  ...(tracing ? { interceptors: tracing.clientInterceptors } : {}),
});
let draining = false;

const app = createApp({
  temporal,
  prisma,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  jwtSecret: config.AUTH_JWT_SECRET,
  // apiStartRefusal made sure a JWKS comes with its issuer and audience.
  ...(config.AUTH_JWKS_URL ? { jwks: { url: config.AUTH_JWKS_URL, issuer: config.AUTH_ISSUER!, audience: config.AUTH_AUDIENCE! } } : {}),
  tokenChecks: {
    ...(config.AUTH_ISSUER ? { issuer: config.AUTH_ISSUER } : {}),
    ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}),
    maxTokenAgeSeconds: config.AUTH_MAX_TOKEN_AGE_SECONDS,
  },
  // How the console signs people in: single sign-on with the same identity provider, or the development token page.
  consoleSignIn: consoleSignInOf(config),
  logger,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  rateLimitPerAddressPerMinute: config.RATE_LIMIT_PER_ADDRESS_PER_MINUTE,
  rateLimitStore: config.RATE_LIMIT_STORE,
  codecAllowedOrigins: config.CODEC_ALLOWED_ORIGINS,
  trustProxy: trustProxyOf(config.TRUST_PROXY),
  draining: () => draining,
  quotas: quotasOf(config),
  webhookAllowedPorts: config.WEBHOOK_ALLOWED_PORTS,
  calendarFor: createCalendarStore(prisma, config.DEFAULT_CALENDAR).forPartner,
  defaultCalendar: config.DEFAULT_CALENDAR,
  calendarWarnFrom: config.CALENDAR_WARN_FROM,
  webhookAllowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  webhookSecretGraceMs: config.WEBHOOK_SECRET_GRACE_HOURS * 3_600_000,
  ...(config.TEMPORAL_TIME_SKIPPING ? { timeSkipping: connection } : {}),
});
// Prometheus metrics on a listener of their own (METRICS_PORT; unset: not served), never on the public port; before the
// API listens, so that every request is counted.
const metricsServer = config.METRICS_PORT === undefined ? undefined : await serveMetrics(config.METRICS_HOST, config.METRICS_PORT);
if (metricsServer) logger.info({ host: config.METRICS_HOST, port: config.METRICS_PORT }, 'metrics listening (GET /metrics)');
const server = app.listen(config.PORT, config.HOST, () => {
  logger.info({ host: config.HOST, port: config.PORT, timeSkipping: config.TEMPORAL_TIME_SKIPPING }, 'API listening');
});

async function shutdown(signal: string) {
  logger.info({ signal }, 'API stopping');
  // Requests still arriving on open connections answer 503 shutting-down; in-flight ones finish.
  draining = true;
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 10_000).unref())]);
  metricsServer?.close();
  await Promise.allSettled([connection.close(), prisma.$disconnect(), tracing?.shutdown()]);
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
