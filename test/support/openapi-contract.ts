/**
 * The OpenAPI contract test's machinery (test/openapi*.test.ts): the real app in normal mode (dev server) and in
 * time-skipping mode, the document each serves (registered with Ajv, JSON Schema 2020-12), and `checked()`: a real
 * request whose answer must match the schema the document gives for that route and status — an answer whose status
 * the document does not list fails. Every checked answer is remembered, so a file can show that each route of its
 * area answered a success.
 */
import { randomUUID } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { beforeAll, expect } from 'vitest';
import { routesOf } from '../../api/app.js';
import type { RouteDef } from '../../api/kit/http.js';
import { type OpenApiDocument, openApiPath } from '../../api/docs/openapi.js';
import { type Call, call } from './app.js';
import { useTestEnv } from './env.js';

// ajv-formats is CommonJS with a default export.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export type Mode = 'normal' | 'time-skipping';
const DOC_ID: Record<Mode, string> = { normal: 'https://partnerflow.test/normal/openapi.json', 'time-skipping': 'https://partnerflow.test/ts/openapi.json' };
export const routeKey = (r: Pick<RouteDef, 'method' | 'path'>) => `${r.method.toUpperCase()} ${r.path}`;

/**
 * The contract files split the routes by area; a route matching none of these is `partner`'s, so a new route is
 * always some file's to exercise.
 */
export type Area = 'partner' | 'applications' | 'reviews' | 'programs' | 'customers' | 'orders' | 'enterprises' | 'funds' | 'unlink' | 'audit' | 'codec' | 'bulk';
export function areaOf(key: string): Area {
  const path = key.slice(key.indexOf(' ') + 1);
  if (/^\/v1\/codec\//.test(path)) return 'codec';
  if (/^\/v1\/(partners\/:partnerId\/(account|eligibility|level-raises|enrollments|agreements|contracting-entities)|specialist-applications|level-raises|enrollments|enrollment-invitations|agreements)(\/|$)/.test(path)) return 'programs';
  if (/^\/v1\/enterprises(\/|$)/.test(path)) return 'enterprises';
  if (/^\/v1\/(partners\/:partnerId\/customers\/:customerId\/(unlink-preview|unlinks)|unlinks|customer|customers\/:customerId\/refunds)(\/|$)/.test(path)) return 'unlink';
  if (/^\/v1\/(partners\/:partnerId\/(customers\/:customerId\/(allocations|reclaims|funds)|statement)|customers\/:customerId\/spend)$/.test(path)) return 'funds';
  if (/^\/v1\/(enterprises(\/|$)|customers\/:customerId(\/facts)?$|customer-reports(\/|$)|customer-invitations\/|partners\/:partnerId\/(customers|customer-reports)$)/.test(path)) return 'customers';
  if (/^\/v1\/marketplace-orders(\/|$)/.test(path)) return 'orders';
  if (/^\/v1\/admin\/audit$/.test(path)) return 'audit';
  if (/^\/v1\/bulk-actions(\/|$)/.test(path)) return 'bulk';
  if (/^\/v1\/(admin\/incentive-runs|incentives|certification-types|certifications|partners\/:partnerId\/certificates)(\/|$)/.test(path)) return 'applications';
  if (/^\/v1\/(paths|partners\/:partnerId\/paths|admin\/path-reviews|path-reviews|webhooks|admin\/clock)(\/|$)/.test(path)) return 'reviews';
  return 'partner';
}

export const newPartner = () => `P-oa-${randomUUID().slice(0, 8)}`;
export const shareBody = (partnerId: string) => ({ partnerId, customerName: 'Contract Ltd.', title: 'OpenAPI', estimatedAmount: { currency: 'CNY', minor: 100 } });
export const expectStatus = (res: Call, status: number) => expect(res.status, JSON.stringify(res.body)).toBe(status);

/** Both apps for this file, their routes and documents (read in beforeAll), and the checking. */
export function useContract() {
  const apps = {
    // The webhook test registers a URL on 127.0.0.1 here; the time-skipping app keeps the default and refuses it (422).
    normal: useTestEnv({ taskQueue: 'openapi', server: 'dev', api: { webhookAllowPrivateTargets: true, webhookAllowedPorts: [9] } }),
    'time-skipping': useTestEnv({ taskQueue: 'openapi-ts', api: { clockRoutes: true } }),
  };
  const routes = {} as Record<Mode, RouteDef[]>;
  const docs = {} as Record<Mode, OpenApiDocument>;
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  beforeAll(async () => {
    for (const mode of ['normal', 'time-skipping'] as const) {
      routes[mode] = routesOf(apps[mode].deps());
      const served = await call(apps[mode].base, 'GET', '/v1/openapi.json');
      expect(served.status).toBe(200);
      docs[mode] = served.body;
      ajv.addSchema(docs[mode] as object, DOC_ID[mode]);
    }
  });

  const seen = new Map<string, Set<number>>(); // "mode METHOD path" → statuses answered and validated

  /** The route a concrete request hits (path template match). */
  function routeFor(mode: Mode, method: string, url: string): RouteDef {
    const path = url.split('?')[0]!;
    const route = routes[mode].find(
      (r) => r.method === method.toLowerCase() && new RegExp(`^${r.path.replace(/:[A-Za-z_]\w*/g, '[^/]+')}$`).test(path),
    );
    if (!route) throw new Error(`no declared route for ${method} ${path} (${mode})`);
    return route;
  }

  const pointer = (...segments: string[]) => segments.map((s) => encodeURIComponent(s.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

  /** Everything wrong with `res` as an answer of `route` per the document; empty when it conforms. */
  function contractErrors(mode: Mode, route: RouteDef, res: Pick<Call, 'status' | 'body' | 'headers'>): string[] {
    const path = openApiPath(route.path);
    const documented = docs[mode].paths[path]![route.method]!.responses[String(res.status)];
    if (!documented) return [`status ${res.status} is not documented for ${routeKey(route)}`];
    const actualType = res.headers.get('content-type') ?? '';
    const documentedTypes = Object.keys(documented.content);
    const contentType = documentedTypes.find((t) => actualType.startsWith(t)) ?? documentedTypes[0]!;
    const errors: string[] = [];
    if (!actualType.startsWith(contentType)) errors.push(`content-type ${actualType}, documented ${documentedTypes.join(' | ')}`);
    // Bytes (a download): documented by media type; the body is whatever the file is.
    if (!/json/.test(contentType)) return Buffer.isBuffer(res.body) && res.body.length > 0 ? errors : [...errors, 'an empty or non-binary body'];
    const ref = `${DOC_ID[mode]}#/${pointer('paths', path, route.method, 'responses', String(res.status), 'content', contentType, 'schema')}`;
    const validate = ajv.getSchema(ref) ?? ajv.compile({ $ref: ref });
    if (!validate(res.body)) errors.push(...(validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message} ${JSON.stringify(e.params)}`));
    return errors;
  }

  /** A real request; its answer must match the document. */
  async function checked(mode: Mode, method: string, url: string, token?: string, body?: unknown, headers?: Record<string, string>): Promise<Call> {
    const route = routeFor(mode, method, url);
    const res = await call(apps[mode].base, method, url, token, body, headers);
    const errors = contractErrors(mode, route, res);
    if (errors.length) {
      throw new Error(`${method} ${url} → ${res.status} breaks the contract:\n  ${errors.join('\n  ')}\n  body: ${JSON.stringify(res.body).slice(0, 400)}`);
    }
    const key = `${mode} ${routeKey(route)}`;
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key)!.add(res.status);
    return res;
  }

  /** The routes of `area` no checked request got a success answer from (a time-skipping route: only those normal mode lacks). */
  function unexercised(area: Area): string[] {
    return (['normal', 'time-skipping'] as const).flatMap((mode) =>
      routes[mode]
        .filter((r) => mode === 'normal' || !routes.normal.some((n) => routeKey(n) === routeKey(r)))
        .filter((r) => areaOf(routeKey(r)) === area)
        .map((r) => `${mode} ${routeKey(r)}`)
        .filter((key) => ![...(seen.get(key) ?? [])].some((s) => s >= 200 && s < 300)),
    );
  }

  return { apps, routes, docs, seen, routeFor, contractErrors, checked, unexercised };
}
