/**
 * A refused action, kept as the API's problem so that the page can say it in its own language when it is shown
 * (and again after a language switch): the refusals these items meet are named by their type in words; a type the
 * console does not know yet shows the problem's own detail — never nothing.
 */
import type { Problem } from '../api/client';
import { problemText } from '../api/client';
import type { InboxMessages, Unmet } from './messages';

const PREFIX = 'urn:partnerflow:problem:';

export class Refused extends Error {
  constructor(
    readonly problem: Partial<Problem> | undefined,
    readonly status: number,
  ) {
    super(problemText(problem, status));
  }
  /** The problem's type without its URN prefix, e.g. `list-mismatch`. */
  get code(): string | undefined {
    return typeof this.problem?.type === 'string' && this.problem.type.startsWith(PREFIX) ? this.problem.type.slice(PREFIX.length) : undefined;
  }
}

/** An openapi-fetch answer's data, or the refusal as a Refused error. */
export function dataOf<T>({ data, error, response }: { data?: T; error?: unknown; response: Response }): T {
  if (data === undefined) throw new Refused(error as Partial<Problem> | undefined, response.status);
  return data;
}

/** What to show for a failed action or read, in the page's language. */
export function failureText(error: Error, words: InboxMessages): string {
  if (!(error instanceof Refused)) return error.message;
  const code = error.code;
  if (code === 'list-mismatch') return words.refusals.listMismatch((error.problem?.errors ?? []).map((e) => e.field));
  // Requirements checked live: each unmet one with what it requires and what was found (the API's `unmet`).
  const unmet = error.problem?.unmet;
  if ((code === 'requirements-unmet' || code === 'prerequisites-unmet') && Array.isArray(unmet) && unmet.length > 0) return words.refusals.unmet(unmet as Unmet[]);
  const known = code ? (words.refusals.byType as Record<string, string | undefined>)[code] : undefined;
  return known ?? error.message;
}
