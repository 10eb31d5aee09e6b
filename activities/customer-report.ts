/**
 * Customer report persistence (workflows/customer-report/workflow.ts). Every activity is idempotent: a retry after a
 * crash finds its own earlier write (the report's row, or its history row (report, seq)) and does nothing more.
 * Business times come in as arguments (workflow time). The tables (migration 0028) are written with SQL: the report's
 * row here, its numbered history rows and their messages by activities/customer-report-transitions.ts. Which reports a
 * calendar change touches: activities/customer-report-affected.ts.
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
  CUSTOMER_REPORT_MANUAL_REVIEW_TOPIC,
  CUSTOMER_REPORT_PROTECTED_TOPIC,
  CUSTOMER_REPORT_REMINDER_DAYS,
  CUSTOMER_REPORT_REVIEW_REMINDER_WORKING_DAYS,
  type CalendarDeadline,
  type CustomerReportInput,
  type CustomerReportRecorded,
  Refusal,
} from '../workflows/customer-report/contract.js';
import { type CustomerReportTransitionRecord, customerReportRecordedKey, insertEvent, recordTransition } from './customer-report-transitions.js';
import { invalid } from './kit/failures.js';
import { appendOutbox, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';

// The workflow and activities/index.ts (which announces the messages) know the history's records and keys from here.
export { CUSTOMER_REPORT_OUTCOME_TOPICS, CUSTOMER_REPORT_REPEATED_TOPICS, type CustomerReportTransitionRecord, customerReportMessageKey, customerReportRecordedKey } from './customer-report-transitions.js';

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
          // An earlier attempt that committed while this one waited for the lock recorded this very report: adopt it.
          if ((await run<{ id: string }>(`SELECT id::text FROM customer_report WHERE id = $1::uuid`, reportId)).length) return;
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
        await recordTransition(prisma, t);
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
        await recordTransition(prisma, t, async (tx, row) => {
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
      await recordTransition(prisma, t);
    },

    /** Appends one message to the outbox, once per dedupe key (the reminders). */
    async enqueueCustomerReportMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };
}
