// Response schemas of admin (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { instant } from '../kit/schemas.js';

export const clockAdvanceSchema = z
  .strictObject({ advancedBy: z.string().describe('ISO 8601 duration'), from: instant, now: instant })
  .meta({ id: 'ClockAdvance' });
