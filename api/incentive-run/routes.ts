/** Vendor routes of monthly incentive generation: run a period on demand (backfill) and watch its progress. */
import { z } from 'zod';
import { PERIOD } from '../../domain/period.js';
import type { IncentiveRunsClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { incentiveRunPageSchema, incentiveRunSchema } from './schemas.js';

const period = z.string().regex(PERIOD, 'must be a month YYYY-MM');

export function incentiveRunRoutes(runs: IncentiveRunsClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/admin/incentive-runs',
      permission: 'incentive.run',
      summary:
        'Generate the incentives of a past or the current month now (backfill). Idempotent by period: joins a run in progress; a new run after one has finished creates nothing twice.',
      body: z.strictObject({ period }),
      responses: { 202: incentiveRunSchema },
      problems: [422],
      handler: async ({ principal, body }) => {
        const view = await runs.start(principal, body.period);
        return { status: 202, body: view, headers: { Location: `/v1/admin/incentive-runs/${body.period}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/incentive-runs',
      permission: 'incentive.readAll',
      summary: 'Every period incentive generation has run for, newest period first (cursor-paged): its status and counts.',
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(100).default(20),
        cursor: z.string().max(500).optional(),
      }),
      responses: { 200: incentiveRunPageSchema },
      handler: async ({ query }) => ({ status: 200, body: await runs.list(query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/admin/incentive-runs/:period',
      permission: 'incentive.readAll',
      summary: "A period's generation progress: partners done of total, failures, incentives generated.",
      params: z.strictObject({ period }),
      responses: { 200: incentiveRunSchema },
      problems: [404],
      handler: async ({ params }) => ({ status: 200, body: await runs.get(params.period) }),
    }),
  ];
}
