/**
 * Certification application persistence (workflows/certification/workflow.ts). Every activity is idempotent: a retry after
 * a crash finds its own earlier write and does nothing more. Business times come in as arguments (workflow time).
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { historyColumns } from './history.js';
import { loadPartnerFacts } from '../platform/partner-facts.js';
import { catalogEntry, evaluatePrerequisites, type PrerequisiteResult } from '../domain/certification-catalog.js';
import type { CalendarLookup, DeadlineExplanation } from '../domain/calendar.js';
import { databaseCalendarLookup } from '../platform/calendars.js';
import type { Prisma } from '../prisma/generated/client.js';
import type { PrismaClient } from '../platform/db.js';
import {
  type CertificateSnapshot,
  CERTIFICATION_MATERIAL_OWNER,
  CERTIFICATION_WITHDRAWN_TOPIC,
  CertificationRefusal,
  type CertificationInput,
  type CertificationStatus,
  type CertificationTerms,
  withdrawnDedupeKey,
} from '../workflows/certification/contract.js';
import { planWorkingDays } from './calendar.js';
import { appendDeadlineChanged } from './deadline-changed.js';
import type { AffectedQuery, AffectedRows } from './affected.js';
import {
  certificateNumber,
  certificateTimes,
  dateColumn,
  extendedValidTo,
  fromDateColumn,
  localDate,
  validToFor,
} from './certification-dates.js';

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
  material?: { kind: string; materialId: string };
  /** APPROVED: the certificate issued in the same transaction; CERTIFICATE_EXTENDED: the new validTo; EXPIRED: status. */
  certificate?: { issue?: CertificateSnapshot & { partnerId: string }; validTo?: string; expired?: true };
};

export type Prerequisites = { today: string; results: Omit<PrerequisiteResult, 'prerequisite'>[] };
export type RenewalPlan = { certificateNumber: string; status: string; oldValidTo: string; newValidTo: string };

export type CertificationActivityDeps = { prisma: PrismaClient; calendarFor?: CalendarLookup };

const invalid = (type: string, message: string) => ApplicationFailure.nonRetryable(message, type);

export function createCertificationActivities({ prisma, calendarFor = databaseCalendarLookup(prisma) }: CertificationActivityDeps) {
  const zoneOf = async (partnerId: string) => (await calendarFor(partnerId)).calendar.zone;
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
      if (!entry) throw invalid(CertificationRefusal.unknownType, `${input.type} is not a certification type of the catalog.`);
      if ((entry.appliesTo === 'SOLUTION') !== Boolean(input.solutionName?.trim())) {
        throw invalid(CertificationRefusal.invalid, `${input.type} applies to ${entry.appliesTo === 'SOLUTION' ? 'a solution: name it' : 'the partner: name no solution'}.`);
      }
      if (input.renewalOf) {
        const original = await prisma.certificate.findUnique({ where: { applicationId: input.renewalOf } });
        if (!original || original.partnerId !== input.partnerId || original.type !== input.type || original.status !== 'ACTIVE') {
          throw invalid(CertificationRefusal.renewalNotAllowed, `Only an ACTIVE ${input.type} certificate of this partner can be renewed.`);
        }
      }
      const terms: CertificationTerms = {
        category: entry.category,
        appliesTo: entry.appliesTo,
        requiredMaterials: entry.requiredMaterials.map((m) => m.kind),
        validityYears: entry.validityYears,
        reviewSlaWorkingDays: entry.reviewSlaWorkingDays,
        supplementWorkingDays: entry.supplementWorkingDays,
        capabilityLabels: entry.capabilityLabels,
      };
      const at = new Date(input.createdAt);
      await prisma.$transaction(async (tx) => {
        const created = await tx.certificationApplication.createMany({
          data: [
            {
              id: input.applicationId,
              partnerId: input.partnerId,
              type: input.type,
              category: entry.category,
              appliesTo: entry.appliesTo,
              solutionName: input.solutionName ?? null,
              status: 'DRAFT',
              terms: terms as unknown as Prisma.InputJsonValue,
              createdBy: input.createdBy,
              createdAt: at,
              renewalOf: input.renewalOf ?? null,
              lastSeq: 1,
              updatedAt: at,
            },
          ],
          skipDuplicates: true,
        });
        if (created.count === 0) return; // created concurrently: the first one stands
        await tx.certificationEvent.create({
          data: { applicationId: input.applicationId, seq: 1, type: 'CREATED', toStatus: 'DRAFT', actor: input.createdBy, at, data: { terms, renewalOf: input.renewalOf ?? null } },
        });
      });
      return (await loadDraft(input.applicationId))!;
    },

    /** Whether `materialId` is an upload of this application (owner) and partner. */
    async findCertificationMaterial({ applicationId, partnerId, materialId }: { applicationId: string; partnerId: string; materialId: string }): Promise<boolean> {
      const row = await prisma.material.findFirst({ where: { id: materialId, ownerKind: CERTIFICATION_MATERIAL_OWNER, ownerId: applicationId, partnerId }, select: { id: true } });
      return row !== null;
    },

    /** Every prerequisite of `type`, met or not, against the partner's live experts and certificates on the local date of `at`. */
    async checkCertificationPrerequisites({ partnerId, type, at }: { partnerId: string; type: string; at: string }): Promise<Prerequisites> {
      const entry = catalogEntry(type);
      if (!entry) throw invalid(CertificationRefusal.unknownType, `${type} is no longer a certification type of the catalog.`);
      const today = localDate(at, await zoneOf(partnerId));
      const facts = await loadPartnerFacts(prisma, partnerId);
      return { today, results: evaluatePrerequisites(entry, facts, today).map(({ prerequisite: _, ...r }) => r) };
    },

    /**
     * `workingDays` working days from `from` in the partner's calendar (fails closed), and given `remindBefore`, its
     * reminder's instant that many working days before it.
     */
    async planCertificationDeadline(a: { partnerId: string; from: string; workingDays: number; remindBefore?: number }): Promise<{ deadline: string; explanation: DeadlineExplanation; reminderAt?: string }> {
      return planWorkingDays((await calendarFor(a.partnerId)).calendar, a.from, a.workingDays, a.remindBefore);
    },

    /** The certificate an approval at `approvedAt` issues (pure planning: recorded with the APPROVED transition). */
    async planCertificate(a: { applicationId: string; partnerId: string; type: string; solutionName?: string; terms: CertificationTerms; approvedAt: string }): Promise<CertificateSnapshot> {
      const zone = await zoneOf(a.partnerId);
      const validFrom = localDate(a.approvedAt, zone);
      const validTo = validToFor(validFrom, a.terms.validityYears);
      return {
        number: certificateNumber(a.applicationId, validFrom),
        type: a.type,
        category: a.terms.category,
        labels: [...a.terms.capabilityLabels],
        scope: a.solutionName ?? 'partner',
        validFrom,
        validTo,
        status: 'ACTIVE',
        issuedAt: a.approvedAt,
        ...certificateTimes(validTo, zone),
        extensions: [],
      };
    },

    /** Expiry and reminder instants of a certificate valid to `validTo` (after an extension). */
    async planCertificateTimes({ partnerId, validTo }: { partnerId: string; validTo: string }) {
      return certificateTimes(validTo, await zoneOf(partnerId));
    },

    /** For a renewal's approval: the original certificate, and its validTo moved by `validityYears`. */
    async planRenewal({ renewalOf, validityYears }: { renewalOf: string; validityYears: number }): Promise<RenewalPlan | undefined> {
      const original = await prisma.certificate.findUnique({ where: { applicationId: renewalOf } });
      if (!original) return undefined;
      const oldValidTo = fromDateColumn(original.validTo);
      return { certificateNumber: original.number, status: original.status, oldValidTo, newValidTo: extendedValidTo(oldValidTo, validityYears) };
    },

    /**
     * One transition and its history row in one transaction, with the application columns it sets — a transition
     * whose data explains a deadline (REVIEW_STARTED, SUPPLEMENTED, SUPPLEMENT_REQUESTED, DEADLINE_CHANGED) set the
     * pending one, so its explanation is the row's deadlineExplanation; DEADLINE_CHANGED also tells the partner
     * (certification.deadline-changed) when the deadline moved; APPROVED issues the certificate; WITHDRAWN_BY_TIMEOUT
     * tells that the supplement deadline passed (certification.withdrawn-by-timeout).
     */
    async recordCertificationTransition(t: CertificationTransitionRecord): Promise<void> {
      const at = new Date(t.at);
      const instant = (v: string | null | undefined) => (v === undefined ? undefined : v === null ? null : new Date(v));
      await prisma.$transaction(async (tx) => {
        const inserted = await tx.certificationEvent.createMany({
          data: [{ applicationId: t.applicationId, ...historyColumns(t) }],
          skipDuplicates: true,
        });
        if (inserted.count === 0) return; // a retry: already recorded
        const c = t.columns ?? {};
        const explanation = (t.data as { explanation?: DeadlineExplanation } | undefined)?.explanation;
        const row = await tx.certificationApplication.update({
          where: { id: t.applicationId },
          data: {
            status: t.toStatus,
            lastSeq: t.seq,
            updatedAt: at,
            submittedAt: instant(c.submittedAt),
            reviewStartedAt: instant(c.reviewStartedAt),
            reviewDueAt: instant(c.reviewDueAt),
            supplementRequestedAt: instant(c.supplementRequestedAt),
            supplementDeadline: instant(c.supplementDeadline),
            decidedAt: instant(c.decidedAt),
            decisionNote: c.decisionNote,
            ...(explanation ? { deadlineExplanation: explanation as unknown as Prisma.InputJsonValue } : {}),
          },
        });
        if (t.type === 'WITHDRAWN_BY_TIMEOUT') {
          const { supplementDeadline, ...provisional } = t.data as { supplementDeadline: string; deadlineProvisional?: true; provisionalYears?: number[] };
          await tx.outbox.createMany({
            data: [
              {
                topic: CERTIFICATION_WITHDRAWN_TOPIC,
                aggregateId: t.applicationId,
                dedupeKey: withdrawnDedupeKey(t.applicationId),
                dueAt: at,
                payload: { applicationId: t.applicationId, partnerId: row.partnerId, type: row.type, supplementDeadline, withdrawnAt: t.at, ...provisional },
              },
            ],
            skipDuplicates: true,
          });
        }
        if (t.type === 'DEADLINE_CHANGED') {
          const d = t.data as { deadline: string; from: string; to: string; explanation?: DeadlineExplanation; reasons?: string[] };
          await appendDeadlineChanged(tx, { process: 'certification', aggregateId: t.applicationId, seq: t.seq, partnerId: row.partnerId, ...d, at: t.at, ids: { applicationId: t.applicationId } });
        }
        if (t.material) {
          const key = { applicationId: t.applicationId, kind: t.material.kind };
          await tx.certificationMaterial.upsert({
            where: { applicationId_kind: key },
            create: { ...key, materialId: t.material.materialId, setAt: at },
            update: { materialId: t.material.materialId, setAt: at },
          });
        }
        const cert = t.certificate;
        if (cert?.issue) {
          // Exactly once: application_id is unique, and this runs only with the (unique) APPROVED event.
          const i = cert.issue;
          await tx.certificate.create({
            data: {
              number: i.number,
              applicationId: t.applicationId,
              partnerId: i.partnerId,
              type: i.type,
              category: i.category,
              labels: i.labels,
              scope: i.scope,
              validFrom: dateColumn(i.validFrom),
              validTo: dateColumn(i.validTo),
              status: 'ACTIVE',
              issuedAt: at,
              updatedAt: at,
            },
          });
        }
        if (cert?.validTo || cert?.expired) {
          await tx.certificate.update({
            where: { applicationId: t.applicationId },
            data: { ...(cert.validTo ? { validTo: dateColumn(cert.validTo) } : {}), ...(cert.expired ? { status: 'EXPIRED' } : {}), updatedAt: at },
          });
        }
      });
    },

    /**
     * After a renewal signalled the original workflow: waits until the original certificate either carries the new
     * validTo (the original applied the extension) or has EXPIRED (the signal came too late to count). The
     * certificate row decides the race between a renewal and the expiry, so a renewal never claims an extension
     * that did not happen. Heartbeats while it waits; a lost worker's wait is simply retried.
     */
    async awaitCertificateExtension({ applicationId, newValidTo }: { applicationId: string; newValidTo: string }): Promise<'EXTENDED' | 'EXPIRED'> {
      for (let i = 0; ; i++) {
        const c = await prisma.certificate.findUniqueOrThrow({ where: { applicationId } });
        if (fromDateColumn(c.validTo) >= newValidTo) return 'EXTENDED';
        if (c.status === 'EXPIRED') return 'EXPIRED';
        Context.current().heartbeat(i);
        await Context.current().sleep(250);
      }
    },

    /** Appends one message to the outbox, once per dedupe key (review escalations, expiry reminders). */
    async enqueueCertificationMessage(m: { topic: string; aggregateId: string; dedupeKey: string; payload: Record<string, unknown>; dueAt: string }): Promise<void> {
      await prisma.outbox.createMany({
        data: [{ topic: m.topic, aggregateId: m.aggregateId, dedupeKey: m.dedupeKey, payload: m.payload as Prisma.InputJsonValue, dueAt: new Date(m.dueAt) }],
        skipDuplicates: true,
      });
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
