/**
 * `tsx scripts/openapi-json.ts [file]`: the OpenAPI document the API serves at /v1/openapi.json, built from the route
 * declarations (api/docs/openapi.ts) without a server — routesOf() with dependencies nobody calls, as
 * test/policy.test.ts lists them. The console's build (scripts/build-console.ts) types its API client from it.
 * Without a file it prints the document.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import pino from 'pino';
import { routesOf } from '../api/app.js';
import { buildOpenApi, type OpenApiDocument } from '../api/docs/openapi.js';

/**
 * The production document: the time-skipping-only routes (POST /v1/admin/clock/advance) are left out, as the API
 * leaves them out outside `--time-skipping`. The dependencies are never called: building routes only declares them.
 */
export function openApiDocument(): OpenApiDocument {
  const routes = routesOf({
    temporal: { connection: {}, workflow: {} } as never,
    prisma: {} as never,
    taskQueue: 'openapi',
    jwtSecret: 'openapi-document-only-0123456789abcdefghij',
    logger: pino({ level: 'silent' }),
  });
  return buildOpenApi(routes);
}

/** The document as written to a file: stable text, so an unchanged API gives byte-identical output. */
export const openApiText = (): string => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const file = process.argv[2];
  if (file) writeFileSync(file, openApiText());
  else process.stdout.write(openApiText());
}
