/**
 * The monthly incentive verification's contract: messages, ids, statuses, refusals and snapshot types — imported by
 * the workflow (workflows/incentive/workflow.ts), its activities, the generation run and the API's client.
 */
import type { SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { recomputeDeadline } from '../kit/recompute.js';
import { DeadlineProvisional, IncentivePeriod, PartnerId, ProcessDeadline, ProcessStatus } from '../kit/search-attributes.js';

export const INCENTIVE_OPEN_STATUSES = ['PENDING_VERIFICATION', 'OBJECTED'] as const;
export const INCENTIVE_STATUSES = [...INCENTIVE_OPEN_STATUSES, 'VERIFIED', 'EXPIRED'] as const;
export type IncentiveStatus = (typeof INCENTIVE_STATUSES)[number];

export type { Actor } from '../../domain/actor.js';
import type { Actor } from '../../domain/actor.js';
import type { DeadlineExplanation } from '../../domain/calendar.js';

export type IncentiveInput = {
  partnerId: string;
  period: string;
  /**
   * The stored incentive, when whoever starts the workflow has just read it: the monthly run reads a batch's
   * incentives at once and starts each verification with its own, which the workflow adopts without a first activity
   * (issue 16: a database read and a local activity less per partner). Without it the workflow generates or adopts
   * through generateIncentive. Either way it holds what is stored: no workflow has written to it yet.
   */
  generated?: GeneratedIncentive;
};

export type IncentiveLine = {
  expertId: string;
  employeeId: string;
  name: string;
  certification: string;
  amountMinor: number;
  currency: string;
};

/** The incentive as persisted: what the workflow adopts after generateIncentive (or from its input). */
export type GeneratedIncentive = {
  incentiveId: string;
  status: IncentiveStatus;
  generatedAt: string;
  verificationDeadline: string;
  reminderAt: string;
  explanation: DeadlineExplanation;
  currency: string;
  lines: IncentiveLine[];
  seq: number;
};

export type ObjectedLine = { expertId: string; reason: string };
/** An uploaded file's metadata (the bytes stay in the material table). The ids and uploader are data only. */
export type Material = {
  fileName: string;
  sha256: string;
  size: number;
  contentType: string;
  materialId?: string;
  uploadedBy?: string;
  uploadedAt?: string;
};
export type Adjustment = { expertId: string; amountMinor: number } | { expertId: string; remove: true };

export type IncentiveSnapshot = {
  incentiveId: string;
  partnerId: string;
  period: string;
  status: IncentiveStatus;
  generatedAt?: string;
  verificationDeadline?: string;
  reminderAt?: string;
  reminderSent: boolean;
  currency: string;
  headcount: number;
  totalMinor: number;
  lines: IncentiveLine[];
  /** The open objection (OBJECTED only). */
  objection?: ObjectedLine[];
  /** Present while the verification deadline counts a year whose official schedule is not published yet (workflows/kit/shared.ts). */
  deadlineProvisional?: true;
  provisionalYears?: number[];
  seq: number;
};

/**
 * What the Web UI shows of a generated incentive: the workflow publishes it once it has generated (or adopted) the
 * incentive, and the monthly run, which hands the workflow its stored incentive, starts the workflow with it — the
 * same values from the same function, so the workflow has nothing to publish (a visibility write per partner less).
 */
export const generatedSearchAttributes = (partnerId: string, period: string, generated: GeneratedIncentive): SearchAttributePair[] => [
  { key: PartnerId, value: partnerId },
  { key: IncentivePeriod, value: period },
  { key: ProcessStatus, value: generated.status },
  { key: ProcessDeadline, value: new Date(generated.verificationDeadline) },
  // Provisional while the deadline counts a year whose schedule is not published (workflows/kit/shared.ts provisionalMarkOf).
  { key: DeadlineProvisional, value: (generated.explanation.provisionalYears?.length ?? 0) > 0 },
];

/** The incentive's id: one per partner and month. */
export const incentiveId = (partnerId: string, period: string) => `${partnerId}-${period}`;
/** The workflow type the worker registers (the function's name in workflows/index.ts). */
export const INCENTIVE_WORKFLOW = 'incentiveWorkflow';
/** The workflow id: starting the same partner + period twice reaches the same workflow. */
export const incentiveWorkflowId = (partnerId: string, period: string) => `incentive-${incentiveId(partnerId, period)}`;

export const verify = defineUpdate<IncentiveSnapshot, [{ actor: Actor; headcount: number; totalMinor: number; materials: Material[] }]>('verify');
export const object = defineUpdate<IncentiveSnapshot, [{ actor: Actor; lines: ObjectedLine[] }]>('object');
export const resolveObjection = defineUpdate<
  IncentiveSnapshot,
  [{ actor: Actor; adjustments?: Adjustment[]; rejectObjection?: boolean; note: string }]
>('resolveObjection');
export const getIncentive = defineQuery<IncentiveSnapshot>('getIncentive');
/** The shared signal (workflows/kit/recompute.ts): here the verification deadline is recomputed from generatedAt. */
export { recomputeDeadline };

/** Refusal types: the API (next step) maps each to a status. */
export const Refusal = {
  notFound: 'INCENTIVE_NOT_FOUND',
  notGenerated: 'INCENTIVE_NOT_GENERATED',
  notPending: 'NOT_PENDING_VERIFICATION',
  notObjected: 'NOT_OBJECTED',
  deadlinePassed: 'VERIFICATION_DEADLINE_PASSED',
  listMismatch: 'LIST_MISMATCH',
  invalid: 'INVALID_REQUEST',
  vendorOnly: 'VENDOR_ONLY',
} as const;
