/**
 * The project specialist (项目专员) application's message contract (issue 17 section 4): states, snapshot, updates,
 * query and refusal codes. The workflow (workflows/specialist/workflow.ts), its activities (activities/specialist.ts)
 * and the API's client (api/specialist/client.ts) all import it, so the compiler catches drift between them.
 * Workflow-safe: only @temporalio/workflow's message definitions and plain data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../../domain/actor.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';

export type { Actor } from '../../domain/actor.js';
export {
  DEADLINE_CHANGED_TOPICS,
  SPECIALIST_APPROVED_TOPIC,
  SPECIALIST_CANCELLED_TOPIC,
  SPECIALIST_REJECTED_TOPIC,
  SPECIALIST_REVIEW_ESCALATION_TOPIC,
  SPECIALIST_REVIEW_REMINDER_TOPIC,
  SPECIALIST_SUBMITTED_TOPIC,
} from '../../domain/events.js';

/** The workflow type the worker registers, and its id: one workflow per application, so a member may apply again. */
export const SPECIALIST_WORKFLOW = 'specialistWorkflow';
export const specialistWorkflowId = (applicationId: string) => `specialist-${applicationId}`;

/** Open: SUBMITTED (under the vendor's review) and APPROVED (the member is a specialist until cancelled). */
export const SPECIALIST_OPEN_STATUSES = ['SUBMITTED', 'APPROVED'] as const;
export const SPECIALIST_STATUSES = [...SPECIALIST_OPEN_STATUSES, 'REJECTED', 'CANCELLED'] as const;
export type SpecialistStatus = (typeof SPECIALIST_STATUSES)[number];
export const SPECIALIST_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type SpecialistDecision = (typeof SPECIALIST_DECISIONS)[number];

/** The review SLA when the worker configures none, in working days of the partner's calendar from the submission. */
export const DEFAULT_REVIEW_SLA_WORKING_DAYS = 5;
/** Working days before reviewDueAt at which the vendor's reviewers are reminded (the escalation follows the due date). */
export const REVIEW_REMINDER_WORKING_DAYS = 1;

/** The kinds of file an application carries; an approval needs every one set. */
export const SPECIALIST_MATERIAL_KINDS = ['RESUME', 'QUALIFICATION'] as const;
/** `material.owner_kind` of an application's uploads (owner_id = applicationId). */
export const SPECIALIST_MATERIAL_OWNER = 'specialist';

/** Outbox dedupe keys: one message of each outcome per application; a reminder keyed by the due date it announces. */
export const specialistOutcomeKey = (topic: string, applicationId: string) => `${topic}-${applicationId}`;
export const specialistReminderKey = (applicationId: string, reviewDueAt: string) => `specialist.review-reminder-${applicationId}-${reviewDueAt}`;

export type SpecialistInput = { applicationId: string; partnerId: string; memberId: string; pathId: string; appliedBy: string };

/** An uploaded file's metadata (the bytes stay in the material table). */
export type SpecialistMaterial = { materialId: string; fileName: string; sha256: string; size: number; contentType: string; uploadedBy: string; uploadedAt: string };

/** What the submission recorded: the review due date counted in the partner's calendar, its reminder and the SLA it counts. */
export type SpecialistSubmission = {
  submittedAt: string;
  reviewSlaWorkingDays: number;
  reviewDueAt: string;
  explanation: DeadlineExplanation;
  reminderAt?: string;
  seq: number;
};

export type SpecialistSnapshot = {
  applicationId: string;
  partnerId: string;
  memberId: string;
  pathId: string;
  appliedBy: string;
  status: SpecialistStatus;
  materials: Record<string, SpecialistMaterial>;
  submittedAt?: string;
  reviewSlaWorkingDays?: number;
  reviewDueAt?: string;
  reviewEscalated: boolean;
  deadlineProvisional?: true;
  provisionalYears?: number[];
  decidedAt?: string;
  decisionNote?: string;
  cancelledAt?: string;
  cancelledBy?: string;
  cancelReason?: string;
  seq: number;
};

/** Update-with-start: answers once the submission is recorded, or fails with the refusal the activity found. */
export const create = defineUpdate<SpecialistSnapshot>('create');
export const setMaterial = defineUpdate<SpecialistSnapshot, [{ actor: Actor; kind: string; material: SpecialistMaterial }]>('setMaterial');
export const review = defineUpdate<SpecialistSnapshot, [{ actor: Actor; decision: SpecialistDecision; note?: string }]>('review');
/** By the owning partner's staff or the vendor's, from SUBMITTED or APPROVED, with a reason. */
export const cancel = defineUpdate<SpecialistSnapshot, [{ actor: Actor; reason: string }]>('cancel');
export const getState = defineQuery<SpecialistSnapshot>('getState');
/** The shared signal: the pending reviewDueAt is counted again from the submission (ignored once past or decided). */
export { type RecomputeRequest, recomputeDeadline } from '../kit/recompute.js';

/** Refusal types (validators, and failures of the create handler and activities): the API maps each to a status. */
export const Refusal = {
  notFound: 'SPECIALIST_APPLICATION_NOT_FOUND',
  notSubmitted: 'SPECIALIST_APPLICATION_NOT_SUBMITTED',
  invalid: 'INVALID_REQUEST',
  /** The member cannot apply: every unmet reason of domain/eligibility.ts's PROJECT_SPECIALIST rules in the details. */
  ineligible: 'SPECIALIST_NOT_ELIGIBLE',
  unknownPath: 'UNKNOWN_PATH',
  notInReview: 'NOT_IN_REVIEW',
  notCancellable: 'NOT_CANCELLABLE',
  notEditable: 'NOT_EDITABLE',
  materialsMissing: 'MATERIALS_MISSING',
  materialNotFound: 'MATERIAL_NOT_FOUND',
  supplementDeadlinePassed: 'SUPPLEMENT_DEADLINE_PASSED',
  vendorOnly: 'VENDOR_ONLY',
  busy: 'ACTION_IN_PROGRESS',
} as const;
