/** What the opportunity workflow tests share: sharing one opportunity straight on Temporal, and its row and events. */
import { randomUUID } from 'node:crypto';
import { type Client, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import type { PrismaClient } from '../../platform/db.js';
import { opportunityWorkflow, share } from '../../workflows/opportunity/workflow.js';

export const newPartner = () => `P-${randomUUID().slice(0, 8)}`;

/** Shares one opportunity through the `share` update-with-start, as the API does, on the given server and task queue. */
export async function shareOpportunity(on: { client: Client; taskQueue: string }, partnerId = newPartner()) {
  const opportunityId = randomUUID();
  const workflowId = `opportunity-${opportunityId}`;
  const snapshot = await on.client.workflow.executeUpdateWithStart(share, {
    startWorkflowOperation: new WithStartWorkflowOperation(opportunityWorkflow, {
      workflowId,
      taskQueue: on.taskQueue,
      args: [{ opportunityId, partnerId, customerName: 'ACME', title: 'Cloud migration', sharedBy: 'vendor-1' }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    }),
  });
  return { opportunityId, partnerId, snapshot, handle: on.client.workflow.getHandle(workflowId) };
}

/** The opportunity's row, its status and its event types in order. */
export async function opportunityState(prisma: PrismaClient, opportunityId: string) {
  const row = await prisma.opportunity.findUniqueOrThrow({ where: { id: opportunityId }, include: { events: { orderBy: { seq: 'asc' } } } });
  return { status: row.status, events: row.events.map((e) => e.type), row };
}

/** The refusal code of a refused update (its ApplicationFailure type), or why it was not one. */
export const refusalType = (error: unknown) =>
  error instanceof WorkflowUpdateFailedError ? (error.cause as { type?: string } | undefined)?.type : `not a refusal: ${String(error)}`;
