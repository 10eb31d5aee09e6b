/**
 * The unlink's message contract (issue 18 section 3, 解除关联): states, snapshot, updates, query and refusal codes. The
 * workflow (workflows/unlink/workflow.ts), its activities (activities/unlink.ts) and the API's client
 * (api/unlink/client.ts) all import it. Workflow-safe: only @temporalio/workflow's message definitions and plain data
 * (domain/unlink.ts is imported for types only: it hashes with node:crypto).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { UnlinkSide, UnlinkUnmet } from '../../domain/unlink.js';

export type { UnlinkSide, UnlinkUnmet } from '../../domain/unlink.js';
export {
  UNLINK_EXECUTED_TOPIC,
  UNLINK_OBJECTED_TOPIC,
  UNLINK_OBJECTION_REMINDER_TOPIC,
  UNLINK_REFUSED_AT_EXECUTION_TOPIC,
  UNLINK_REQUESTED_TOPIC,
} from '../../domain/events.js';

/** The workflow type the worker registers, and its id: one workflow per unlink request. */
export const UNLINK_WORKFLOW = 'unlinkWorkflow';
export const unlinkWorkflowId = (unlinkId: string) => `unlink-${unlinkId}`;

/** Open: OBJECTION_WINDOW. The others end the workflow. */
export const UNLINK_STATUSES = ['OBJECTION_WINDOW', 'UNLINKED', 'OBJECTED', 'REFUSED_AT_EXECUTION'] as const;
export type UnlinkStatus = (typeof UNLINK_STATUSES)[number];

/** Calendar days before the objection deadline at which the side that may object is reminded. */
export const UNLINK_REMINDER_DAYS = 1;

/** Outbox dedupe keys: one message of each kind per unlink. */
export const unlinkMessageKey = (topic: string, unlinkId: string) => `${topic}-${unlinkId}`;
/** The reclaims' key on the ledger: one per unlink (platform/funds.ts adds `/<currency>`). */
export const unlinkReclaimKey = (unlinkId: string) => `unlink:${unlinkId}`;

/** Who acts: the token's subject and its side; partner staff carry their partner, a customer its customerId. */
export type UnlinkActor = { sub: string; side: UnlinkSide; partnerId?: string; customerId?: string };

export type UnlinkInput = {
  unlinkId: string;
  partnerId: string;
  customerId: string;
  associationId: string;
  requestedSide: UnlinkSide;
  requestedBy: string;
  /** The preview's hash the request confirmed: recorded only if what would happen is still that. */
  previewHash: string;
};

/** What the request's activity recorded (seq 1). */
export type UnlinkRecorded = { requestedAt: string; objectionDays: number; objectionDeadline: string; reminderAt: string; seq: number };

/** What the execution decided, in one transaction. */
export type UnlinkExecuted = {
  status: 'UNLINKED' | 'REFUSED_AT_EXECUTION';
  executedAt: string;
  unmet: UnlinkUnmet[];
  reclaimed: { currency: string; minor: number; toCredit: number; toRecharge: number; transferId: string }[];
  /** The outbox messages it appended (the unlink's and the reclaims'), announced after the commit. */
  dedupeKeys: string[];
  seq: number;
};

export type UnlinkSnapshot = UnlinkInput & {
  status: UnlinkStatus;
  requestedAt?: string;
  objectionDays?: number;
  objectionDeadline?: string;
  reminderAt?: string;
  reminded: boolean;
  objectedAt?: string;
  objectedBy?: string;
  executedAt?: string;
  seq: number;
};

/** Update-with-start: answers once the request is recorded, or fails with the refusal the activity found. */
export const create = defineUpdate<UnlinkSnapshot>('create');
/** The other side objects within the window: OBJECTED, the association stays. */
export const object = defineUpdate<UnlinkSnapshot, [{ actor: UnlinkActor; reason?: string }]>('object');
export const getState = defineQuery<UnlinkSnapshot>('getState');

/** Refusal types (validators, and failures of the activities): the API maps each to a status. */
export const Refusal = {
  notFound: 'UNLINK_NOT_FOUND',
  notRecorded: 'UNLINK_NOT_RECORDED',
  invalid: 'INVALID_REQUEST',
  /** Every reason the customer cannot be unlinked (domain/unlink.ts) in the details. */
  notUnlinkable: 'CUSTOMER_NOT_UNLINKABLE',
  /** The association the request names is not the customer's open one with this partner any more. */
  notAssociated: 'CUSTOMER_NOT_ASSOCIATED',
  /** An unlink of this customer is in its objection window already. */
  alreadyOpen: 'UNLINK_ALREADY_OPEN',
  /** What would happen is not what the preview the request carries showed. */
  previewChanged: 'UNLINK_PREVIEW_CHANGED',
  /** The side that asked cannot object to its own request. */
  ownRequest: 'OWN_UNLINK_REQUEST',
  notInWindow: 'NOT_IN_OBJECTION_WINDOW',
  busy: 'ACTION_IN_PROGRESS',
} as const;
