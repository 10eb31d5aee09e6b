/**
 * The OpenAPI 3.1 document, generated from the route declarations (api/kit/http.ts) and their zod schemas —
 * the same schemas the routes validate with and answer by. Nothing here is written by hand per route.
 * Also the browsable docs: /docs serves swagger-ui-dist's static files with a small page of our own.
 */
import { createRequire } from 'node:module';
import express, { type Express } from 'express';
import { z } from 'zod';
import { isBinaryResponse, jsonSchemaOf, problemStatusesOf, type RouteDef } from '../kit/http.js';
import { streamBodyOf, streamRequestBody } from '../kit/ndjson.js';
import { clockAdvanceSchema } from '../admin/schemas.js';
import { calendarChangeSchema, calendarSummarySchema } from '../calendar/schemas.js';
import { certificateSchema, certificationSummarySchema, certificationTypeSchema } from '../certification/schemas.js';
import { openApiDocumentSchema } from './schemas.js';
import { healthSchema } from '../health/schemas.js';
import { incentiveSummarySchema } from '../incentive/schemas.js';
import { deadlineAnswerSchema, deadlineExplanationSchema, materialSchema, problemSchema } from '../kit/schemas.js';
import { opportunityPageSchema, opportunitySchema, opportunitySummarySchema } from '../opportunity/schemas.js';
import { pathReviewSummarySchema } from '../path-review/schemas.js';
import { developmentPathSchema } from '../paths/schemas.js';

type JsonSchema = Record<string, unknown>;
export type OpenApiDocument = {
  openapi: '3.1.0';
  info: { title: string; version: string; description?: string };
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonSchema>; securitySchemes: Record<string, unknown> };
  [key: string]: unknown;
};
type Parameter = { name: string; in: 'path' | 'query' | 'header'; required: boolean; description?: string; schema: JsonSchema };
type Operation = {
  operationId: string;
  summary: string;
  tags: string[];
  'x-permission': string;
  security: Record<string, string[]>[];
  parameters?: Parameter[];
  requestBody?: { required: boolean; description?: string; content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, { description: string; headers?: Record<string, unknown>; content: Record<string, { schema: JsonSchema }> }>;
};

export const OPENAPI_PATH = '/v1/openapi.json';

/** Named response schemas become components (referenced by $ref, nested ones too). */
const COMPONENTS = [
  problemSchema,
  opportunitySummarySchema,
  opportunitySchema,
  opportunityPageSchema,
  deadlineExplanationSchema,
  deadlineAnswerSchema,
  healthSchema,
  clockAdvanceSchema,
  incentiveSummarySchema,
  materialSchema,
  certificationTypeSchema,
  certificationSummarySchema,
  certificateSchema,
  developmentPathSchema,
  pathReviewSummarySchema,
  calendarSummarySchema,
  calendarChangeSchema,
  openApiDocumentSchema,
];

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  400: 'Invalid request: the fields at fault are in `errors`',
  401: 'No valid bearer token',
  403: "The caller's role lacks the permission",
  404: 'Not found (or not yours)',
  409: 'Conflicts with the current state (Retry-After when it clears by itself)',
  412: 'If-Match names a version that is no longer the current one',
  413: 'Request body too large (JSON: 64 KiB; uploads: their own limit)',
  415: 'Unsupported Content-Type for this upload',
  422: 'Refused: cannot be processed',
  428: 'If-Match is required (the version of the resource read last, its ETag)',
  429: 'Rate limited: see Retry-After',
  500: 'Internal error',
  503: 'The database or Temporal is unreachable, or the process is shutting down: retry after Retry-After',
};

const strip = (schema: JsonSchema): JsonSchema => {
  const { $schema: _s, $id: _i, ...rest } = schema;
  return rest;
};

/** A request schema (what clients send: io 'input', before transforms/defaults). */
const inputSchema = (schema: z.ZodType): JsonSchema =>
  strip(z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as JsonSchema);

/** `/v1/opportunities/:id` → `/v1/opportunities/{id}` */
export const openApiPath = (expressPath: string) => expressPath.replace(/:([A-Za-z_]\w*)/g, '{$1}');

function parametersOf(schema: z.ZodType | undefined, where: 'path' | 'query'): Parameter[] {
  if (!schema) return [];
  const json = inputSchema(schema) as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => {
    const { description, ...rest } = property as JsonSchema & { description?: string };
    return {
      name,
      in: where,
      required: where === 'path' || (json.required ?? []).includes(name),
      ...(description ? { description } : {}),
      schema: rest,
    };
  });
}

export function buildOpenApi(routes: readonly RouteDef[], info: { title?: string; version?: string } = {}): OpenApiDocument {
  const registry = z.registry<{ id: string }>();
  const idOf = new Map<z.ZodType, string>();
  const named = [...COMPONENTS, ...routes.flatMap((r) => Object.values(r.responses).flatMap((s) => jsonSchemaOf(s) ?? []))];
  for (const schema of named) {
    if (idOf.has(schema)) continue;
    const id = (z.globalRegistry.get(schema)?.id as string | undefined) ?? `Response${idOf.size + 1}`;
    registry.add(schema, { id });
    idOf.set(schema, id);
  }
  const generated = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'output',
    uri: (id) => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, JsonSchema> };
  const schemas = Object.fromEntries(Object.entries(generated.schemas).map(([id, schema]) => [id, strip(schema)]));
  const ref = (schema: z.ZodType) => ({ $ref: `#/components/schemas/${idOf.get(schema)}` });
  // Bytes of one of these media types (uploads, downloads), not JSON.
  const binaryContent = (types: readonly string[]) => Object.fromEntries(types.map((type) => [type, { schema: { type: 'string', contentMediaType: type } }]));

  const paths: OpenApiDocument['paths'] = {};
  for (const route of routes) {
    const isPublic = route.permission === 'public';
    const parameters = [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')];
    if (route.idempotencyKey) {
      parameters.push({
        name: 'Idempotency-Key',
        in: 'header',
        required: false,
        description: 'Retrying with the same key returns the first result; the same key with another body is refused (422).',
        schema: { type: 'string', minLength: 1, maxLength: 200, pattern: '^[\\x21-\\x7e]+$' },
      });
    }
    if (route.localized) {
      parameters.push({
        name: 'Accept-Language',
        in: 'header',
        required: false,
        description: 'The language of the answer\'s messages and remedies: zh-CN (the default) or en; the answer says which in Content-Language.',
        schema: { type: 'string' },
      });
    }
    if (route.rawBody?.fileName) {
      parameters.push({
        name: 'Content-Disposition',
        in: 'header',
        required: true,
        description: 'The file name: `attachment; filename="roster.pdf"` (or RFC 8187 `filename*=UTF-8\'\'…`); no path separators or control characters, at most 200 characters.',
        schema: { type: 'string', minLength: 1 },
      });
    }
    const responses: Operation['responses'] = {};
    for (const [status, schema] of Object.entries(route.responses)) {
      responses[status] = {
        description: STATUS_TEXT[Number(status)] ?? `HTTP ${status}`,
        ...(status === '201' ? { headers: { Location: { description: 'The created resource', schema: { type: 'string' } } } } : {}),
        content: {
          ...(jsonSchemaOf(schema) ? { 'application/json': { schema: ref(jsonSchemaOf(schema)!) } } : {}),
          ...(isBinaryResponse(schema) ? binaryContent(schema.binary) : {}),
        },
      };
    }
    for (const status of problemStatusesOf(route)) {
      responses[String(status)] ??= {
        description: STATUS_TEXT[status] ?? `HTTP ${status}`,
        content: { 'application/problem+json': { schema: ref(problemSchema) } },
      };
    }
    const operation: Operation = {
      operationId: `${route.method}${route.path.replace(/[:{}]/g, '').replace(/[^A-Za-z0-9]+(.)?/g, (_, c: string | undefined) => (c ?? '').toUpperCase())}`,
      summary: route.summary,
      tags: [route.path.split('/').filter((s) => s && !s.startsWith(':'))[1] ?? route.path.split('/')[1] ?? 'api'],
      'x-permission': route.permission,
      security: isPublic ? [] : [{ bearerAuth: [] }],
      ...(parameters.length ? { parameters } : {}),
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: inputSchema(route.body) } } } } : {}),
      ...(route.rawBody
        ? {
            requestBody: {
              required: true,
              description: `The file's bytes, at most ${route.rawBody.maxBytes} bytes; the content must really be the declared type.`,
              content: binaryContent(route.rawBody.types),
            },
          }
        : {}),
      // A body the route reads as a stream (NDJSON): its media type and the shape of one line.
      ...(streamBodyOf(route) ? { requestBody: streamRequestBody(streamBodyOf(route)!) } : {}),
      responses,
    };
    (paths[openApiPath(route.path)] ??= {})[route.method] = operation;
  }

  return {
    openapi: '3.1.0',
    info: {
      title: info.title ?? 'partnerflow API',
      version: info.version ?? '0.1.0',
      description:
        'Generated from the route declarations and their zod schemas. Errors are RFC 9457 problem details ' +
        '(application/problem+json). `x-permission` names the permission each operation needs.',
    },
    security: [{ bearerAuth: [] }],
    paths,
    components: {
      schemas,
      securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'HS256 JWT, e.g. from `npm run token`' } },
    },
  };
}

// --- Browsable docs -----------------------------------------------------------------------------------

/** No inline script or style: helmet's CSP allows scripts only from 'self'. */
const DOCS_HTML = `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="UTF-8">
    <title>partnerflow API</title>
    <link rel="stylesheet" href="/docs/swagger-ui.css">
    <link rel="icon" type="image/png" href="/docs/favicon-32x32.png" sizes="32x32">
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/docs/swagger-ui-bundle.js"></script>
    <script src="/docs/init.js"></script>
  </body>
</html>
`;

const DOCS_INIT = `window.addEventListener('load', function () {
  window.ui = SwaggerUIBundle({
    url: '${OPENAPI_PATH}',
    dom_id: '#swagger-ui',
    deepLinking: true,
    validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis],
  });
});
`;

/** GET /docs: swagger-ui-dist's files (from node_modules) plus our page and init script. Public, static. */
export function mountDocs(app: Express): void {
  const { getAbsoluteFSPath } = createRequire(import.meta.url)('swagger-ui-dist') as { getAbsoluteFSPath: () => string };
  app.get(['/docs', '/docs/', '/docs/index.html'], (_req, res) => void res.type('html').send(DOCS_HTML));
  app.get('/docs/init.js', (_req, res) => void res.type('text/javascript').send(DOCS_INIT));
  // index: false — never swagger-ui-dist's own index.html / initializer (they point at the petstore).
  app.use('/docs', express.static(getAbsoluteFSPath(), { index: false, fallthrough: true }));
}
