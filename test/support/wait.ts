/** Waiting in tests: for an eventual state, and for the time-skipping server's clock. */
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

/** Moves the time-skipping server's clock forward to `target` (ms since the epoch); never back. */
export async function advanceClockTo(env: TestWorkflowEnvironment, target: number): Promise<void> {
  const now = await env.currentTimeMs();
  if (target > now) await env.sleep(target - now);
}
