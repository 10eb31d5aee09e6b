/**
 * Starting the relay workflow of outbox messages once their append has committed: the worker's activities
 * (activities/webhook.ts announceOutbox), its sweeper, and the API after a write of its own (announceFromApi) all
 * come here. A start that is lost (a crash between the commit and the start) is made by the sweeper.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { OUTBOX_WORKFLOW, outboxWorkflowId } from '../workflows/webhook/contract.js';
import type { PrismaClient } from './db.js';
import { createLogger } from './logger.js';

const log = createLogger('outbox');

/**
 * The messages among `ids` that need no workflow, in one statement: those already fanned out (by their workflow, or
 * by an earlier call here; dispatched_at stamped if a crash left it unset), and those no active endpoint could receive
 * (none subscribed to the topic that may see the payload's partner), fanned out to nobody here and now. That is what
 * the message's workflow would do when it fans out — the processes append a message when its moment comes (a change,
 * a reminder's instant), so it is due when dispatched — minus a workflow of two activities: most messages have no
 * subscriber, and each expiry and reminder would otherwise cost one (bench section 5). An endpoint subscribed a
 * moment later misses the message exactly as it would had the workflow fanned it out a moment earlier.
 */
async function needingNoWorkflow(prisma: PrismaClient, ids: readonly bigint[]): Promise<Set<bigint>> {
  if (ids.length === 0) return new Set();
  const rows = await prisma.$queryRaw<{ id: bigint }[]>`
    UPDATE outbox o SET delivered_at = coalesce(o.delivered_at, now()), dispatched_at = coalesce(o.dispatched_at, now())
    WHERE o.id = ANY(${[...ids]}::bigint[])
      AND (o.delivered_at IS NOT NULL OR (o.dispatched_at IS NULL AND NOT EXISTS (
        SELECT 1 FROM webhook_endpoint e
        WHERE e.active AND o.topic = ANY(e.events) AND (e.partner_id IS NULL OR e.partner_id = o.payload->>'partnerId'))))
    RETURNING o.id`;
  return new Set(rows.map((r) => r.id));
}

/**
 * Starts `outbox-<id>` for these messages (REJECT_DUPLICATE: an id already started — running or done — is fine) and
 * stamps dispatched_at; a message already fanned out, or nobody could receive, gets none (needingNoWorkflow). Idempotent.
 */
export async function dispatchOutbox(prisma: PrismaClient, temporal: Client, taskQueue: string, ids: readonly bigint[]): Promise<void> {
  const done = await needingNoWorkflow(prisma, ids);
  for (const id of ids) {
    if (done.has(id)) continue;
    try {
      await temporal.workflow.start(OUTBOX_WORKFLOW, {
        workflowId: outboxWorkflowId(String(id)),
        taskQueue,
        args: [{ outboxId: String(id) }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    await prisma.outbox.update({ where: { id }, data: { dispatchedAt: new Date() } });
  }
}

/**
 * After a write of the API's own has committed an outbox message (a signature): starts its workflow at once rather than
 * leaving it to the sweeper (up to its grace period later). A failure is only logged — the row is committed and the
 * sweeper starts it — so the caller's answer never depends on it.
 */
export async function announceFromApi(prisma: PrismaClient, temporal: Client, taskQueue: string, dedupeKeys: readonly string[]): Promise<void> {
  try {
    const rows = await prisma.outbox.findMany({ where: { dedupeKey: { in: [...dedupeKeys] }, dispatchedAt: null }, select: { id: true } });
    await dispatchOutbox(prisma, temporal, taskQueue, rows.map((r) => r.id));
  } catch (error) {
    log.warn({ dedupeKeys, error: String(error) }, 'outbox workflow not started; the sweeper will start it');
  }
}
