/**
 * The enrollment's message contract (issue 17 section 3, joining a program; 成为云经销商): states, snapshot, updates,
 * query and refusal codes. The workflow (workflows/enrollment/workflow.ts), its activities (activities/enrollment.ts)
 * and the API's client (api/enrollment/client.ts) all import it, so the compiler catches drift between them.
 * Workflow-safe: only @temporalio/workflow's message definitions and plain data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../../domain/actor.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import type { EnrollableProgram } from '../../domain/enrollment.js';

export type { Actor } from '../../domain/actor.js';
export {
  ENROLLMENT_APPROVED_TOPIC,
  ENROLLMENT_JOINED_TOPIC,
  ENROLLMENT_REFUSED_AT_JOINING_TOPIC,
  ENROLLMENT_REJECTED_TOPIC,
  ENROLLMENT_REQUESTED_TOPIC,
  ENROLLMENT_REVIEW_ESCALATION_TOPIC,
  ENROLLMENT_REVIEW_REMINDER_TOPIC,
  ENROLLMENT_WITHDRAWN_TOPIC,
} from '../../domain/events.js';

/** The workflow type the worker registers, and its id: one workflow per enrollment, so a partner may ask again. */
export const ENROLLMENT_WORKFLOW = 'enrollmentWorkflow';
export const enrollmentWorkflowId = (enrollmentId: string) => `enrollment-${enrollmentId}`;

/**
 * Open: IN_REVIEW (the vendor's review), AWAITING_CONFIRMATION (the partner confirms the instruments joining voids).
 * The others end the workflow.
 */
export const ENROLLMENT_OPEN_STATUSES = ['IN_REVIEW', 'AWAITING_CONFIRMATION'] as const;
export const ENROLLMENT_STATUSES = [...ENROLLMENT_OPEN_STATUSES, 'JOINED', 'REFUSED_AT_JOINING', 'REJECTED', 'WITHDRAWN'] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];
export const ENROLLMENT_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type EnrollmentDecision = (typeof ENROLLMENT_DECISIONS)[number];

/** Working days before reviewDueAt at which the vendor's reviewers are reminded (the escalation follows the due date). */
export const ENROLLMENT_REMINDER_WORKING_DAYS = 1;

/** Outbox dedupe keys: one message of each outcome per enrollment; a reminder keyed by the due date it announces. */
export const enrollmentOutcomeKey = (topic: string, enrollmentId: string) => `${topic}-${enrollmentId}`;
export const enrollmentReminderKey = (enrollmentId: string, reviewDueAt: string) => `enrollment.review-reminder-${enrollmentId}-${reviewDueAt}`;

export type EnrollmentInput = { enrollmentId: string; partnerId: string; program: EnrollableProgram; requestedBy: string };

/** What the request recorded: the review due date (where the program needs a review) counted in the partner's calendar. */
export type EnrollmentRequest = {
  submittedAt: string;
  status: 'IN_REVIEW' | 'AWAITING_CONFIRMATION';
  review?: { slaWorkingDays: number; reviewDueAt: string; explanation: DeadlineExplanation; reminderAt?: string };
  seq: number;
};

/** What the joining's transaction decided: JOINED (with what it voided) or REFUSED_AT_JOINING (every unmet reason). */
export type JoiningOutcome =
  | { status: 'JOINED'; voided: { kind: string; id: string }[] }
  | { status: 'REFUSED_AT_JOINING'; unmet: { code: string; evidence: Record<string, unknown> }[] };

export type EnrollmentSnapshot = {
  enrollmentId: string;
  partnerId: string;
  program: EnrollableProgram;
  requestedBy: string;
  status: EnrollmentStatus;
  /** When the partner asked (the review SLA counts from it). */
  submittedAt?: string;
  reviewSlaWorkingDays?: number;
  reviewDueAt?: string;
  reviewEscalated: boolean;
  deadlineProvisional?: true;
  provisionalYears?: number[];
  decidedAt?: string;
  decisionNote?: string;
  joinedAt?: string;
  voided?: { kind: string; id: string }[];
  refusal?: { code: string; evidence: Record<string, unknown> }[];
  withdrawnAt?: string;
  seq: number;
};

/** Update-with-start: answers once the request is recorded, or fails with the refusal the activity found. */
export const create = defineUpdate<EnrollmentSnapshot>('create');
/** The vendor's decision while IN_REVIEW: APPROVE (the partner then confirms and joins), REJECT needs a reason. */
export const review = defineUpdate<EnrollmentSnapshot, [{ actor: Actor; decision: EnrollmentDecision; note?: string }]>('review');
/**
 * The partner joins while AWAITING_CONFIRMATION, confirming the instruments joining voids by the hash of their
 * preview: the conditions are checked again and the list compared in the joining's transaction.
 */
export const confirm = defineUpdate<EnrollmentSnapshot, [{ actor: Actor; instrumentsHash: string }]>('confirm');
/** By the owning partner's staff while open. */
export const withdraw = defineUpdate<EnrollmentSnapshot, [{ actor: Actor; reason?: string }]>('withdraw');
export const getState = defineQuery<EnrollmentSnapshot>('getState');
/** The shared signal: the pending reviewDueAt is counted again from the request (ignored once past or decided). */
export { type RecomputeRequest, recomputeDeadline } from '../kit/recompute.js';

/** Refusal types (validators, and failures of the create handler and activities): the API maps each to a status. */
export const Refusal = {
  notFound: 'ENROLLMENT_NOT_FOUND',
  notRequested: 'ENROLLMENT_NOT_REQUESTED',
  invalid: 'INVALID_REQUEST',
  /** The partner cannot join: every unmet reason of the program's rules (domain/eligibility.ts) in the details. */
  ineligible: 'ENROLLMENT_NOT_ELIGIBLE',
  /** Another enrollment of this partner into this program is open (the database's one-open rule). */
  alreadyOpen: 'ENROLLMENT_ALREADY_OPEN',
  /** The instruments joining would void are no longer the list the partner confirmed: preview again. */
  instrumentsChanged: 'VOIDED_INSTRUMENTS_CHANGED',
  notInReview: 'NOT_IN_REVIEW',
  notAwaitingConfirmation: 'NOT_AWAITING_CONFIRMATION',
  notOpen: 'ENROLLMENT_NOT_OPEN',
  vendorOnly: 'VENDOR_ONLY',
  busy: 'ACTION_IN_PROGRESS',
  // The reviewed-application guards' refusals this process never meets (it has no materials and no supplement round).
  materialNotFound: 'MATERIAL_NOT_FOUND',
  materialsMissing: 'MATERIALS_MISSING',
  supplementDeadlinePassed: 'SUPPLEMENT_DEADLINE_PASSED',
} as const;
