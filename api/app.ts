/** The Express application, built from explicit dependencies (tests build it the same way main() does). */
import { createHash, randomUUID } from 'node:crypto';
import type { Client, Connection } from '@temporalio/client';
import express, { type ErrorRequestHandler, type Request } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { pinoHttp } from 'pino-http';
import { Problem, problems } from '../domain/problems.js';
import type { PrismaClient } from '../platform/db.js';
import type { Logger } from '../platform/logger.js';
import { hs256Keys, jwksKeys } from '../domain/auth.js';
import type { CalendarLookup } from '../domain/calendar.js';
import { createCalendarsClient } from './clients/calendars.js';
import { createCertificationClient } from './clients/certification.js';
import { createExpertsClient } from './clients/experts.js';
import { createIncentiveRunsClient } from './clients/incentive-runs.js';
import { createIncentiveClient } from './clients/incentive.js';
import { createMembersClient } from './clients/members.js';
import { createOpportunityClient } from './clients/opportunity.js';
import { createPathReviewsClient } from './clients/path-reviews.js';
import { createPathsClient } from './clients/paths.js';
import { createWebhooksClient } from './clients/webhooks.js';
import { mountRoutes, type RouteDef, sendProblem } from './http.js';
import { mountDocs } from './openapi.js';
import { adminRoutes } from './routes/admin.js';
import { calendarRoutes } from './routes/calendar.js';
import { certificationRoutes } from './routes/certification.js';
import { docsRoutes } from './routes/docs.js';
import { expertRoutes } from './routes/experts.js';
import { healthRoutes } from './routes/health.js';
import { incentiveRunRoutes } from './routes/incentive-runs.js';
import { incentiveRoutes } from './routes/incentive.js';
import { memberRoutes } from './routes/members.js';
import { opportunityRoutes } from './routes/opportunity.js';
import { pathReviewRoutes } from './routes/path-reviews.js';
import { pathRoutes } from './routes/paths.js';
import { webhookRoutes } from './routes/webhooks.js';

export type AppDeps = {
  temporal: Client;
  prisma: PrismaClient;
  taskQueue: string;
  /** HS256 secret of bearer tokens; unused when `jwks` is set (then only the identity provider's keys count). */
  jwtSecret: string;
  jwks?: { url: string; issuer?: string; audience?: string; cooldownMs?: number };
  logger: Logger;
  /** Partner → the calendar (current version) its deadlines count in; default: the database's, with `defaultCalendar`. */
  calendarFor?: CalendarLookup;
  /** The calendar of partners without an assignment (DEFAULT_CALENDAR); default CN. */
  defaultCalendar?: string;
  /** Present only on the time-skipping server: enables /v1/admin/clock. */
  timeSkipping?: Connection;
  /** Requests per minute per bearer token (per IP without one). */
  rateLimitPerMinute?: number;
  /** Accept webhook URLs on loopback, private, link-local… addresses (WEBHOOK_ALLOW_PRIVATE_TARGETS); default false. */
  webhookAllowPrivateTargets?: boolean;
  /** How long a rotated-out webhook secret still signs beside the new one (WEBHOOK_SECRET_GRACE_HOURS); default 24 h. */
  webhookSecretGraceMs?: number;
};

/** Rate-limit key: the token (hashed: keys may be logged or stored), else the client's address. */
function rateLimitKey(req: Request): string {
  const auth = req.get('authorization');
  return auth ? createHash('sha256').update(auth).digest('base64url') : ipKeyGenerator(req.ip ?? 'unknown');
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,100}$/;
const JSON_LIMIT_BYTES = 64 * 1024;
const sizeText = (bytes: number) => (bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${Math.round(bytes / 1024)} KiB`);

export function routesOf(deps: AppDeps): RouteDef[] {
  const routes: RouteDef[] = [
    ...healthRoutes({ temporal: deps.temporal.connection as Connection, prisma: deps.prisma }),
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
    ...(deps.timeSkipping ? adminRoutes(deps.timeSkipping) : []),
  ];
  // GET /v1/openapi.json describes exactly the routes mounted here, itself included.
  routes.push(...docsRoutes(() => routes));
  return routes;
}

export function createApp(deps: AppDeps): express.Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
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
  app.use(helmet());
  app.use(
    rateLimit({
      windowMs: 60_000,
      limit: deps.rateLimitPerMinute ?? 600,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      keyGenerator: rateLimitKey,
      handler: (req, res, _next, options) => {
        const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
        const retryAfter = Math.max(1, Math.ceil(((resetTime?.getTime() ?? Date.now() + options.windowMs) - Date.now()) / 1000));
        sendProblem(res, new Problem(429, 'rate-limited', 'Too many requests', `Slow down: retry after ${retryAfter} s.`, undefined, { retryAfterSeconds: retryAfter }), String(req.id));
      },
    }),
  );
  // Every JSON body; routes taking bytes (uploads) read theirs with their own limit (api/http.ts rawBody).
  app.use(express.json({ limit: JSON_LIMIT_BYTES, strict: true, type: ['application/json', 'application/*+json'] }));

  const router = express.Router({ strict: true });
  mountRoutes(router, routesOf(deps), {
    tokenKeys: deps.jwks ? jwksKeys(deps.jwks) : hs256Keys(deps.jwtSecret),
    audit: async (entry) => void (await deps.prisma.auditLog.create({ data: entry })),
    // Partner staff with a member record act with the member's stored roles (cached briefly, cleared on change).
    resolvePrincipal: createMembersClient(deps).resolvePrincipal,
  });
  app.use(router);
  // Browsable docs: static files (swagger-ui-dist + our page), not API routes — they carry no data, so no
  // permission; the document they show is the public route GET /v1/openapi.json above.
  mountDocs(app);
  app.use((req, _res, next) => next(problems.notFound(`${req.method} ${req.path}`)));

  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const requestId = String(req.id);
    if (error instanceof Problem) return sendProblem(res, error, requestId);
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
