/**
 * The customer reports' read model (customer_report, customer_report_event; migration 0028), read with SQL: one
 * report by id or by its invitation token's SHA-256, its view with the history, and a partner's reports in keyset
 * pages, newest first.
 */
import type { DeadlineExplanation } from '../../domain/calendar.js';
import type { ReportUnmet } from '../../domain/customer-report.js';
import type { CustomerReportStatus } from '../../workflows/customer-report/contract.js';
import { dateKey, decodeCursor, encodeCursor, page } from '../kit/pagination.js';
import { iso, local } from '../kit/reviewed-application.js';
import { isUuid } from '../kit/validation.js';
import type { CustomerReportSummary, CustomerReportView } from './schemas.js';

type Db = { $queryRawUnsafe<T = unknown>(query: string, ...values: unknown[]): Promise<T> };

export type ReportRow = {
  id: string;
  partnerId: string;
  creditCode: string;
  status: CustomerReportStatus;
  reportedBy: string;
  reportedAt: Date;
  manualReview: boolean;
  justification: string | null;
  unmet: ReportUnmet[] | null;
  protectionDays: number;
  protectedFrom: Date | null;
  protectedUntil: Date | null;
  reviewSlaWorkingDays: number | null;
  reviewDueAt: Date | null;
  reviewEscalatedAt: Date | null;
  deadlineExplanation: DeadlineExplanation | null;
  decidedAt: Date | null;
  decisionNote: string | null;
  invitationTokenSha256: string | null;
  invitationMode: string | null;
  invitationIssuedAt: Date | null;
  invitationExpiresAt: Date | null;
  customerId: string | null;
  associationId: string | null;
  associatedAt: Date | null;
  withdrawnAt: Date | null;
  expiredAt: Date | null;
};

const SELECT = `SELECT id::text AS id, partner_id AS "partnerId", credit_code AS "creditCode", status, reported_by AS "reportedBy",
  reported_at AS "reportedAt", manual_review AS "manualReview", justification, unmet, protection_days AS "protectionDays",
  protected_from AS "protectedFrom", protected_until AS "protectedUntil", review_sla_working_days AS "reviewSlaWorkingDays",
  review_due_at AS "reviewDueAt", review_escalated_at AS "reviewEscalatedAt", deadline_explanation AS "deadlineExplanation",
  decided_at AS "decidedAt", decision_note AS "decisionNote", invitation_token_sha256 AS "invitationTokenSha256",
  invitation_mode AS "invitationMode", invitation_issued_at AS "invitationIssuedAt", invitation_expires_at AS "invitationExpiresAt",
  customer_id AS "customerId", association_id::text AS "associationId", associated_at AS "associatedAt",
  withdrawn_at AS "withdrawnAt", expired_at AS "expiredAt"
  FROM customer_report`;

/** One report by id (any case), or by its current invitation token's SHA-256; null when there is none. */
export async function findReport(db: Db, id: string | undefined, tokenSha256?: string): Promise<ReportRow | null> {
  if (id !== undefined && !isUuid(id)) return null;
  const rows = await db.$queryRawUnsafe<ReportRow[]>(
    id !== undefined ? `${SELECT} WHERE id = $1::uuid` : `${SELECT} WHERE invitation_token_sha256 = $1`,
    id !== undefined ? id.toLowerCase() : tokenSha256,
  );
  return rows[0] ?? null;
}

export function reportSummary(row: ReportRow, zone: string): CustomerReportSummary {
  return {
    id: row.id,
    partnerId: row.partnerId,
    creditCode: row.creditCode,
    status: row.status,
    reportedBy: row.reportedBy,
    reportedAt: row.reportedAt.toISOString(),
    manualReview: row.manualReview,
    protectionDays: row.protectionDays,
    protectedFrom: iso(row.protectedFrom),
    protectedUntil: iso(row.protectedUntil),
    reviewSlaWorkingDays: row.reviewSlaWorkingDays,
    reviewDueAt: iso(row.reviewDueAt),
    reviewEscalatedAt: iso(row.reviewEscalatedAt),
    invitation:
      row.invitationMode && row.invitationIssuedAt && row.invitationExpiresAt
        ? { mode: row.invitationMode as 'RESELLER' | 'CONSULTATIVE', issuedAt: row.invitationIssuedAt.toISOString(), expiresAt: row.invitationExpiresAt.toISOString() }
        : null,
    customerId: row.customerId,
    associationId: row.associationId,
    associatedAt: iso(row.associatedAt),
    decidedAt: iso(row.decidedAt),
    withdrawnAt: iso(row.withdrawnAt),
    expiredAt: iso(row.expiredAt),
    zone,
    // The same instants in the partner's zone, for people.
    local: {
      reportedAt: local(row.reportedAt, zone)!,
      protectedFrom: local(row.protectedFrom, zone),
      protectedUntil: local(row.protectedUntil, zone),
      reviewDueAt: local(row.reviewDueAt, zone),
      invitationExpiresAt: local(row.invitationExpiresAt, zone),
    },
  };
}

type EventRow = { seq: number; type: string; fromStatus: string | null; toStatus: string; actor: string; at: Date; note: string | null; data: Record<string, unknown> | null };

export async function reportView(db: Db, row: ReportRow, zone: string): Promise<CustomerReportView> {
  const events = await db.$queryRawUnsafe<EventRow[]>(
    `SELECT seq, type, from_status AS "fromStatus", to_status AS "toStatus", actor, at, note, data FROM customer_report_event WHERE report_id = $1::uuid ORDER BY seq`,
    row.id,
  );
  return {
    ...reportSummary(row, zone),
    justification: row.justification,
    unmet: row.unmet,
    deadlineExplanation: row.status === 'IN_MANUAL_REVIEW' ? row.deadlineExplanation : null,
    decisionNote: row.decisionNote,
    history: events.map((e) => ({
      seq: e.seq,
      type: e.type as CustomerReportView['history'][number]['type'],
      fromStatus: e.fromStatus as CustomerReportStatus | null,
      toStatus: e.toStatus as CustomerReportStatus,
      actor: e.actor,
      at: e.at.toISOString(),
      note: e.note,
      data: e.data,
    })),
  };
}

export type ReportListFilter = { status?: CustomerReportStatus | undefined; creditCode?: string | undefined; limit: number; cursor?: string | undefined };

/** A partner's reports, newest first by (reportedAt, id). */
export async function listReports(db: Db, partnerId: string, filter: ReportListFilter, zone: string) {
  const params: unknown[] = [partnerId];
  const where = ['partner_id = $1'];
  if (filter.status) where.push(`status = $${params.push(filter.status)}`);
  if (filter.creditCode) where.push(`credit_code = $${params.push(filter.creditCode)}`);
  if (filter.cursor) {
    const at = decodeCursor(filter.cursor, dateKey, isUuid);
    where.push(`(reported_at, id) < ($${params.push(at.key.toISOString())}::timestamptz, $${params.push(at.id.toLowerCase())}::uuid)`);
  }
  const rows = await db.$queryRawUnsafe<ReportRow[]>(`${SELECT} WHERE ${where.join(' AND ')} ORDER BY reported_at DESC, id DESC LIMIT $${params.push(filter.limit + 1)}`, ...params);
  const { items, nextCursor } = page(rows, filter.limit, (r) => encodeCursor(r.reportedAt, r.id));
  return { items: items.map((r) => reportSummary(r, zone)), nextCursor };
}
