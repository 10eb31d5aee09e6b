// Response schemas of health (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';

const temporal = z.enum(['ok', 'unavailable']).describe('Whether the Temporal frontend answers (why not: in the API log)');
const database = z.enum(['ok', 'unavailable']).describe('Whether PostgreSQL answers (why not: in the API log)');

export const healthSchema = z
  .strictObject({
    status: z.enum(['ok', 'degraded']),
    temporal,
    database,
    warnings: z
      .array(z.string())
      .optional()
      .describe("what an operator must do soon (e.g. a calendar's next year is not published); the status stays ok"),
  })
  .meta({ id: 'Health' });

export const livenessSchema = z.strictObject({ status: z.literal('ok').describe('The process is up and answering') }).meta({ id: 'Liveness' });

export const readinessSchema = z
  .strictObject({
    status: z.enum(['ready', 'unavailable']).describe('ready: this replica can serve requests; unavailable: send them elsewhere for now'),
    temporal,
    database,
  })
  .meta({ id: 'Readiness' });
