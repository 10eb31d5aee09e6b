/** Every environment variable partnerflow reads, parsed once. docs/configuration.md lists the same. */
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { parseKeyring } from './keyring.js';

const DEV_JWT_SECRET = 'partnerflow-dev-secret-change-me-0123456789';
// The development keyring for webhook secrets at rest (published here, like the development JWT secret: the API refuses
// it where the JWT secret is refused).
const DEV_WEBHOOK_SECRET_KEYS = `dev:${Buffer.from('partnerflow-dev-webhook-key-0123').toString('base64')}`;
const flag = z
  .enum(['0', '1', 'true', 'false'])
  .default('0')
  .transform((v) => v === '1' || v === 'true');

/** An empty variable means unset: compose passes `${NAME:-}` as an empty string when .env leaves it out. */
const emptyIsUnset = <T extends z.ZodType>(type: T) => z.preprocess((v) => (v === '' ? undefined : v), type);

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  // The address the API binds: loopback unless said otherwise (a reverse proxy or container sets 0.0.0.0).
  HOST: z.string().min(1).default('127.0.0.1'),
  NODE_ENV: z.string().optional(),
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
  // The console's production sign-in (docs/console-sign-in.md): the client id the identity provider (AUTH_ISSUER)
  // registered for the console — a public client using PKCE — its scopes, and the authorization request's parameter
  // asking for an access token whose audience is AUTH_AUDIENCE: `resource` (RFC 8707) or `audience` (Auth0 and
  // others). Unset (or empty, as compose passes an unset one): the console's development token page.
  CONSOLE_OIDC_CLIENT_ID: emptyIsUnset(z.string().min(1).max(200).optional()),
  CONSOLE_OIDC_SCOPES: emptyIsUnset(
    z
      .string()
      .default('openid')
      .transform((v) => v.split(/[\s,]+/).filter(Boolean))
      .refine((scopes) => scopes.includes('openid'), 'space- or comma-separated scopes including openid'),
  ),
  CONSOLE_OIDC_AUDIENCE_PARAMETER: emptyIsUnset(z.enum(['resource', 'audience']).default('resource')),
  // Oldest token accepted, counted from its `iat` (required), whatever its `exp` says.
  AUTH_MAX_TOKEN_AGE_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(12 * 3600),
  // Express `trust proxy`: false (default: the socket's address is the client), true, a hop count, or addresses / subnets.
  TRUST_PROXY: z.string().default('false'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  // The calendar (stored in the database) of partners without an assignment.
  DEFAULT_CALENDAR: z.string().default('CN'),
  // From this day (MM-DD) each year, a calendar whose next year is not published warns operators (GET /v1/calendars, /healthz, worker log).
  CALENDAR_WARN_FROM: z
    .string()
    .regex(/^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/, 'MM-DD, e.g. 11-01')
    .default('11-01'),
  // Requests per minute per authenticated caller (token `sub`), and per client address before authentication.
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(600),
  RATE_LIMIT_PER_ADDRESS_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
  // Where the limits count: `memory` (this process; one replica) or `postgres` (shared by every API replica).
  RATE_LIMIT_STORE: z.enum(['memory', 'postgres']).default('memory'),
  // Per-partner quotas (422 naming the quota when a request would pass one).
  QUOTA_WEBHOOK_ENDPOINTS: z.coerce.number().int().min(1).max(1000).default(10),
  QUOTA_OPEN_APPLICATIONS: z.coerce.number().int().min(1).max(10_000).default(20),
  QUOTA_STORED_BYTES: z.coerce.number().int().min(1).default(1024 * 1024 * 1024),
  DB_POOL_SIZE: z.coerce.number().int().min(1).max(100).default(5),
  // Open workflows the worker keeps in memory (sticky cache); unset: worker/worker.ts WORKER_DEFAULTS (100).
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
  // Ports a webhook URL may name (comma-separated); the scheme's default port counts as named.
  WEBHOOK_ALLOWED_PORTS: z
    .string()
    .default('80,443')
    .transform((v) => v.split(',').map((p) => Number(p.trim())))
    .refine((ports) => ports.length > 0 && ports.every((p) => Number.isInteger(p) && p >= 1 && p <= 65535), 'a comma-separated list of ports 1–65535'),
  // An endpoint whose deliveries end DEAD this many times in a row is disabled (the partner is told; re-enable by PATCH).
  WEBHOOK_DISABLE_AFTER_DEAD: z.coerce.number().int().min(1).max(1000).default(5),
  // After a webhook secret rotation, how long the replaced secret still signs deliveries beside the new one (0: not at all).
  WEBHOOK_SECRET_GRACE_HOURS: z.coerce.number().min(0).max(720).default(24),
  // Webhook secrets at rest: AES-256-GCM keys `id:base64key[,…]` (platform/keyring.ts), the first seals, all open.
  WEBHOOK_SECRET_KEYS: z.string().min(1).default(DEV_WEBHOOK_SECRET_KEYS),
  // Workflow payloads in Temporal's history (customer names, notes, file names): AES-256-GCM keys `id:base64key[,…]`
  // for the payload codec; unset, payloads are stored as they are.
  PAYLOAD_CODEC_KEYS: z.string().min(1).optional(),
  // Browser origins (comma-separated, e.g. https://temporal-ui.example.com) allowed to call the codec endpoint — the
  // Temporal Web UI's; unset: none (the endpoint still answers servers and the CLI, which send no Origin).
  CODEC_ALLOWED_ORIGINS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((origin) => origin.trim()).filter(Boolean))
    .refine((origins) => origins.every((origin) => /^https?:\/\/[^/\s?#]+$/.test(origin)), 'comma-separated origins: scheme://host[:port], no path'),
  // Reaching Temporal over TLS (system roots unless a CA is named), mTLS (a client certificate and key), or with an API
  // key (Temporal Cloud; sent as `authorization: Bearer …`, and implies TLS).
  TEMPORAL_TLS: flag,
  TEMPORAL_TLS_CA_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  // Prometheus metrics: the API's and the worker's own ports (unset: not served), bound to METRICS_HOST.
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  // OpenTelemetry traces, exported over OTLP/HTTP when an endpoint is set (the standard OTel variables).
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).optional(),
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
export const devWebhookSecretKeys = DEV_WEBHOOK_SECRET_KEYS;

/** Whether a bind address reaches only this machine. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  return ipaddr.isValid(bare) && ipaddr.process(bare).range() === 'loopback';
}

/**
 * Why the API must not start with this configuration, in one sentence (undefined: it may). The development secret is
 * published in this repository: anyone who can reach an API verifying with it can mint a vendor_admin token.
 */
export function apiStartRefusal(config: Config): string | undefined {
  return tokenRefusal(config) ?? consoleSignInRefusal(config) ?? keyringRefusal(config) ?? webhookKeyRefusal(config);
}

/**
 * The console's single sign-on must use the identity provider whose tokens the API verifies: a client id without
 * AUTH_JWKS_URL would sign people in to tokens every request then refuses. The issuer is where the console finds the
 * provider's discovery document, so it must be an http(s) URL; and RFC 8707 takes only an absolute URI as `resource`.
 */
function consoleSignInRefusal(config: Config): string | undefined {
  if (!config.CONSOLE_OIDC_CLIENT_ID) return undefined;
  if (!config.AUTH_JWKS_URL) {
    return 'Refusing to start: CONSOLE_OIDC_CLIENT_ID is set without AUTH_JWKS_URL; the console would sign people in with tokens the API does not verify — set AUTH_JWKS_URL, AUTH_ISSUER and AUTH_AUDIENCE of the same identity provider.';
  }
  if (!isHttpUrl(config.AUTH_ISSUER!)) {
    return `Refusing to start: CONSOLE_OIDC_CLIENT_ID needs AUTH_ISSUER to be the identity provider's http(s) URL (its discovery document is read from <issuer>/.well-known/openid-configuration); it is "${config.AUTH_ISSUER}".`;
  }
  if (config.CONSOLE_OIDC_AUDIENCE_PARAMETER === 'resource' && !URL.canParse(config.AUTH_AUDIENCE!)) {
    return `Refusing to start: the console asks for its access token with the resource parameter (RFC 8707), which takes an absolute URI, but AUTH_AUDIENCE is "${config.AUTH_AUDIENCE}" — make the API's audience a URI (e.g. https://api.example.com/) or set CONSOLE_OIDC_AUDIENCE_PARAMETER=audience.`;
  }
  return undefined;
}

const isHttpUrl = (value: string) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol);

/** A keyring that does not parse stops the start in one sentence naming the variable (never the key). */
function keyringRefusal(config: Config): string | undefined {
  for (const variable of ['WEBHOOK_SECRET_KEYS', 'PAYLOAD_CODEC_KEYS'] as const) {
    const value = config[variable];
    if (value === undefined) continue;
    try {
      parseKeyring(value, variable);
    } catch (error) {
      return `Refusing to start: ${(error as Error).message}.`;
    }
  }
  return undefined;
}

function tokenRefusal(config: Config): string | undefined {
  if (config.AUTH_JWKS_URL) {
    const missing = (['AUTH_ISSUER', 'AUTH_AUDIENCE'] as const).filter((name) => !config[name]);
    if (missing.length > 0) {
      return `Refusing to start: AUTH_JWKS_URL is set without ${missing.join(' and ')}; without them a token the identity provider issued for another application would pass — set both.`;
    }
    return undefined;
  }
  if (config.AUTH_JWT_SECRET !== DEV_JWT_SECRET) return undefined;
  const why = exposure(config);
  if (why) {
    return `Refusing to start: the API would verify tokens with the built-in development secret (published in the repository) while ${why} — set AUTH_JWKS_URL with AUTH_ISSUER and AUTH_AUDIENCE, or AUTH_JWT_SECRET (32+ random characters), or keep HOST on loopback.`;
  }
  return undefined;
}

/** Webhook secrets sealed with the published development key are as good as plain text. */
function webhookKeyRefusal(config: Config): string | undefined {
  const why = exposure(config);
  if (!why || !config.WEBHOOK_SECRET_KEYS.split(',').some((entry) => entry.trim() === DEV_WEBHOOK_SECRET_KEYS)) return undefined;
  return `Refusing to start: webhook secrets would be encrypted with the built-in development key (published in the repository) while ${why} — set WEBHOOK_SECRET_KEYS to id:base64key (openssl rand -base64 32), the sealing key first, or keep HOST on loopback.`;
}

/** Why this API is more than a developer's own (listening beyond loopback, or production), or undefined. */
const exposure = (config: Config) => (!isLoopbackHost(config.HOST) ? `listening on ${config.HOST}` : config.NODE_ENV === 'production' ? 'with NODE_ENV=production' : undefined);

/** TRUST_PROXY as Express's `trust proxy` setting takes it. */
export function trustProxyOf(value: string): boolean | number | string {
  if (value === 'true' || value === 'false') return value === 'true';
  return /^\d+$/.test(value) ? Number(value) : value;
}

/** The quotas every partner has (api/clients enforce them). */
export type Quotas = { webhookEndpoints: number; openApplications: number; storedBytes: number };
export const quotasOf = (config: Pick<Config, 'QUOTA_WEBHOOK_ENDPOINTS' | 'QUOTA_OPEN_APPLICATIONS' | 'QUOTA_STORED_BYTES'>): Quotas => ({
  webhookEndpoints: config.QUOTA_WEBHOOK_ENDPOINTS,
  openApplications: config.QUOTA_OPEN_APPLICATIONS,
  storedBytes: config.QUOTA_STORED_BYTES,
});
/**
 * V8 heap flags the worker's process must be started with (NODE_OPTIONS or node's arguments: they act only at start),
 * here so that whatever starts the worker (scripts/start.ts, a container's command) can read them without loading it.
 * Without them V8 sizes both heaps — the main thread's and the workflow thread's — from a 4 GiB limit and collects
 * lazily: 1,000 opportunities expiring took the worker to 1.0–1.5 GiB (a small young generation alone: 1.0 GiB). Small
 * semi-spaces (2 MiB) and a 256 MiB old generation per heap held it near 0.5 GiB at the same expiry rate. The old
 * generation must hold the workflow cache: raise --max-old-space-size by ~130 KiB per cached workflow beyond 250, or
 * the workflow thread runs out of heap and the worker stops.
 */
export const WORKER_NODE_FLAGS = ['--max-old-space-size=256', '--max-semi-space-size=2'] as const;

/** Every default of the configuration (what an unset variable means). */
export const configDefaults = schema.parse({});
export const defaultQuotas: Quotas = quotasOf(configDefaults);

/** The retry budget every webhook delivery gets (workflows/webhook/workflow.ts). */
export const webhookRetryOf = (config: Config) => ({
  maximumAttempts: config.WEBHOOK_MAX_ATTEMPTS,
  maximumIntervalMs: config.WEBHOOK_MAX_RETRY_INTERVAL_SECONDS * 1000,
  timeoutMs: config.WEBHOOK_TIMEOUT_SECONDS * 1000,
});
