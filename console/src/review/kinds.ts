/**
 * What the console knows of each kind of review: how to read the item the decision is taken on (its detail route,
 * brought to one shape the item page shows) and how a decision in business words maps to the kind's decide route
 * body. Every request and answer type comes from the OpenAPI document (../api/schema.gen); a decide body the API
 * would refuse — a decision it does not take, a missing field — fails the console's type check.
 */
import { type Api, ApiError, type BulkActionBody, type Problem, problemText } from '../api/client';
import type { components } from '../api/schema.gen';
import { certificationName, certificationNames } from './catalog';

export const REVIEW_KINDS = ['certification', 'path-review', 'specialist', 'enrollment', 'level-raise', 'customer-report'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];
export const isReviewKind = (kind: string): kind is ReviewKind => (REVIEW_KINDS as readonly string[]).includes(kind);

/** A decision as the reviewer names it; each kind maps it to its own decide route's word. */
export type Decision = 'APPROVE' | 'REJECT' | 'REQUEST_SUPPLEMENT';

export type Material = components['schemas']['Material'];
export type DeadlineExplanation = components['schemas']['DeadlineExplanation'];
export type FactName =
  | 'type'
  | 'category'
  | 'solution'
  | 'appliesTo'
  | 'requiredMaterials'
  | 'validityYears'
  | 'reviewSla'
  | 'supplementDays'
  | 'labels'
  | 'renewalOf'
  | 'path'
  | 'level'
  | 'year'
  | 'levels'
  | 'requirements'
  | 'member'
  | 'program'
  | 'origin'
  | 'fromLevel'
  | 'toLevel'
  | 'creditCode'
  | 'justification'
  | 'unmet';

/** The item as the decision will see it: the same for every kind, read from the kind's detail route. */
export type Snapshot = {
  partnerId: string;
  status: string;
  /** Whether the item is in a status its decide route accepts. */
  waiting: boolean;
  zone: string;
  submittedAt: string | null;
  reviewDueAt: string | null;
  deadlineExplanation: DeadlineExplanation | null;
  /** What is reviewed (the subject) and the terms it is reviewed under, in order. */
  subject: { name: FactName; value: string }[];
  terms: { name: FactName; value: string }[];
  /** Each material kind and the file set for it; null when the kind of review has no materials. */
  materials: { kind: string; name: string | null; material: Material | null }[] | null;
  history: { seq: number; type: string; actor: string; at: string; note: string | null }[];
  decisionNote: string | null;
  certificate: { number: string; validTo: string } | null;
};

/** One item of a `review.decide` bulk job: the kind, the id, and the rest of that kind's decide route's body. */
export type ReviewDecideItem = Extract<BulkActionBody['items'][number], { review: string }>;

type KindDoor = {
  decisions: readonly Decision[];
  load: (api: Api, id: string) => Promise<Snapshot>;
  /** Sends the decision to the kind's decide route; answers the item's new status. */
  decide: (api: Api, id: string, decision: Decision, note: string | undefined) => Promise<string>;
  /** The same decision as an item of a bulk job (POST /v1/bulk-actions `review.decide`), mapped as `decide` maps it. */
  bulkItem: (id: string, decision: Decision, note: string | undefined) => ReviewDecideItem;
  /** The bytes of a material, where the kind has a download route (the client adds the bearer token). */
  download?: (api: Api, id: string, materialId: string) => Promise<Blob>;
};

/** A refused request, keeping the problem itself so that the page can put a refusal it knows in its own words. */
export class ReviewRefusal extends ApiError {
  constructor(
    readonly problem: Partial<Problem> | undefined,
    status: number,
  ) {
    super(problemText(problem, status), status);
  }
  /** The reviewer holding the item, when the refusal is another reviewer's claim (409 review-claimed). */
  get claimedBy(): string | undefined {
    const claimedBy = this.problem?.type?.endsWith(':review-claimed') ? this.problem.claimedBy : undefined;
    return typeof claimedBy === 'string' ? claimedBy : undefined;
  }
}

/** An openapi-fetch answer's data, or the refusal (the problem's words and the HTTP status). */
export function ok<T>(answer: { data?: T; error?: unknown; response: Response }): T {
  if (answer.data === undefined) throw new ReviewRefusal(answer.error as Partial<Problem> | undefined, answer.response.status);
  return answer.data;
}

const path = (id: string) => ({ params: { path: { id } } });
const withNote = (note: string | undefined) => (note ? { note } : {});
const list = (values: readonly string[]) => values.join(', ');

// Each kind's decide body from a decision in business words: the single decision and the bulk item both use these,
// so the two can never map a decision differently.
const certificationBody = (decision: Decision, note: string | undefined) => ({ decision, ...withNote(note) });
// Approving keeps the level (PASS without newLevel); rejecting fails the review (FAIL): the path's rule decides the level.
const pathReviewBody = (decision: Decision, note: string | undefined) => ({
  decision: decision === 'APPROVE' ? ('PASS' as const) : decision === 'REJECT' ? ('FAIL' as const) : ('REQUEST_SUPPLEMENT' as const),
  ...withNote(note),
});
/** The kinds that only approve or reject. */
const approveOrReject = (decision: Decision, note: string | undefined) => ({ decision: decision === 'APPROVE' ? ('APPROVE' as const) : ('REJECT' as const), ...withNote(note) });

export const KINDS: Record<ReviewKind, KindDoor> = {
  certification: {
    decisions: ['APPROVE', 'REJECT', 'REQUEST_SUPPLEMENT'],
    load: async (api, id) => {
      const [c, names] = await Promise.all([api.GET('/v1/certifications/{id}', path(id)).then(ok), certificationNames(api)]);
      return {
        partnerId: c.partnerId,
        status: c.status,
        waiting: c.status === 'IN_REVIEW',
        zone: c.zone,
        submittedAt: c.submittedAt,
        reviewDueAt: c.reviewDueAt,
        deadlineExplanation: c.status === 'IN_REVIEW' ? c.deadlineExplanation : null,
        subject: [
          { name: 'type', value: certificationName(names, c.type) },
          { name: 'category', value: c.category },
          ...(c.solutionName ? [{ name: 'solution' as const, value: c.solutionName }] : []),
          ...(c.renewalOf ? [{ name: 'renewalOf' as const, value: c.renewalOf }] : []),
        ],
        terms: [
          { name: 'appliesTo', value: c.terms.appliesTo },
          { name: 'requiredMaterials', value: list(c.terms.requiredMaterials) },
          { name: 'validityYears', value: String(c.terms.validityYears) },
          { name: 'reviewSla', value: String(c.terms.reviewSlaWorkingDays) },
          { name: 'supplementDays', value: String(c.terms.supplementWorkingDays) },
          { name: 'labels', value: list(c.terms.capabilityLabels) },
        ],
        materials: c.materials,
        history: c.history,
        decisionNote: c.decisionNote,
        certificate: c.certificate ? { number: c.certificate.number, validTo: c.certificate.validTo } : null,
      };
    },
    decide: async (api, id, decision, note) => ok(await api.POST('/v1/certifications/{id}/review', { ...path(id), body: certificationBody(decision, note) })).status,
    bulkItem: (id, decision, note) => ({ review: 'certification', id, ...certificationBody(decision, note) }),
    download: async (api, id, materialId) =>
      ok(await api.GET('/v1/certifications/{id}/files/{materialId}', { params: { path: { id, materialId } }, parseAs: 'blob' })) as Blob,
  },
  'path-review': {
    decisions: ['APPROVE', 'REJECT', 'REQUEST_SUPPLEMENT'],
    load: async (api, id) => {
      const r = ok(await api.GET('/v1/path-reviews/{id}', path(id)));
      return {
        partnerId: r.partnerId,
        status: r.status,
        waiting: r.status === 'SUBMITTED',
        zone: r.zone,
        submittedAt: r.submittedAt,
        reviewDueAt: null,
        deadlineExplanation: null,
        subject: [
          { name: 'path', value: r.pathName },
          { name: 'level', value: r.level },
          { name: 'year', value: String(r.year) },
        ],
        terms: [
          { name: 'levels', value: list(r.terms.levels) },
          { name: 'requiredMaterials', value: list(r.terms.materials) },
          ...(r.requirements
            ? [{ name: 'requirements' as const, value: r.requirements.map((q) => `${q.description}: ${q.actual}/${q.required}${q.met ? ' ✓' : ' ✗'}`).join('; ') }]
            : []),
        ],
        materials: r.materials.map((m) => ({ ...m, name: null })),
        history: r.history,
        decisionNote: r.decisionNote,
        certificate: null,
      };
    },
    decide: async (api, id, decision, note) => ok(await api.POST('/v1/path-reviews/{id}/decision', { ...path(id), body: pathReviewBody(decision, note) })).status,
    bulkItem: (id, decision, note) => ({ review: 'path-review', id, ...pathReviewBody(decision, note) }),
  },
  specialist: {
    decisions: ['APPROVE', 'REJECT'],
    load: async (api, id) => {
      const s = ok(await api.GET('/v1/specialist-applications/{id}', path(id)));
      return {
        partnerId: s.partnerId,
        status: s.status,
        waiting: s.status === 'SUBMITTED',
        zone: s.zone,
        submittedAt: s.submittedAt,
        reviewDueAt: s.reviewDueAt,
        deadlineExplanation: s.status === 'SUBMITTED' ? s.deadlineExplanation : null,
        subject: [
          { name: 'member', value: s.memberId },
          { name: 'path', value: s.pathId },
        ],
        terms: [{ name: 'reviewSla', value: String(s.reviewSlaWorkingDays) }],
        materials: s.materials.map((m) => ({ ...m, name: null })),
        history: s.history,
        decisionNote: s.decisionNote,
        certificate: null,
      };
    },
    decide: async (api, id, decision, note) =>
      ok(await api.POST('/v1/specialist-applications/{id}/review', { ...path(id), body: approveOrReject(decision, note) })).status,
    bulkItem: (id, decision, note) => ({ review: 'specialist', id, ...approveOrReject(decision, note) }),
    download: async (api, id, materialId) =>
      ok(await api.GET('/v1/specialist-applications/{id}/files/{materialId}', { params: { path: { id, materialId } }, parseAs: 'blob' })) as Blob,
  },
  enrollment: {
    decisions: ['APPROVE', 'REJECT'],
    load: async (api, id) => {
      const e = ok(await api.GET('/v1/enrollments/{id}', path(id)));
      return {
        partnerId: e.partnerId,
        status: e.status,
        waiting: e.status === 'IN_REVIEW',
        zone: e.zone,
        submittedAt: e.submittedAt,
        reviewDueAt: e.reviewDueAt,
        // While IN_REVIEW the enrollment's pending deadline is its review's: the explanation is of reviewDueAt.
        deadlineExplanation: e.status === 'IN_REVIEW' ? e.deadlineExplanation : null,
        subject: [
          { name: 'program', value: e.program },
          { name: 'origin', value: e.origin },
        ],
        terms: [],
        materials: null,
        history: e.history,
        decisionNote: null,
        certificate: null,
      };
    },
    decide: async (api, id, decision, note) =>
      ok(await api.POST('/v1/enrollments/{id}/review', { ...path(id), body: approveOrReject(decision, note) })).status,
    bulkItem: (id, decision, note) => ({ review: 'enrollment', id, ...approveOrReject(decision, note) }),
  },
  'level-raise': {
    decisions: ['APPROVE', 'REJECT'],
    load: async (api, id) => {
      const l = ok(await api.GET('/v1/level-raises/{id}', path(id)));
      return {
        partnerId: l.partnerId,
        status: l.status,
        waiting: l.status === 'SUBMITTED',
        zone: l.zone,
        submittedAt: l.submittedAt,
        reviewDueAt: l.reviewDueAt,
        deadlineExplanation: l.status === 'SUBMITTED' ? l.deadlineExplanation : null,
        subject: [
          { name: 'path', value: l.pathId },
          { name: 'fromLevel', value: l.fromLevel ?? '—' },
          { name: 'toLevel', value: l.toLevel },
        ],
        terms: [{ name: 'reviewSla', value: String(l.reviewSlaWorkingDays) }],
        materials: null,
        history: l.history,
        decisionNote: l.decisionNote,
        certificate: null,
      };
    },
    decide: async (api, id, decision, note) =>
      ok(await api.POST('/v1/level-raises/{id}/review', { ...path(id), body: approveOrReject(decision, note) })).status,
    bulkItem: (id, decision, note) => ({ review: 'level-raise', id, ...approveOrReject(decision, note) }),
  },
  'customer-report': {
    decisions: ['APPROVE', 'REJECT'],
    load: async (api, id) => {
      const r = ok(await api.GET('/v1/customer-reports/{id}', path(id)));
      return {
        partnerId: r.partnerId,
        status: r.status,
        waiting: r.status === 'IN_MANUAL_REVIEW',
        zone: r.zone,
        submittedAt: r.reportedAt,
        reviewDueAt: r.reviewDueAt,
        deadlineExplanation: r.status === 'IN_MANUAL_REVIEW' ? r.deadlineExplanation : null,
        subject: [
          { name: 'creditCode', value: r.creditCode },
          ...(r.justification ? [{ name: 'justification' as const, value: r.justification }] : []),
        ],
        terms: r.unmet ? [{ name: 'unmet', value: list(r.unmet.map((u) => u.code)) }] : [],
        materials: null,
        history: r.history,
        decisionNote: r.decisionNote,
        certificate: null,
      };
    },
    decide: async (api, id, decision, note) =>
      ok(await api.POST('/v1/customer-reports/{id}/review', { ...path(id), body: approveOrReject(decision, note) })).status,
    bulkItem: (id, decision, note) => ({ review: 'customer-report', id, ...approveOrReject(decision, note) }),
  },
};
