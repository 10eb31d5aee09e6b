/**
 * The ceiling's messages, shared by its workflow (bench/ceiling/workflows.ts) and the benchmark that calls it.
 * Same names as the opportunity's share and accept, so the server sees the same message traffic.
 */
import { defineUpdate } from '@temporalio/workflow';

export const CEILING_WORKFLOW = 'ceilingOpportunity';
/** Where the ceiling's opportunity stands; both updates answer it, as the opportunity's answer its snapshot. */
export type CeilingStatus = 'PENDING_ACCEPTANCE' | 'ACCEPTED';
export const ceilingShare = defineUpdate<CeilingStatus>('share');
export const ceilingAccept = defineUpdate<CeilingStatus>('accept');

/** Input: how long the partner has to accept, in ms (the accept deadline's timer). */
export type CeilingInput = { acceptWithinMs: number };
