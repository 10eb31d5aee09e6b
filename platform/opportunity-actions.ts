/**
 * A partner's decision on one opportunity (accept, reject) and what a refused one answers: shared by the single routes
 * (api/opportunity/client.ts) and the bulk job's items (activities/bulk-action.ts), so an item of a bulk action does
 * exactly what the single route does and is refused with exactly the problem the single route would have answered.
 * The activities may not import the API's client, and the API may not import activities: both import this.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { actorOf } from '../domain/actor.js';
import { canSeePartner, type Principal } from '../domain/auth.js';
import { type Problem, problems } from '../domain/problems.js';
import { refusals } from '../api/kit/refusals.js';
import {
  accept,
  type OpportunitySnapshot,
  opportunityWorkflowId,
  Refusal,
  reject,
  type RejectReason,
} from '../workflows/opportunity/contract.js';
import { requireSignedAgreement } from './agreement-gate.js';
import type { Prisma, PrismaClient } from '../prisma/generated/client.js';

type Db = PrismaClient | Prisma.TransactionClient;

/** A validator's refusal → the problem the API answers; any other failure goes through as it is. */
export const OPPORTUNITY_REFUSALS = refusals(
  {
    [Refusal.notFound]: { status: 404 },
    [Refusal.notPending]: { status: 409, code: 'not-pending-acceptance' },
    [Refusal.deadlinePassed]: { status: 409, code: 'accept-deadline-passed' },
    [Refusal.notAccepted]: { status: 409, code: 'not-accepted' },
    [Refusal.notShared]: { status: 409, code: 'not-shared' },
  },
  { otherwise: 'rethrow' },
);

/** What a partner decides on a pending opportunity. */
export type OpportunityDecision = { kind: 'accept' } | { kind: 'reject'; reasonCode: RejectReason; note?: string };

/**
 * The problem a failed action on opportunity `id` answers: the workflow's refusal, or — the workflow has ended
 * (expired, rejected, closed) — 409 opportunity-closed with its status, or 404 when the caller may not see it at all.
 * Undefined for any other failure (an outage), which the caller lets through.
 */
export async function opportunityActionProblem(prisma: Db, principal: Principal, id: string, error: unknown): Promise<Problem | undefined> {
  const refused = OPPORTUNITY_REFUSALS.problemOf(error, { what: `Opportunity ${id}` });
  if (refused) return refused;
  if (!(error instanceof WorkflowNotFoundError)) return undefined;
  const row = await prisma.opportunity.findUnique({ where: { id }, select: { status: true, partnerId: true } });
  // Another partner's opportunity answers exactly like a missing one.
  if (!row || !canSeePartner(principal, row.partnerId)) return problems.notFound(`Opportunity ${id}`);
  return problems.conflict('opportunity-closed', `The opportunity is ${row.status}; nothing more can be done with it.`, { currentStatus: row.status });
}

/**
 * Accepts or rejects opportunity `id` as `principal`: the agreement gate first (accepting is gated, docs/agreements.md),
 * then the workflow's update with the caller as actor (its validator scopes the partner). `updateId` makes a retried
 * call the same update (Temporal answers a repeated update id with the first result while the workflow runs). A refusal
 * is thrown as its problem.
 */
export async function decideOpportunity(
  deps: { temporal: Client; prisma: Db },
  principal: Principal,
  id: string,
  decision: OpportunityDecision,
  options: { updateId?: string } = {},
): Promise<OpportunitySnapshot> {
  const handle = deps.temporal.workflow.getHandle(opportunityWorkflowId(id));
  const actor = actorOf(principal);
  const updateId = options.updateId ? { updateId: options.updateId } : {};
  try {
    if (decision.kind === 'accept') {
      // Gated: refused before anything is sent while the agreement in force is unsigned.
      if (principal.partnerId) await requireSignedAgreement(deps.prisma, principal.partnerId);
      return await handle.executeUpdate(accept, { args: [{ actor }], ...updateId });
    }
    const { reasonCode, note } = decision;
    return await handle.executeUpdate(reject, { args: [{ actor, reasonCode, ...(note !== undefined ? { note } : {}) }], ...updateId });
  } catch (error) {
    throw (await opportunityActionProblem(deps.prisma, principal, id, error)) ?? error;
  }
}
