/**
 * Certification application persistence (workflows/certification/workflow.ts). Every activity is idempotent: a retry after
 * a crash finds its own earlier write and does nothing more. Business times come in as arguments (workflow time). The
 * certificate an approval issues, a renewal extends and the expiry ends: activities/certificates.ts; what certification
 * shares with path review (materials, deadlines, history, outbox): activities/kit/.
 */
import { catalogEntry, evaluatePrerequisites, type PrerequisiteResult } from '../domain/certification-catalog.js';
import type { CalendarLookup } from '../domain/calendar.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { PrismaClient } from '../platform/db.js';
import {
  CERTIFICATION_MATERIAL_OWNER,
  CERTIFICATION_WITHDRAWN_TOPIC,
  Refusal,
  type CertificationInput,
  type CertificationStatus,
  type CertificationTerms,
  withdrawnDedupeKey,
} from '../workflows/certification/contract.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import { type CertificateChange, createCertificateActivities, writeCertificate } from './certificates.js';
import { historyColumns } from './history.js';
import { recordOnce } from './kit/events.js';
import { invalid } from './kit/failures.js';
import { currentMaterial, isOwnMaterial, type MaterialSet } from './kit/materials.js';
import { appendOutbox, appendRecordedDeadlineChange, type OutboxMessage } from './kit/outbox.js';
import { partnerCalendar, type WorkingDaysPlan, type WorkingDaysRequest } from './kit/partner-calendar.js';
import { explanationColumn, instants, json, stateColumns } from './kit/read-model.js';

export type { RenewalPlan } from './certificates.js';

export type CertificationTransitionRecord = {
  applicationId: string;
  seq: number;
  type:
    | 'MATERIAL_SET'
    | 'SUBMITTED'
    | 'REVIEW_STARTED'
    | 'SUPPLEMENT_REQUESTED'
    | 'SUPPLEMENTED'
    | 'REJECTED'
    | 'APPROVED'
    | 'WITHDRAWN_BY_TIMEOUT'
    | 'CERTIFICATE_EXTENDED'
    | 'DEADLINE_CHANGED'
    | 'EXPIRED';
  fromStatus: CertificationStatus;
  toStatus: CertificationStatus;
  actor: string;
  at: string;
  note?: string;
  data?: Record<string, unknown>;
  /** Application columns this transition sets (null clears); DEADLINE_CHANGED moves reviewDueAt or supplementDeadline. */
  columns?: {
    submittedAt?: string;
    reviewStartedAt?: string;
    reviewDueAt?: string | null;
    supplementRequestedAt?: string | null;
    supplementDeadline?: string | null;
    decidedAt?: string;
    decisionNote?: string;
  };
  /** MATERIAL_SET: the current material of this kind. */
  material?: MaterialSet;
  /** APPROVED: the certificate issued in the same transaction; CERTIFICATE_EXTENDED: the new validTo; EXPIRED: status. */
  certificate?: CertificateChange;
};

export type Prerequisites = { today: string; results: Omit<PrerequisiteResult, 'prerequisite'>[] };

export type CertificationActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup };

/** The terms an application is judged by, copied from the catalog when it is created (a later catalog change does not move them). */
const termsOf = (entry: NonNullable<ReturnType<typeof catalogEntry>>): CertificationTerms => ({
  category: entry.category,
  appliesTo: entry.appliesTo,
  requiredMaterials: entry.requiredMaterials.map((m) => m.kind),
  validityYears: entry.validityYears,
  reviewSlaWorkingDays: entry.reviewSlaWorkingDays,
  supplementWorkingDays: entry.supplementWorkingDays,
  capabilityLabels: entry.capabilityLabels,
});

export function createCertificationActivities({ prisma, calendarFor = databaseCalendarLookup(prisma) }: CertificationActivityDeps) {
  const partner = partnerCalendar(prisma, calendarFor);
  const loadDraft = async (id: string) => {
    const row = await prisma.certificationApplication.findUnique({ where: { id } });
    return row ? { createdAt: row.createdAt.toISOString(), terms: row.terms as CertificationTerms, seq: row.lastSeq } : undefined;
  };

  return {
    /**
     * Validates the application against the catalog (and, for a renewal, the original certificate: ACTIVE, same
     * partner and type) and persists the DRAFT with CREATED (seq 1). An existing application (a retry) is adopted.
     */
    async createCertificationDraft(input: CertificationInput & { createdAt: string }): Promise<{ createdAt: string; terms: CertificationTerms; seq: number }> {
      const existing = await loadDraft(input.applicationId);
      if (existing) return existing;
      const entry = catalogEntry(input.type);
      if (!entry) throw invalid(Refusal.unknownType, `${input.type} is not a certification type of the catalog.`);
      if ((entry.appliesTo === 'SOLUTION') !== Boolean(input.solutionName?.trim())) {
        throw invalid(Refusal.invalid, `${input.type} applies to ${entry.appliesTo === 'SOLUTION' ? 'a solution: name it' : 'the partner: name no solution'}.`);
      }
      if (input.renewalOf) {
        const original = await prisma.certificate.findUnique({ where: { applicationId: input.renewalOf } });
        if (!original || original.partnerId !== input.partnerId || original.type !== input.type || original.status !== 'ACTIVE') {
          throw invalid(Refusal.renewalNotAllowed, `Only an ACTIVE ${input.type} certificate of this partner can be renewed.`);
        }
      }
      const terms = termsOf(entry);
      const at = new Date(input.createdAt);
      // Created concurrently: the first one stands, and this start adopts it.
      await recordOnce(
        prisma,
        (tx) =>
          tx.certificationApplication.createMany({
            data: [
              {
                id: input.applicationId,
                partnerId: input.partnerId,
                type: input.type,
                category: entry.category,
                appliesTo: entry.appliesTo,
                solutionName: input.solutionName ?? null,
                status: 'DRAFT',
                terms: json(terms),
                createdBy: input.createdBy,
                createdAt: at,
                renewalOf: input.renewalOf ?? null,
                lastSeq: 1,
                updatedAt: at,
              },
            ],
            skipDuplicates: true,
          }),
        (tx) =>
          tx.certificationEvent.create({
            data: { applicationId: input.applicationId, seq: 1, type: 'CREATED', toStatus: 'DRAFT', actor: input.createdBy, at, data: { terms, renewalOf: input.renewalOf ?? null } },
          }),
      );
      return (await loadDraft(input.applicationId))!;
    },

    /** Whether `materialId` is an upload of this application (owner) and partner. */
    async findCertificationMaterial({ applicationId, partnerId, materialId }: { applicationId: string; partnerId: string; materialId: string }): Promise<boolean> {
      return isOwnMaterial(prisma, { ownerKind: CERTIFICATION_MATERIAL_OWNER, ownerId: applicationId, partnerId, materialId });
    },

    /** Every prerequisite of `type`, met or not, against the partner's live experts and certificates on the local date of `at`. */
    async checkCertificationPrerequisites({ partnerId, type, at }: { partnerId: string; type: string; at: string }): Promise<Prerequisites> {
      const entry = catalogEntry(type);
      if (!entry) throw invalid(Refusal.unknownType, `${type} is no longer a certification type of the catalog.`);
      const { today, facts } = await partner.factsOn(partnerId, at);
      return { today, results: evaluatePrerequisites(entry, facts, today).map(({ prerequisite: _, ...r }) => r) };
    },

    /**
     * `workingDays` working days from `from` in the partner's calendar (fails closed), and given `remindBefore`, its
     * reminder's instant that many working days before it.
     */
    async planCertificationDeadline(a: WorkingDaysRequest): Promise<WorkingDaysPlan> {
      return partner.planWorkingDays(a);
    },

    ...createCertificateActivities({ prisma, calendarFor }),

    /**
     * One transition and its history row in one transaction, with the application columns it sets — a transition
     * whose data explains a deadline (REVIEW_STARTED, SUPPLEMENTED, SUPPLEMENT_REQUESTED, DEADLINE_CHANGED) set the
     * pending one, so its explanation is the row's deadlineExplanation; DEADLINE_CHANGED also tells the partner
     * (certification.deadline-changed) when the deadline moved; APPROVED issues the certificate; WITHDRAWN_BY_TIMEOUT
     * tells that the supplement deadline passed (certification.withdrawn-by-timeout).
     */
    async recordCertificationTransition(t: CertificationTransitionRecord): Promise<void> {
      const at = new Date(t.at);
      const { applicationId } = t;
      await recordOnce(
        prisma,
        (tx) => tx.certificationEvent.createMany({ data: [{ applicationId, ...historyColumns(t) }], skipDuplicates: true }),
        async (tx) => {
          const c = t.columns ?? {};
          const row = await tx.certificationApplication.update({
            where: { id: applicationId },
            data: {
              ...stateColumns(t),
              ...instants(c, 'submittedAt', 'reviewStartedAt', 'reviewDueAt', 'supplementRequestedAt', 'supplementDeadline', 'decidedAt'),
              decisionNote: c.decisionNote,
              ...explanationColumn(t.data),
            },
          });
          if (t.type === 'WITHDRAWN_BY_TIMEOUT') {
            const { supplementDeadline, ...provisional } = t.data as { supplementDeadline: string; deadlineProvisional?: true; provisionalYears?: number[] };
            await appendOutbox(tx, {
              topic: CERTIFICATION_WITHDRAWN_TOPIC,
              aggregateId: applicationId,
              dedupeKey: withdrawnDedupeKey(applicationId),
              dueAt: t.at,
              payload: { applicationId, partnerId: row.partnerId, type: row.type, supplementDeadline, withdrawnAt: t.at, ...provisional },
            });
          }
          if (t.type === 'DEADLINE_CHANGED') {
            await appendRecordedDeadlineChange(tx, { process: 'certification', aggregateId: applicationId, seq: t.seq, partnerId: row.partnerId, at: t.at, ids: { applicationId }, data: t.data });
          }
          if (t.material) {
            await tx.certificationMaterial.upsert({ where: { applicationId_kind: { applicationId, kind: t.material.kind } }, ...currentMaterial({ applicationId }, t.material, at) });
          }
          if (t.certificate) await writeCertificate(tx, applicationId, t.certificate, at);
        },
      );
    },

    /** Appends one message to the outbox, once per dedupe key (review escalations, expiry reminders). */
    async enqueueCertificationMessage(m: OutboxMessage): Promise<void> {
      await appendOutbox(prisma, m);
    },
  };
}

/**
 * Certification applications with a pending deadline not yet past: IN_REVIEW (or SUBMITTED) before reviewDueAt — so
 * not yet escalated — or SUPPLEMENT_REQUESTED before supplementDeadline, whose window (the round's start or the
 * request's moment … that deadline, local dates in the calendar's zone) holds a changed date.
 */
export async function affectedCertifications(q: AffectedQuery): Promise<AffectedRows> {
  const rows = q.partnerId
    ? await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT a.id::text AS id FROM certification_application a
        WHERE a.partner_id = ${q.partnerId} AND a.id::text > ${q.after}
          AND ((a.status IN ('SUBMITTED', 'IN_REVIEW') AND a.review_due_at > ${q.now}) OR (a.status = 'SUPPLEMENT_REQUESTED' AND a.supplement_deadline > ${q.now}))
        ORDER BY a.id::text LIMIT ${q.limit}`
    : await q.prisma.$queryRaw<{ id: string }[]>`
        SELECT a.id::text AS id FROM certification_application a LEFT JOIN partner_calendar pc ON pc.partner_id = a.partner_id,
          (SELECT zone FROM calendar_version WHERE calendar_name = ${q.calendar} ORDER BY version DESC LIMIT 1) cv
        WHERE ((a.status IN ('SUBMITTED', 'IN_REVIEW') AND a.review_due_at > ${q.now}) OR (a.status = 'SUPPLEMENT_REQUESTED' AND a.supplement_deadline > ${q.now}))
          AND COALESCE(pc.calendar_name, ${q.defaultCalendar}) = ${q.calendar}
          AND (${q.everyDate} OR EXISTS (
            SELECT 1 FROM unnest(${q.dates}::date[]) AS d
            WHERE d BETWEEN
              (COALESCE(CASE a.status WHEN 'SUPPLEMENT_REQUESTED' THEN a.supplement_requested_at ELSE a.review_started_at END, a.created_at) AT TIME ZONE cv.zone)::date
              AND ((CASE a.status WHEN 'SUPPLEMENT_REQUESTED' THEN a.supplement_deadline ELSE a.review_due_at END) AT TIME ZONE cv.zone)::date))
          AND a.id::text > ${q.after}
        ORDER BY a.id::text LIMIT ${q.limit}`;
  return rows.map((r) => ({ workflowId: `certification-${r.id}`, key: r.id }));
}
