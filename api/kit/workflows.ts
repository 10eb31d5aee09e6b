/** What API clients ask Temporal about a workflow by id, beyond starting and updating it. */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';

/** Whether the workflow `workflowId` is running now (a run or cycle just accepted, before its first row is written). */
export async function isRunning(temporal: Client, workflowId: string): Promise<boolean> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).status.name === 'RUNNING';
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) return false;
    throw error;
  }
}
