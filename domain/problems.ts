/**
 * RFC 9457 problem details: the only error shape the API answers with. A Problem thrown anywhere in a
 * request is rendered as-is; anything else becomes a 500 with no internals.
 */
import type { ZodError } from 'zod';

export type FieldError = { field: string; message: string };

export type ProblemBody = {
  type: string;
  title: string;
  status: number;
  detail?: string;
  errors?: FieldError[];
  [extension: string]: unknown;
};

export class Problem extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail?: string,
    readonly errors?: FieldError[],
    readonly extensions: Record<string, unknown> = {},
  ) {
    super(detail ?? title);
  }

  /** Why, for the server's log only (never in the answer): e.g. which token check failed. */
  logDetail?: string;
  withLogDetail(detail: string): this {
    this.logDetail = detail;
    return this;
  }

  toBody(): ProblemBody {
    return {
      type: `urn:partnerflow:problem:${this.code}`,
      title: this.title,
      status: this.status,
      ...(this.detail ? { detail: this.detail } : {}),
      ...(this.errors ? { errors: this.errors } : {}),
      ...this.extensions,
    };
  }
}

export const problems = {
  validation: (errors: FieldError[]) =>
    new Problem(400, 'validation-error', 'The request is not valid', errors.map((e) => `${e.field}: ${e.message}`).join('; '), errors),
  unauthenticated: (detail: string) => new Problem(401, 'unauthenticated', 'Authentication required', detail),
  forbidden: (detail: string) => new Problem(403, 'forbidden', 'Not allowed', detail),
  notFound: (what: string) => new Problem(404, 'not-found', 'Not found', `${what} was not found.`),
  conflict: (code: string, detail: string, extensions?: Record<string, unknown>) =>
    new Problem(409, code, 'The request conflicts with the current state', detail, undefined, extensions),
  unprocessable: (code: string, detail: string, field?: string) =>
    new Problem(422, code, 'The request cannot be processed', detail, field ? [{ field, message: detail }] : undefined),
  unavailable: (detail: string) => new Problem(503, 'unavailable', 'Service unavailable', detail),
};

/** zod issues → field errors, with the path written the way a client spells it (`estimatedAmount.minor`). */
export function fromZod(error: ZodError, prefix?: string): Problem {
  return problems.validation(
    error.issues.map((issue) => {
      const path = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
      const keys = issue.code === 'unrecognized_keys' ? issue.keys : undefined;
      return keys
        ? { field: [path, keys[0]].filter(Boolean).join('.'), message: `unknown field(s): ${keys.join(', ')}` }
        : { field: path || '(body)', message: issue.message };
    }),
  );
}
