/**
 * The certification process's message contract: states, snapshot types, updates, signal, query and refusal types.
 * The workflow (workflows/certification/workflow.ts) and the API's client module both import it, so the compiler catches
 * drift between them. Workflow-safe: only @temporalio/workflow's message definitions.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
export const CERTIFICATION_OPEN_STATUSES = ['DRAFT', 'SUBMITTED', 'IN_REVIEW', 'SUPPLEMENT_REQUESTED'] as const;
export const CERTIFICATION_STATUSES = [...CERTIFICATION_OPEN_STATUSES, 'APPROVED', 'REJECTED', 'WITHDRAWN_BY_TIMEOUT', 'EXPIRED'] as const;
export type CertificationStatus = (typeof CERTIFICATION_STATUSES)[number];
export const CERTIFICATE_STATUSES = ['ACTIVE', 'EXPIRED'] as const;
export type CertificateStatus = (typeof CERTIFICATE_STATUSES)[number];
export const REVIEW_DECISIONS = ['APPROVE', 'REJECT', 'REQUEST_SUPPLEMENT'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];
// Plain data (no luxon): the contract is bundled into workflow code.
import type { CertificateReminder } from '../../domain/certificate-reminders.js';
export { type CertificateReminder, EXPIRY_REMINDER_DAYS } from '../../domain/certificate-reminders.js';
/** Working days before reviewDueAt at which the vendor's reviewers are reminded (the escalation follows the due date). */
export const REVIEW_REMINDER_WORKING_DAYS = 1;
/** Working days before supplementDeadline at which the partner is reminded (the withdrawal follows the deadline). */
export const SUPPLEMENT_REMINDER_WORKING_DAYS = 2;
export {
  CERTIFICATION_SUPPLEMENT_REMINDER_TOPIC,
  CERTIFICATION_WITHDRAWN_TOPIC,
  EXPIRY_REMINDER_TOPIC,
  REVIEW_ESCALATION_TOPIC,
  REVIEW_REMINDER_TOPIC,
} from '../../domain/events.js';
/** Outbox dedupe keys: one escalation per review round, one reminder per certificate, validTo and days before. */
export const reviewEscalationDedupeKey = (applicationId: string, round: number) => `certification-review-escalation-${applicationId}-${round}`;
export const expiryReminderDedupeKey = (number: string, validTo: string, days: number) => `certificate-expiry-reminder-${number}-${validTo}-${days}`;
/** A deadline's reminder is keyed by the deadline it announces (domain/reminders.ts): a moved deadline is announced again. */
export const reviewReminderDedupeKey = (applicationId: string, round: number, reviewDueAt: string) => `certification-review-reminder-${applicationId}-${round}-${reviewDueAt}`;
export const supplementReminderDedupeKey = (applicationId: string, supplementDeadline: string) => `certification-supplement-reminder-${applicationId}-${supplementDeadline}`;
/** One withdrawal per application (written with the WITHDRAWN_BY_TIMEOUT transition). */
export const withdrawnDedupeKey = (applicationId: string) => `certification-withdrawn-by-timeout-${applicationId}`;
/** `material.owner_kind` of a certification application's uploads (owner_id = applicationId). */
export const CERTIFICATION_MATERIAL_OWNER = 'certification';

export type { Actor } from '../../domain/actor.js';
import type { Actor } from '../../domain/actor.js';

export type CertificationInput = {
  applicationId: string;
  partnerId: string;
  type: string;
  solutionName?: string;
  createdBy: string;
  /** applicationId of the application whose certificate this one renews. */
  renewalOf?: string;
};

/** The certificate being renewed, as the API read it (the create validator refuses unless it is ACTIVE). */
export type RenewedCertificate = { number: string; partnerId: string; type: string; status: CertificateStatus; validTo: string };

/** An uploaded file's metadata (the bytes stay in the material table). */
export type CertificationMaterial = {
  materialId: string;
  fileName: string;
  sha256: string;
  size: number;
  contentType: string;
  uploadedBy: string;
  uploadedAt: string;
};

/** What the application needs from its catalog entry, copied at creation: a later catalog edit changes no open application. */
export type CertificationTerms = {
  category: string;
  appliesTo: 'PARTNER' | 'SOLUTION';
  requiredMaterials: string[];
  validityYears: number;
  reviewSlaWorkingDays: number;
  supplementWorkingDays: number;
  capabilityLabels: string[];
};

export type CertificateExtension = { oldValidTo: string; newValidTo: string; renewalApplicationId: string; at: string };

export type CertificateSnapshot = {
  number: string;
  type: string;
  category: string;
  labels: string[];
  /** The solution's name, or "partner". */
  scope: string;
  /** Local dates (YYYY-MM-DD, Asia/Shanghai), both inclusive. */
  validFrom: string;
  validTo: string;
  status: CertificateStatus;
  issuedAt: string;
  /** 00:00 local of the day after validTo. */
  expiresAt: string;
  reminders: CertificateReminder[];
  extensions: CertificateExtension[];
};

export type CertificationSnapshot = {
  applicationId: string;
  partnerId: string;
  type: string;
  solutionName?: string;
  renewalOf?: string;
  createdBy: string;
  createdAt?: string;
  terms?: CertificationTerms;
  status: CertificationStatus;
  materials: Record<string, CertificationMaterial>;
  submittedAt?: string;
  reviewRound: number;
  /** When the current review round started (submission or supplement): reviewDueAt counts from it. */
  reviewStartedAt?: string;
  reviewDueAt?: string;
  reviewEscalated: boolean;
  /** When the supplement was requested: supplementDeadline counts from it. */
  supplementRequestedAt?: string;
  supplementDeadline?: string;
  /**
   * Present while the pending reviewDueAt or supplementDeadline counts a year whose official holiday schedule is not
   * published yet (workflows/kit/shared.ts provisionalPayload): it may move when the schedule is published.
   */
  deadlineProvisional?: true;
  provisionalYears?: number[];
  decidedAt?: string;
  decisionNote?: string;
  /** The certificate this application issued (APPROVED, EXPIRED). */
  certificate?: CertificateSnapshot;
  /** A renewal approved while the original was active: the extension it caused (no certificate of its own). */
  extended?: { certificateNumber: string; oldValidTo: string; newValidTo: string };
  seq: number;
};

/** The workflow id: one per application. */
/** The workflow type the worker registers. */
export const CERTIFICATION_WORKFLOW = 'certificationWorkflow';
export const certificationWorkflowId = (applicationId: string) => `certification-${applicationId}`;

export const create = defineUpdate<CertificationSnapshot, [{ renewedCertificate?: RenewedCertificate }]>('create');
export const setMaterial = defineUpdate<CertificationSnapshot, [{ actor: Actor; kind: string; material: CertificationMaterial }]>('setMaterial');
export const submit = defineUpdate<CertificationSnapshot, [{ actor: Actor }]>('submit');
export const review = defineUpdate<CertificationSnapshot, [{ actor: Actor; decision: ReviewDecision; note?: string }]>('review');
export const supplement = defineUpdate<CertificationSnapshot, [{ actor: Actor; note?: string }]>('supplement');
export const extendCertificate = defineSignal<[{ validTo: string; renewalApplicationId: string }]>('extendCertificate');
/**
 * The shared signal (workflows/kit/shared.ts): here the pending reviewDueAt or supplementDeadline is recomputed from its
 * start; ignored when nothing is pending.
 */
export { type RecomputeRequest, recomputeDeadline } from '../kit/recompute.js';
export const getCertification = defineQuery<CertificationSnapshot>('getCertification');

/** Refusal types (validators, and failures of the create and submit handlers): the API maps each to a status. */
export const Refusal = {
  notFound: 'CERTIFICATION_NOT_FOUND',
  notCreated: 'CERTIFICATION_NOT_CREATED',
  invalid: 'INVALID_REQUEST',
  unknownType: 'UNKNOWN_CERTIFICATION_TYPE',
  renewalNotAllowed: 'RENEWAL_NOT_ALLOWED',
  notEditable: 'NOT_EDITABLE',
  notDraft: 'NOT_DRAFT',
  notInReview: 'NOT_IN_REVIEW',
  notSupplementRequested: 'NOT_SUPPLEMENT_REQUESTED',
  supplementDeadlinePassed: 'SUPPLEMENT_DEADLINE_PASSED',
  materialsMissing: 'MATERIALS_MISSING',
  materialNotFound: 'MATERIAL_NOT_FOUND',
  prerequisitesUnmet: 'PREREQUISITES_UNMET',
  vendorOnly: 'VENDOR_ONLY',
  /** Another action on this application is being carried out: try again. */
  busy: 'ACTION_IN_PROGRESS',
} as const;

/** One unmet prerequisite, as listed in a PREREQUISITES_UNMET failure's details. */
export type UnmetPrerequisite = { description: string; required: number; actual: number };
