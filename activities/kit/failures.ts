/** Failures an activity reports to its workflow. */
import { ApplicationFailure } from '@temporalio/activity';

/**
 * An input the catalog or the rules refuse (unknown type, no such level, a renewal of another partner's certificate):
 * non-retryable — a retry cannot make it valid — and typed by the contract's refusal code, which the API maps to a
 * problem.
 */
export const invalid = (type: string, message: string) => ApplicationFailure.nonRetryable(message, type);
