/** The HTTP API process. */
import { Client, Connection } from '@temporalio/client';
import { loadConfig } from '../platform/config.js';
import { createCalendarStore } from '../platform/calendars.js';
import { createPrisma } from '../platform/db.js';
import { createLogger } from '../platform/logger.js';
import { connectTimeSkipping } from '../platform/temporal.js';
import { createApp } from './app.js';

const config = loadConfig();
const logger = createLogger('api', config.LOG_LEVEL);
const prisma = createPrisma(config.databaseUrl, config.DB_POOL_SIZE);
const connection = config.TEMPORAL_TIME_SKIPPING
  ? await connectTimeSkipping(config.TEMPORAL_ADDRESS)
  : await Connection.connect({ address: config.TEMPORAL_ADDRESS });
const temporal = new Client({ connection, namespace: config.TEMPORAL_NAMESPACE });

const app = createApp({
  temporal,
  prisma,
  taskQueue: config.TEMPORAL_TASK_QUEUE,
  jwtSecret: config.AUTH_JWT_SECRET,
  ...(config.AUTH_JWKS_URL
    ? {
        jwks: {
          url: config.AUTH_JWKS_URL,
          ...(config.AUTH_ISSUER ? { issuer: config.AUTH_ISSUER } : {}),
          ...(config.AUTH_AUDIENCE ? { audience: config.AUTH_AUDIENCE } : {}),
        },
      }
    : {}),
  logger,
  rateLimitPerMinute: config.RATE_LIMIT_PER_MINUTE,
  calendarFor: createCalendarStore(prisma, config.DEFAULT_CALENDAR).forPartner,
  defaultCalendar: config.DEFAULT_CALENDAR,
  webhookAllowPrivateTargets: config.WEBHOOK_ALLOW_PRIVATE_TARGETS,
  webhookSecretGraceMs: config.WEBHOOK_SECRET_GRACE_HOURS * 3_600_000,
  ...(config.TEMPORAL_TIME_SKIPPING ? { timeSkipping: connection } : {}),
});
const server = app.listen(config.PORT, () => {
  logger.info({ url: `http://localhost:${config.PORT}`, timeSkipping: config.TEMPORAL_TIME_SKIPPING }, 'API listening');
});

async function shutdown(signal: string) {
  logger.info({ signal }, 'API stopping');
  server.close();
  await Promise.allSettled([connection.close(), prisma.$disconnect()]);
  process.exit(0);
}
process.once('SIGINT', () => void shutdown('SIGINT'));
process.once('SIGTERM', () => void shutdown('SIGTERM'));
