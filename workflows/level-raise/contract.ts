/**
 * The level raise's message contract (issue 17 section 6, 提升等级): states, snapshot, updates, query and refusal
 * codes. The workflow (workflows/level-raise/workflow.ts), its activities (activities/level-raise.ts) and the API's
 * client (api/level-raise/client.ts) all import it, so the compiler catches drift between them.
 * Workflow-safe: only @temporalio/workflow's message definitions and plain data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { DeadlineExplanation } from '../../domain/calendar.js';
import type { Actor } from '../../domain/actor.js';

export type { Actor } from '../../domain/actor.js';
export {
  DEADLINE_CHANGED_TOPICS,
  LEVEL_RAISE_APPROVED_TOPIC,
  LEVEL_RAISE_REJECTED_TOPIC,
  LEVEL_RAISE_REVIEW_ESCALATION_TOPIC,
  LEVEL_RAISE_REVIEW_REMINDER_TOPIC,
  LEVEL_RAISE_SUBMITTED_TOPIC,
  LEVEL_RAISE_WITHDRAWN_TOPIC,
} from '../../domain/events.js';

/** The workflow type the worker registers, and its id: one workflow per raise, so a partner may ask again. */
export const LEVEL_RAISE_WORKFLOW = 'levelRaiseWorkflow';
export const levelRaiseWorkflowId = (raiseId: string) => `level-raise-${raiseId}`;

/** Open: SUBMITTED (under the vendor's review). The others end the workflow. */
export const LEVEL_RAISE_STATUSES = ['SUBMITTED', 'APPROVED', 'REJECTED', 'WITHDRAWN'] as const;
export type LevelRaiseStatus = (typeof LEVEL_RAISE_STATUSES)[number];
export const LEVEL_RAISE_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type LevelRaiseDecision = (typeof LEVEL_RAISE_DECISIONS)[number];

/** The review SLA when the worker configures none, in working days of the partner's calendar from the submission. */
export const DEFAULT_LEVEL_RAISE_REVIEW_SLA_WORKING_DAYS = 5;
/** Working days before reviewDueAt at which the vendor's reviewers are reminded (the escalation follows the due date). */
export const LEVEL_RAISE_REMINDER_WORKING_DAYS = 1;

/** Outbox dedupe keys: one message of each outcome per raise; a reminder keyed by the due date it announces. */
export const levelRaiseOutcomeKey = (topic: string, raiseId: string) => `${topic}-${raiseId}`;
export const levelRaiseReminderKey = (raiseId: string, reviewDueAt: string) => `level-raise.review-reminder-${raiseId}-${reviewDueAt}`;

/** `fromLevel`: the level the partner held when it asked (null: not on the path); `toLevel`: the next one. */
export type LevelRaiseInput = { raiseId: string; partnerId: string; pathId: string; fromLevel: string | null; toLevel: string; requestedBy: string };

/** What the submission recorded: the review due date counted in the partner's calendar, its reminder and the SLA. */
export type LevelRaiseSubmission = {
  submittedAt: string;
  reviewSlaWorkingDays: number;
  reviewDueAt: string;
  explanation: DeadlineExplanation;
  reminderAt?: string;
  seq: number;
};

export type LevelRaiseSnapshot = {
  raiseId: string;
  partnerId: string;
  pathId: string;
  fromLevel: string | null;
  toLevel: string;
  requestedBy: string;
  status: LevelRaiseStatus;
  submittedAt?: string;
  reviewSlaWorkingDays?: number;
  reviewDueAt?: string;
  reviewEscalated: boolean;
  deadlineProvisional?: true;
  provisionalYears?: number[];
  decidedAt?: string;
  decisionNote?: string;
  withdrawnAt?: string;
  seq: number;
};

/** Update-with-start: answers once the submission is recorded, or fails with the refusal the activity found. */
export const create = defineUpdate<LevelRaiseSnapshot>('create');
/** The vendor's decision: APPROVE moves the partner's level once (refused if it changed meanwhile), REJECT needs a reason. */
export const review = defineUpdate<LevelRaiseSnapshot, [{ actor: Actor; decision: LevelRaiseDecision; note?: string }]>('review');
/** By the owning partner's staff while SUBMITTED. */
export const withdraw = defineUpdate<LevelRaiseSnapshot, [{ actor: Actor; reason?: string }]>('withdraw');
export const getState = defineQuery<LevelRaiseSnapshot>('getState');
/** The shared signal: the pending reviewDueAt is counted again from the submission (ignored once past or decided). */
export { type RecomputeRequest, recomputeDeadline } from '../kit/recompute.js';

/** Refusal types (validators, and failures of the create handler and activities): the API maps each to a status. */
export const Refusal = {
  notFound: 'LEVEL_RAISE_NOT_FOUND',
  notSubmitted: 'LEVEL_RAISE_NOT_SUBMITTED',
  invalid: 'INVALID_REQUEST',
  /** The partner cannot ask: every unmet reason of domain/eligibility.ts's LEVEL_UP rules in the details. */
  ineligible: 'LEVEL_RAISE_NOT_ELIGIBLE',
  /** Another raise of this partner and path is under review (the database's one-open rule). */
  alreadyOpen: 'LEVEL_RAISE_ALREADY_OPEN',
  /** The partner's level on the path is no longer the raise's fromLevel (a path review moved it meanwhile). */
  levelChanged: 'LEVEL_CHANGED',
  unknownPath: 'UNKNOWN_PATH',
  notInReview: 'NOT_IN_REVIEW',
  vendorOnly: 'VENDOR_ONLY',
  busy: 'ACTION_IN_PROGRESS',
  // The reviewed-application guards' refusals this process never meets (it has no materials and no supplement round).
  materialNotFound: 'MATERIAL_NOT_FOUND',
  materialsMissing: 'MATERIALS_MISSING',
  supplementDeadlinePassed: 'SUPPLEMENT_DEADLINE_PASSED',
} as const;
