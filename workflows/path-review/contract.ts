/**
 * The annual development-path review's message contract: states, snapshot types, updates, query and refusal types.
 * The workflows (workflows/path-review/workflow.ts, workflows/path-review-cycle/workflow.ts) and the API's client module both import
 * it, so the compiler catches drift between them. Workflow-safe: only @temporalio/workflow's message definitions.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export const PATH_REVIEW_OPEN_STATUSES = ['OPEN', 'APPLIED', 'SUBMITTED', 'SUPPLEMENT_REQUESTED'] as const;
export const PATH_REVIEW_STATUSES = [...PATH_REVIEW_OPEN_STATUSES, 'PASSED', 'FAILED', 'LAPSED'] as const;
export type PathReviewStatus = (typeof PATH_REVIEW_STATUSES)[number];
export const PATH_REVIEW_DECISIONS = ['PASS', 'FAIL', 'REQUEST_SUPPLEMENT'] as const;
export type PathReviewDecision = (typeof PATH_REVIEW_DECISIONS)[number];

/** Working days before the window closes at which a reminder goes to the outbox (only while nothing is submitted). */
export const WINDOW_REMINDER_DAYS = [10, 3] as const;
/** A supplement is due this many working days (partner calendar) after the vendor asks for it, whatever the window. */
export const SUPPLEMENT_WORKING_DAYS = 10;
/** Working days before supplementDeadline at which the partner is reminded (the review lapses at the deadline). */
export const SUPPLEMENT_REMINDER_WORKING_DAYS = 2;
export { PATH_REVIEW_LAPSED_TOPIC, PATH_REVIEW_SUPPLEMENT_REMINDER_TOPIC, WINDOW_REMINDER_TOPIC } from '../../domain/events.js';
/** One supplement reminder per round and the deadline it announces (a moved deadline is announced again). */
export const supplementReminderDedupeKey = (reviewId: string, round: number, supplementDeadline: string) =>
  `path-review-supplement-reminder-${reviewId}-${round}-${supplementDeadline}`;
/** One lapse per review (written with the LAPSED transition). */
export const lapsedDedupeKey = (reviewId: string) => `path-review-lapsed-${reviewId}`;
/** Outbox dedupe key: one reminder per review, days before and window end it announces (domain/reminders.ts). */
export const windowReminderDedupeKey = (reviewId: string, days: number, windowEndsAt: string) => `path-review-window-reminder-${reviewId}-${days}-${windowEndsAt}`;
/** The key reminders had before it named the window end: reviews opened before that still hold such rows. */
export const legacyWindowReminderDedupeKey = (reviewId: string, days: number) => `path-review-window-reminder-${reviewId}-${days}`;
/** `material.owner_kind` of a review's uploads (owner_id = reviewId). */
export const PATH_REVIEW_MATERIAL_OWNER = 'path-review';

export type { Actor } from '../../domain/actor.js';
import type { Actor } from '../../domain/actor.js';

/** The review id: `<pathId>-<partnerId>-<year>` (path ids have no '-'; the year is the last segment). */
export const pathReviewId = (pathId: string, partnerId: string, year: number) => `${pathId}-${partnerId}-${year}`;
/** The workflow type the worker registers, and the workflow id: `path-review-<reviewId>`. */
export const PATH_REVIEW_WORKFLOW = 'pathReviewWorkflow';
export const pathReviewWorkflowId = (reviewId: string) => `path-review-${reviewId}`;

export type PathReviewInput = {
  pathId: string;
  partnerId: string;
  year: number;
  /** The partner's level on the path when the cycle reached it: the level under review. */
  level: string;
  /** The cycle's start instant: the window is counted from it, in the partner's calendar. */
  cycleStartedAt: string;
};

/** An uploaded file's metadata (the bytes stay in the material table). */
export type PathReviewMaterial = {
  materialId: string;
  fileName: string;
  sha256: string;
  size: number;
  contentType: string;
  uploadedBy: string;
  uploadedAt: string;
};

/** What the review needs from the path data, copied when it opens: a later data edit changes no open review. */
export type PathReviewTerms = {
  pathName: string;
  materials: string[];
  windowWorkingDays: number;
  /** The path's levels, lowest first (a PASS may keep or raise the level). */
  levels: string[];
  /** The level after a FAILED or LAPSED review; null: the partner leaves the path. */
  levelAfterFailure: string | null;
};

export type WindowReminder = { days: number; at: string; sent: boolean };

/** One requirement item as evaluated on `apply` (domain/development-paths.ts). */
export type RequirementItem = { description: string; required: number; actual: number; met: boolean };
/** One unmet requirement item, as listed in a REQUIREMENTS_UNMET failure's details. */
export type UnmetRequirement = { description: string; required: number; actual: number };

export type PathReviewSnapshot = {
  reviewId: string;
  pathId: string;
  partnerId: string;
  year: number;
  level: string;
  cycleStartedAt: string;
  /** Set once the review has opened (its first activity). */
  openedAt?: string;
  terms?: PathReviewTerms;
  windowEndsAt?: string;
  reminders: WindowReminder[];
  status: PathReviewStatus;
  materials: Record<string, PathReviewMaterial>;
  appliedAt?: string;
  /** The evaluation that let the partner apply. */
  requirements?: RequirementItem[];
  submittedAt?: string;
  supplementRound: number;
  supplementDeadline?: string;
  /**
   * Present while the pending windowEndsAt or supplementDeadline counts a year whose official holiday schedule is not
   * published yet (workflows/kit/shared.ts provisionalPayload): it may move when the schedule is published.
   */
  deadlineProvisional?: true;
  provisionalYears?: number[];
  decidedAt?: string;
  decision?: PathReviewDecision;
  decisionNote?: string;
  /** PASSED / FAILED / LAPSED: the partner's level on the path afterwards (null: left the path). */
  newLevel?: string | null;
  seq: number;
};

export const apply = defineUpdate<PathReviewSnapshot, [{ actor: Actor }]>('apply');
export const setMaterial = defineUpdate<PathReviewSnapshot, [{ actor: Actor; kind: string; material: PathReviewMaterial }]>('setMaterial');
export const submit = defineUpdate<PathReviewSnapshot, [{ actor: Actor }]>('submit');
export const decide = defineUpdate<PathReviewSnapshot, [{ actor: Actor; decision: PathReviewDecision; note?: string; newLevel?: string }]>('decide');
export const supplement = defineUpdate<PathReviewSnapshot, [{ actor: Actor; note?: string }]>('supplement');
export const getPathReview = defineQuery<PathReviewSnapshot>('getPathReview');
/**
 * The shared signal (workflows/kit/shared.ts): here the pending deadline — windowEndsAt from cycleStartedAt, or
 * supplementDeadline from the request — is recomputed.
 */
export { type RecomputeRequest, recomputeDeadline } from '../kit/recompute.js';

/** Refusal types (validators, and failures of the apply and setMaterial handlers): the API maps each to a status. */
export const Refusal = {
  notFound: 'PATH_REVIEW_NOT_FOUND',
  /** The review's first activity (window, terms) has not finished yet: try again. */
  notOpened: 'PATH_REVIEW_NOT_OPENED',
  invalid: 'INVALID_REQUEST',
  notOpen: 'NOT_OPEN',
  notEditable: 'NOT_EDITABLE',
  notApplied: 'NOT_APPLIED',
  notSubmitted: 'NOT_SUBMITTED',
  notSupplementRequested: 'NOT_SUPPLEMENT_REQUESTED',
  windowClosed: 'REVIEW_WINDOW_CLOSED',
  supplementDeadlinePassed: 'SUPPLEMENT_DEADLINE_PASSED',
  /** apply: the level's requirements unmet; decide PASS with a higher newLevel: that level's (every unmet item in the details). */
  requirementsUnmet: 'REQUIREMENTS_UNMET',
  materialsMissing: 'MATERIALS_MISSING',
  materialNotFound: 'MATERIAL_NOT_FOUND',
  levelNotAllowed: 'LEVEL_NOT_ALLOWED',
  vendorOnly: 'VENDOR_ONLY',
  /** Another action on this review is being carried out: try again. */
  busy: 'ACTION_IN_PROGRESS',
} as const;

