// What every process workflow uses the same way. Workflow code only: bundled into the Temporal sandbox.
import { ActivityFailure, ApplicationFailure, type ActivityOptions } from '@temporalio/workflow';

export { type RecomputeRequest, recomputeDeadline } from './recompute.js';

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

/** A refusal an update handler throws after its validator passed (e.g. what an activity found), with its details. */
export const fail = (type: string, message: string, details?: unknown) =>
  ApplicationFailure.create({ type, message, nonRetryable: true, ...(details !== undefined ? { details: [details] } : {}) });

/**
 * What an activity refused with (its ApplicationFailure), so the caller hears the activity's type, not "activity
 * failed". A regular activity's refusal arrives wrapped in an ActivityFailure; a local activity's non-retryable one
 * arrives as the ApplicationFailure itself: both give the ApplicationFailure.
 */
export const causeOf = (error: unknown) => (error instanceof ActivityFailure && error.cause instanceof ApplicationFailure ? error.cause : error);

/** Workflow time, as stored: deterministic, the moment the workflow decided. */
export const now = () => new Date().toISOString();

/**
 * A deadline's provisional mark, compared across recomputes: '' when it counts published years only, else the years
 * counted by statutory rules. A recompute whose date is unchanged but whose mark differs (the official schedule was
 * published) is still recorded, so the stored explanation and the Web UI stop saying provisional.
 */
export const provisionalMarkOf = (explanation: { provisionalYears?: number[] } | undefined): string => explanation?.provisionalYears?.join(',') ?? '';

/** What a webhook payload carrying a deadline says of its mark: nothing when published, else which years are provisional. */
export const provisionalPayload = (mark: string): { deadlineProvisional?: true; provisionalYears?: number[] } =>
  mark ? { deadlineProvisional: true, provisionalYears: mark.split(',').map(Number) } : {};
