/**
 * The opportunity process's contract: its messages, workflow id, statuses, refusals — imported by the workflow
 * (workflows/opportunity/workflow.ts), its activities and the API's client, so the compiler catches drift between them.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { Money } from '../../domain/money.js';
import { recomputeDeadline } from '../kit/recompute.js';

/** The workflow type the worker registers (the function's name in workflows/index.ts). */
export const OPPORTUNITY_WORKFLOW = 'opportunityWorkflow';
export const opportunityWorkflowId = (opportunityId: string) => `opportunity-${opportunityId}`;

export const OPEN_STATUSES = ['PENDING_ACCEPTANCE', 'ACCEPTED'] as const;
export const STATUSES = [...OPEN_STATUSES, 'REJECTED', 'EXPIRED', 'WON', 'LOST'] as const;
export type OpportunityStatus = (typeof STATUSES)[number];
export const REJECT_REASONS = ['CUSTOMER_NEED_UNCLEAR', 'NEXT_STEPS_UNCLEAR', 'CANNOT_SUPPORT', 'DUPLICATE', 'OTHER'] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];
export const STAGES = ['QUALIFYING', 'SOLUTION_DESIGN', 'PROPOSAL', 'NEGOTIATION', 'CONTRACTING'] as const;
export type Stage = (typeof STAGES)[number];
export const OUTCOMES = ['WON', 'LOST'] as const;

export type { Actor } from '../../domain/actor.js';
import type { Actor } from '../../domain/actor.js';

export type OpportunityInput = {
  opportunityId: string;
  partnerId: string;
  customerName: string;
  title: string;
  estimatedAmount?: Money;
  sharedBy: string;
};

export type OpportunitySnapshot = {
  opportunityId: string;
  partnerId: string;
  status: OpportunityStatus;
  sharedAt?: string;
  acceptDeadline?: string;
  seq: number;
};


export const share = defineUpdate<OpportunitySnapshot>('share');
export const accept = defineUpdate<OpportunitySnapshot, [{ actor: Actor }]>('accept');
export const reject = defineUpdate<OpportunitySnapshot, [{ actor: Actor; reasonCode: RejectReason; note?: string }]>('reject');
export const postUpdate = defineUpdate<OpportunitySnapshot, [{ actor: Actor; stage: Stage; note: string }]>('postUpdate');
export const close = defineUpdate<OpportunitySnapshot, [{ actor: Actor; outcome: 'WON' | 'LOST'; note?: string }]>('close');
export const getState = defineQuery<OpportunitySnapshot>('getState');
/** The shared signal (workflows/kit/recompute.ts): here the accept deadline is recomputed from sharedAt. */
export { recomputeDeadline };


/** Refusal types: the API maps each to a status (see api/opportunity/client.ts). */
export const Refusal = {
  notFound: 'OPPORTUNITY_NOT_FOUND',
  notPending: 'NOT_PENDING_ACCEPTANCE',
  deadlinePassed: 'ACCEPT_DEADLINE_PASSED',
  notAccepted: 'NOT_ACCEPTED',
  notShared: 'NOT_SHARED',
} as const;
