/**
 * The customer report's message contract (issue 18 section 2, 报备): states, snapshot, updates, query and refusal
 * codes. The workflow (workflows/customer-report/workflow.ts), its activities (activities/customer-report.ts) and the
 * API's client (api/customers/reports-client.ts) all import it, so the compiler catches drift between them.
 * Workflow-safe: only @temporalio/workflow's message definitions and plain data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Actor } from '../../domain/actor.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';

export type { Actor } from '../../domain/actor.js';
export {
  CUSTOMER_REPORT_ASSOCIATED_TOPIC,
  CUSTOMER_REPORT_EXPIRED_TOPIC,
  CUSTOMER_REPORT_INVITATION_EXPIRED_TOPIC,
  CUSTOMER_REPORT_INVITATION_REMINDER_TOPIC,
  CUSTOMER_REPORT_INVITED_TOPIC,
  CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC,
  CUSTOMER_REPORT_PROTECTED_TOPIC,
  CUSTOMER_REPORT_PROTECTION_REMINDER_TOPIC,
  CUSTOMER_REPORT_REJECTED_TOPIC,
  CUSTOMER_REPORT_REVIEW_ESCALATION_TOPIC,
  CUSTOMER_REPORT_REVIEW_REMINDER_TOPIC,
  CUSTOMER_REPORT_WITHDRAWN_TOPIC,
} from '../../domain/events.js';

/** The workflow type the worker registers, and its id: one workflow per report. */
export const CUSTOMER_REPORT_WORKFLOW = 'customerReportWorkflow';
export const customerReportWorkflowId = (reportId: string) => `customer-report-${reportId}`;

/** Open: IN_MANUAL_REVIEW, PROTECTED, INVITED. The others end the workflow. */
export const CUSTOMER_REPORT_OPEN_STATUSES = ['IN_MANUAL_REVIEW', 'PROTECTED', 'INVITED'] as const;
export const CUSTOMER_REPORT_STATUSES = [...CUSTOMER_REPORT_OPEN_STATUSES, 'ASSOCIATED', 'EXPIRED', 'REJECTED', 'WITHDRAWN'] as const;
export type CustomerReportStatus = (typeof CUSTOMER_REPORT_STATUSES)[number];
export const CUSTOMER_REPORT_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type CustomerReportDecision = (typeof CUSTOMER_REPORT_DECISIONS)[number];
export const ASSOCIATION_MODES = ['RESELLER', 'CONSULTATIVE'] as const;
export type AssociationMode = (typeof ASSOCIATION_MODES)[number];

/** Working days before reviewDueAt at which the vendor's reviewers are reminded (the escalation follows the due date). */
export const CUSTOMER_REPORT_REVIEW_REMINDER_WORKING_DAYS = 1;
/** Calendar days before protectedUntil and before an invitation's expiry at which the partner is reminded. */
export const CUSTOMER_REPORT_REMINDER_DAYS = 1;

/** Outbox dedupe keys: one message of each outcome per report; reminders keyed by the instant they announce. */
export const customerReportOutcomeKey = (topic: string, reportId: string) => `${topic}-${reportId}`;
export const customerReportReminderKey = (topic: string, reportId: string, deadline: string) => `${topic}-${reportId}-${deadline}`;

export type CustomerReportInput = { reportId: string; partnerId: string; creditCode: string; reportedBy: string; manualReview: boolean; justification?: string };

/** A calendar-day deadline as its activity counts it in the partner's zone, with its reminder. */
export type CalendarDeadline = { at: string; reminderAt: string };

/** What the report's first activity recorded (seq 1): protected at once, or in manual review with its due date. */
export type CustomerReportRecorded = {
  reportedAt: string;
  status: 'PROTECTED' | 'IN_MANUAL_REVIEW';
  protectionDays: number;
  invitationDays: number;
  protectedUntil?: string;
  protectionReminderAt?: string;
  reviewSlaWorkingDays?: number;
  reviewDueAt?: string;
  explanation?: DeadlineExplanation;
  reviewReminderAt?: string;
  seq: number;
};

export type CustomerReportSnapshot = {
  reportId: string;
  partnerId: string;
  creditCode: string;
  reportedBy: string;
  manualReview: boolean;
  status: CustomerReportStatus;
  reportedAt?: string;
  protectionDays?: number;
  invitationDays?: number;
  protectedFrom?: string;
  protectedUntil?: string;
  protectionReminderAt?: string;
  protectionReminded?: string;
  /** Named by submittedAt for the review-due kit: the moment the manual review was asked (the report). */
  submittedAt?: string;
  reviewSlaWorkingDays?: number;
  reviewDueAt?: string;
  reviewEscalated: boolean;
  invitationMode?: AssociationMode;
  invitationTokenSha256?: string;
  invitationIssuedAt?: string;
  invitationExpiresAt?: string;
  invitationReminderAt?: string;
  invitationReminded?: string;
  customerId?: string;
  associationId?: string;
  decidedAt?: string;
  decisionNote?: string;
  withdrawnAt?: string;
  expiredAt?: string;
  seq: number;
};

/** Update-with-start: answers once the report is recorded, or fails with the refusal the activity found. */
export const create = defineUpdate<CustomerReportSnapshot>('create');
/** The vendor's decision of a manual review: APPROVE protects from then (refused if another partner holds it), REJECT needs a reason. */
export const review = defineUpdate<CustomerReportSnapshot, [{ actor: Actor; decision: CustomerReportDecision; note?: string }]>('review');
/** The owning partner issues (or issues again) the invitation link: only its SHA-256 reaches the workflow. */
export const invite = defineUpdate<CustomerReportSnapshot, [{ actor: Actor; mode: AssociationMode; tokenSha256: string }]>('invite');
/** The customer accepts the link: its account is associated with the partner (the API checked its enterprise). */
export const accept = defineUpdate<CustomerReportSnapshot, [{ customerSub: string; customerId: string; tokenSha256: string; associationId: string }]>('accept');
/** By the owning partner's staff while open. */
export const withdraw = defineUpdate<CustomerReportSnapshot, [{ actor: Actor; reason?: string }]>('withdraw');
export const getState = defineQuery<CustomerReportSnapshot>('getState');
/** The shared signal: a pending manual review's reviewDueAt is counted again from the report (ignored once past or decided). */
export { type RecomputeRequest, recomputeDeadline } from '../kit/recompute.js';

/** Refusal types (validators, and failures of the handlers and activities): the API maps each to a status. */
export const Refusal = {
  notFound: 'CUSTOMER_REPORT_NOT_FOUND',
  notRecorded: 'CUSTOMER_REPORT_NOT_RECORDED',
  invalid: 'INVALID_REQUEST',
  /** Every reason the enterprise cannot be reported (domain/customer-report.ts) in the details. */
  notReportable: 'CUSTOMER_NOT_REPORTABLE',
  /** Another partner holds the enterprise's protection (who is never said). */
  alreadyReported: 'CUSTOMER_ALREADY_REPORTED',
  /** This partner has an open report of the enterprise. */
  alreadyOpen: 'CUSTOMER_REPORT_ALREADY_OPEN',
  /** The partner's open reports are at the cap. */
  capReached: 'CUSTOMER_REPORT_CAP_REACHED',
  unknownEnterprise: 'UNKNOWN_ENTERPRISE',
  notInReview: 'NOT_IN_REVIEW',
  notProtected: 'NOT_PROTECTED',
  notInvited: 'NOT_INVITED',
  invitationExpired: 'INVITATION_EXPIRED',
  /** The customer account is associated with a partner already (the database's one-open-association rule). */
  customerAssociated: 'CUSTOMER_ALREADY_ASSOCIATED',
  vendorOnly: 'VENDOR_ONLY',
  busy: 'ACTION_IN_PROGRESS',
  // The reviewed-application guards' refusals this process never meets (no materials, no supplement round).
  materialNotFound: 'MATERIAL_NOT_FOUND',
  materialsMissing: 'MATERIALS_MISSING',
  supplementDeadlinePassed: 'SUPPLEMENT_DEADLINE_PASSED',
} as const;
