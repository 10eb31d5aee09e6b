/** The Express application, built from explicit dependencies (tests build it the same way main() does). */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Client, Connection } from '@temporalio/client';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import { ipKeyGenerator, rateLimit, type Store } from 'express-rate-limit';
import { PostgresRateLimitStore } from './kit/rate-limit-store.js';
import { codecCors } from './codec/cors.js';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Problem, problems } from '../domain/problems.js';
import type { PrismaClient } from '../platform/db.js';
import type { Quotas } from '../platform/config.js';
import type { Logger } from '../platform/logger.js';
import { projectRoot } from '../platform/paths.js';
import { hs256Keys, jwksKeys, type Principal } from '../domain/auth.js';
import type { CalendarLookup } from '../domain/calendar.js';
import { createAccountClient } from './account/client.js';
import { createCalendarsClient } from './calendar/client.js';
import { createCertificationClient } from './certification/client.js';
import { createEligibilityClient } from './eligibility/client.js';
import { createExpertsClient } from './experts/client.js';
import { createIncentiveRunsClient } from './incentive-run/client.js';
import { createIncentiveClient } from './incentive/client.js';
import { createMembersClient } from './members/client.js';
import { createOpportunityClient } from './opportunity/client.js';
import { createPathReviewsClient } from './path-review/client.js';
import { createPathsClient } from './paths/client.js';
import { createWebhooksClient } from './webhook/client.js';
import { dependencyProblem, unavailableDependency } from './kit/dependencies.js';
import { mountRoutes, type RouteDef, sendProblem } from './kit/http.js';
import { mountDocs } from './docs/openapi.js';
import { accountRoutes } from './account/routes.js';
import { adminRoutes } from './admin/routes.js';
import { calendarRoutes } from './calendar/routes.js';
import { certificationRoutes } from './certification/routes.js';
import { docsRoutes } from './docs/routes.js';
import { eligibilityRoutes } from './eligibility/routes.js';
import { createSpecialistClient } from './specialist/client.js';
import { specialistRoutes } from './specialist/routes.js';
import { createLevelRaiseClient } from './level-raise/client.js';
import { levelRaiseRoutes } from './level-raise/routes.js';
import { createAgreementClient } from './agreement/client.js';
import { agreementRoutes } from './agreement/routes.js';
import { createEnrollmentClient } from './enrollment/client.js';
import { enrollmentRoutes } from './enrollment/routes.js';
import { createEnterpriseClient } from './enterprise/client.js';
import { enterpriseRoutes } from './enterprise/routes.js';
import { createCustomerFactsClient } from './customers/facts-client.js';
import { createCustomerReportClient } from './customers/reports-client.js';
import { customerRoutes } from './customers/routes.js';
import { createFundsClient } from './funds/client.js';
import { fundsRoutes } from './funds/routes.js';
import { createUnlinkClient } from './unlink/client.js';
import { unlinkRoutes } from './unlink/routes.js';
import { createOrdersClient } from './orders/client.js';
import { orderRoutes } from './orders/routes.js';
import { expertRoutes } from './experts/routes.js';
import { healthRoutes } from './health/routes.js';
import { requestTelemetry } from './metrics.js';
import { incentiveRunRoutes } from './incentive-run/routes.js';
import { incentiveRoutes } from './incentive/routes.js';
import { memberRoutes } from './members/routes.js';
import { opportunityRoutes } from './opportunity/routes.js';
import { pathReviewRoutes } from './path-review/routes.js';
import { pathRoutes } from './paths/routes.js';
import { webhookRoutes } from './webhook/routes.js';
import { codecRoutes } from './codec/routes.js';
import { createAuditClient } from './audit/client.js';
import { auditRoutes } from './audit/routes.js';
import { bulkActionRoutes } from './bulk-action/routes.js';
import { reviewQueueRoutesOf } from './review-queue/routes.js';
import { meRoutes } from './me/routes.js';
import { type ConsoleSignIn, consoleConfigRoute, helmetOptionsOf } from './console-config.js';
import { createBulkActionClient } from './bulk-action/client.js';

export type AppDeps = {
  temporal: Client;
  prisma: PrismaClient;
  taskQueue: string;
  /** HS256 secret of bearer tokens; unused when `jwks` is set (then only the identity provider's keys count). */
  jwtSecret: string;
  jwks?: { url: string; issuer: string; audience: string; cooldownMs?: number };
  /** Issuer and audience HS256 tokens must name (default: the development ones signToken stamps); maximum token age. */
  tokenChecks?: { issuer?: string; audience?: string; maxTokenAgeSeconds?: number };
  logger: Logger;
  /** Partner → the calendar (current version) its deadlines count in; default: the database's, with `defaultCalendar`. */
  calendarFor?: CalendarLookup;
  /** The calendar of partners without an assignment (DEFAULT_CALENDAR); default CN. */
  defaultCalendar?: string;
  /** From this day (MM-DD, CALENDAR_WARN_FROM) an unpublished next calendar year warns; default 11-01. */
  calendarWarnFrom?: string;
  /** Present only on the time-skipping server: enables /v1/admin/clock. */
  timeSkipping?: Connection;
  /** Requests per minute per authenticated caller (`sub`); default 600. */
  rateLimitPerMinute?: number;
  /** Requests per minute per client address, counted before authentication; default 1200. */
  rateLimitPerAddressPerMinute?: number;
  /** Origins allowed to call the codec endpoint from a browser (CODEC_ALLOWED_ORIGINS): the Temporal Web UI's. */
  codecAllowedOrigins?: readonly string[];
  /** Where the limits count (RATE_LIMIT_STORE): this process alone (default), or PostgreSQL, shared by every replica. */
  rateLimitStore?: 'memory' | 'postgres';
  /** Express `trust proxy` (TRUST_PROXY): which X-Forwarded-For hops tell the client's address; default false. */
  trustProxy?: boolean | number | string;
  /** While true, every request answers 503 shutting-down (the process is draining). */
  draining?: () => boolean;
  /** Accept webhook URLs on loopback, private, link-local… addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS); default false. */
  webhookAllowPrivateTargets?: boolean;
  /** Per-partner quotas (QUOTA_*); default: platform/config.ts's defaults. */
  quotas?: Quotas;
  /** Ports a webhook URL may name (WEBHOOK_ALLOWED_PORTS); default 80 and 443. */
  webhookAllowedPorts?: readonly number[];
  /** How long a rotated-out webhook secret still signs beside the new one (WEBHOOK_SECRET_GRACE_HOURS); default 24 h. */
  webhookSecretGraceMs?: number;
  /** How the console signs people in (CONSOLE_OIDC_*, api/console-config.ts); default: the development token page. */
  consoleSignIn?: ConsoleSignIn;
};

/**
 * Two limits: per client address before authentication (a fresh fake token per request does not get a fresh
 * bucket), and per authenticated caller (`sub`) after it (callers behind one proxy address do not share one).
 * Either answers 429 problem+json with Retry-After.
 */
function limiter(limit: number, key: (req: Request) => string, store?: Store): RequestHandler {
  return rateLimit({
    windowMs: 60_000,
    limit,
    // Shared counters (RATE_LIMIT_STORE=postgres) while the database is down: the request goes on, and its route answers
    // 503 naming the database — not a 500 from the limiter.
    ...(store ? { store, passOnStoreError: true } : {}),
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: key,
    handler: (req, _res, next, options) => {
      const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      const retryAfter = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
      next(new Problem(429, 'rate-limited', 'Too many requests', `Slow down: retry after ${retryAfter} s.`, undefined, { retryAfterSeconds: retryAfter }));
    },
  });
}

/** Runs an Express middleware inside a route (after authentication); resolves when it calls next(), rejects with its error. */
const runMiddleware = (middleware: RequestHandler, req: Request, res: express.Response) =>
  new Promise<void>((resolve, reject) => void middleware(req, res, (error?: unknown) => (error ? reject(error) : resolve())));

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const JSON_LIMIT_BYTES = 64 * 1024;
const sizeText = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`);

export function routesOf(deps: AppDeps): RouteDef[] {
  const routes: RouteDef[] = [
    ...healthRoutes({ temporal: deps.temporal.connection as Connection, prisma: deps.prisma, ...(deps.calendarWarnFrom ? { calendarWarnFrom: deps.calendarWarnFrom } : {}) }),
    ...opportunityRoutes(createOpportunityClient(deps)),
    ...calendarRoutes(createCalendarsClient(deps)),
    ...memberRoutes(createMembersClient(deps)),
    ...expertRoutes(createExpertsClient(deps)),
    ...incentiveRunRoutes(createIncentiveRunsClient(deps)),
    ...incentiveRoutes(createIncentiveClient(deps)),
    ...certificationRoutes(createCertificationClient(deps)),
    ...pathRoutes(createPathsClient(deps)),
    ...pathReviewRoutes(createPathReviewsClient(deps)),
    ...webhookRoutes(createWebhooksClient(deps)),
    ...accountRoutes(createAccountClient(deps)),
    ...eligibilityRoutes(createEligibilityClient(deps)),
    ...specialistRoutes(createSpecialistClient(deps)),
    ...levelRaiseRoutes(createLevelRaiseClient(deps)),
    ...agreementRoutes(createAgreementClient(deps)),
    ...enrollmentRoutes(createEnrollmentClient(deps)),
    ...enterpriseRoutes(createEnterpriseClient(deps)),
    ...customerRoutes(createCustomerFactsClient(deps), createCustomerReportClient(deps)),
    ...fundsRoutes(createFundsClient(deps)),
    ...unlinkRoutes(createUnlinkClient(deps)),
    ...orderRoutes(createOrdersClient(deps)),
    ...auditRoutes(createAuditClient(deps)),
    ...bulkActionRoutes(createBulkActionClient(deps)),
    ...reviewQueueRoutesOf(deps),
    ...meRoutes(),
    ...codecRoutes(deps),
    ...(deps.timeSkipping ? adminRoutes(deps.timeSkipping) : []),
  ];
  // GET /v1/openapi.json describes exactly the routes mounted here, itself included.
  routes.push(...docsRoutes(() => routes));
  return routes;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  app.set('query parser', 'simple');
  // First, so that it times and counts every answer, refusals before routing included (docs/observability.md).
  app.use(requestTelemetry);
  app.use(
    pinoHttp({
      logger: deps.logger,
      genReqId: (req, res) => {
        const given = req.headers['x-request-id'];
        const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
        res.setHeader('X-Request-Id', id);
        return id;
      },
    }),
  );
  app.use(helmet(helmetOptionsOf(deps.consoleSignIn)));
  app.use(codecCors(deps.codecAllowedOrigins ?? []));
  app.use((req, res, next) => {
    if (!deps.draining?.()) return next();
    res.setHeader('Connection', 'close');
    next(new Problem(503, 'shutting-down', 'Service unavailable', 'This API process is shutting down; retry (another replica or the restarted one answers).', undefined, { retryAfterSeconds: 1 }));
  });
  const sharedStore = (prefix: string) => (deps.rateLimitStore === 'postgres' ? new PostgresRateLimitStore(deps.prisma, prefix) : undefined);
  app.use(limiter(deps.rateLimitPerAddressPerMinute ?? 1200, (req) => `address:${ipKeyGenerator(req.ip ?? 'unknown')}`, sharedStore('address/')));
  const perCaller = limiter(deps.rateLimitPerMinute ?? 600, (req) => `sub:${(req as Request & { principal?: Principal }).principal?.sub}`, sharedStore('caller/'));
  // Every JSON body; routes taking bytes (uploads) read theirs with their own limit (api/kit/http.ts rawBody).
  app.use(express.json({ limit: JSON_LIMIT_BYTES, strict: true, type: ['application/json', 'application/*+json'] }));

  const router = express.Router({ strict: true });
  mountRoutes(router, routesOf(deps), {
    tokenKeys: deps.jwks
      ? jwksKeys({ ...deps.jwks, ...(deps.tokenChecks?.maxTokenAgeSeconds ? { maxTokenAgeSeconds: deps.tokenChecks.maxTokenAgeSeconds } : {}) })
      : hs256Keys(deps.jwtSecret, deps.tokenChecks),
    limitCaller: async (principal, req, res) => {
      (req as Request & { principal?: Principal }).principal = principal;
      await runMiddleware(perCaller, req, res);
    },
    audit: async (entry) => void (await deps.prisma.auditLog.create({ data: entry })),
    // Partner staff with a member record act with the member's stored roles (cached briefly, cleared on change).
    resolvePrincipal: createMembersClient(deps).resolvePrincipal,
  });
  app.use(router);
  // Browsable docs: static files (swagger-ui-dist + our page), not API routes — they carry no data, so no
  // permission; the document they show is the public route GET /v1/openapi.json above.
  mountDocs(app);
  // The console (console/dist, written by npm run build; docs/console.md): static files — hashed assets cached for
  // good — and its index.html for any other /console page, since the single-page app routes itself. A missing
  // asset or an unbuilt console falls through to the 404 below. Same origin, so under the same CSP as the API.
  const consoleDist = path.join(projectRoot, 'console', 'dist');
  // How the console signs in, read by the page at run time: one build for every environment (docs/console-sign-in.md).
  app.get('/console/config.json', consoleConfigRoute(deps.consoleSignIn));
  app.use(
    '/console',
    express.static(consoleDist, { setHeaders: (res, file) => void (file.includes(`${path.sep}assets${path.sep}`) && res.setHeader('Cache-Control', 'public, max-age=31536000, immutable')) }),
    (req, res, next) => (req.method === 'GET' && !path.extname(req.path) ? res.sendFile(path.join(consoleDist, 'index.html'), (error) => error && next()) : next()),
  );
  app.use((req, _res, next) => next(problems.notFound(`${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const requestId = String(req.id);
    if (error instanceof Problem) {
      if (error.logDetail) req.log.info({ problem: error.code, reason: error.logDetail }, 'request refused');
      return sendProblem(res, error, requestId);
    }
    const dependency = unavailableDependency(error);
    if (dependency) {
      req.log.warn({ err: error, dependency }, `${dependency} unavailable`);
      return sendProblem(res, dependencyProblem(dependency), requestId);
    }
    const status = (error as { status?: number; type?: string }).status;
    // Express's and body-parser's own client errors: too large, malformed JSON, an undecodable path.
    if (status && status >= 400 && status < 500) {
      const type = (error as { type?: string }).type;
      const [code, field, detail] =
        status === 413
          ? ['payload-too-large', '(body)', `The request body is larger than ${sizeText((error as { limit?: number }).limit ?? JSON_LIMIT_BYTES)}.`]
          : type === 'entity.parse.failed'
            ? ['malformed-body', '(body)', 'The request body is not valid JSON.']
            : error instanceof URIError
              ? ['malformed-path', '(path)', 'The request path is not validly percent-encoded.']
              : ['bad-request', '(request)', 'The request cannot be read.'];
      return sendProblem(res, new Problem(status, code, 'Bad request', detail, [{ field, message: detail }]), requestId);
    }
    req.log.error({ err: error }, 'request failed');
    return sendProblem(res, new Problem(500, 'internal', 'Internal error', `Something went wrong; quote request id ${requestId}.`), requestId);
  };
  app.use(onError);
  return app;
}
