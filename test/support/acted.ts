/**
 * When a workflow acted, read from its history rather than from what the test saw: a "not yet" check made right after
 * moving the clock can pass only because an early reminder's or escalation's activity had not written its row yet. The
 * history records, by the workflow's own clock, when it scheduled each activity — so a reminder sent a day early shows
 * a day early here, however late the test looks.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { expect } from 'vitest';

const SECOND = 1000;
const millis = (t: { seconds?: unknown; nanos?: number | null } | null | undefined) => Number(t!.seconds) * 1000 + Math.floor((t!.nanos ?? 0) / 1e6);
/** An activity's first argument as the default (JSON) payload converter wrote it. */
const firstArgument = (payloads: { data?: Uint8Array | null }[] | null | undefined): unknown => {
  const data = payloads?.[0]?.data;
  return data ? JSON.parse(Buffer.from(data).toString('utf8')) : undefined;
};

/**
 * The workflow-clock times (ms since the epoch) at which the workflow scheduled activity `activityType` — optionally
 * only those whose first argument `where` accepts (a topic, a transition type) — oldest first.
 */
export async function actedAt(handle: Pick<WorkflowHandle, 'fetchHistory'>, activityType: string, where: (input: any) => boolean = () => true): Promise<number[]> {
  const { events } = await handle.fetchHistory();
  return events!
    .filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === activityType && where(firstArgument(e.activityTaskScheduledEventAttributes.input?.payloads)))
    .map((e) => millis(e.eventTime));
}

/**
 * The workflow acted exactly `expected.length` times, the i-th within a second after `expected[i]` — not a moment
 * before it (the time-skipping server's clock runs on in real time while the workflow takes its turn).
 */
export async function expectActedAt(handle: Pick<WorkflowHandle, 'fetchHistory'>, activityType: string, expected: number[], where?: (input: any) => boolean): Promise<void> {
  const times = await actedAt(handle, activityType, where);
  const late = times.map((t, i) => t - expected[i]!);
  expect(late.length, `${activityType} scheduled at ${times.map((t) => new Date(t).toISOString()).join(', ') || 'no time'}`).toBe(expected.length);
  for (const ms of late) {
    expect(ms, `${activityType}: ${ms} ms after its time`).toBeGreaterThanOrEqual(0);
    expect(ms, `${activityType}: ${ms} ms after its time`).toBeLessThan(SECOND);
  }
}

/** How many times the workflow received signal `name` (a recompute the calendar change sent, or did not). */
export async function signalsReceived(handle: Pick<WorkflowHandle, 'fetchHistory'>, name: string): Promise<number> {
  const { events } = await handle.fetchHistory();
  return events!.filter((e) => e.workflowExecutionSignaledEventAttributes?.signalName === name).length;
}
