/**
 * The reviewer queue's API as the console uses it (GET /v1/review-queue and the claim, assign and release routes),
 * its types picked out of the OpenAPI document's. Who may assign is shown by role (display only: the API decides by
 * the `review.assign` permission those roles hold, domain/auth.ts).
 */
import type { Api, Problem } from '../api/client';
import type { paths } from '../api/schema.gen';
import type { Claims } from '../session';
import { certificationName } from './catalog';
import { ok, type ReviewKind, ReviewRefusal } from './kinds';

export type ReviewQueuePage = paths['/v1/review-queue']['get']['responses'][200]['content']['application/json'];
export type ReviewQueueItem = ReviewQueuePage['items'][number];
export type ReviewClaim = NonNullable<ReviewQueueItem['claim']>;
export type ReviewSubject = ReviewQueueItem['subject'];
export type QueueQuery = NonNullable<paths['/v1/review-queue']['get']['parameters']['query']>;
export type ClaimFilter = NonNullable<QueueQuery['claim']>;
export const CLAIM_FILTERS = ['any', 'mine', 'unclaimed', 'others'] as const satisfies readonly ClaimFilter[];

// The console's list of kinds is the API's, both ways: a kind the API adds fails the type check until it is here.
type Unlisted = Exclude<ReviewQueueItem['kind'], ReviewKind> | Exclude<ReviewKind, ReviewQueueItem['kind']>;
const sameKinds: [Unlisted] extends [never] ? true : Unlisted = true;
void sameKinds;

/** `review.assign`: the vendor's ecosystem managers and admins. */
const ASSIGNERS = ['vendor_ecosystem_manager', 'vendor_admin'];
export const canAssign = (claims: Claims | undefined) => !!claims?.roles.some((role) => ASSIGNERS.includes(role));

const at = (kind: ReviewKind, id: string) => ({ params: { path: { kind, id } } });

export async function readQueue(api: Api, query: QueueQuery) {
  return ok(await api.GET('/v1/review-queue', { params: { query } }));
}
export async function claimItem(api: Api, kind: ReviewKind, id: string): Promise<ReviewClaim> {
  return ok(await api.POST('/v1/review-queue/{kind}/{id}/claim', at(kind, id))).claim;
}
export async function assignItem(api: Api, kind: ReviewKind, id: string, reviewer: string): Promise<ReviewClaim> {
  return ok(await api.POST('/v1/review-queue/{kind}/{id}/assign', { ...at(kind, id), body: { reviewer } })).claim;
}
export async function releaseItem(api: Api, kind: ReviewKind, id: string): Promise<void> {
  const { error, response } = await api.DELETE('/v1/review-queue/{kind}/{id}/claim', at(kind, id));
  if (!response.ok) throw new ReviewRefusal(error as Partial<Problem> | undefined, response.status);
}

/** What is reviewed, in the domain's words: the fields of its kind, else the API's one-line summary. */
export function subjectText(kind: ReviewKind, s: ReviewSubject, certificationNames: ReadonlyMap<string, string>): string {
  const parts: (string | null | undefined)[] =
    kind === 'certification'
      ? [s.type && certificationName(certificationNames, s.type), s.solutionName]
      : kind === 'path-review'
        ? [s.pathId, s.level, s.year?.toString()]
        : kind === 'specialist'
          ? [s.memberName ?? s.memberId, s.pathId]
          : kind === 'enrollment'
            ? [s.program]
            : kind === 'level-raise'
              ? [s.pathId, s.toLevel ? `${s.fromLevel ?? '—'} → ${s.toLevel}` : undefined]
              : [s.enterpriseName, s.creditCode];
  const text = parts.filter((part): part is string => !!part).join(' · ');
  return text || s.summary;
}
