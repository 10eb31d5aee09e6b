// Response schemas of incentive-run (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { instant } from '../kit/schemas.js';

/** The run's progress over partners, and the incentives of the period: the same in a run and in the list's summary. */
const partnersProgress = z.strictObject({
  total: z.number().int().min(0).describe('partners in scope when the run started'),
  done: z.number().int().min(0).describe('partners processed (generated or failed)'),
  failed: z.number().int().min(0),
});
const incentivesGenerated = z.number().int().min(0).describe('incentives that exist for the period (all runs)');

export const incentiveRunSchema = z
  .strictObject({
    period: z.string().describe('YYYY-MM'),
    workflowId: z.string(),
    status: z.enum(['STARTING', 'RUNNING', 'COMPLETED']).describe('STARTING: accepted, the run has not written its progress yet'),
    requestedBy: z.string().nullable().describe("'schedule' or the vendor user who asked"),
    startedAt: instant.nullable(),
    finishedAt: instant.nullable(),
    partners: partnersProgress,
    incentivesGenerated,
    failures: z.array(z.strictObject({ partnerId: z.string(), code: z.string(), message: z.string() })),
    runs: z.number().int().min(0).describe('how many times generation has run for the period'),
  })
  .meta({ id: 'IncentiveRun' });
export type IncentiveRunView = z.infer<typeof incentiveRunSchema>;

export const incentiveRunSummarySchema = z
  .strictObject({
    period: z.string().describe('YYYY-MM'),
    workflowId: z.string(),
    status: z.enum(['RUNNING', 'COMPLETED']).describe("the latest run's, as it recorded it (GET …/:period also says STARTING for a run accepted but not begun)"),
    requestedBy: z.string().describe("'schedule' or the vendor user who asked"),
    startedAt: instant,
    finishedAt: instant.nullable(),
    partners: partnersProgress,
    incentivesGenerated,
    runs: z.number().int().min(0).describe('how many times generation has run for the period'),
  })
  // No component id of its own: a nested id needs an entry in api/docs/openapi.ts COMPONENTS; it is named with the page.
  .describe("A period's incentive generation in a list: its status and counts (GET …/:period for the failures).");
export type IncentiveRunSummaryView = z.infer<typeof incentiveRunSummarySchema>;

export const incentiveRunPageSchema = z
  .strictObject({ items: z.array(incentiveRunSummarySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'IncentiveRunPage', description: 'One page, newest period first; pass nextCursor as `cursor` for the next.' });
