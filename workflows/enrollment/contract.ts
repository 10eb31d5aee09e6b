/**
 * The enrollment's message contract (issue 17 section 3, joining a program; 成为云经销商): states, snapshot, updates,
 * query and refusal codes. The workflow (workflows/enrollment/workflow.ts and its handlers.ts, deadlines.ts), its
 * activities (activities/enrollment.ts and the enrollment-*.ts files it assembles) and the API's client
 * (api/enrollment/client.ts) all import it, so the compiler catches drift between them.
 * Workflow-safe: only @temporalio/workflow's message definitions and plain data.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../../domain/actor.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import type { EnrollableProgram } from '../../domain/enrollment.js';

export type { Actor } from '../../domain/actor.js';
export {
  ENROLLMENT_ACCEPTED_TOPIC,
  ENROLLMENT_CONFIRMATION_EXPIRED_TOPIC,
  ENROLLMENT_CONFIRMATION_REMINDER_TOPIC,
  ENROLLMENT_DECLINED_TOPIC,
  ENROLLMENT_FAILED_TOPIC,
  ENROLLMENT_INVITATION_EXPIRED_TOPIC,
  ENROLLMENT_INVITATION_REMINDER_TOPIC,
  ENROLLMENT_INVITED_TOPIC,
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
 * Open: INVITED (the vendor's invitation waits for the partner), IN_REVIEW (the vendor's review),
 * AWAITING_CONFIRMATION (the partner confirms the instruments joining voids). The others end the workflow.
 */
export const ENROLLMENT_OPEN_STATUSES = ['INVITED', 'IN_REVIEW', 'AWAITING_CONFIRMATION'] as const;
export const ENROLLMENT_STATUSES = [...ENROLLMENT_OPEN_STATUSES, 'JOINED', 'REFUSED_AT_JOINING', 'REJECTED', 'WITHDRAWN', 'DECLINED', 'EXPIRED', 'FAILED'] as const;
export type EnrollmentStatus = (typeof ENROLLMENT_STATUSES)[number];
export const ENROLLMENT_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type EnrollmentDecision = (typeof ENROLLMENT_DECISIONS)[number];

/**
 * Working days before each deadline at which its reminder goes out: the vendor's reviewers before reviewDueAt, the
 * partner before invitationExpiresAt and before confirmationDueAt.
 */
export const ENROLLMENT_REMINDER_WORKING_DAYS = 1;

/** Outbox dedupe keys: one message of each outcome per enrollment; a reminder keyed by the due date it announces. */
export const enrollmentOutcomeKey = (topic: string, enrollmentId: string) => `${topic}-${enrollmentId}`;
export const enrollmentReminderKey = (enrollmentId: string, reviewDueAt: string) => `enrollment.review-reminder-${enrollmentId}-${reviewDueAt}`;
/** The partner's reminders: one per deadline instant (a recomputed deadline is reminded again). */
export const invitationReminderKey = (enrollmentId: string, expiresAt: string) => `enrollment.invitation-reminder-${enrollmentId}-${expiresAt}`;
export const confirmationReminderKey = (enrollmentId: string, dueAt: string) => `enrollment.confirmation-reminder-${enrollmentId}-${dueAt}`;

/** `requestedBy`: the partner's user who asked, or for an invitation (`invitation` set) the vendor's who invited. */
export type EnrollmentInput = { enrollmentId: string; partnerId: string; program: EnrollableProgram; requestedBy: string; invitation?: { note?: string } };

/** A working-day deadline as recorded: counted from `from` in the partner's calendar. */
export type PlannedEnrollmentDeadline = { workingDays: number; from: string; dueAt: string; explanation: DeadlineExplanation; reminderAt?: string };

/**
 * What the request (or the invitation, or its acceptance) recorded: the deadline of the state it entered, counted in
 * the partner's calendar — the review due date (where the program needs a review), else the confirmation deadline;
 * for an invitation its expiry.
 */
export type EnrollmentRequest = {
  submittedAt: string;
  status: 'INVITED' | 'IN_REVIEW' | 'AWAITING_CONFIRMATION';
  review?: { slaWorkingDays: number; reviewDueAt: string; explanation: DeadlineExplanation; reminderAt?: string };
  invitation?: PlannedEnrollmentDeadline;
  confirmation?: PlannedEnrollmentDeadline;
  /** The confirmation deadline's working days (configured when the enrollment started), counted once it is approved. */
  confirmationWorkingDays: number;
  seq: number;
};

/**
 * What an invitation's decision under the partner's lock found: done (accepted: the request it became; declined or
 * expired), or FAILED already — the partner joined another program meanwhile (the joining's transaction decided it).
 */
export type InvitationOutcome = { status: 'DONE'; request?: EnrollmentRequest } | { status: 'FAILED'; failure: InvitationFailure };
/** Why an invitation failed: the partner joined `program` by enrollment `enrollmentId`. */
export type InvitationFailure = { reason: string; program: string; enrollmentId: string };

/**
 * What the joining's transaction decided: JOINED (with what it voided, and the partner's invitations into other
 * programs it failed) or REFUSED_AT_JOINING (every unmet reason).
 */
export type JoiningOutcome =
  | { status: 'JOINED'; voided: { kind: string; id: string }[]; failedInvitations: { enrollmentId: string; failure: InvitationFailure }[] }
  | { status: 'REFUSED_AT_JOINING'; unmet: { code: string; evidence: Record<string, unknown> }[] };

export type EnrollmentSnapshot = {
  enrollmentId: string;
  partnerId: string;
  program: EnrollableProgram;
  requestedBy: string;
  status: EnrollmentStatus;
  /** When the partner asked, or was invited (an invitation's review SLA counts from its acceptance). */
  submittedAt?: string;
  invited?: true;
  invitationWorkingDays?: number;
  invitationExpiresAt?: string;
  acceptedAt?: string;
  reviewSlaWorkingDays?: number;
  reviewDueAt?: string;
  reviewEscalated: boolean;
  /** AWAITING_CONFIRMATION: counted from `confirmationFrom` (the approval, or the request without review). */
  confirmationWorkingDays?: number;
  confirmationFrom?: string;
  confirmationDueAt?: string;
  declinedAt?: string;
  expiredAt?: string;
  failure?: InvitationFailure;
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
/** By the owning partner's staff while IN_REVIEW or AWAITING_CONFIRMATION (an invitation is declined instead). */
export const withdraw = defineUpdate<EnrollmentSnapshot, [{ actor: Actor; reason?: string }]>('withdraw');
/** The invited partner accepts (every condition checked, as a request) while INVITED and before it expires. */
export const accept = defineUpdate<EnrollmentSnapshot, [{ actor: Actor }]>('accept');
/** The invited partner declines while INVITED, with an optional reason. */
export const decline = defineUpdate<EnrollmentSnapshot, [{ actor: Actor; reason?: string }]>('decline');
/**
 * The partner joined another program: the joining's transaction already marked this invitation FAILED; the workflow
 * records it and ends (ignored unless INVITED: a retried signal changes nothing).
 */
export const invitationFailed = defineSignal<[InvitationFailure]>('invitationFailed');
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
  notInvited: 'NOT_INVITED',
  invitationExpired: 'INVITATION_EXPIRED',
  invitationFailed: 'INVITATION_FAILED',
  confirmationDeadlinePassed: 'CONFIRMATION_DEADLINE_PASSED',
  vendorOnly: 'VENDOR_ONLY',
  busy: 'ACTION_IN_PROGRESS',
  // The reviewed-application guards' refusals this process never meets (it has no materials and no supplement round).
  materialNotFound: 'MATERIAL_NOT_FOUND',
  materialsMissing: 'MATERIALS_MISSING',
  supplementDeadlinePassed: 'SUPPLEMENT_DEADLINE_PASSED',
} as const;
