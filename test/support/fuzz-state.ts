/**
 * The fuzz test's picture of the whole state (test/fuzz*.test.ts): every table of the database (support/snapshot.ts:
 * row counts and row hashes, the table list read from the database) and the number of Temporal workflows, taken once
 * the state stops moving.
 */
import type { TestEnv } from './env.js';
import { type DatabaseSnapshot, databaseSnapshot, tableChanges, untilQuiet } from './snapshot.js';

export type Snapshot = { tables: DatabaseSnapshot; workflows: number };

/** What differs between two snapshots, one line per table (and the workflow count); empty: nothing. */
export function stateChanges(before: Snapshot, after: Snapshot): string[] {
  const workflows = before.workflows === after.workflows ? [] : [`Temporal: ${before.workflows} → ${after.workflows} workflows`];
  return [...tableChanges(before.tables, after.tables), ...workflows];
}

export function fuzzState(env: TestEnv) {
  // Runs this file starts start after this instant; a row left RUNNING by an earlier file of this test worker (its
  // server torn down mid-run) never finishes and is not waited for.
  const since = new Date();
  async function snapshot(): Promise<Snapshot> {
    const [tables, workflows] = await Promise.all([databaseSnapshot(env.prisma), env.client.workflow.count()]);
    return { tables, workflows: workflows.count };
  }

  /** Incentive generation runs go on after their 202 (minutes at scale): wait until none is running. */
  async function runsFinished(): Promise<void> {
    const giveUp = Date.now() + 120_000; // a run that failed leaves its row RUNNING: the snapshot comparison then tells
    for (let quiet = 0; quiet < 2 && Date.now() < giveUp; ) {
      const running: string[] = [];
      for await (const w of env.client.workflow.list({ query: `WorkflowType = 'incentiveRunWorkflow' AND ExecutionStatus = 'Running'` })) running.push(w.workflowId);
      for await (const w of env.client.workflow.list({ query: `WorkflowType = 'pathReviewCycleWorkflow' AND ExecutionStatus = 'Running'` })) running.push(w.workflowId);
      // Path review cycles by visibility only: a cycle row left RUNNING by another test file's torn-down server never finishes.
      const rows = await env.prisma.incentiveRun.count({ where: { status: 'RUNNING', startedAt: { gte: since } } });
      if (running.length === 0 && rows === 0) quiet++;
      else quiet = 0;
      await Promise.all(running.map((id) => env.client.workflow.getHandle(id).result().catch(() => undefined)));
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** After an accepted (2xx) request: wait until the database and Temporal visibility stop moving. */
  async function settled(): Promise<Snapshot> {
    await runsFinished();
    return untilQuiet(snapshot);
  }
  return { snapshot, settled };
}
