/**
 * Enrollment persistence (workflows/enrollment/workflow.ts): joining a program, becoming a reseller (issue 17
 * section 3). Every activity is idempotent: a retry after a crash finds its own earlier write and does nothing more.
 * Business times come in as arguments (workflow time).
 *
 * The request decides eligibility in the transaction that records it (the program's rules, domain/eligibility.ts, a
 * refusal listing every unmet reason); the database keeps one open enrollment per partner and program
 * (enrollment.open_key, unique). The joining is decided and recorded in one transaction, with the partner's account
 * serialized (a transaction-scoped advisory lock on the partner): the rules are checked again on the facts as they are
 * then, the instruments joining voids are compared with the list the partner confirmed (its hash), each of them is
 * voided once (voided_instrument's primary key, naming the enrollment), and the membership is appended to the
 * partner's account as a fact from source `partnerflow` (PROGRAM_MEMBERSHIP JOINED), which the rules read from then
 * on; the partner's pending invitations into other programs fail in that same transaction (FAILED, naming the program
 * and the enrollment joined), and their workflows are signalled after it commits (activities/index.ts). Invitations,
 * their acceptance, decline and expiry: activities/enrollment-invitation.ts. The tables are written in SQL:
 * prisma/migrations/0024_enrollment.sql.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CalendarLookup } from '../domain/calendar.js';
import { DEFAULT_ENROLLMENT_DEADLINES, ENROLLMENT_POLICY } from '../domain/enrollment.js';
import type { Unmet } from '../domain/eligibility.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { PrismaClient } from '../platform/db.js';
import { programEligibility, voidableInstrumentsOf } from '../platform/partner-account.js';
import {
  ENROLLMENT_APPROVED_TOPIC,
  ENROLLMENT_CONFIRMATION_EXPIRED_TOPIC,
  ENROLLMENT_FAILED_TOPIC,
  ENROLLMENT_JOINED_TOPIC,
  ENROLLMENT_REFUSED_AT_JOINING_TOPIC,
  ENROLLMENT_REJECTED_TOPIC,
  ENROLLMENT_REQUESTED_TOPIC,
  ENROLLMENT_REVIEW_ESCALATION_TOPIC,
  ENROLLMENT_WITHDRAWN_TOPIC,
  type EnrollmentInput,
  type EnrollmentRequest,
  type EnrollmentStatus,
  enrollmentOutcomeKey,
  type InvitationFailure,
  type JoiningOutcome,
  Refusal,
} from '../workflows/enrollment/contract.js';
import { createInvitationActivities } from './enrollment-invitation.js';
import { type EnrollmentRow, ineligible, isUniqueViolation, loadRecordedRequest, lockPartner, plansOfRequest } from './enrollment-shared.js';
import type { Tx } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { appendOutbox, appendRecordedDeadlineChange, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';

export type EnrollmentTransitionRecord = {
  enrollmentId: string;
  seq: number;
  type: 'APPROVED' | 'REJECTED' | 'WITHDRAWN' | 'REVIEW_ESCALATED' | 'DEADLINE_CHANGED' | 'CONFIRMATION_EXPIRED' | 'FAILED';
  fromStatus: EnrollmentStatus;
  toStatus: EnrollmentStatus;
  actor: string;
  at: string;
  note?: string;
  data?: Record<string, unknown>;
  /** DEADLINE_CHANGED moves the pending deadline; APPROVED sets the confirmation deadline. */
  columns?: { reviewDueAt?: string; invitationExpiresAt?: string; confirmationDueAt?: string };
};

/** The joining: the partner's confirmation of the instruments it voids (the reseller program), numbered by the workflow. */
export type JoiningRecord = { enrollmentId: string; seq: number; actor: string; at: string; instrumentsHash?: string };

/**
 * The outcome each transition announces (its outbox topic); one message of each per enrollment. FAILED has none here:
 * the joining that failed the invitation announced it in its own transaction.
 */
export const ENROLLMENT_OUTCOME_TOPICS: Partial<Record<EnrollmentTransitionRecord['type'], string>> = {
  APPROVED: ENROLLMENT_APPROVED_TOPIC,
  REJECTED: ENROLLMENT_REJECTED_TOPIC,
  WITHDRAWN: ENROLLMENT_WITHDRAWN_TOPIC,
  REVIEW_ESCALATED: ENROLLMENT_REVIEW_ESCALATION_TOPIC,
  CONFIRMATION_EXPIRED: ENROLLMENT_CONFIRMATION_EXPIRED_TOPIC,
};

/**
 * The working days of the vendor's review SLA, of an invitation's expiry and of the partner's confirmation, for
 * enrollments started from now on (each enrollment stores its own): the worker's configuration (worker/slas.ts).
 */
export type EnrollmentActivityDeps = {
  prisma: PrismaClient;
  calendarFor?: CalendarLookup;
  enrollmentReviewSlaWorkingDays?: number;
  enrollmentInvitationWorkingDays?: number;
  enrollmentConfirmationWorkingDays?: number;
};

export function createEnrollmentActivities({
  prisma,
  calendarFor = databaseCalendarLookup(prisma),
  enrollmentReviewSlaWorkingDays = DEFAULT_ENROLLMENT_DEADLINES.reviewSlaWorkingDays,
  enrollmentInvitationWorkingDays = DEFAULT_ENROLLMENT_DEADLINES.invitationWorkingDays,
  enrollmentConfirmationWorkingDays = DEFAULT_ENROLLMENT_DEADLINES.confirmationWorkingDays,
}: EnrollmentActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);
  const deadlines = { reviewSlaWorkingDays: enrollmentReviewSlaWorkingDays, invitationWorkingDays: enrollmentInvitationWorkingDays, confirmationWorkingDays: enrollmentConfirmationWorkingDays };
  const loadRequest = (id: string) => loadRecordedRequest(prisma, id);

  return {
    ...createInvitationActivities({ prisma, partner, deadlines }),

    /**
     * Counts the review due date (where the program needs a review) from `submittedAt` in the partner's calendar (fails
     * closed), then — in one transaction, the partner's account serialized — checks the program's rules and records the
     * enrollment (seq 1) with its enrollment.requested message. A retry finds the enrollment and answers it.
     */
    async requestEnrollment(input: EnrollmentInput & { submittedAt: string }): Promise<EnrollmentRequest> {
      const existing = await loadRequest(input.enrollmentId);
      if (existing) return existing;
      const { enrollmentId, partnerId, program, requestedBy, submittedAt } = input;
      const policy = ENROLLMENT_POLICY[program];
      if (!policy) throw invalid(Refusal.invalid, `${program} is not joined through partnerflow.`);
      const { status, review, confirmation, confirmationWorkingDays } = await plansOfRequest(partner, { partnerId, from: submittedAt, vendorReview: policy.vendorReview, ...deadlines });
      const at = new Date(submittedAt);
      try {
        await prisma.$transaction(async (tx) => {
          await lockPartner(tx, partnerId);
          const { unmet } = await programEligibility(tx, partnerId, program);
          if (unmet.length) throw ineligible(program, unmet);
          await tx.$executeRaw`
            INSERT INTO enrollment (id, partner_id, program, status, requested_by, requested_at, review_due_at, confirmation_due_at, last_seq, updated_at)
            VALUES (${enrollmentId}::uuid, ${partnerId}, ${program}, ${status}, ${requestedBy}, ${at}, ${review ? new Date(review.reviewDueAt) : null},
                    ${confirmation ? new Date(confirmation.dueAt) : null}, 1, ${at})`;
          const data = JSON.stringify({ program, ...(review ? { review } : {}), ...(confirmation ? { confirmation } : {}), confirmationWorkingDays });
          await tx.$executeRaw`
            INSERT INTO enrollment_event (enrollment_id, seq, type, to_status, actor, at, data)
            VALUES (${enrollmentId}::uuid, 1, 'REQUESTED', ${status}, ${requestedBy}, ${at}, ${data}::jsonb)`;
          await appendOutbox(tx, {
            topic: ENROLLMENT_REQUESTED_TOPIC,
            aggregateId: enrollmentId,
            dedupeKey: enrollmentOutcomeKey(ENROLLMENT_REQUESTED_TOPIC, enrollmentId),
            dueAt: submittedAt,
            payload: {
              enrollmentId,
              partnerId,
              program,
              status,
              submittedAt,
              ...(review ? { reviewDueAt: review.reviewDueAt } : {}),
              ...(confirmation ? { confirmationDueAt: confirmation.dueAt } : {}),
              ...((review ?? confirmation)?.explanation.provisional ? { deadlineProvisional: true } : {}),
            },
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The same enrollment recorded concurrently (a retry) is adopted; another open one refuses this one.
        const mine = await loadRequest(enrollmentId);
        if (mine) return mine;
        throw invalid(Refusal.alreadyOpen, `Another enrollment of ${partnerId} into ${program} is open.`);
      }
      return (await loadRequest(enrollmentId))!;
    },

    /** A pending deadline counted (the confirmation deadline at an approval) or counted again (recomputeDeadline), with its reminder's instant. */
    async planEnrollmentDeadline(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return partner.planWorkingDays(a);
    },

    /**
     * The joining, decided and recorded in one transaction (the partner's account serialized): the program's rules
     * checked again — unmet, the enrollment ends REFUSED_AT_JOINING with every reason; for the reseller program the
     * unused instruments compared with the confirmed list (another list: VOIDED_INSTRUMENTS_CHANGED, nothing written),
     * each voided once (voided_instrument, and a VOIDED observation of it from source partnerflow); then the
     * membership fact, the history row and enrollment.joined. A retry finds its history row and answers its outcome.
     */
    async joinEnrollment(j: JoiningRecord): Promise<JoiningOutcome> {
      const recorded = await joiningOutcome(j);
      if (recorded) return recorded;
      try {
        return await prisma.$transaction((tx) => decideJoining(tx, j));
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const mine = await joiningOutcome(j);
        if (mine) return mine; // a concurrent retry recorded it first
        throw error;
      }
    },

    /**
     * One transition and its history row in one transaction, with the enrollment columns it sets and the message it
     * announces; enrollment.deadline-changed when a pending deadline moved. A DEADLINE_CHANGED leaves the status alone:
     * an invitation the joining of another program failed meanwhile stays FAILED. A retry writes nothing twice.
     */
    async recordEnrollmentTransition(t: EnrollmentTransitionRecord): Promise<void> {
      await prisma.$transaction(async (tx) => {
        const data = t.data ? JSON.stringify(t.data) : null;
        const claimed = await tx.$executeRaw`
          INSERT INTO enrollment_event (enrollment_id, seq, type, from_status, to_status, actor, at, note, data)
          VALUES (${t.enrollmentId}::uuid, ${t.seq}, ${t.type}, ${t.fromStatus}, ${t.toStatus}, ${t.actor}, ${new Date(t.at)}, ${t.note ?? null}, ${data}::jsonb)
          ON CONFLICT (enrollment_id, seq) DO NOTHING`;
        if (claimed === 0) return; // a retry: already recorded
        const instant = (v: string | undefined) => (v !== undefined ? new Date(v) : null);
        const c = t.columns ?? {};
        const keepStatus = t.type === 'DEADLINE_CHANGED';
        const rows = await tx.$queryRaw<EnrollmentRow[]>`
          UPDATE enrollment SET status = CASE WHEN ${keepStatus} THEN status ELSE ${t.toStatus} END, last_seq = ${t.seq}, updated_at = ${new Date(t.at)},
            review_due_at = coalesce(${instant(c.reviewDueAt)}, review_due_at),
            invitation_expires_at = coalesce(${instant(c.invitationExpiresAt)}, invitation_expires_at),
            confirmation_due_at = coalesce(${instant(c.confirmationDueAt)}, confirmation_due_at)
          WHERE id = ${t.enrollmentId}::uuid RETURNING id, partner_id, program, status, requested_at, review_due_at`;
        const row = rows[0]!;
        const topic = ENROLLMENT_OUTCOME_TOPICS[t.type];
        if (topic) {
          await appendOutbox(tx, {
            topic,
            aggregateId: t.enrollmentId,
            dedupeKey: enrollmentOutcomeKey(topic, t.enrollmentId),
            dueAt: t.at,
            payload: { enrollmentId: t.enrollmentId, partnerId: row.partner_id, program: row.program, status: t.toStatus, at: t.at, actor: t.actor, ...(t.note ? { note: t.note } : {}), ...t.data },
          });
        }
        if (t.type === 'DEADLINE_CHANGED') {
          await appendRecordedDeadlineChange(tx, { process: 'enrollment', aggregateId: t.enrollmentId, seq: t.seq, partnerId: row.partner_id, at: t.at, ids: { enrollmentId: t.enrollmentId }, data: t.data });
        }
      });
    },

    /** Appends one message to the outbox, once per dedupe key (the review reminder). */
    async enqueueEnrollmentMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };

  /** The outcome the joining's history row recorded, if it is there (a retry). */
  async function joiningOutcome(j: JoiningRecord): Promise<JoiningOutcome | undefined> {
    const rows = await prisma.$queryRaw<{ type: string; data: { voided?: { kind: string; id: string }[]; unmet?: Unmet[]; failedInvitations?: { enrollmentId: string; failure: InvitationFailure }[] } }[]>`
      SELECT type, data FROM enrollment_event WHERE enrollment_id = ${j.enrollmentId}::uuid AND seq = ${j.seq}`;
    const row = rows[0];
    if (!row) return undefined;
    return row.type === 'JOINED'
      ? { status: 'JOINED', voided: row.data.voided ?? [], failedInvitations: row.data.failedInvitations ?? [] }
      : { status: 'REFUSED_AT_JOINING', unmet: row.data.unmet ?? [] };
  }

  async function decideJoining(tx: Tx, j: JoiningRecord): Promise<JoiningOutcome> {
    const rows = await tx.$queryRaw<EnrollmentRow[]>`SELECT id, partner_id, program, status, requested_at, review_due_at FROM enrollment WHERE id = ${j.enrollmentId}::uuid`;
    const row = rows[0];
    if (!row) throw invalid(Refusal.notFound, `No enrollment ${j.enrollmentId}.`);
    const partnerId = row.partner_id;
    const program = row.program as EnrollmentInput['program'];
    await lockPartner(tx, partnerId);
    const at = new Date(j.at);
    const { unmet } = await programEligibility(tx, partnerId, program);
    if (unmet.length) {
      await finish(tx, j, row, 'REFUSED_AT_JOINING', { unmet });
      return { status: 'REFUSED_AT_JOINING', unmet };
    }
    const voided: { kind: string; id: string }[] = [];
    if (ENROLLMENT_POLICY[program].voidsInstruments) {
      const { instruments, hash } = await voidableInstrumentsOf(tx, partnerId);
      if (hash !== j.instrumentsHash) {
        throw ApplicationFailure.create({
          type: Refusal.instrumentsChanged,
          message: 'The unused vouchers, coupons and stored-value cards joining voids changed since the preview: preview them again and confirm the new list.',
          nonRetryable: true,
          details: [{ instrumentsHash: hash, instruments }],
        });
      }
      for (const i of instruments) {
        // The primary key (partner, kind, instrument): an instrument is voided once, ever, by the enrollment named here.
        await tx.$executeRaw`
          INSERT INTO voided_instrument (partner_id, kind, instrument_id, enrollment_id, issuer, amount, voided_at)
          VALUES (${partnerId}, ${i.kind}, ${i.id}, ${row.id}::uuid, ${i.issuer}, ${JSON.stringify(i.amount)}::jsonb, ${at})`;
        await appendFact(tx, partnerId, j, i.kind, i.id, { issuer: i.issuer, amount: i.amount, state: 'VOIDED' });
        voided.push({ kind: i.kind, id: i.id });
      }
    }
    await appendFact(tx, partnerId, j, 'PROGRAM_MEMBERSHIP', program, { state: 'JOINED' });
    await tx.$executeRaw`UPDATE enrollment SET joined_at = ${at}, confirmed_instruments_hash = ${j.instrumentsHash ?? null} WHERE id = ${row.id}::uuid`;
    const failedInvitations = await failPendingInvitations(tx, j, row);
    await finish(tx, j, row, 'JOINED', { voided, failedInvitations });
    return { status: 'JOINED', voided, failedInvitations };
  }

  /**
   * The partner joined `row.program`: its invitations still waiting for it (INVITED, into the other programs) fail, in
   * the joining's transaction (under the partner's lock, so an acceptance deciding at the same moment sees either the
   * invitation or its failure), each announced once. Their workflows record FAILED when signalled after the commit.
   */
  async function failPendingInvitations(tx: Tx, j: JoiningRecord, row: EnrollmentRow) {
    const failure: InvitationFailure = { reason: `joined ${row.program} (enrollment ${row.id})`, program: row.program, enrollmentId: row.id };
    const failed = await tx.$queryRaw<{ id: string; program: string }[]>`
      UPDATE enrollment SET status = 'FAILED', failure = ${JSON.stringify(failure)}::jsonb, updated_at = ${new Date(j.at)}
      WHERE partner_id = ${row.partner_id} AND status = 'INVITED' AND id <> ${row.id}::uuid RETURNING id::text, program`;
    for (const f of failed) {
      await appendOutbox(tx, {
        topic: ENROLLMENT_FAILED_TOPIC,
        aggregateId: f.id,
        dedupeKey: enrollmentOutcomeKey(ENROLLMENT_FAILED_TOPIC, f.id),
        dueAt: j.at,
        payload: { partnerId: row.partner_id, status: 'FAILED', at: j.at, reason: failure.reason, joinedProgram: failure.program, joinedEnrollmentId: failure.enrollmentId, enrollmentId: f.id, program: f.program },
      });
    }
    return failed.map((f) => ({ enrollmentId: f.id, failure }));
  }

  /** An observation partnerflow itself makes on the partner's account, at the joining's instant. */
  async function appendFact(tx: Tx, partnerId: string, j: JoiningRecord, kind: string, subject: string, value: Record<string, unknown>) {
    await tx.$executeRaw`
      INSERT INTO partner_account_fact (partner_id, kind, subject, value, source, observed_at, feed_id, actor)
      VALUES (${partnerId}, ${kind}, ${subject}, ${JSON.stringify(value)}::jsonb, 'partnerflow', ${new Date(j.at)}, ${`enrollment-${j.enrollmentId}`}, ${j.actor})`;
  }

  /** The joining's history row (unique per enrollment and seq), the enrollment's state and its message. */
  async function finish(tx: Tx, j: JoiningRecord, row: EnrollmentRow, status: 'JOINED' | 'REFUSED_AT_JOINING', data: Record<string, unknown>) {
    const at = new Date(j.at);
    await tx.$executeRaw`
      INSERT INTO enrollment_event (enrollment_id, seq, type, from_status, to_status, actor, at, data)
      VALUES (${row.id}::uuid, ${j.seq}, ${status}, ${row.status}, ${status}, ${j.actor}, ${at}, ${JSON.stringify(data)}::jsonb)`;
    const refusal = status === 'REFUSED_AT_JOINING' ? JSON.stringify(data.unmet) : null;
    await tx.$executeRaw`UPDATE enrollment SET status = ${status}, last_seq = ${j.seq}, updated_at = ${at}, refusal = ${refusal}::jsonb WHERE id = ${row.id}::uuid`;
    const topic = status === 'JOINED' ? ENROLLMENT_JOINED_TOPIC : ENROLLMENT_REFUSED_AT_JOINING_TOPIC;
    await appendOutbox(tx, {
      topic,
      aggregateId: row.id,
      dedupeKey: enrollmentOutcomeKey(topic, row.id),
      dueAt: j.at,
      payload: { enrollmentId: row.id, partnerId: row.partner_id, program: row.program, status, at: j.at, actor: j.actor, ...data },
    });
  }
}

