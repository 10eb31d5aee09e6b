/**
 * A refused request on the operations page: the problem's detail (RFC 9457) and, when the API named fields, each field
 * with its message — so that a 400 or 422 says which input to correct, not only that something was wrong.
 */
import type { Problem } from '../api/client';
import { problemText } from '../api/client';
import { useMessagesOf } from '../i18n';
import { OPERATIONS_MESSAGES } from './messages';

/** A failed answer kept with its problem, for the page to show. */
export class ProblemError extends Error {
  readonly fields: { field: string; message: string }[];
  constructor(
    readonly problem: Partial<Problem> | undefined,
    readonly status: number,
  ) {
    super(problemText(problem, status));
    this.fields = problem?.errors ?? [];
  }
}

/** The answer's data, or a ProblemError (what openapi-fetch answered when it had no data). */
export function dataOr<T>(result: { data?: T; error?: unknown; response: Response }): T {
  if (result.data === undefined) throw new ProblemError(result.error as Partial<Problem> | undefined, result.response.status);
  return result.data;
}

export function ProblemAlert({ error }: { error: Error }) {
  const messages = useMessagesOf(OPERATIONS_MESSAGES);
  const fields = error instanceof ProblemError ? error.fields : [];
  return (
    <div role="alert" className="problem">
      <p>{error.message}</p>
      {fields.length > 0 && (
        <>
          <p>{messages.problemFields}</p>
          <ul className="problem-fields">
            {fields.map((field) => (
              <li key={`${field.field}:${field.message}`}>
                <code>{field.field}</code>: {field.message}
              </li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
