/**
 * Customer report persistence (workflows/customer-report/workflow.ts). Every activity is idempotent: a retry after a
 * crash finds its own earlier write (the report's row, or its history row (report, seq)) and does nothing more.
 * Business times come in as arguments (workflow time). The tables (migration 0028) are written with SQL.
 *
 * The report is judged in the transaction that records it, under the partner's lock (the cap counts its open reports):
 * the enterprise must be in the enterprise records, nobody else may hold its protection (one protected report per
 * enterprise: customer_report.protected_credit_code, unique), the partner may have no other open report of it, and
 * — unless the partner asked for manual review — no rule of domain/customer-report.ts may refuse it (every reason in
 * the refusal). The approval of a manual review and the acceptance of an invitation are decided by the database in the
 * transaction that records them: another partner protected meanwhile refuses the approval; a customer associated with a
 * partner already refuses the acceptance (customer_association.open_customer_id, unique). Nothing is written then.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CalendarLookup } from '../domain/calendar.js';
import { calendarDaysAfter, type CustomerReportTerms, customerReportTermsOf, localDateOf, type ReportUnmet } from '../domain/customer-report.js';
import { enterpriseKnown, openReportCount, protectionOf, reportabilityOf, type RunQuery } from '../platform/customer-queries.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { PrismaClient } from '../platform/db.js';
import {
  CUSTOMER_REPORT_ASSOCIATED_TOPIC,
  CUSTOMER_REPORT_EXPIRED_TOPIC,
  CUSTOMER_REPORT_INVITATION_EXPIRED_TOPIC,
  CUSTOMER_REPORT_INVITED_TOPIC,
  CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC,
  CUSTOMER_REPORT_PROTECTED_TOPIC,
  CUSTOMER_REPORT_REJECTED_TOPIC,
  CUSTOMER_REPORT_REMINDER_DAYS,
  CUSTOMER_REPORT_REVIEW_ESCALATION_TOPIC,
  CUSTOMER_REPORT_REVIEW_REMINDER_WORKING_DAYS,
  CUSTOMER_REPORT_WITHDRAWN_TOPIC,
  type CalendarDeadline,
  type CustomerReportInput,
  type CustomerReportRecorded,
  type CustomerReportStatus,
  customerReportOutcomeKey,
  Refusal,
} from '../workflows/customer-report/contract.js';
import type { Tx } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { appendOutbox, appendRecordedDeadlineChange, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';

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

/** `customerReportTerms`: the protection, invitation and review terms of reports made from now on, and the cap. */
export type CustomerReportActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup; customerReportTerms?: CustomerReportTerms };

type Db = Pick<PrismaClient, '$queryRawUnsafe' | '$executeRawUnsafe'>;
export const runOn =
  (db: Db): RunQuery =>
  <T>(sql: string, ...params: unknown[]) =>
    db.$queryRawUnsafe<T[]>(sql, ...params);

/** The unique index a failed write violated, when that is why it failed (Prisma reports raw SQL's violations in the message). */
export function violatedIndex(error: unknown): string | undefined {
  const e = error as { code?: string; message?: string; meta?: { target?: unknown } } | null;
  const text = `${e?.message ?? ''} ${JSON.stringify(e?.meta ?? {})}`;
  const index = text.match(/\b(customer_[a-z0-9_]+_key)\b/)?.[1];
  if (e?.code !== 'P2002' && !/23505|unique constraint/i.test(text) && !index) return undefined;
  return index ?? 'unknown';
}

/** The refusal of an enterprise the rules refuse: every reason (code and evidence) in its details. */
const notReportable = (unmet: ReportUnmet[]) =>
  ApplicationFailure.create({ type: Refusal.notReportable, message: `The enterprise cannot be reported: ${unmet.map((u) => u.code).join(', ')}.`, nonRetryable: true, details: [unmet] });
export const alreadyReported = () => invalid(Refusal.alreadyReported, 'The enterprise is already reported and protected for another partner.');

export function createCustomerReportActivities({ prisma, calendarFor = databaseCalendarLookup(prisma), customerReportTerms = customerReportTermsOf(process.env) }: CustomerReportActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);
  const terms = customerReportTerms;

  /** `days` calendar days from `from` in the partner's zone, and the reminder one day before. */
  async function calendarDays(partnerId: string, from: string, days: number): Promise<CalendarDeadline> {
    const zone = await partner.zoneOf(partnerId);
    const at = calendarDaysAfter(from, days, zone);
    return { at, reminderAt: calendarDaysAfter(at, -CUSTOMER_REPORT_REMINDER_DAYS, zone) };
  }

  async function loadRecorded(reportId: string): Promise<CustomerReportRecorded | undefined> {
    const [row] = await prisma.$queryRawUnsafe<{ status: string; reportedAt: Date; protectionDays: number; data: Record<string, unknown> }[]>(
      `SELECT r.status, r.reported_at AS "reportedAt", r.protection_days AS "protectionDays", e.data
       FROM customer_report r JOIN customer_report_event e ON e.report_id = r.id AND e.seq = 1 WHERE r.id = $1::uuid`,
      reportId,
    );
    if (!row) return undefined;
    return { ...(row.data as Omit<CustomerReportRecorded, 'seq'>), seq: 1 };
  }

  return {
    /**
     * Records the report (seq 1) as PROTECTED until protectionDays calendar days on, or IN_MANUAL_REVIEW due in the SLA's
     * working days — judged in one transaction under the partner's lock — with its customer-report.protected or
     * customer-report.manual-review-requested message. A retry finds the report and answers it.
     */
    async recordCustomerReport(input: CustomerReportInput & { reportedAt: string }): Promise<CustomerReportRecorded> {
      const existing = await loadRecorded(input.reportId);
      if (existing) return existing;
      const { reportId, partnerId, creditCode, reportedAt, manualReview } = input;
      const zone = await partner.zoneOf(partnerId);
      const today = localDateOf(reportedAt, zone);
      const base = { reportedAt, protectionDays: terms.protectionDays, invitationDays: terms.invitationDays };
      let recorded: Omit<CustomerReportRecorded, 'seq'>;
      if (manualReview) {
        const due = await partner.planWorkingDays({ partnerId, from: reportedAt, workingDays: terms.reviewSlaWorkingDays, remindBefore: CUSTOMER_REPORT_REVIEW_REMINDER_WORKING_DAYS });
        recorded = {
          ...base,
          status: 'IN_MANUAL_REVIEW',
          reviewSlaWorkingDays: terms.reviewSlaWorkingDays,
          reviewDueAt: due.deadline,
          explanation: due.explanation,
          ...(due.reminderAt ? { reviewReminderAt: due.reminderAt } : {}),
        };
      } else {
        const protection = await calendarDays(partnerId, reportedAt, terms.protectionDays);
        recorded = { ...base, status: 'PROTECTED', protectedUntil: protection.at, protectionReminderAt: protection.reminderAt };
      }
      try {
        await prisma.$transaction(async (tx) => {
          const run = runOn(tx);
          // One report of this partner at a time: the cap counts what is committed.
          await tx.$queryRawUnsafe(`SELECT 1 AS locked FROM pg_advisory_xact_lock(hashtextextended($1, 0))`, `customer-report ${partnerId}`);
          if (!(await enterpriseKnown(run, creditCode))) throw invalid(Refusal.unknownEnterprise, `No enterprise with credit code ${creditCode} is in the enterprise records.`);
          const { holder, ownOpen } = await protectionOf(run, creditCode, partnerId);
          if (ownOpen) throw invalid(Refusal.alreadyOpen, `This partner's report ${ownOpen} of the enterprise is still open.`);
          if (holder) throw alreadyReported();
          if ((await openReportCount(run, partnerId)) >= terms.openCap) throw invalid(Refusal.capReached, `At most ${terms.openCap} reports may be in manual review or protected at once.`);
          const unmet = await reportabilityOf(run, creditCode, today, terms.registeredWithinDays);
          if (unmet.length && !manualReview) throw notReportable(unmet);
          await tx.$executeRawUnsafe(
            `INSERT INTO customer_report (id, partner_id, credit_code, status, reported_by, reported_at, manual_review, justification, unmet, protection_days,
               protected_from, protected_until, review_sla_working_days, review_due_at, deadline_explanation, last_seq, updated_at)
             VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz, $7, $8, $9::jsonb, $10, $11::timestamptz, $12::timestamptz, $13, $14::timestamptz, $15::jsonb, 1, $6::timestamptz)`,
            reportId, partnerId, creditCode, recorded.status, input.reportedBy, reportedAt, manualReview, input.justification ?? null,
            manualReview ? JSON.stringify(unmet) : null, terms.protectionDays,
            manualReview ? null : reportedAt, recorded.protectedUntil ?? null, recorded.reviewSlaWorkingDays ?? null, recorded.reviewDueAt ?? null,
            recorded.explanation ? JSON.stringify(recorded.explanation) : null,
          );
          await insertEvent(tx, { reportId, seq: 1, type: manualReview ? 'MANUAL_REVIEW_REQUESTED' : 'PROTECTED', fromStatus: null, toStatus: recorded.status, actor: input.reportedBy, at: reportedAt, note: input.justification ?? null, data: recorded });
          const topic = manualReview ? CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC : CUSTOMER_REPORT_PROTECTED_TOPIC;
          await appendOutbox(tx, {
            topic,
            aggregateId: reportId,
            dedupeKey: customerReportRecordedKey(reportId, recorded.status),
            dueAt: reportedAt,
            payload: manualReview
              ? { reportId, partnerId, creditCode, status: recorded.status, reportedAt, reviewDueAt: recorded.reviewDueAt, justification: input.justification ?? null, unmet: unmet.map((u) => u.code) }
              : { reportId, partnerId, creditCode, status: recorded.status, reportedAt, protectedUntil: recorded.protectedUntil },
          });
        });
      } catch (error) {
        const index = violatedIndex(error);
        if (!index) throw error;
        // The same report recorded concurrently (a retry) is adopted; another partner's protection refuses this one.
        const mine = await loadRecorded(reportId);
        if (mine) return mine;
        if (index === 'customer_report_open_key_key') throw invalid(Refusal.alreadyOpen, "This partner's report of the enterprise is still open.");
        throw alreadyReported();
      }
      return (await loadRecorded(reportId))!;
    },

    /** A calendar-day deadline (protection from an approval, an invitation's expiry) in the partner's zone, with its reminder. */
    async planCustomerReportDays(a: { partnerId: string; from: string; days: number }): Promise<CalendarDeadline> {
      return calendarDays(a.partnerId, a.from, a.days);
    },

    /** The manual review's due date counted again (recomputeDeadline), with its reminder's instant. */
    async planCustomerReportReview(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return partner.planWorkingDays(a);
    },

    /** The approval: PROTECTED from now, refused with nothing written when another partner holds the enterprise. */
    async approveCustomerReport(t: CustomerReportTransitionRecord): Promise<void> {
      try {
        await record(t);
      } catch (error) {
        if (violatedIndex(error) === 'customer_report_protected_credit_code_key') throw alreadyReported();
        throw error;
      }
    },

    /**
     * The acceptance: the association (customer_association, in the invitation's mode, naming the report) and the
     * report's ASSOCIATED transition with its message, in one transaction; a customer associated already refuses it
     * with nothing written. A retry finds its history row and writes nothing more.
     */
    async acceptCustomerInvitation(t: CustomerReportTransitionRecord): Promise<void> {
      try {
        await record(t, async (tx, row) => {
          await tx.$executeRawUnsafe(
            `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by, report_id)
             VALUES ($1::uuid, $2, $3, $4, $5, $6::timestamptz, $7, $8::uuid)`,
            t.columns!.associationId, row.partnerId, t.columns!.customerId, row.creditCode, row.invitationMode, t.at, t.actor, t.reportId,
          );
        });
      } catch (error) {
        if (violatedIndex(error) === 'customer_association_open_customer_id_key') {
          throw invalid(Refusal.customerAssociated, 'This customer account is already associated with a partner; it may ask to unlink first.');
        }
        throw error;
      }
    },

    /** One transition, its history row and the report's columns in one transaction, with the message it announces. */
    async recordCustomerReportTransition(t: CustomerReportTransitionRecord): Promise<void> {
      if (t.type === 'APPROVED' || t.type === 'ASSOCIATED') throw invalid(Refusal.invalid, `${t.type} is recorded by its own activity.`);
      await record(t);
    },

    /** Appends one message to the outbox, once per dedupe key (the reminders). */
    async enqueueCustomerReportMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };

  type ReportRow = { partnerId: string; creditCode: string; invitationMode: string | null };

  /** The history row (once per report and seq), `first` (the association), the report's columns and the message. */
  async function record(t: CustomerReportTransitionRecord, first?: (tx: Tx, row: ReportRow) => Promise<unknown>) {
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
}

type EventRow = { reportId: string; seq: number; type: string; fromStatus: string | null; toStatus: string; actor: string; at: string; note: string | null; data: unknown };
/** Inserts one history row unless (report, seq) is there already; answers how many it inserted. */
const insertEvent = (tx: Tx, e: EventRow) =>
  tx.$executeRawUnsafe(
    `INSERT INTO customer_report_event (report_id, seq, type, from_status, to_status, actor, at, note, data)
     VALUES ($1::uuid, $2, $3, $4, $5, $6, $7::timestamptz, $8, $9::jsonb) ON CONFLICT (report_id, seq) DO NOTHING`,
    e.reportId, e.seq, e.type, e.fromStatus, e.toStatus, e.actor, e.at, e.note, e.data === null ? null : JSON.stringify(e.data),
  );
