// The calendar change propagation's contract: its workflow type and id, the process kinds it visits and its
// input/result — imported by the workflow (workflows/calendar-change/workflow.ts), its activities and the API's
// calendar client, which starts it without loading the workflow code.
import type { CalendarChangeScope } from '../../domain/calendar-versions.js';

export type { CalendarChangeScope };

/** The workflow type the worker registers (the function's name in workflows/index.ts). */
export const CALENDAR_CHANGE_WORKFLOW = 'calendarChangeWorkflow';

/** Processes signalled per batch (one keyset query, one activity). */
export const CHANGE_BATCH_SIZE = 100;

/** `calendar-change-<calendar>-v<version>` or `calendar-move-<partnerId>-<changeId>`: a retried start propagates once. */
export const calendarChangeWorkflowId = (scope: CalendarChangeScope, changeId?: string) =>
  scope.kind === 'CALENDAR' ? `calendar-change-${scope.calendar}-v${scope.version}` : `calendar-move-${scope.partnerId}-${changeId}`;

/**
 * Every process kind whose workflow answers `recomputeDeadline`, in the order the propagation visits them. The
 * activities' `AFFECTED_PROCESSES` (activities/calendar-change.ts) has one query per kind: the compiler holds them to
 * the same kinds, test/calendar-change.test.ts to the same order.
 */
export const PROCESS_KINDS = ['opportunity', 'incentive', 'path-review', 'certification', 'specialist', 'level-raise', 'enrollment', 'customer-report'] as const;
/** A change recorded before project specialists existed visits the four first kinds only (workflow.ts). */
export const SPECIALIST_KIND_PATCH = 'calendar-change-specialist';
/** A change recorded before level raises existed does not visit them (workflow.ts). */
export const LEVEL_RAISE_KIND_PATCH = 'calendar-change-level-raise';
/** Nor one recorded before enrollments existed (workflow.ts). */
export const ENROLLMENT_KIND_PATCH = 'calendar-change-enrollment';
/** Nor one recorded before customer reports were visited (workflow.ts). */
export const CUSTOMER_REPORT_KIND_PATCH = 'calendar-change-customer-report';
export type ProcessKind = (typeof PROCESS_KINDS)[number];

export type CalendarChangeInput = {
  scope: CalendarChangeScope;
  reason: string;
  /** Carried over continue-as-new: the kind being visited and the last key done in it. */
  process?: ProcessKind;
  cursor?: string | null;
  signaled?: number;
  batchSize?: number;
};

export type CalendarChangeResult = { signaled: number };
