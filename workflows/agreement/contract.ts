/**
 * The agreement version's message contract (issue 17 section 5, 签署新签约主体的协议): states, input, snapshot, the
 * update that answers once the publication is recorded, the query and the refusal codes. The workflow
 * (workflows/agreement/workflow.ts), its activities (activities/agreement.ts) and the API's client
 * (api/agreement/client.ts) all import it. Workflow-safe: only @temporalio/workflow's message definitions and plain data.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';

export {
  AGREEMENT_PUBLISHED_TOPIC,
  AGREEMENT_SIGN_ESCALATION_TOPIC,
  AGREEMENT_SIGN_REMINDER_TOPIC,
  AGREEMENT_SIGNED_TOPIC,
} from '../../domain/events.js';

/** One workflow per published version: it owns the version's deadlines for every partner at once. */
export const AGREEMENT_WORKFLOW = 'agreementWorkflow';
export const agreementWorkflowId = (agreementId: string) => `agreement-${agreementId}`;

/** SIGNING until the sign-by instant; then SIGN_BY_PASSED (the escalation sent, the workflow ends). */
export const AGREEMENT_STATUSES = ['SIGNING', 'SIGN_BY_PASSED'] as const;
export type AgreementStatus = (typeof AGREEMENT_STATUSES)[number];

/** Partners per fan-out activity: one keyset page of partners, one multi-row outbox insert. */
export const AGREEMENT_FANOUT_BATCH = 500;

/** Outbox dedupe keys: one message per topic, version, partner (and reminder). */
export const agreementMessageKey = (topic: string, agreementId: string, partnerId: string, daysBefore?: number) =>
  `${topic}-${agreementId}-${partnerId}${daysBefore === undefined ? '' : `-${daysBefore}`}`;

export type AgreementInput = {
  agreementId: string;
  contractingEntity: string;
  text: string;
  textSha256: string;
  effectiveDate: string;
  signByDate: string;
  publishedBy: string;
};

export type AgreementSnapshot = {
  agreementId: string;
  version: number;
  status: AgreementStatus;
  publishedAt?: string;
  effectiveAt?: string;
  signByAt?: string;
  remindersSent: number[];
  escalatedAt?: string;
  seq: number;
};

/** The fan-out kinds: which partners each message goes to (every partner known, or those that have not signed). */
export type AgreementFanOut = { topic: string; to: 'all' | 'unsigned'; daysBefore?: number };

/** Update-with-start: answers once the publication is recorded, or fails with the refusal the activity found. */
export const published = defineUpdate<AgreementSnapshot>('published');
export const getState = defineQuery<AgreementSnapshot>('getState');

/** What the publication recorded: the version number the database gave it and the instants its dates stand for. */
export type AgreementPublication = { version: number; publishedAt: string; effectiveAt: string; signByAt: string; seq: number };
