/** Every environment variable partnerflow reads, parsed once. README "Configuration" lists the same. */
import { z } from 'zod';

const DEV_JWT_SECRET = 'partnerflow-dev-secret-change-me-0123456789';

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  DATABASE_URL: z.string().url().optional(),
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default('partnerflow'),
  // Set by `npm start -- --time-skipping`: enables the clock-advance admin route.
  TEMPORAL_TIME_SKIPPING: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  AUTH_JWT_SECRET: z.string().min(32).default(DEV_JWT_SECRET),
  // Production: verify RS256/ES256 tokens against the identity provider's JWKS (HS256 is then refused).
  AUTH_JWKS_URL: z.string().url().optional(),
  AUTH_ISSUER: z.string().optional(),
  AUTH_AUDIENCE: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The calendar (stored in the database) of partners without an assignment.
  DEFAULT_CALENDAR: z.string().default('CN'),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  // Open workflows the worker keeps in memory (sticky cache); unset: the SDK's default, sized from the heap.
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).max(100_000).optional(),
  // Webhook delivery: attempts per delivery (then DEAD), the longest pause between two, each POST's timeout.
  WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(12),
  WEBHOOK_MAX_RETRY_INTERVAL_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3600),
  WEBHOOK_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(120).default(10),
  // Webhook targets on loopback, private, link-local… addresses (domain/webhook-target.ts): refused unless set (local development).
  WEBHOOK_ALLOW_PRIVATE_TARGETS: z
    .enum(['0', '1', 'true', 'false'])
    .default('0')
    .transform((v) => v === '1' || v === 'true'),
  // After a webhook secret rotation, how long the replaced secret still signs deliveries beside the new one (0: not at all).
  WEBHOOK_SECRET_GRACE_HOURS: z.coerce.number().min(0).max(720).default(24),
  // How often the worker starts relay workflows whose start after the outbox append was lost.
  OUTBOX_SWEEP_SECONDS: z.coerce.number().int().min(1).max(3600).default(60),
});

export type Config = z.infer<typeof schema> & { databaseUrl: string };

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`Invalid configuration: ${issues}`);
  }
  if (!parsed.data.DATABASE_URL) throw new Error('DATABASE_URL is not set (npm start sets it for the embedded database).');
  return { ...parsed.data, databaseUrl: parsed.data.DATABASE_URL };
}

export const devJwtSecret = DEV_JWT_SECRET;

/** The retry budget every webhook delivery gets (workflows/webhook.ts). */
export const webhookRetryOf = (config: Config) => ({
  maximumAttempts: config.WEBHOOK_MAX_ATTEMPTS,
  maximumIntervalMs: config.WEBHOOK_MAX_RETRY_INTERVAL_SECONDS * 1000,
  timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
});
