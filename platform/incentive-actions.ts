/**
 * A partner's verification of one monthly incentive, for the bulk job's items (activities/bulk-action.ts): through the
 * very function POST /v1/incentives/:id/verify calls (api/incentive/client.ts verify) — the same scoping (another
 * partner's incentive is not found), the same checks of the figures against the list and of the materials, the same
 * update — so an item is refused with exactly the problem the single route answers.
 */
import type { Client } from '@temporalio/client';
import type { Principal } from '../domain/auth.js';
import { createIncentiveClient, type VerifyRequest } from '../api/incentive/client.js';
import type { PrismaClient } from '../prisma/generated/client.js';
import type { ActedView } from './review-actions.js';

export type { VerifyRequest };

export function createIncentiveActions(deps: { temporal: Client; prisma: PrismaClient }) {
  const incentives = createIncentiveClient(deps);
  return {
    /** Verifies incentive `id` with the partner's figures, as the single route does; a refusal is thrown as its problem. */
    verify: (principal: Principal, id: string, request: VerifyRequest): Promise<ActedView> => incentives.verify(principal, id, request),
    /** The incentive as GET /v1/incentives/:id answers it. */
    view: (principal: Principal, id: string): Promise<ActedView> => incentives.get(principal, id),
  };
}

export type IncentiveActions = ReturnType<typeof createIncentiveActions>;
