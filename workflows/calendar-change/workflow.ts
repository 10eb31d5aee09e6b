/**
 * Deadlines follow the calendar. After a calendar's new version (PUT /v1/calendars/:name) or a partner's move to
 * another calendar (PUT /v1/partners/:partnerId/calendar), this workflow finds the open processes whose pending
 * deadline may depend on what changed — a bounded keyset query per batch — and signals each `recomputeDeadline`.
 * Each process recomputes from its own stored start moment, through an activity (the calendar reaches workflow code
 * only as activity results), and records old → new in its history.
 *
 * Workflow id `calendar-change-<calendar>-v<version>` or `calendar-move-<partnerId>-<changeId>`: a retried start
 * propagates once. Every kind in PROCESS_KINDS answers recomputeDeadline (docs/calendar.md).
 */
import { continueAsNew, patched, proxyActivities } from '@temporalio/workflow';
import type { createCalendarChangeActivities } from '../../activities/calendar-change.js';
import { persistenceActivityOptions } from '../kit/shared.js';

export * from './contract.js';
import { type CalendarChangeInput, type CalendarChangeResult, CHANGE_BATCH_SIZE, CUSTOMER_REPORT_KIND_PATCH, ENROLLMENT_KIND_PATCH, LEVEL_RAISE_KIND_PATCH, PROCESS_KINDS, SPECIALIST_KIND_PATCH } from './contract.js';

/** Batches per workflow run before continue-as-new (two events per batch: well under any limit). */
const BATCHES_PER_RUN = 10;

const { listAffectedProcesses, signalRecompute } = proxyActivities<ReturnType<typeof createCalendarChangeActivities>>(persistenceActivityOptions);

export async function calendarChangeWorkflow(input: CalendarChangeInput): Promise<CalendarChangeResult> {
  const { scope, reason } = input;
  let signaled = input.signaled ?? 0;
  let batches = 0;
  for (const process of PROCESS_KINDS.slice(input.process ? PROCESS_KINDS.indexOf(input.process) : 0)) {
    // Project specialists came later: replaying a change recorded before them must not visit them.
    if (process === 'specialist' && !patched(SPECIALIST_KIND_PATCH)) continue;
    // Level raises too: a change recorded before them must not visit them.
    if (process === 'level-raise' && !patched(LEVEL_RAISE_KIND_PATCH)) continue;
    // And enrollments (their invitation expiry, review due date and confirmation deadline).
    if (process === 'enrollment' && !patched(ENROLLMENT_KIND_PATCH)) continue;
    // And customer reports (a manual review's due date; their protection and invitation count calendar days).
    if (process === 'customer-report' && !patched(CUSTOMER_REPORT_KIND_PATCH)) continue;
    let cursor = process === input.process ? (input.cursor ?? null) : null;
    for (;;) {
      if (batches++ >= BATCHES_PER_RUN) return continueAsNew<typeof calendarChangeWorkflow>({ ...input, process, cursor, signaled });
      const batch = await listAffectedProcesses({ process, scope, after: cursor, limit: input.batchSize ?? CHANGE_BATCH_SIZE, now: new Date().toISOString() });
      signaled += await signalRecompute({ workflowIds: batch.workflowIds, reason, calendar: scope.calendar, version: scope.version });
      if (!batch.cursor) break;
      cursor = batch.cursor;
    }
  }
  return { signaled };
}
