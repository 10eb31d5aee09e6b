/**
 * The kinds of review the reviewer queue gathers (docs/review-queue.md): for each, the table its items live in, the
 * status in which an item waits for the vendor's decision (the one its workflow's decide validator accepts), the
 * permission that decision needs, the item's existing detail and decide routes, and the SQL that lists its waiting
 * items in the queue's common shape. Nothing here decides anything: the decision stays each process's own route.
 */
import type { Permission } from '../../domain/auth.js';
import { Prisma } from '../../prisma/generated/client.js';
import { isUuid } from '../kit/validation.js';

export const REVIEW_KINDS = ['certification', 'path-review', 'specialist', 'enrollment', 'level-raise', 'customer-report'] as const;
export type ReviewKind = (typeof REVIEW_KINDS)[number];

/**
 * One kind of review. `waiting` is verified against each workflow: certification's review is accepted IN_REVIEW only
 * (SUBMITTED is the moment before its review round starts, workflows/kit/review-rounds.ts), path review's decide
 * SUBMITTED, specialist's and level raise's review SUBMITTED, enrollment's IN_REVIEW, customer report's IN_MANUAL_REVIEW.
 */
export type ReviewKindTerms = {
  waiting: string;
  decide: Permission;
  detailPath: (id: string) => string;
  decidePath: (id: string) => string;
  /** Its item ids are UUIDs (every kind's but path review's `<pathId>-<partnerId>-<year>`). */
  uuidIds: boolean;
  /**
   * Its waiting items as rows of the queue: kind, id, partner_id, status, submitted_at (when it came to the vendor's
   * review), review_due_at (none where the process has no review deadline: path reviews) and subject (jsonb).
   */
  rows: Prisma.Sql;
};

export const REVIEW_KIND_TERMS: Readonly<Record<ReviewKind, ReviewKindTerms>> = {
  certification: {
    waiting: 'IN_REVIEW',
    decide: 'certification.review',
    detailPath: (id) => `/v1/certifications/${id}`,
    decidePath: (id) => `/v1/certifications/${id}/review`,
    uuidIds: true,
    rows: Prisma.sql`SELECT 'certification' AS kind, id::text AS id, partner_id, status, COALESCE(submitted_at, created_at) AS submitted_at, review_due_at,
      jsonb_build_object('type', type, 'category', category, 'solutionName', solution_name) AS subject
      FROM certification_application WHERE status = 'IN_REVIEW'`,
  },
  'path-review': {
    waiting: 'SUBMITTED',
    decide: 'pathReview.decide',
    detailPath: (id) => `/v1/path-reviews/${id}`,
    decidePath: (id) => `/v1/path-reviews/${id}/decision`,
    uuidIds: false,
    rows: Prisma.sql`SELECT 'path-review' AS kind, id, partner_id, status, COALESCE(submitted_at, applied_at, opened_at) AS submitted_at, NULL::timestamptz AS review_due_at,
      jsonb_build_object('pathId', path_id, 'level', level, 'year', year) AS subject
      FROM path_review WHERE status = 'SUBMITTED'`,
  },
  specialist: {
    waiting: 'SUBMITTED',
    decide: 'specialist.review',
    detailPath: (id) => `/v1/specialist-applications/${id}`,
    decidePath: (id) => `/v1/specialist-applications/${id}/review`,
    uuidIds: true,
    rows: Prisma.sql`SELECT 'specialist' AS kind, s.id::text AS id, s.partner_id, s.status, s.submitted_at, s.review_due_at,
      jsonb_build_object('memberId', s.member_id, 'memberName', m.display_name, 'pathId', s.path_id) AS subject
      FROM specialist_application s LEFT JOIN partner_member m ON m.id = s.member_id WHERE s.status = 'SUBMITTED'`,
  },
  enrollment: {
    waiting: 'IN_REVIEW',
    decide: 'enrollment.review',
    detailPath: (id) => `/v1/enrollments/${id}`,
    decidePath: (id) => `/v1/enrollments/${id}/review`,
    uuidIds: true,
    // An accepted invitation comes to review when the partner accepts it; a request, when it is made.
    rows: Prisma.sql`SELECT 'enrollment' AS kind, id::text AS id, partner_id, status, COALESCE(accepted_at, requested_at) AS submitted_at, review_due_at,
      jsonb_build_object('program', program) AS subject
      FROM enrollment WHERE status = 'IN_REVIEW'`,
  },
  'level-raise': {
    waiting: 'SUBMITTED',
    decide: 'levelRaise.review',
    detailPath: (id) => `/v1/level-raises/${id}`,
    decidePath: (id) => `/v1/level-raises/${id}/review`,
    uuidIds: true,
    rows: Prisma.sql`SELECT 'level-raise' AS kind, id::text AS id, partner_id, status, submitted_at, review_due_at,
      jsonb_build_object('pathId', path_id, 'fromLevel', from_level, 'toLevel', to_level) AS subject
      FROM level_raise WHERE status = 'SUBMITTED'`,
  },
  'customer-report': {
    waiting: 'IN_MANUAL_REVIEW',
    decide: 'customerReport.review',
    detailPath: (id) => `/v1/customer-reports/${id}`,
    decidePath: (id) => `/v1/customer-reports/${id}/review`,
    uuidIds: true,
    rows: Prisma.sql`SELECT 'customer-report' AS kind, r.id::text AS id, r.partner_id, r.status, r.reported_at AS submitted_at, r.review_due_at,
      jsonb_build_object('creditCode', r.credit_code, 'enterpriseName', e.name) AS subject
      FROM customer_report r LEFT JOIN enterprise e ON e.credit_code = r.credit_code WHERE r.status = 'IN_MANUAL_REVIEW'`,
  },
};

/** A path review's id: `<pathId>-<partnerId>-<year>` (as api/path-review/routes.ts accepts it). */
const PATH_REVIEW_ID = /^[A-Z][A-Z0-9_]{0,63}-[A-Za-z0-9_-]{1,64}-\d{4}$/;

/** Whether `id` has the shape of an item id of `kind` (a path parameter, a cursor's id). */
export const isItemIdOf = (kind: ReviewKind, id: string) => (REVIEW_KIND_TERMS[kind].uuidIds ? isUuid(id) : PATH_REVIEW_ID.test(id));

/** The stored spelling of an item's id (UUIDs are stored in lower case; a path review's id is as minted). */
export const storedId = (kind: ReviewKind, id: string) => (REVIEW_KIND_TERMS[kind].uuidIds ? id.toLowerCase() : id);
