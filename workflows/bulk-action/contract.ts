/**
 * The bulk action's contract (issue 20 section 5, docs/bulk-actions.md): one durable job acting on many items as its
 * caller — a partner's member accepting or rejecting opportunities or verifying incentives, a vendor reviewer deciding
 * reviews — with a result per item. Imported by the workflow, its activities, the API's client and the tests.
 */
import { defineQuery } from '@temporalio/workflow';
import type { Principal } from '../../domain/auth.js';
import type { RejectReason } from '../opportunity/contract.js';

/** The workflow type the worker registers (the function's name in workflows/index.ts). */
export const BULK_ACTION_WORKFLOW = 'bulkActionWorkflow';
export const bulkActionWorkflowId = (jobId: string) => `bulk-action-${jobId}`;

export const OPPORTUNITY_BULK_KINDS = ['opportunity.accept', 'opportunity.reject'] as const;
/**
 * What a job does to each of its items: accept or reject an opportunity, verify an incentive (the partner's), decide a
 * review (the vendor's: each item names its kind of review — certification, path review… — and carries its decision).
 */
export const BULK_ACTION_KINDS = [...OPPORTUNITY_BULK_KINDS, 'incentive.verify', 'review.decide'] as const;
export type BulkActionKind = (typeof BULK_ACTION_KINDS)[number];
/** The kinds acting for a partner (the job has its partner); a review decision is the vendor's (no partner). */
export const isPartnerKind = (kind: BulkActionKind) => kind !== 'review.decide';
/** At most this many items in one job; a bigger batch is several jobs. */
export const MAX_BULK_ITEMS = 1000;
/** Items acted on at once: enough to finish 1,000 in a few minutes, few enough not to crowd out the single routes. */
export const BULK_CONCURRENCY = 8;

export const JOB_STATUSES = ['RUNNING', 'COMPLETED'] as const;
export type BulkJobStatus = (typeof JOB_STATUSES)[number];
/** PENDING until settled; DONE, REFUSED (with the single route's problem) or FAILED (after retries) once settled. */
export const ITEM_OUTCOMES = ['PENDING', 'DONE', 'REFUSED', 'FAILED'] as const;
export type ItemOutcome = (typeof ITEM_OUTCOMES)[number];
export type SettledOutcome = Exclude<ItemOutcome, 'PENDING'>;

export type BulkItem = { opportunityId: string; reasonCode?: RejectReason; note?: string };

/** The job's items are in bulk_action_item (recorded by the API before the start): the input names only how many. */
export type BulkActionInput = {
  jobId: string;
  /** The partner a partner's job acts for; absent for a vendor's job (review decisions). */
  partnerId?: string;
  /** The caller: every item acts as it, as the single route would. */
  principal: Principal;
  kind: BulkActionKind;
  total: number;
};

/** The problem a refused or failed item answers (RFC 9457 body). */
export type ItemProblem = { status: number; type: string; title: string; detail?: string; [extension: string]: unknown };
/** What an item settled as: its object's new status when DONE (the opportunity's, incentive's, review's), the problem otherwise. */
export type ItemResult = { outcome: SettledOutcome; status?: string; problem?: ItemProblem };

export type BulkProgress = { jobId: string; status: BulkJobStatus; total: number; counts: Record<ItemOutcome, number> };

export const getProgress = defineQuery<BulkProgress>('getProgress');
