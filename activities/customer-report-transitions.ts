/**
 * A customer report's history and the messages it announces (activities/customer-report.ts records through it): the
 * numbered transition with its history row, the report's columns it sets and its outbox message, in one transaction;
 * once per (report, seq), so a retried activity writes nothing twice. The report's first row (seq 1) is written by
 * recordCustomerReport with the report itself.
 */
import type { PrismaClient } from '../platform/db.js';
import {
  CUSTOMER_REPORT_ASSOCIATED_TOPIC,
  CUSTOMER_REPORT_EXPIRED_TOPIC,
  CUSTOMER_REPORT_INVITATION_EXPIRED_TOPIC,
  CUSTOMER_REPORT_INVITED_TOPIC,
  CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC,
  CUSTOMER_REPORT_PROTECTED_TOPIC,
  CUSTOMER_REPORT_REJECTED_TOPIC,
  CUSTOMER_REPORT_REVIEW_ESCALATION_TOPIC,
  CUSTOMER_REPORT_WITHDRAWN_TOPIC,
  type CustomerReportStatus,
  customerReportOutcomeKey,
  Refusal,
} from '../workflows/customer-report/contract.js';
import type { Tx } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { appendOutbox, appendRecordedDeadlineChange } from './kit/outbox.js';

export type CustomerReportTransitionRecord = {
  reportId: string;
  seq: number;
  type: 'APPROVED' | 'REJECTED' | 'WITHDRAWN' | 'REVIEW_ESCALATED' | 'DEADLINE_CHANGED' | 'INVITED' | 'INVITATION_EXPIRED' | 'EXPIRED' | 'ASSOCIATED';
  fromStatus: CustomerReportStatus;
  toStatus: CustomerReportStatus;
  actor: string;
  at: string;
  note?: string;
  data?: Record<string, unknown>;
  /** Report columns this transition sets. */
  columns?: Partial<Record<keyof typeof COLUMNS, string>>;
};

/** The report columns a transition may set, by the name the workflow gives them. */
const COLUMNS = {
  reviewDueAt: 'review_due_at::timestamptz',
  decidedAt: 'decided_at::timestamptz',
  decisionNote: 'decision_note',
  protectedFrom: 'protected_from::timestamptz',
  protectedUntil: 'protected_until::timestamptz',
  invitationMode: 'invitation_mode',
  invitationTokenSha256: 'invitation_token_sha256',
  invitationIssuedAt: 'invitation_issued_at::timestamptz',
  invitationExpiresAt: 'invitation_expires_at::timestamptz',
  customerId: 'customer_id',
  associationId: 'association_id::uuid',
  associatedAt: 'associated_at::timestamptz',
  withdrawnAt: 'withdrawn_at::timestamptz',
  expiredAt: 'expired_at::timestamptz',
} as const;

/** The message each transition announces (its outbox topic); one of each per report. */
export const CUSTOMER_REPORT_OUTCOME_TOPICS: Partial<Record<CustomerReportTransitionRecord['type'], string>> = {
  APPROVED: CUSTOMER_REPORT_PROTECTED_TOPIC,
  REJECTED: CUSTOMER_REPORT_REJECTED_TOPIC,
  WITHDRAWN: CUSTOMER_REPORT_WITHDRAWN_TOPIC,
  REVIEW_ESCALATED: CUSTOMER_REPORT_REVIEW_ESCALATION_TOPIC,
  EXPIRED: CUSTOMER_REPORT_EXPIRED_TOPIC,
  ASSOCIATED: CUSTOMER_REPORT_ASSOCIATED_TOPIC,
};
/** Transitions that may happen more than once per report: their message is keyed by the transition's number. */
export const CUSTOMER_REPORT_REPEATED_TOPICS: Partial<Record<CustomerReportTransitionRecord['type'], string>> = {
  INVITED: CUSTOMER_REPORT_INVITED_TOPIC,
  INVITATION_EXPIRED: CUSTOMER_REPORT_INVITATION_EXPIRED_TOPIC,
};
/** The dedupe key of a transition's message (outcome: once per report; repeated: once per seq). */
export function customerReportMessageKey(t: Pick<CustomerReportTransitionRecord, 'type' | 'reportId' | 'seq'>): string | undefined {
  const once = CUSTOMER_REPORT_OUTCOME_TOPICS[t.type];
  if (once) return customerReportOutcomeKey(once, t.reportId);
  const repeated = CUSTOMER_REPORT_REPEATED_TOPICS[t.type];
  return repeated ? `${customerReportOutcomeKey(repeated, t.reportId)}-${t.seq}` : undefined;
}

/** The dedupe key of the report's first message: customer-report.protected, or customer-report.manual-review-requested. */
export const customerReportRecordedKey = (reportId: string, status: 'PROTECTED' | 'IN_MANUAL_REVIEW') =>
  customerReportOutcomeKey(status === 'PROTECTED' ? CUSTOMER_REPORT_PROTECTED_TOPIC : CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC, reportId);

/** What the acceptance's association reads of the report, locked for the transition. */
export type ReportRow = { partnerId: string; creditCode: string; invitationMode: string | null };

/**
 * The history row (once per report and seq), `first` (the association), the report's columns and the message, in one
 * transaction. A retry finds its history row and writes nothing more.
 */
export async function recordTransition(prisma: PrismaClient, t: CustomerReportTransitionRecord, first?: (tx: Tx, row: ReportRow) => Promise<unknown>): Promise<void> {
  await prisma.$transaction(async (tx) => {
    const claimed = await insertEvent(tx, { ...t, note: t.note ?? null, data: t.data ?? null });
    if (claimed === 0) return; // a retry: already recorded
    const [row] = await tx.$queryRawUnsafe<ReportRow[]>(
      `SELECT partner_id AS "partnerId", credit_code AS "creditCode", invitation_mode AS "invitationMode" FROM customer_report WHERE id = $1::uuid FOR UPDATE`,
      t.reportId,
    );
    if (!row) throw invalid(Refusal.notFound, `No customer report ${t.reportId}.`);
    if (first) await first(tx, row);
    const columns = Object.entries(t.columns ?? {}) as [keyof typeof COLUMNS, string][];
    const sets = ['status = $2', 'last_seq = $3', 'updated_at = $4::timestamptz'];
    const params: unknown[] = [t.reportId, t.toStatus, t.seq, t.at];
    for (const [name, value] of columns) {
      const [column, cast] = COLUMNS[name].split('::');
      params.push(value);
      sets.push(`${column} = $${params.length}${cast ? `::${cast}` : ''}`);
    }
    if (t.type === 'APPROVED' || t.type === 'REJECTED') sets.push(`decided_by = $${params.push(t.actor)}`);
    if (t.type === 'REVIEW_ESCALATED') sets.push('review_escalated_at = $4::timestamptz');
    const explanation = (t.data as { explanation?: unknown } | undefined)?.explanation;
    if (t.type === 'DEADLINE_CHANGED' && explanation) sets.push(`deadline_explanation = $${params.push(JSON.stringify(explanation))}::jsonb`);
    await tx.$executeRawUnsafe(`UPDATE customer_report SET ${sets.join(', ')} WHERE id = $1::uuid`, ...params);
    const dedupeKey = customerReportMessageKey(t);
    if (dedupeKey) {
      const topic = CUSTOMER_REPORT_OUTCOME_TOPICS[t.type] ?? CUSTOMER_REPORT_REPEATED_TOPICS[t.type]!;
      const about = { reportId: t.reportId, partnerId: row.partnerId, creditCode: row.creditCode };
      const { invitationTokenSha256: _secret, ...shown } = t.columns ?? {};
      await appendOutbox(tx, { topic, aggregateId: t.reportId, dedupeKey, dueAt: t.at, payload: { ...about, status: t.toStatus, at: t.at, actor: t.actor, ...(t.note ? { note: t.note } : {}), ...shown, ...t.data } });
    }
    if (t.type === 'DEADLINE_CHANGED') {
      await appendRecordedDeadlineChange(tx, { process: 'customer-report', aggregateId: t.reportId, seq: t.seq, partnerId: row.partnerId, at: t.at, ids: { reportId: t.reportId }, data: t.data });
    }
  });
}

type EventRow = { reportId: string; seq: number; type: string; fromStatus: string | null; toStatus: string; actor: string; at: string; note: string | null; data: unknown };
/** Inserts one history row unless (report, seq) is there already; answers how many it inserted. */
export const insertEvent = (tx: Tx, e: EventRow) =>
  tx.$executeRawUnsafe(
    `INSERT INTO customer_report_event (report_id, seq, type, from_status, to_status, actor, at, note, data)
     VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9::jsonb) ON CONFLICT (report_id, seq) DO NOTHING`,
    e.reportId, e.seq, e.type, e.fromStatus, e.toStatus, e.actor, e.at, e.note, e.data === null ? null : JSON.stringify(e.data),
  );
