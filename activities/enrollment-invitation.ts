/**
 * Invitations (issue 17 section 3): the vendor invites a partner into a program — an enrollment INVITED, waiting for
 * the partner until invitationExpiresAt — and the partner accepts (the conditions checked as for a request: it becomes
 * the partner's request) or declines, or it expires. Every decision on an invitation is taken under the partner's
 * lock, in the transaction that records it, because the joining of another program fails the partner's pending
 * invitations in its own transaction (activities/enrollment-joining.ts): an acceptance, a decline or an expiry that
 * finds the invitation FAILED writes nothing and answers the failure, which the workflow then records.
 */
import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import { ENROLLMENT_POLICY, type EnrollmentDeadlines } from '../domain/enrollment.js';
import type { PrismaClient } from '../platform/db.js';
import { programEligibility } from '../platform/partner-account.js';
import {
  ENROLLMENT_ACCEPTED_TOPIC,
  ENROLLMENT_DECLINED_TOPIC,
  ENROLLMENT_INVITATION_EXPIRED_TOPIC,
  ENROLLMENT_INVITED_TOPIC,
  type EnrollmentInput,
  type EnrollmentRequest,
  type EnrollmentStatus,
  enrollmentOutcomeKey,
  enrollmentWorkflowId,
  invitationFailed,
  type InvitationFailure,
  type InvitationOutcome,
  type JoiningOutcome,
  Refusal,
} from '../workflows/enrollment/contract.js';
import { ineligible, isUniqueViolation, loadRecordedRequest, lockPartner, planDeadline, plansOfRequest } from './enrollment-shared.js';
import { invalid } from './kit/failures.js';
import { appendOutbox } from './kit/outbox.js';
import type { partnerCalendar } from './kit/partner-calendar.js';

/** An invitation's decision, numbered by the workflow: the partner's acceptance or decline, or its expiry (system). */
export type InvitationDecision = { enrollmentId: string; seq: number; type: 'ACCEPTED' | 'DECLINED' | 'INVITATION_EXPIRED'; actor: string; at: string; note?: string };

const TOPICS = { ACCEPTED: ENROLLMENT_ACCEPTED_TOPIC, DECLINED: ENROLLMENT_DECLINED_TOPIC, INVITATION_EXPIRED: ENROLLMENT_INVITATION_EXPIRED_TOPIC } as const;

type Deps = { prisma: PrismaClient; partner: ReturnType<typeof partnerCalendar>; deadlines: EnrollmentDeadlines };

export function createInvitationActivities({ prisma, partner, deadlines }: Deps) {
  return {
    /**
     * Records the invitation (seq 1, INVITED) with its expiry — the configured working days from `invitedAt` in the
     * partner's calendar — and enrollment.invited. The partner's eligibility is not a condition of the invitation (it is
     * checked when the partner accepts); one open enrollment per partner and program still holds. A retry answers the
     * recorded invitation.
     */
    async inviteEnrollment(input: EnrollmentInput & { invitedAt: string }): Promise<EnrollmentRequest> {
      const existing = await loadRecordedRequest(prisma, input.enrollmentId);
      if (existing) return existing;
      const { enrollmentId, partnerId, program, requestedBy, invitedAt } = input;
      if (!ENROLLMENT_POLICY[program]) throw invalid(Refusal.invalid, `${program} is not joined through partnerflow.`);
      const invitation = await planDeadline(partner, partnerId, invitedAt, deadlines.invitationWorkingDays);
      const note = input.invitation?.note ?? null;
      const at = new Date(invitedAt);
      try {
        await prisma.$transaction(async (tx) => {
          await lockPartner(tx, partnerId);
          await tx.$executeRaw`
            INSERT INTO enrollment (id, partner_id, program, status, origin, requested_by, requested_at, invitation_note, invitation_expires_at, last_seq, updated_at)
            VALUES (${enrollmentId}::uuid, ${partnerId}, ${program}, 'INVITED', 'INVITATION', ${requestedBy}, ${at}, ${note}, ${new Date(invitation.dueAt)}, 1, ${at})`;
          await tx.$executeRaw`
            INSERT INTO enrollment_event (enrollment_id, seq, type, to_status, actor, at, note, data)
            VALUES (${enrollmentId}::uuid, 1, 'INVITED', 'INVITED', ${requestedBy}, ${at}, ${note}, ${JSON.stringify({ program, invitation, confirmationWorkingDays: deadlines.confirmationWorkingDays })}::jsonb)`;
          await appendOutbox(tx, {
            topic: ENROLLMENT_INVITED_TOPIC,
            aggregateId: enrollmentId,
            dedupeKey: enrollmentOutcomeKey(ENROLLMENT_INVITED_TOPIC, enrollmentId),
            dueAt: invitedAt,
            payload: {
              enrollmentId,
              partnerId,
              program,
              status: 'INVITED',
              invitedAt,
              invitationExpiresAt: invitation.dueAt,
              ...(note ? { note } : {}),
              ...(invitation.explanation.provisional ? { deadlineProvisional: true } : {}),
            },
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        const mine = await loadRecordedRequest(prisma, enrollmentId);
        if (mine) return mine;
        throw invalid(Refusal.alreadyOpen, `Another enrollment of ${partnerId} into ${program} is open.`);
      }
      return (await loadRecordedRequest(prisma, enrollmentId))!;
    },

    /**
     * An invitation's decision, in one transaction under the partner's lock: FAILED already (the partner joined another
     * program) → that failure, nothing written; ACCEPTED → the program's rules checked (unmet: the refusal with every
     * reason, nothing written, the invitation still INVITED), the review due date or the confirmation deadline counted
     * from the acceptance, the enrollment now the partner's request; DECLINED / INVITATION_EXPIRED → closed. Each with
     * its history row and message. A retry finds its history row and answers what it recorded.
     */
    async settleInvitation(d: InvitationDecision): Promise<InvitationOutcome> {
      const recorded = await loadRecordedRequest(prisma, d.enrollmentId, d.seq);
      if (recorded) return { status: 'DONE', ...(d.type === 'ACCEPTED' ? { request: recorded } : {}) };
      const rows = await prisma.$queryRaw<{ partner_id: string; program: keyof typeof ENROLLMENT_POLICY }[]>`
        SELECT partner_id, program FROM enrollment WHERE id = ${d.enrollmentId}::uuid`;
      const row = rows[0];
      if (!row) throw invalid(Refusal.notFound, `No enrollment ${d.enrollmentId}.`);
      const { partner_id: partnerId, program } = row;
      const plans = d.type === 'ACCEPTED' ? await plansOfRequest(partner, { partnerId, from: d.at, vendorReview: ENROLLMENT_POLICY[program].vendorReview, ...deadlines }) : undefined;
      const toStatus: EnrollmentStatus = plans ? plans.status : d.type === 'DECLINED' ? 'DECLINED' : 'EXPIRED';
      const at = new Date(d.at);
      return prisma.$transaction(async (tx): Promise<InvitationOutcome> => {
        await lockPartner(tx, partnerId);
        const [current] = await tx.$queryRaw<{ status: EnrollmentStatus; failure: InvitationFailure | null }[]>`
          SELECT status, failure FROM enrollment WHERE id = ${d.enrollmentId}::uuid FOR UPDATE`;
        if (current!.status === 'FAILED') return { status: 'FAILED', failure: current!.failure! };
        if (current!.status !== 'INVITED') throw invalid(Refusal.notInvited, `The enrollment is ${current!.status}, not INVITED.`);
        if (plans) {
          const { unmet } = await programEligibility(tx, partnerId, program);
          if (unmet.length) throw ineligible(program, unmet);
        }
        const { review, confirmation } = plans ?? {};
        const data = { ...(review ? { review } : {}), ...(confirmation ? { confirmation } : {}), ...(plans ? { confirmationWorkingDays: plans.confirmationWorkingDays } : {}) };
        await tx.$executeRaw`
          INSERT INTO enrollment_event (enrollment_id, seq, type, from_status, to_status, actor, at, note, data)
          VALUES (${d.enrollmentId}::uuid, ${d.seq}, ${d.type}, 'INVITED', ${toStatus}, ${d.actor}, ${at}, ${d.note ?? null}, ${JSON.stringify(data)}::jsonb)`;
        const accepted = d.type === 'ACCEPTED';
        await tx.$executeRaw`
          UPDATE enrollment SET status = ${toStatus}, last_seq = ${d.seq}, updated_at = ${at},
            accepted_by = ${accepted ? d.actor : null}, accepted_at = ${accepted ? at : null},
            review_due_at = ${review ? new Date(review.reviewDueAt) : null}, confirmation_due_at = ${confirmation ? new Date(confirmation.dueAt) : null}
          WHERE id = ${d.enrollmentId}::uuid`;
        const topic = TOPICS[d.type];
        await appendOutbox(tx, {
          topic,
          aggregateId: d.enrollmentId,
          dedupeKey: enrollmentOutcomeKey(topic, d.enrollmentId),
          dueAt: d.at,
          payload: {
            enrollmentId: d.enrollmentId,
            partnerId,
            program,
            status: toStatus,
            at: d.at,
            actor: d.actor,
            ...(d.note ? { note: d.note } : {}),
            ...(review ? { reviewDueAt: review.reviewDueAt } : {}),
            ...(confirmation ? { confirmationDueAt: confirmation.dueAt } : {}),
          },
        });
        return { status: 'DONE', ...(plans ? { request: { submittedAt: d.at, ...plans, seq: d.seq } } : {}) };
      });
    },
  };
}

/**
 * After a joining has committed: each invitation it failed is told (invitationFailed), so that its workflow records
 * FAILED and ends. Idempotent — a workflow no longer INVITED ignores the signal, one that has ended is skipped — so a
 * retried joining (its recorded outcome lists the same invitations) signals them again harmlessly.
 */
export async function signalFailedInvitations(temporal: Client, outcome: JoiningOutcome): Promise<number> {
  if (outcome.status !== 'JOINED') return 0;
  let signaled = 0;
  for (const { enrollmentId, failure } of outcome.failedInvitations) {
    try {
      await temporal.workflow.getHandle(enrollmentWorkflowId(enrollmentId)).signal(invitationFailed, failure);
      signaled++;
    } catch (error) {
      if (!(error instanceof WorkflowNotFoundError)) throw error;
    }
  }
  return signaled;
}
