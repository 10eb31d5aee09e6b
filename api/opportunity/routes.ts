/** HTTP routes of the opportunity-acceptance process. Validation here; behaviour in the workflow. */
import { z } from 'zod';
import { moneySchema } from '../../domain/money.js';
import { OUTCOMES, REJECT_REASONS, STAGES, STATUSES } from '../../workflows/opportunity/contract.js';
import type { OpportunityClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { opportunityPageSchema, opportunitySchema } from './schemas.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';

const idParams = z.strictObject({ id: z.string().uuid('must be an opportunity id (UUID)') });

export const shareBody = z.strictObject({
  partnerId,
  customerName: text(200),
  title: text(200),
  estimatedAmount: moneySchema.optional(),
});

export const listQuery = z.strictObject({
  status: z.enum(STATUSES).optional(),
  partnerId: partnerId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export function opportunityRoutes(opportunities: OpportunityClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/opportunities',
      permission: 'opportunity.share',
      summary: 'Share an opportunity with a partner; it must be accepted within 3 working days.',
      body: shareBody,
      responses: { 201: opportunitySchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, body, req }) => {
        const view = await opportunities.share(principal, body, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/opportunities/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/opportunities',
      permission: 'opportunity.read',
      summary: 'List opportunities, newest first; partners see only their own.',
      query: listQuery,
      responses: { 200: opportunityPageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await opportunities.list(principal, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/opportunities/:id',
      permission: 'opportunity.read',
      summary: 'An opportunity with its deadline explanation and history.',
      params: idParams,
      responses: { 200: opportunitySchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await opportunities.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/opportunities/:id/accept',
      permission: 'opportunity.act',
      summary: 'Accept before the accept deadline.',
      params: idParams,
      responses: { 200: opportunitySchema },
      problems: [404, 409],
      handler: async ({ principal, params }) => ({ status: 200, body: await opportunities.accept(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/opportunities/:id/reject',
      permission: 'opportunity.act',
      summary: 'Reject before the accept deadline, with a reason.',
      params: idParams,
      responses: { 200: opportunitySchema },
      problems: [404, 409],
      body: z.strictObject({ reasonCode: z.enum(REJECT_REASONS), note: text(2000).optional() }),
      handler: async ({ principal, params, body }) => ({ status: 200, body: await opportunities.reject(principal, params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/opportunities/:id/updates',
      permission: 'opportunity.act',
      summary: 'Post a progress update on an accepted opportunity.',
      params: idParams,
      responses: { 200: opportunitySchema },
      problems: [404, 409],
      body: z.strictObject({ stage: z.enum(STAGES), note: text(2000) }),
      handler: async ({ principal, params, body }) => ({ status: 200, body: await opportunities.postUpdate(principal, params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/opportunities/:id/close',
      permission: 'opportunity.act',
      summary: 'Close an accepted opportunity as won or lost.',
      params: idParams,
      responses: { 200: opportunitySchema },
      problems: [404, 409],
      body: z.strictObject({ outcome: z.enum(OUTCOMES), note: text(2000).optional() }),
      handler: async ({ principal, params, body }) => ({ status: 200, body: await opportunities.close(principal, params.id, body) }),
    }),
  ];
}
