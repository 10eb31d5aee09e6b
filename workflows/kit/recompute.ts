// The one message every process with a working-day deadline answers: imported by the workflows (workflows/kit/shared.ts
// re-exports it), by the calendar change propagation's activity that sends it, and by tests.
import { defineSignal } from '@temporalio/workflow';

/** Why a process is asked to recompute its pending deadline (for its history): the calendar and its new version. */
export type RecomputeRequest = { reason: string; calendar?: string; version?: number };
/**
 * The partner's calendar (or its assignment) changed: every process with a working-day deadline recomputes it from
 * its stored start with the calendar as it is now, through an activity (workflows/calendar-change/workflow.ts sends it).
 */
export const recomputeDeadline = defineSignal<[RecomputeRequest]>('recomputeDeadline');
