/**
 * The API client, typed from the OpenAPI document the API itself is built from (scripts/openapi-json.ts →
 * openapi-typescript → schema.gen.ts): paths, parameters, bodies and answers are checked by the console's tsc, and
 * nothing here restates a request or response shape by hand.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema.gen';

export type Opportunity = components['schemas']['Opportunity'];
export type OpportunitySummary = components['schemas']['OpportunitySummary'];
export type DeadlineExplanation = components['schemas']['DeadlineExplanation'];
export type Problem = components['schemas']['Problem'];
export type RejectBody = NonNullable<paths['/v1/opportunities/{id}/reject']['post']['requestBody']>['content']['application/json'];
export type RejectReason = RejectBody['reasonCode'];
export type OpportunityStatus = Opportunity['status'];
export type BulkAction = components['schemas']['BulkAction'];
export type BulkItemResult = BulkAction['results'][number];
export type BulkItemProblem = NonNullable<BulkItemResult['problem']>;
export type BulkActionBody = paths['/v1/bulk-actions']['post']['requestBody']['content']['application/json'];
export type BulkActionKind = BulkActionBody['kind'];

/** Every reject reason the API takes, in the order the form offers them; the check below fails if the API adds one. */
export const REJECT_REASONS = ['CUSTOMER_NEED_UNCLEAR', 'NEXT_STEPS_UNCLEAR', 'CANNOT_SUPPORT', 'DUPLICATE', 'OTHER'] as const satisfies readonly RejectReason[];
type Missing = Exclude<RejectReason, (typeof REJECT_REASONS)[number]>;
const everyReason: [Missing] extends [never] ? true : Missing = true;
void everyReason;

/** What the client needs from the page: the bearer token, the language, and what to do when the token is refused. */
export type Session = { token: () => string | undefined; language: () => string; onUnauthorized: () => void };

export function createApi(session: Session) {
  const api = createClient<paths>({ baseUrl: window.location.origin });
  const middleware: Middleware = {
    onRequest({ request }) {
      const token = session.token();
      if (token) request.headers.set('Authorization', `Bearer ${token}`);
      request.headers.set('Accept-Language', session.language());
      return request;
    },
    onResponse({ response }) {
      if (response.status === 401) session.onUnauthorized();
      return response;
    },
  };
  api.use(middleware);
  return api;
}

export type Api = ReturnType<typeof createApi>;

/**
 * A failed request as an Error the page can show, keeping the HTTP status so that a caller can tell a transient
 * failure (no answer, or a 5xx) worth retrying from a refusal that would only be refused again.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number | undefined,
  ) {
    super(message);
  }
  get transient(): boolean {
    return this.status === undefined || this.status >= 500;
  }
}

/** A refused answer as one sentence for the page: the problem's detail, else its title, else the status. */
export function problemText(error: unknown, status?: number): string {
  const problem = error as Partial<Problem> | undefined;
  return problem?.detail ?? problem?.title ?? `HTTP ${status ?? '?'}`;
}
