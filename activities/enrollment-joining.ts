/**
 * The joining (issue 17 section 3), decided and recorded in one transaction with the partner's account serialized (a
 * transaction-scoped advisory lock on the partner): the program's rules are checked again on the facts as they are
 * then, the instruments joining voids are compared with the list the partner confirmed (its hash), each of them is
 * voided once (voided_instrument's primary key, naming the enrollment), and the membership is appended to the
 * partner's account as a fact from source `partnerflow` (PROGRAM_MEMBERSHIP JOINED), which the rules read from then
 * on; the partner's pending invitations into other programs fail in that same transaction (FAILED, naming the program
 * and the enrollment joined), and their workflows are signalled after it commits (activities/index.ts,
 * activities/enrollment-invitation.ts's signalFailedInvitations). Assembled with the enrollment's other activities by
 * activities/enrollment.ts.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { ENROLLMENT_POLICY } from '../domain/enrollment.js';
import type { Unmet } from '../domain/eligibility.js';
import type { PrismaClient } from '../platform/db.js';
import { programEligibility, voidableInstrumentsOf } from '../platform/partner-account.js';
import {
  ENROLLMENT_FAILED_TOPIC,
  ENROLLMENT_JOINED_TOPIC,
  ENROLLMENT_REFUSED_AT_JOINING_TOPIC,
  type EnrollmentInput,
  enrollmentOutcomeKey,
  type InvitationFailure,
  type JoiningOutcome,
  Refusal,
} from '../workflows/enrollment/contract.js';
import { type EnrollmentRow, isUniqueViolation, lockPartner } from './enrollment-shared.js';
import type { Tx } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { appendOutbox } from './kit/outbox.js';

/** The joining: the partner's confirmation of the instruments it voids (the reseller program), numbered by the workflow. */
export type JoiningRecord = { enrollmentId: string; seq: number; actor: string; at: string; instrumentsHash?: string };

export function createJoiningActivities({ prisma }: { prisma: PrismaClient }) {
  return {
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
