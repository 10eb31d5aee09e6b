/**
 * One declaration per route: method, path, permission, zod schemas, handler. mountRoutes() turns the list
 * into Express handlers that authenticate, authorize, validate (unknown fields refused) and render problems.
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import { can, type Permission, type Principal, type TokenKeys, verifyToken } from '../../domain/auth.js';
import { type Language, languageOf } from '../../domain/eligibility-messages.js';
import { fromZod, Problem, problems } from '../../domain/problems.js';

/**
 * `raw`: the request body's bytes, for routes declaring `rawBody` (never empty). `language`: the one Accept-Language
 * chooses (zh-CN by default, or en), for the routes declaring `localized`.
 */
export type RouteContext<B, Q, P> = { principal: Principal; body: B; query: Q; params: P; req: Request; raw?: Buffer; language: Language };
/** `body` is sent as JSON; a Buffer is sent as is (a download: set its Content-Type in `headers`). */
export type RouteResult = { status: number; body?: unknown; headers?: Record<string, string> };

/** A request body taken as bytes (an upload), not JSON. */
export type RawBody = {
  /** Accepted media types (exact, parameters ignored); any other Content-Type is 415. */
  types: readonly string[];
  /** Larger bodies are 413; the global 64 KiB JSON limit does not apply. */
  maxBytes: number;
  /** The file name comes in `Content-Disposition: attachment; filename="…"` (documented as a header). */
  fileName?: boolean;
};

/**
 * A response that is bytes of one of these media types (a download) — or, with `json`, either those bytes or this JSON
 * body, as the caller asks (Accept, a format parameter): a statement as JSON or as CSV.
 */
export type BinaryResponse = { binary: readonly string[]; json?: z.ZodType };
export const isBinaryResponse = (r: z.ZodType | BinaryResponse): r is BinaryResponse => 'binary' in r && Array.isArray(r.binary);
/** The JSON schema an answer of this declaration is checked against when it comes as JSON (none for a download only). */
export const jsonSchemaOf = (r: z.ZodType | BinaryResponse): z.ZodType | undefined => (isBinaryResponse(r) ? r.json : r);

export type RouteDef<B = unknown, Q = unknown, P = unknown> = {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  /**
   * 'public': no token (health only). 'signedIn': any valid token, whatever it may do (GET /v1/me: the caller as the
   * API sees it) — still authenticated, rate-limited and resolved (a deactivated member is refused). Everything else
   * names the permission it needs.
   */
  permission: Permission | 'public' | 'signedIn';
  summary: string;
  body?: z.ZodType<B>;
  /** Takes the body as bytes instead of JSON (never together with `body`). */
  rawBody?: RawBody;
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  /**
   * What the route answers besides problems, by status: the success body (and any other non-problem body,
   * e.g. health's 503). Required: the OpenAPI document (api/docs/openapi.ts) is generated from these, and the
   * contract test checks real answers against them.
   */
  responses: { [status: number]: z.ZodType | BinaryResponse };
  /**
   * Problem statuses this route answers beyond the ones every route can (problemStatusesOf): e.g. 404 for an
   * id that is not there or not yours, 409 for a state conflict, 422 for a refused request.
   */
  problems?: readonly number[];
  /** The route honours an `Idempotency-Key` header (documented as a header parameter). */
  idempotencyKey?: boolean;
  /** What a caller without the permission is told (403) where naming the permission would not help them. */
  forbidden?: string;
  /**
   * The route's answers (its success, and its refusals' reasons) are in the language of `Accept-Language` (documented
   * as a header): the handler gets it as `language`, and every answer after authorization carries `Content-Language`
   * and `Vary: Accept-Language`.
   */
  localized?: boolean;
  handler: (ctx: RouteContext<B, Q, P>) => Promise<RouteResult>;
};

/**
 * Problem (RFC 9457) statuses a route can answer: 400 (bad input — or any body sent to a route that takes
 * none, or malformed JSON), 429 (rate limit), 500 and 503 (the database or Temporal unreachable, or the process
 * shutting down: with Retry-After) everywhere; 401/403 unless public; 413 when it takes
 * a body; 415 when it takes bytes (another Content-Type); plus the route's own `problems`.
 */
export function problemStatusesOf(route: Pick<RouteDef, 'permission' | 'body' | 'rawBody' | 'problems'>): number[] {
  const statuses = new Set([
    400,
    429,
    500,
    503,
    ...(route.permission === 'public' ? [] : [401, 403]),
    ...(route.body || route.rawBody ? [413] : []),
    ...(route.rawBody ? [415] : []),
    ...(route.problems ?? []),
  ]);
  return [...statuses].sort((a, b) => a - b);
}

/** Keeps each route's schema types attached to its handler. */
export const defineRoute = <B = undefined, Q = undefined, P = undefined>(def: RouteDef<B, Q, P>): RouteDef => def as RouteDef;

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw fromZod(result.error, where === 'body' ? undefined : where);
  return result.data;
}

async function authenticate(req: Request, keys: TokenKeys): Promise<Principal> {
  const header = req.get('authorization');
  const token = header?.match(/^Bearer ([A-Za-z0-9._~+/=-]+)$/)?.[1];
  if (!token) throw problems.unauthenticated('Send an Authorization: Bearer <JWT> header.');
  return verifyToken(token, keys);
}

export type AuditEntry = { actor: string; actorPartnerId?: string; action: string; target?: string; requestId: string; status: number };

export type MountOptions = {
  tokenKeys: TokenKeys;
  audit?: (entry: AuditEntry) => Promise<void>;
  /**
   * After authentication, before authorization: the principal whose permissions count (e.g. a partner member's
   * stored roles replacing the token's, with `permissions` set). May refuse (a deactivated member → 403).
   */
  resolvePrincipal?: (principal: Principal) => Promise<Principal>;
  /** After authentication: counts the request against the caller's own rate limit (throws a 429 problem). */
  limitCaller?: (principal: Principal, req: Request, res: Response) => Promise<void>;
};

// The object's id; else what the path names (a calendar, a partner's assignment).
const targetOf = (params: unknown, body: unknown): string | undefined => {
  const p = params as { id?: unknown; name?: unknown; partnerId?: unknown } | undefined;
  const id = p?.id ?? (body as { id?: unknown } | undefined)?.id ?? p?.name ?? p?.partnerId;
  return typeof id === 'string' ? id : undefined;
};

/**
 * Reads a raw body after authorization (nobody unauthorized gets to stream megabytes at us), with the route's
 * own limit. A JSON body the global parser already took, or another Content-Type, is 415.
 */
async function readRawBody(req: Request, res: Response, raw: RawBody): Promise<Buffer> {
  if (!req.is([...raw.types])) {
    throw new Problem(415, 'unsupported-media-type', 'Unsupported media type', `Send the file's bytes as one of: ${raw.types.join(', ')}.`, [
      { field: 'Content-Type', message: `must be one of ${raw.types.join(', ')}` },
    ]);
  }
  const parser = express.raw({ type: () => true, limit: raw.maxBytes });
  await new Promise<void>((resolve, reject) => parser(req, res, (error?: unknown) => (error ? reject(error) : resolve())));
  const body = req.body as unknown;
  if (!Buffer.isBuffer(body) || body.length === 0) throw problems.validation([{ field: '(body)', message: 'the file is empty' }]);
  return body;
}

export function mountRoutes(router: Router, routes: RouteDef[], { tokenKeys, audit, resolvePrincipal, limitCaller }: MountOptions): void {
  for (const route of routes) {
    router[route.method](route.path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        const authenticated: Principal =
          route.permission === 'public' ? { sub: 'anonymous', roles: [] } : await authenticate(req, tokenKeys);
        if (route.permission !== 'public' && limitCaller) await limitCaller(authenticated, req, res);
        const principal = route.permission !== 'public' && resolvePrincipal ? await resolvePrincipal(authenticated) : authenticated;
        if (route.permission !== 'public' && route.permission !== 'signedIn' && !can(principal, route.permission)) {
          throw problems.forbidden(route.forbidden ?? `This action needs the ${route.permission} permission.`);
        }
        const params = parse(route.params, req.params, 'path');
        const query = parse(route.query, req.query, 'query');
        const raw = route.rawBody ? await readRawBody(req, res, route.rawBody) : undefined;
        if (!route.body && !route.rawBody && req.body !== undefined && Object.keys(req.body as object).length > 0) {
          throw problems.validation([{ field: '(body)', message: 'this request takes no body' }]);
        }
        const body = parse(route.body, route.rawBody ? {} : (req.body ?? {}), 'body');
        const language = languageOf(req.get('accept-language'));
        if (route.localized) res.set({ 'Content-Language': language, Vary: 'Accept-Language' });
        const result = await route.handler({ principal, body, query, params, req, language, ...(raw ? { raw } : {}) });
        if (route.method !== 'get' && audit) {
          const target = targetOf(params, result.body);
          await audit({
            actor: principal.sub,
            ...(principal.partnerId ? { actorPartnerId: principal.partnerId } : {}),
            action: `${route.method.toUpperCase()} ${route.path}`,
            ...(target ? { target } : {}),
            requestId: String(req.id),
            status: result.status,
          });
        }
        res.status(result.status).set(result.headers ?? {});
        if (result.body === undefined) res.end();
        else if (Buffer.isBuffer(result.body)) res.send(result.body);
        else res.json(result.body);
      } catch (error) {
        next(error);
      }
    });
  }
}

export function sendProblem(res: Response, problem: Problem, requestId: string): void {
  // A refusal that clears by itself (another action in progress) says when to retry, in the header clients honour.
  const retryAfter = problem.extensions.retryAfterSeconds;
  if (typeof retryAfter === 'number' && retryAfter > 0) res.setHeader('Retry-After', String(Math.ceil(retryAfter)));
  res.status(problem.status).type('application/problem+json').json({ ...problem.toBody(), instance: res.req.originalUrl, requestId });
}
