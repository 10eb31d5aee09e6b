/**
 * The OpenAPI document (api/docs/openapi.ts) against the real stack: (a) its shape — OpenAPI 3.1, every mounted
 * route with its method, permission, parameters; (b) a contract test — real requests to every route,
 * successes and refusals, each answer validated (Ajv, JSON Schema 2020-12) against the schema the document
 * gives for that route and status. An answer whose status the document does not list fails. The contract test is in
 * openapi.contract*.test.ts, one file per area of routes (support/openapi-contract.ts).
 */
import { describe, expect, it } from 'vitest';
import { buildOpenApi, openApiPath } from '../api/docs/openapi.js';
import { routeKey, useContract } from './support/openapi-contract.js';

const { apps, routes, docs } = useContract();

describe('the document', () => {
  it('is OpenAPI 3.1 and lists every mounted route with its method, permission, summary and parameters', () => {
    for (const mode of ['normal', 'time-skipping'] as const) {
      const doc = docs[mode];
      expect(doc.openapi).toBe('3.1.0');
      expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
      expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
      // The served document is exactly what the declarations generate.
      expect(doc).toEqual(JSON.parse(JSON.stringify(buildOpenApi(routes[mode]))));
      const operations = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
      expect(operations.sort()).toEqual(routes[mode].map((r) => `${r.method.toUpperCase()} ${openApiPath(r.path)}`).sort());
      for (const route of routes[mode]) {
        const path = openApiPath(route.path);
        const op = doc.paths[path]![route.method]!;
        expect(op['x-permission'], routeKey(route)).toBe(route.permission);
        expect(op.summary).toBe(route.summary);
        expect(op.security, routeKey(route)).toEqual(route.permission === 'public' ? [] : [{ bearerAuth: [] }]);
        const pathParams = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        for (const name of pathParams) {
          expect(op.parameters?.find((p) => p.in === 'path' && p.name === name), `${routeKey(route)} {${name}}`).toMatchObject({ required: true });
        }
        expect(op.parameters?.filter((p) => p.in === 'path').map((p) => p.name) ?? []).toEqual(pathParams);
        const statuses = Object.keys(op.responses).map(Number);
        expect(statuses.some((s) => s >= 200 && s < 300), `${routeKey(route)} declares a success response`).toBe(true);
        // A protected route documents 401 and 403; a public one neither.
        expect([401, 403].map((s) => statuses.includes(s)), routeKey(route)).toEqual(route.permission === 'public' ? [false, false] : [true, true]);
        // A JSON body is documented exactly where the route declares one.
        expect(op.requestBody?.content['application/json']?.schema, routeKey(route)).toEqual(route.body ? expect.objectContaining({ type: 'object' }) : undefined);
        if (route.rawBody) {
          expect(Object.keys(op.requestBody?.content ?? {}), routeKey(route)).toEqual([...route.rawBody.types]);
          for (const type of route.rawBody.types) expect(op.requestBody!.content[type]!.schema).toEqual({ type: 'string', contentMediaType: type });
        }
      }
    }
    const share = docs.normal.paths['/v1/opportunities']!.post!;
    expect(share.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    for (const path of [
      '/v1/partners/{partnerId}/members',
      '/v1/partners/{partnerId}/roles',
      '/v1/partners/{partnerId}/experts',
      '/v1/partners/{partnerId}/account/facts',
      '/v1/partners/{partnerId}/account/ledger-entries',
    ]) {
      expect(docs.normal.paths[path]!.post!.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    }
    // The eligibility preflight: the program named, and the process checks' own parameter each.
    const eligibility = docs.normal.paths['/v1/partners/{partnerId}/eligibility']!.get!;
    expect(eligibility.parameters?.filter((p) => p.in === 'query')).toEqual([
      expect.objectContaining({ name: 'program', required: true, schema: { type: 'string', enum: ['SOLUTION_PROVIDER', 'RESELLER', 'DISTRIBUTOR', 'PROJECT_SPECIALIST', 'LEVEL_UP'] } }),
      expect.objectContaining({ name: 'memberId', required: false }),
      expect.objectContaining({ name: 'pathId', required: false }),
    ]);
    expect(Object.keys(eligibility.responses)).toEqual(expect.arrayContaining(['200', '400', '404']));
    // Exactly the routes whose answers carry reasons in the caller's language document Accept-Language: the preflight
    // and the requests refused with every unmet condition (the list is the policy, written here by hand).
    const localized = Object.entries(docs.normal.paths).flatMap(([path, ops]) =>
      Object.entries(ops)
        .filter(([, op]) => op.parameters?.some((p) => p.in === 'header' && p.name === 'Accept-Language'))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(localized.sort()).toEqual(
      [
        'GET /v1/partners/{partnerId}/eligibility',
        'POST /v1/specialist-applications',
        'POST /v1/specialist-applications/batch',
        'POST /v1/partners/{partnerId}/level-raises',
        'POST /v1/partners/{partnerId}/enrollments',
        'POST /v1/enrollments/{id}/accept',
        'POST /v1/partners/{partnerId}/customer-reports',
        'GET /v1/partners/{partnerId}/customers/{customerId}/unlink-preview',
        'POST /v1/partners/{partnerId}/customers/{customerId}/unlinks',
        'GET /v1/customer/unlink-preview',
        'POST /v1/customer/unlinks',
      ].sort(),
    );
    const upload = docs.normal.paths['/v1/incentives/{id}/materials']!.post!;
    expect(upload.parameters).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }),
        expect.objectContaining({ name: 'Content-Disposition', in: 'header', required: true }),
      ]),
    );
    expect(Object.keys(upload.responses)).toEqual(expect.arrayContaining(['200', '201', '413', '415', '422']));
    const download = docs.normal.paths['/v1/incentives/{id}/materials/{materialId}']!.get!;
    expect(Object.keys(download.responses['200']!.content)).toEqual(['application/pdf', 'image/png', 'image/jpeg']);
    // A statement answers JSON or CSV, as asked: both under its 200.
    const statement = docs.normal.paths['/v1/partners/{partnerId}/statement']!.get!;
    expect(Object.keys(statement.responses['200']!.content)).toEqual(['application/json', 'text/csv']);
    expect(statement.responses['200']!.content['application/json']!.schema).toEqual({ $ref: expect.stringMatching(/^#\/components\/schemas\//) });
    expect(docs.normal.paths['/v1/admin/clock/advance']).toBeUndefined();
    expect(docs['time-skipping'].paths['/v1/admin/clock/advance']?.post?.['x-permission']).toBe('clock.advance');
  });

  it('serves browsable docs at /docs: our page, our init script, swagger-ui from node_modules, under the CSP', async () => {
    const page = await fetch(`${apps.normal.base}/docs`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('/docs/init.js');
    expect(html).not.toMatch(/<script>(?!<\/script>)|<script[^>]*>[^<]+<\/script>/); // no inline script
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    for (const asset of ['/docs/init.js', '/docs/swagger-ui-bundle.js', '/docs/swagger-ui.css']) {
      expect((await fetch(apps.normal.base + asset)).status, asset).toBe(200);
    }
    expect(await (await fetch(`${apps.normal.base}/docs/init.js`)).text()).toContain("url: '/v1/openapi.json'");
  });
});

