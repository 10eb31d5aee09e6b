// Response schemas of docs (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';

export const openApiDocumentSchema = z
  .looseObject({ openapi: z.literal('3.1.0'), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ id: 'OpenApiDocument', description: 'This OpenAPI 3.1 document.' });
