// Response schemas of health (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';

export const healthSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    temporal: z.enum(['ok', 'unavailable']).describe('Whether the Temporal frontend answers (why not: in the API log)'),
    database: z.enum(['ok', 'unavailable']).describe('Whether PostgreSQL answers (why not: in the API log)'),
    warnings: z
      .array(z.string())
      .optional()
      .describe("what an operator must do soon (e.g. a calendar's next year is not published); the status stays ok"),
  })
  .meta({ id: 'Health' });
