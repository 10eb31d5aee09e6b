/**
 * What a bulk job's item result says in the partner's words: done (the opportunity's new status), refused with the
 * reason the single route's problem gives — its type, and for a closed opportunity its current status, mapped to a
 * sentence in the page's language — or failed. A problem type the console does not know yet is shown by its own
 * detail rather than hidden: no item is ever reported silently.
 */
import type { BulkItemProblem, BulkItemResult, OpportunityStatus } from './api/client';
import type { Messages } from './i18n';

const PROBLEM_PREFIX = 'urn:partnerflow:problem:';

const isStatus = (value: unknown, words: Messages['bulk']): value is OpportunityStatus => typeof value === 'string' && value in words.closedAs;

/** The reason a refused item was refused, in words (e.g. opportunity-closed with currentStatus EXPIRED → "已过期"). */
export function refusalReason(problem: BulkItemProblem, words: Messages['bulk']): string {
  const code = problem.type.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : problem.type;
  switch (code) {
    case 'opportunity-closed':
      return isStatus(problem.currentStatus, words) ? words.closedAs[problem.currentStatus] : words.closed;
    case 'accept-deadline-passed':
      return words.deadlinePassed;
    case 'not-pending-acceptance':
      return words.notPending;
    case 'not-found':
      return words.notFound;
    case 'agreement-signature-required':
      return words.agreement;
    case 'not-shared':
      return words.notShared;
    default:
      return problem.detail ?? problem.title;
  }
}

/** One item's outcome as the page shows it. */
export function outcomeText(result: BulkItemResult, words: Messages['bulk']): string {
  switch (result.outcome) {
    case 'PENDING':
      return words.pending;
    case 'DONE':
      return words.done(result.status);
    case 'REFUSED':
      return words.refused(result.problem ? refusalReason(result.problem, words) : words.closed);
    case 'FAILED':
      return words.failed(result.problem?.detail ?? result.problem?.title ?? '—');
  }
}

/**
 * A fresh Idempotency-Key (a random UUID v4) for one click. Built from getRandomValues rather than
 * crypto.randomUUID, which browsers offer only in secure contexts (HTTPS or localhost).
 */
export function newIdempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6]! & 0x0f) | 0x40;
  bytes[8] = (bytes[8]! & 0x3f) | 0x80;
  const hex = Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
