/**
 * Steps the incentive workflow tests share, on a test file's environment (support/env.ts): experts registered and
 * attested, a partner's verification started for the period and generated, and its row, settlements and reminders.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { getIncentive, incentiveWorkflow, incentiveWorkflowId } from '../../workflows/incentive/workflow.js';
import type { TestEnv } from './env.js';
import { attestExpert, insertExpert } from './experts.js';
import { eventually } from './wait.js';

export const partner = () => `P-${randomUUID().slice(0, 8)}`;
export const sha = 'a'.repeat(64);
export const materials = [{ fileName: 'roster.pdf', sha256: sha, size: 1234, contentType: 'application/pdf' }];

/** The refusal an update met (type and message), or `not a refusal` when it failed otherwise. */
export const refusal = (error: unknown) =>
  error instanceof WorkflowUpdateFailedError
    ? { type: (error.cause as { type?: string } | undefined)?.type, message: (error.cause as Error | undefined)?.message }
    : { type: `not a refusal: ${String(error)}`, message: '' };

/** The steps, on `env`'s server, task queue and database, for the incentive month `period()` names. */
export function incentiveSteps(env: TestEnv, period: () => string) {
  /** An expert with one certification (valid for ages), attested by the vendor; `qualifies: false` makes it part-time. */
  const addExpert = async (partnerId: string, employeeId: string, certification: string, qualifies = true) =>
    attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId, certification, fullTime: qualifies }));

  /** The partner's verification started (once: USE_EXISTING) and generated. */
  async function start(partnerId: string) {
    const handle = await env.client.workflow.start(incentiveWorkflow, {
      workflowId: incentiveWorkflowId(partnerId, period()),
      taskQueue: env.taskQueue,
      args: [{ partnerId, period: period() }],
      workflowIdConflictPolicy: 'USE_EXISTING',
    });
    const snapshot = await eventually(async () => {
      const s = await handle.query(getIncentive);
      return s.generatedAt ? s : undefined;
    });
    return { handle, snapshot };
  }

  const incentiveId = (partnerId: string) => `${partnerId}-${period()}`;
  async function dbState(partnerId: string) {
    const row = await env.prisma.incentive.findUniqueOrThrow({
      where: { id: incentiveId(partnerId) },
      include: { lines: { orderBy: { employeeId: 'asc' } }, events: { orderBy: { seq: 'asc' } }, settlement: true },
    });
    return { row, status: row.status, events: row.events.map((e) => e.type) };
  }
  const settlements = (partnerId: string) => env.prisma.settlement.count({ where: { incentiveId: incentiveId(partnerId) } });
  const reminders = (partnerId: string) => env.prisma.outbox.count({ where: { topic: 'incentive.reminder', aggregateId: incentiveId(partnerId) } });

  return { addExpert, start, incentiveId, dbState, settlements, reminders };
}
