// What every process workflow uses the same way. Workflow code only: bundled into the Temporal sandbox.
import { ApplicationFailure, type ActivityOptions, defineSignal } from '@temporalio/workflow';

/** For the idempotent persistence activities every process runs. */
export const persistenceActivityOptions: ActivityOptions = {
  // Short: a task lost with a crashed worker is retried only after this; a database write never needs longer.
  startToCloseTimeout: '10 seconds',
  // The database may be restarting: keep retrying (idempotent), but back off.
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
};

/** Refuses an update from its validator: the caller gets `type` and `message`, nothing enters history. */
export function refuse(type: string, message: string): never {
  throw ApplicationFailure.create({ type, message, nonRetryable: true });
}

/** Why a process is asked to recompute its pending deadline (for its history): the calendar and its new version. */
export type RecomputeRequest = { reason: string; calendar?: string; version?: number };
/**
 * The partner's calendar (or its assignment) changed: every process with a working-day deadline recomputes it from
 * its stored start with the calendar as it is now, through an activity (workflows/calendar-change.ts sends it).
 */
export const recomputeDeadline = defineSignal<[RecomputeRequest]>('recomputeDeadline');
