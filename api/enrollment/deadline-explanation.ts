/**
 * The explanation of an enrollment's pending deadline. The enrollment row stores the deadlines' instants only; each
 * explanation is stored in the history row that counted it — the INVITED row's `invitation`, the REQUESTED and
 * ACCEPTED rows' `review` or `confirmation`, the APPROVED row's `confirmation`, and a DEADLINE_CHANGED row's
 * `explanation` when a calendar change counted it again — so the view reads the latest one of the pending deadline.
 */
import type { DeadlineExplanation } from '../../domain/calendar.js';
import type { EnrollmentStatus } from '../../workflows/enrollment/contract.js';

/** The deadline that waits in each status (the column the view answers it in). */
const PENDING_DEADLINE: Partial<Record<EnrollmentStatus, { column: string; plan: 'invitation' | 'review' | 'confirmation' }>> = {
  INVITED: { column: 'invitationExpiresAt', plan: 'invitation' },
  IN_REVIEW: { column: 'reviewDueAt', plan: 'review' },
  AWAITING_CONFIRMATION: { column: 'confirmationDueAt', plan: 'confirmation' },
};

type HistoryRow = { seq: number; type: string; data: Record<string, unknown> | null };

const explanationIn = (value: unknown): DeadlineExplanation | undefined => {
  const explanation = (value as { explanation?: unknown } | null | undefined)?.explanation;
  return explanation && typeof explanation === 'object' ? (explanation as DeadlineExplanation) : undefined;
};

/** The latest explanation of the deadline pending in `status`; null when none is pending (or none was recorded). */
export function pendingDeadlineExplanation(status: EnrollmentStatus, history: readonly HistoryRow[]): DeadlineExplanation | null {
  const pending = PENDING_DEADLINE[status];
  if (!pending) return null;
  for (const row of [...history].sort((a, b) => b.seq - a.seq)) {
    const data = row.data ?? {};
    const explanation = row.type === 'DEADLINE_CHANGED' ? (data.deadline === pending.column ? explanationIn(data) : undefined) : explanationIn(data[pending.plan]);
    if (explanation) return explanation;
  }
  return null;
}
