/**
 * Certificates of the certification process (activities/certification.ts builds these with its own activities):
 * planning the certificate an approval issues, a renewal's extension, the expiry and reminder instants, and the
 * certificate writes of a transition — issued with APPROVED, extended with CERTIFICATE_EXTENDED, expired with EXPIRED,
 * each in that transition's transaction. Dates are local dates in the partner's zone (domain/certificate-dates.ts).
 */
import { Context } from '@temporalio/activity';
import type { CalendarLookup } from '../domain/calendar.js';
import type { PrismaClient } from '../platform/db.js';
import type { CertificateSnapshot, CertificationTerms } from '../workflows/certification/contract.js';
import { certificateNumber, certificateTimes, dateColumn, extendedValidTo, fromDateColumn, validToFor } from '../domain/certificate-dates.js';
import type { Tx } from './kit/events.js';
import { localDate, partnerCalendar } from './kit/partner-calendar.js';

export type RenewalPlan = { certificateNumber: string; status: string; oldValidTo: string; newValidTo: string };

/** APPROVED: the certificate issued in the same transaction; CERTIFICATE_EXTENDED: the new validTo; EXPIRED: status. */
export type CertificateChange = { issue?: CertificateSnapshot & { partnerId: string }; validTo?: string; expired?: true };

export function createCertificateActivities({ prisma, calendarFor }: { prisma: PrismaClient; calendarFor: CalendarLookup }) {
  const { zoneOf } = partnerCalendar(prisma, calendarFor);
  return {
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
  };
}

/** The certificate write of one recorded transition of application `applicationId`, in its transaction. */
export async function writeCertificate(tx: Tx, applicationId: string, cert: CertificateChange, at: Date): Promise<void> {
  if (cert.issue) {
    // Exactly once: application_id is unique, and this runs only with the (unique) APPROVED event.
    const i = cert.issue;
    await tx.certificate.create({
      data: {
        number: i.number,
        applicationId,
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
  if (cert.validTo || cert.expired) {
    await tx.certificate.update({
      where: { applicationId },
      data: { ...(cert.validTo ? { validTo: dateColumn(cert.validTo) } : {}), ...(cert.expired ? { status: 'EXPIRED' } : {}), updatedAt: at },
    });
  }
}
