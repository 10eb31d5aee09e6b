/**
 * Project specialist application persistence (workflows/specialist/workflow.ts). Every activity is idempotent: a retry
 * after a crash finds its own earlier write and does nothing more. Business times come in as arguments (workflow time).
 *
 * The submission decides eligibility in the transaction that records it: the member's row is locked (applications for
 * one member are decided one at a time), the PROJECT_SPECIALIST rules (domain/eligibility.ts) are evaluated on the
 * facts as they are then, and a refusal lists every unmet reason. The database keeps one open application per member
 * whatever happens (specialist_application.open_member_id, unique).
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { CalendarLookup } from '../domain/calendar.js';
import { pathById } from '../domain/development-paths.js';
import type { Unmet } from '../domain/eligibility.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import { isUniqueViolation, type PrismaClient } from '../platform/db.js';
import { specialistEligibility } from '../platform/partner-account.js';
import {
  DEFAULT_REVIEW_SLA_WORKING_DAYS,
  Refusal,
  REVIEW_REMINDER_WORKING_DAYS,
  SPECIALIST_APPROVED_TOPIC,
  SPECIALIST_CANCELLED_TOPIC,
  SPECIALIST_MATERIAL_OWNER,
  SPECIALIST_REJECTED_TOPIC,
  SPECIALIST_REVIEW_ESCALATION_TOPIC,
  SPECIALIST_SUBMITTED_TOPIC,
  type SpecialistInput,
  type SpecialistStatus,
  type SpecialistSubmission,
  specialistOutcomeKey,
  specialistWorkflowId,
} from '../workflows/specialist/contract.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import { historyColumns } from './history.js';
import { affectedSubmittedReviews } from './kit/affected-reviews.js';
import { recordOnce } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { currentMaterial, isOwnMaterial, type MaterialSet } from './kit/materials.js';
import { appendOutbox, appendRecordedDeadlineChange, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';
import { explanationColumn, instants, json, stateColumns } from './kit/read-model.js';

export type SpecialistTransitionRecord = {
  applicationId: string;
  seq: number;
  type: 'MATERIAL_SET' | 'APPROVED' | 'REJECTED' | 'CANCELLED' | 'REVIEW_ESCALATED' | 'DEADLINE_CHANGED';
  fromStatus: SpecialistStatus;
  toStatus: SpecialistStatus;
  actor: string;
  at: string;
  note?: string;
  data?: Record<string, unknown>;
  /** Application columns this transition sets; DEADLINE_CHANGED moves reviewDueAt. */
  columns?: { reviewDueAt?: string; decidedAt?: string; decisionNote?: string; cancelledAt?: string; cancelledBy?: string; cancelReason?: string };
  /** MATERIAL_SET: the current material of this kind. */
  material?: MaterialSet;
};

/** The outcome each transition announces (its outbox topic); one message of each per application. */
export const SPECIALIST_OUTCOME_TOPICS: Partial<Record<SpecialistTransitionRecord['type'], string>> = {
  APPROVED: SPECIALIST_APPROVED_TOPIC,
  REJECTED: SPECIALIST_REJECTED_TOPIC,
  CANCELLED: SPECIALIST_CANCELLED_TOPIC,
  REVIEW_ESCALATED: SPECIALIST_REVIEW_ESCALATION_TOPIC,
};

/** `reviewSlaWorkingDays`: the vendor's review SLA for applications submitted from now on (stored with each one). */
export type SpecialistActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup; specialistReviewSlaWorkingDays?: number };

/** The refusal of a member who cannot apply: every unmet reason (code and evidence) in its details. */
const ineligible = (unmet: Unmet[]) =>
  ApplicationFailure.create({ type: Refusal.ineligible, message: `The member cannot apply: ${unmet.map((u) => u.code).join(', ')}.`, nonRetryable: true, details: [unmet] });

export function createSpecialistActivities({ prisma, calendarFor = databaseCalendarLookup(prisma), specialistReviewSlaWorkingDays = DEFAULT_REVIEW_SLA_WORKING_DAYS }: SpecialistActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);
  const loadSubmission = async (id: string): Promise<SpecialistSubmission | undefined> => {
    const row = await prisma.specialistApplication.findUnique({ where: { id } });
    if (!row) return undefined;
    const first = await prisma.specialistEvent.findUniqueOrThrow({ where: { applicationId_seq: { applicationId: id, seq: 1 } } });
    const plan = first.data as { explanation: SpecialistSubmission['explanation']; reminderAt?: string };
    return {
      submittedAt: row.submittedAt.toISOString(),
      reviewSlaWorkingDays: row.reviewSlaWorkingDays,
      reviewDueAt: (first.data as { reviewDueAt: string }).reviewDueAt,
      explanation: plan.explanation,
      ...(plan.reminderAt ? { reminderAt: plan.reminderAt } : {}),
      seq: 1,
    };
  };

  return {
    /**
     * Counts the review due date from `submittedAt` in the partner's calendar (fails closed), then — in one
     * transaction, the member's row locked — checks the PROJECT_SPECIALIST rules and records the SUBMITTED
     * application (seq 1) with its specialist.submitted message. A retry finds the application and answers it.
     */
    async submitSpecialistApplication(input: SpecialistInput & { submittedAt: string }): Promise<SpecialistSubmission> {
      const existing = await loadSubmission(input.applicationId);
      if (existing) return existing;
      if (!pathById(input.pathId)) throw invalid(Refusal.unknownPath, `${input.pathId} is not a development path.`);
      const workingDays = specialistReviewSlaWorkingDays;
      const due = await partner.planWorkingDays({ partnerId: input.partnerId, from: input.submittedAt, workingDays, remindBefore: REVIEW_REMINDER_WORKING_DAYS });
      const at = new Date(input.submittedAt);
      const { applicationId, partnerId, memberId, pathId } = input;
      try {
        await prisma.$transaction(async (tx) => {
          // Applications for one member wait for each other here: the second sees the first one's row.
          await tx.$queryRaw`SELECT id FROM partner_member WHERE id = ${memberId} FOR UPDATE`;
          // An earlier attempt of this activity may have committed while this one waited for the lock (it ran past its
          // timeout, and Temporal retried it): its application is this one — adopt it, judge nothing again.
          if (await tx.specialistApplication.findUnique({ where: { id: applicationId }, select: { id: true } })) return;
          const { unmet } = await specialistEligibility(tx, partnerId, memberId);
          if (unmet.length) throw ineligible(unmet);
          await tx.specialistApplication.create({
            data: {
              id: applicationId,
              partnerId,
              memberId,
              pathId,
              status: 'SUBMITTED',
              appliedBy: input.appliedBy,
              submittedAt: at,
              reviewSlaWorkingDays: workingDays,
              reviewDueAt: new Date(due.deadline),
              deadlineExplanation: json(due.explanation),
              lastSeq: 1,
              updatedAt: at,
            },
          });
          const data = { memberId, pathId, reviewSlaWorkingDays: workingDays, reviewDueAt: due.deadline, explanation: due.explanation, ...(due.reminderAt ? { reminderAt: due.reminderAt } : {}) };
          await tx.specialistEvent.create({ data: { applicationId, seq: 1, type: 'SUBMITTED', toStatus: 'SUBMITTED', actor: input.appliedBy, at, data: json(data) } });
          await appendOutbox(tx, {
            topic: SPECIALIST_SUBMITTED_TOPIC,
            aggregateId: applicationId,
            dedupeKey: specialistOutcomeKey(SPECIALIST_SUBMITTED_TOPIC, applicationId),
            dueAt: input.submittedAt,
            payload: { applicationId, partnerId, memberId, pathId, submittedAt: input.submittedAt, reviewDueAt: due.deadline, ...(due.explanation.provisional ? { deadlineProvisional: true } : {}) },
          });
        });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        // The same application recorded concurrently (a retry) is adopted; another open one refuses this one.
        const mine = await loadSubmission(applicationId);
        if (mine) return mine;
        const { unmet } = await specialistEligibility(prisma, partnerId, memberId);
        throw ineligible(unmet.length ? unmet : [{ code: 'specialist-already-applied', evidence: { fact: 'SPECIALIST_APPLICATION', memberId } }]);
      }
      return (await loadSubmission(applicationId))!;
    },

    /** The review due date counted again (recomputeDeadline), with its reminder's instant. */
    async planSpecialistDeadline(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return partner.planWorkingDays(a);
    },

    /** Whether `materialId` is an upload of this application (owner) and partner. */
    async findSpecialistMaterial({ applicationId, partnerId, materialId }: { applicationId: string; partnerId: string; materialId: string }): Promise<boolean> {
      return isOwnMaterial(prisma, { ownerKind: SPECIALIST_MATERIAL_OWNER, ownerId: applicationId, partnerId, materialId });
    },

    /**
     * One transition and its history row in one transaction, with the application columns it sets and the message it
     * announces: specialist.approved / rejected / cancelled / review-escalation, specialist.deadline-changed when the
     * review due date moved.
     */
    async recordSpecialistTransition(t: SpecialistTransitionRecord): Promise<void> {
      const at = new Date(t.at);
      const { applicationId } = t;
      await recordOnce(
        prisma,
        (tx) => tx.specialistEvent.createMany({ data: [{ applicationId, ...historyColumns(t) }], skipDuplicates: true }),
        async (tx) => {
          const c = t.columns ?? {};
          const row = await tx.specialistApplication.update({
            where: { id: applicationId },
            data: {
              ...stateColumns(t),
              ...(c.reviewDueAt !== undefined ? { reviewDueAt: new Date(c.reviewDueAt) } : {}),
              ...instants(c, 'decidedAt', 'cancelledAt'),
              ...(c.decisionNote !== undefined ? { decisionNote: c.decisionNote } : {}),
              ...(c.cancelledBy !== undefined ? { cancelledBy: c.cancelledBy, cancelReason: c.cancelReason ?? null } : {}),
              ...(t.type === 'REVIEW_ESCALATED' ? { reviewEscalatedAt: at } : {}),
              ...explanationColumn(t.data),
            },
          });
          const about = { applicationId, partnerId: row.partnerId, memberId: row.memberId, pathId: row.pathId };
          const topic = SPECIALIST_OUTCOME_TOPICS[t.type];
          if (topic) {
            await appendOutbox(tx, {
              topic,
              aggregateId: applicationId,
              dedupeKey: specialistOutcomeKey(topic, applicationId),
              dueAt: t.at,
              payload: { ...about, status: t.toStatus, at: t.at, actor: t.actor, ...(t.note ? { note: t.note } : {}), ...t.data },
            });
          }
          if (t.type === 'DEADLINE_CHANGED') {
            await appendRecordedDeadlineChange(tx, { process: 'specialist', aggregateId: applicationId, seq: t.seq, partnerId: row.partnerId, at: t.at, ids: { applicationId }, data: t.data });
          }
          if (t.material) {
            await tx.specialistMaterial.upsert({ where: { applicationId_kind: { applicationId, kind: t.material.kind } }, ...currentMaterial({ applicationId }, t.material, at) });
          }
        },
      );
    },

    /** Appends one message to the outbox, once per dedupe key (the review reminder). */
    async enqueueSpecialistMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };
}

/**
 * Specialist applications with a pending review due date not yet past (SUBMITTED, so not yet escalated), whose
 * window — the submission's local date … reviewDueAt's, in the calendar's zone — holds a changed date (for a moved
 * partner: every such application of that partner). For the calendar change propagation (activities/calendar-change.ts
 * AFFECTED_PROCESSES), keyset by application id.
 */
export const affectedSpecialists = (q: AffectedQuery): Promise<AffectedRows> => affectedSubmittedReviews(q, 'specialist_application', specialistWorkflowId);
