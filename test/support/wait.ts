/** Waiting in tests: for an eventual state, and for the time-skipping server's clock. */
import type { WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';

/** Polls `probe` until it answers something other than undefined (a row written, a workflow finished). */
export async function eventually<T>(probe: () => Promise<T | undefined>, ms = 30_000, everyMs = 50): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Polls `probe` until it returns something truthy; a timeout names `what` was awaited. */
export async function waitFor<T>(what: string, probe: () => T | Promise<T>, timeoutMs: number, intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Until the workflow has completed — not handle.result(): awaiting that lets the time-skipping server skip ahead. */
export const completed = (handle: Pick<WorkflowHandle, 'describe'>) =>
  eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));

/**
 * A workflow's result once it has completed, read from its history: handle.result() lets the time-skipping server skip
 * ahead while it is awaited — even when the workflow is already done — and a later timer of another workflow (a
 * reminder days ahead) then fires before the test looks.
 */
export async function resultOf<T>(handle: Pick<WorkflowHandle, 'describe' | 'fetchHistory'>): Promise<T> {
  await completed(handle);
  const { events } = await handle.fetchHistory();
  const [payload] = events?.at(-1)?.workflowExecutionCompletedEventAttributes?.result?.payloads ?? [];
  if (!payload) throw new Error('the workflow completed without a result');
  return defaultPayloadConverter.fromPayload<T>(payload);
}

/** Moves the time-skipping server's clock forward to `target` (ms since the epoch); never back. */
export async function advanceClockTo(env: Pick<TestWorkflowEnvironment, 'currentTimeMs' | 'sleep'>, target: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}
