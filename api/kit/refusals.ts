/**
 * Refusal → problem: a workflow's validator or handler refuses an action with an ApplicationFailure whose `type` is a
 * refusal code of its contract; the process's client declares once what each code answers (404 as if the object were
 * not there, 403, a 409 conflict, a 422 naming the field) and this module turns a failed update into that problem.
 */
import { ApplicationFailure, WorkflowUpdateFailedError } from '@temporalio/client';
import { Problem, problems } from '../../domain/problems.js';

/** What one refusal code answers. */
export type RefusalRule =
  /** The object the action was aimed at, as if it were not there (another partner's looks the same). */
  | { status: 404 }
  /** The refusal's own message (e.g. a partner trying the vendor's decision). */
  | { status: 403 }
  /** A state conflict; `retryAfterSeconds` when it clears by itself (another action in progress). */
  | { status: 409; code: string; retryAfterSeconds?: number }
  /** Refused input, naming the field when there is one. */
  | { status: 422; code: string; field?: string }
  /** A problem of its own (e.g. every unmet requirement as a field error). */
  | { status: 422; problem: (failure: ApplicationFailure) => Problem };

export type RefusalRules = Readonly<Record<string, RefusalRule>>;

/** What the refused action was aimed at: `what` names it in a 404; `conflict` is added to every 409 (the current status). */
export type RefusalSubject = { what: string; conflict?: Record<string, unknown> };

/**
 * The refusal core of a process's client. A code the rules do not name answers `otherwise`: 422 invalid-request, or
 * nothing (`'rethrow'`: the caller lets the failure through as it is).
 */
export function refusals(rules: RefusalRules, { otherwise = 'invalid-request' }: { otherwise?: 'invalid-request' | 'rethrow' } = {}) {
  function problemOfFailure(failure: ApplicationFailure, subject: RefusalSubject): Problem | undefined {
    const rule = rules[failure.type ?? ''];
    if (!rule) return otherwise === 'invalid-request' ? problems.unprocessable('invalid-request', failure.message) : undefined;
    switch (rule.status) {
      case 404:
        return problems.notFound(subject.what);
      case 403:
        return problems.forbidden(failure.message);
      case 409: {
        const extensions = { ...subject.conflict, ...(rule.retryAfterSeconds ? { retryAfterSeconds: rule.retryAfterSeconds } : {}) };
        return problems.conflict(rule.code, failure.message, extensions);
      }
      case 422:
        return 'problem' in rule ? rule.problem(failure) : problems.unprocessable(rule.code, failure.message, rule.field);
    }
  }

  return {
    /** The problem for a workflow update the workflow refused; undefined for any other error (or a code left to the caller). */
    problemOf(error: unknown, subject: RefusalSubject): Problem | undefined {
      const failure = refusalOf(error);
      return failure ? problemOfFailure(failure, subject) : undefined;
    },
  };
}

export type Refusals = ReturnType<typeof refusals>;

/** The workflow's refusal behind a failed update (its validator's or handler's ApplicationFailure), if that is what it is. */
export const refusalOf = (error: unknown): ApplicationFailure | undefined =>
  error instanceof WorkflowUpdateFailedError && error.cause instanceof ApplicationFailure ? error.cause : undefined;
