/**
 * The monthly incentive verification's contract: messages, ids, statuses, refusals and snapshot types — imported by
 * the workflow (workflows/incentive/workflow.ts), its activities, the generation run and the API's client.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import { recomputeDeadline } from '../kit/recompute.js';

export const INCENTIVE_OPEN_STATUSES = ['PENDING_VERIFICATION', 'OBJECTED'] as const;
export const INCENTIVE_STATUSES = [...INCENTIVE_OPEN_STATUSES, 'VERIFIED', 'EXPIRED'] as const;
export type IncentiveStatus = (typeof INCENTIVE_STATUSES)[number];

export type { Actor } from '../../domain/actor.js';
import type { Actor } from '../../domain/actor.js';

export type IncentiveInput = { partnerId: string; period: string };

export type IncentiveLine = {
  expertId: string;
  employeeId: string;
  name: string;
  certification: string;
  amountMinor: number;
  currency: string;
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
