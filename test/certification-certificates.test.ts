/**
 * The certificate a certification workflow issues, on the time-skipping test server with the real activities on a
 * real PostgreSQL: approval → one certificate with the right dates, reminders 60 and 30 days before validTo, EXPIRED
 * at its end; renewal extending validTo (continue-as-new), renewal after the original expired → a fresh certificate,
 * and the extension acknowledgement.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { createCertificationActivities } from '../activities/certification.js';
import {
  type CertificationSnapshot,
  getCertification,
  type RenewedCertificate,
  review,
} from '../workflows/certification/workflow.js';
import { ZONE } from './support/calendar.js';
import { certificationSteps, refused, vendor } from './support/certification.js';
import { localDate, useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { expectActedAt } from './support/acted.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'certification-certificates-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
const { start, inReview } = certificationSteps(env);
const outbox = (topic: string, aggregateId: string) => env.prisma.outbox.findMany({ where: { topic, aggregateId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });
const startOfLocalDay = (isoDate: string, days: number) => DateTime.fromISO(isoDate, { zone: ZONE }).plus({ days }).toMillis();

describe('certification workflow', () => {
  it('approves: one certificate with the right dates, reminders 60 and 30 days before validTo, EXPIRED at the end of validTo', async () => {
    const { handle, applicationId, partnerId } = await inReview();
    const approved = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE', note: 'fine' }] });
    const cert = approved.certificate!;
    const validFrom = localDate(approved.decidedAt!);
    const validTo = DateTime.fromISO(validFrom).plus({ years: 1 }).minus({ days: 1 }).toISODate()!;
    expect(cert).toMatchObject({
      number: `PF-${validFrom.slice(0, 4)}-${applicationId.replaceAll('-', '').slice(0, 16).toUpperCase()}`,
      type: 'ROLE_CONSULTING', category: 'ROLE', labels: ['Cloud consulting'], scope: 'partner', validFrom, validTo, status: 'ACTIVE',
    });
    const rows = await env.prisma.certificate.findMany({ where: { partnerId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.validTo.toISOString().slice(0, 10)).toBe(validTo);
    const described = await handle.describe();
    expect(described.searchAttributes).toMatchObject({ PartnerId: [partnerId], CertificationType: ['ROLE_CONSULTING'], ProcessStatus: ['APPROVED'] });
    expect((described.searchAttributes.ProcessDeadline as Date[])[0]!.getTime()).toBe(startOfLocalDay(validTo, 1));
    // The transition retried after its commit issues nothing twice.
    const approvedEvent = await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'APPROVED' } });
    await createCertificationActivities({ prisma: env.prisma, calendarFor: env.calendarFor }).recordCertificationTransition({
      applicationId, seq: approvedEvent.seq, type: 'APPROVED', fromStatus: 'IN_REVIEW', toStatus: 'APPROVED', actor: 'vendor-1', at: approvedEvent.at.toISOString(),
      certificate: { issue: { ...cert, partnerId } },
    });
    expect(await env.prisma.certificate.count({ where: { partnerId } })).toBe(1);

    for (const [days, count] of [[60, 1], [30, 2]] as const) {
      const at = startOfLocalDay(validTo, -days);
      await advanceTo(at - 1000);
      expect(await outbox('certificate.expiry-reminder', cert.number)).toHaveLength(count - 1);
      await advanceTo(at + 1000);
      const sent = await eventually(async () => {
        const r = await outbox('certificate.expiry-reminder', cert.number);
        return r.length === count ? r : undefined;
      });
      expect(sent[count - 1]).toMatchObject({ dedupeKey: `certificate-expiry-reminder-${cert.number}-${validTo}-${days}`, payload: { daysBefore: days, validTo } });
      expect(sent[count - 1]!.dueAt.getTime()).toBe(at);
    }
    // Each sent when the workflow's clock reached its day: the count read a second before could have come too soon.
    const reminderDays = [60, 30].map((days) => startOfLocalDay(validTo, -days));
    await expectActedAt(handle, 'enqueueCertificationMessage', reminderDays, (m) => m.topic === 'certificate.expiry-reminder');
    const expiresAt = startOfLocalDay(validTo, 1);
    await advanceTo(expiresAt - 1000);
    expect((await handle.query(getCertification)).status).toBe('APPROVED');
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'EXPIRED', certificate: { status: 'EXPIRED', reminders: [{ sent: true }, { sent: true }] } });
    const expired = await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'EXPIRED' } });
    expect(expired.at.getTime()).toBeGreaterThanOrEqual(expiresAt);
    expect(expired.at.getTime()).toBeLessThan(expiresAt + 1000);
    expect(await env.prisma.certificate.findUniqueOrThrow({ where: { applicationId } })).toMatchObject({ status: 'EXPIRED' });
    expect(await outbox('certificate.expiry-reminder', cert.number)).toHaveLength(2);
    await recordHistory(handle, 'certification-approved-expired');
  });

  it('renewal approved before expiry extends validTo (no second certificate), moves EXPIRED, records old → new', async () => {
    const original = await inReview();
    const approved = await original.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    const cert = approved.certificate!;
    const approvedRun = (await original.handle.describe()).runId;
    const renewedCertificate: RenewedCertificate = { number: cert.number, partnerId: original.partnerId, type: cert.type, status: 'ACTIVE', validTo: cert.validTo };
    expect((await refused(start(original.partnerId, { renewalOf: original.applicationId }, { ...renewedCertificate, status: 'EXPIRED' }))).type).toBe('RENEWAL_NOT_ALLOWED');

    await advanceTo(startOfLocalDay(cert.validTo, -90));
    const renewal = await inReview(original.partnerId, { renewalOf: original.applicationId }, renewedCertificate);
    const renewed = await renewal.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    const newValidTo = DateTime.fromISO(cert.validTo).plus({ years: 1 }).toISODate()!;
    expect(renewed).toMatchObject({ status: 'APPROVED', extended: { certificateNumber: cert.number, oldValidTo: cert.validTo, newValidTo } });
    expect(renewed.certificate).toBeUndefined();
    expect((await renewal.handle.result()).status).toBe('APPROVED');
    await recordHistory(renewal.handle, 'certification-renewal-extended');

    // The original applies the extension, then continues as new carrying its state.
    await eventually(async () => ((await original.handle.describe()).runId !== approvedRun ? true : undefined));
    const extended = await eventually(async () => {
      const s: CertificationSnapshot = await original.handle.query(getCertification);
      return s.certificate?.validTo === newValidTo ? s : undefined;
    });
    expect(extended.certificate!.extensions).toEqual([{ oldValidTo: cert.validTo, newValidTo, renewalApplicationId: renewal.applicationId, at: expect.any(String) }]);
    expect(await env.prisma.certificate.count({ where: { partnerId: original.partnerId } })).toBe(1);
    expect((await env.prisma.certificate.findUniqueOrThrow({ where: { applicationId: original.applicationId } })).validTo.toISOString().slice(0, 10)).toBe(newValidTo);
    const history = await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId: original.applicationId, type: 'CERTIFICATE_EXTENDED' } });
    expect(history.data).toMatchObject({ oldValidTo: cert.validTo, newValidTo, renewalApplicationId: renewal.applicationId });

    await advanceTo(startOfLocalDay(cert.validTo, 1) + 1000);
    expect((await original.handle.query(getCertification)).status).toBe('APPROVED');
    const result = await original.handle.result();
    expect(result).toMatchObject({ status: 'EXPIRED', certificate: { validTo: newValidTo, status: 'EXPIRED' } });
    const expired = await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId: original.applicationId, type: 'EXPIRED' } });
    expect(expired.at.getTime()).toBeGreaterThanOrEqual(startOfLocalDay(newValidTo, 1));
    const reminders = (await outbox('certificate.expiry-reminder', cert.number)).map((r) => r.dedupeKey);
    expect(reminders).toEqual([60, 30].map((d) => `certificate-expiry-reminder-${cert.number}-${newValidTo}-${d}`));
  });

  it('renewal approved after the original expired issues a fresh certificate instead of claiming an extension', async () => {
    const original = await inReview();
    const approved = await original.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    const cert = approved.certificate!;
    const renewedCertificate: RenewedCertificate = { number: cert.number, partnerId: original.partnerId, type: cert.type, status: 'ACTIVE', validTo: cert.validTo };
    await advanceTo(startOfLocalDay(cert.validTo, -10));
    const renewal = await inReview(original.partnerId, { renewalOf: original.applicationId }, renewedCertificate);

    // The review takes too long: the original expires first.
    await advanceTo(startOfLocalDay(cert.validTo, 1) + 1000);
    expect((await original.handle.result()).status).toBe('EXPIRED');
    const renewed = await renewal.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    expect(renewed.extended).toBeUndefined();
    expect(renewed.certificate).toMatchObject({ status: 'ACTIVE', type: cert.type });
    expect(renewed.certificate!.number).not.toBe(cert.number);
    const rows = await env.prisma.certificate.findMany({ where: { partnerId: original.partnerId }, orderBy: { issuedAt: 'asc' } });
    expect(rows.map((r) => [r.number, r.status])).toEqual([
      [cert.number, 'EXPIRED'],
      [renewed.certificate!.number, 'ACTIVE'],
    ]);
  });

  it('awaitCertificateExtension: the certificate row decides whether an extension happened', async () => {
    const original = await inReview();
    const { certificate } = await original.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    const activities = createCertificationActivities({ prisma: env.prisma, calendarFor: env.calendarFor });
    const later = DateTime.fromISO(certificate!.validTo).plus({ years: 1 }).toISODate()!;
    const wait = (newValidTo: string) => new MockActivityEnvironment().run(activities.awaitCertificateExtension, { applicationId: original.applicationId, newValidTo });

    await env.prisma.certificate.update({ where: { applicationId: original.applicationId }, data: { validTo: new Date(`${later}T00:00:00Z`) } });
    expect(await wait(later)).toBe('EXTENDED');
    await env.prisma.certificate.update({ where: { applicationId: original.applicationId }, data: { validTo: new Date(`${certificate!.validTo}T00:00:00Z`), status: 'EXPIRED' } });
    expect(await wait(later)).toBe('EXPIRED');
    await original.handle.terminate('test done');
  });
});
