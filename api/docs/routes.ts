/** The API's own OpenAPI document: generated from the mounted routes (including this one), public. */
import { buildOpenApi, OPENAPI_PATH } from './openapi.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { openApiDocumentSchema } from './schemas.js';

export function docsRoutes(mounted: () => readonly RouteDef[]): RouteDef[] {
  let document: ReturnType<typeof buildOpenApi> | undefined;
  return [
    defineRoute({
      method: 'get',
      path: OPENAPI_PATH,
      permission: 'public',
      summary: 'This OpenAPI 3.1 document, generated from the route declarations.',
      responses: { 200: openApiDocumentSchema },
      handler: async () => ({ status: 200, body: (document ??= buildOpenApi(mounted())) }),
    }),
  ];
}
