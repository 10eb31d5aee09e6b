// Response schemas of incentive-run (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { instant } from '../kit/schemas.js';

export const incentiveRunSchema = z
  .strictObject({
    period: z.string().describe('YYYY-MM'),
    workflowId: z.string(),
    status: z.enum(['STARTING', 'RUNNING', 'COMPLETED']).describe('STARTING: accepted, the run has not written its progress yet'),
    requestedBy: z.string().nullable().describe("'schedule' or the vendor user who asked"),
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
    partners: z.strictObject({
      total: z.number().int().min(0).describe('partners in scope when the run started'),
      done: z.number().int().min(0).describe('partners processed (generated or failed)'),
      failed: z.number().int().min(0),
    }),
    incentivesGenerated: z.number().int().min(0).describe('incentives that exist for the period (all runs)'),
    failures: z.array(z.strictObject({ partnerId: z.string(), code: z.string(), message: z.string() })),
    runs: z.number().int().min(0).describe('how many times generation has run for the period'),
  })
  .meta({ id: 'IncentiveRun' });
export type IncentiveRunView = z.infer<typeof incentiveRunSchema>;
