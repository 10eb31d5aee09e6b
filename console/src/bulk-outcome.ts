/**
 * What a bulk job's item result says in the reader's words, whatever the job's kind: done (the object's new status),
 * refused with the reason the single route's problem gives — its type, and for a closed object its current status,
 * mapped to a sentence in the page's language — or failed. A problem type the console does not know yet is shown by
 * its own detail rather than hidden: no item is ever reported silently.
 */
import type { BulkActionKind, BulkItemProblem, BulkItemResult, OpportunityStatus } from './api/client';
import type { Messages } from './i18n';

const PROBLEM_PREFIX = 'urn:partnerflow:problem:';

type Words = Messages['bulk'];

const isOpportunityStatus = (value: unknown, words: Words): value is OpportunityStatus => typeof value === 'string' && value in words.closedAs;

/** A status code in words (an incentive's or a review's), else the code itself. */
const statusWord = (status: string, words: Words) => words.statuses[status] ?? status;

/** The fields a problem names in its `errors` (list-mismatch names `headcount` and `totalMinor`). */
function fieldsOf(problem: BulkItemProblem): string[] {
  const errors: unknown = problem.errors;
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((error: unknown) => (typeof error === 'object' && error !== null && 'field' in error && typeof error.field === 'string' ? [error.field] : []));
}

/**
 * The reason a refused item was refused, in words: e.g. opportunity-closed with currentStatus EXPIRED → "已过期",
 * review-claimed → "已由 reviewer-2 认领", list-mismatch → "与名单不符：人数".
 */
export function refusalReason(problem: BulkItemProblem, kind: BulkActionKind, words: Words): string {
  const code = problem.type.startsWith(PROBLEM_PREFIX) ? problem.type.slice(PROBLEM_PREFIX.length) : problem.type;
  const current = typeof problem.currentStatus === 'string' ? problem.currentStatus : undefined;
  switch (code) {
    case 'opportunity-closed':
      return isOpportunityStatus(current, words) ? words.closedAs[current] : words.closed;
    case 'accept-deadline-passed':
      return words.deadlinePassed;
    case 'not-pending-acceptance':
      return words.notPending;
    case 'not-found':
      return kind === 'review.decide' ? words.reviewNotFound : kind === 'incentive.verify' ? words.incentiveNotFound : words.notFound;
    case 'agreement-signature-required':
      return words.agreement;
    case 'not-shared':
      return words.notShared;
    case 'review-claimed':
      return typeof problem.claimedBy === 'string' ? words.claimedBy(problem.claimedBy) : (problem.detail ?? problem.title);
    case 'list-mismatch':
      return words.listMismatch(fieldsOf(problem));
    case 'materials-required':
      return words.materialsRequired;
    case 'verification-deadline-passed':
      return words.verificationDeadlinePassed;
    case 'not-pending-verification':
      return current ? words.nowStatus(statusWord(current, words)) : words.notPendingVerification;
    case 'not-in-review':
      return current ? words.nowStatus(statusWord(current, words)) : words.notInReview;
    default:
      // A closed process (incentive-closed, certification-closed, …) or any other conflict naming the object's
      // status is said by that status: what the reader needs is where the object stands now.
      if (current && (code.endsWith('-closed') || problem.status === 409)) return words.nowStatus(statusWord(current, words));
      return problem.detail ?? problem.title;
  }
}

/** One item's outcome as the page shows it; `kind` is the job's, since the same status reads differently per kind. */
export function outcomeText(result: BulkItemResult, kind: BulkActionKind, words: Words): string {
  switch (result.outcome) {
    case 'PENDING':
      return words.pending;
    case 'DONE':
      return kind.startsWith('opportunity.') || !result.status ? words.done(result.status) : words.doneAs(statusWord(result.status, words));
    case 'REFUSED':
      return words.refused(result.problem ? refusalReason(result.problem, kind, words) : words.closed);
    case 'FAILED':
      return words.failed(result.problem?.detail ?? result.problem?.title ?? '—');
  }
}

/** The key an item's title is kept under: its id, and for a review its kind too (the same id under two kinds is two items). */
export const resultKey = (result: Pick<BulkItemResult, 'itemId' | 'review'>) => (result.review ? `${result.review}/${result.itemId}` : result.itemId);

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
