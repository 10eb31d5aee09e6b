/**
 * The certification application workflow on the time-skipping test server, with the real activities on a real
 * PostgreSQL: approval and the certificate's life (reminders, expiry), rejection, supplements (in time, timed out),
 * review-SLA escalation, renewal, prerequisites and materials refusals, partner isolation; reviewDueAt and
 * supplementDeadline recomputed when the partner's calendar changes (recomputeDeadline, and through
 * calendarChangeWorkflow), also into a year whose holiday schedule is not published (provisional, then re-timed).
 */
import { randomUUID } from 'node:crypto';
import { type WorkflowHandle, WithStartWorkflowOperation, WorkflowUpdateFailedError } from '@temporalio/client';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { DateTime } from 'luxon';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificationActivities } from '../activities/certification.js';
import type { BusinessCalendar, DeadlineExplanation } from '../domain/calendar.js';
import type { PrismaClient } from '../platform/db.js';
import {
  type Actor,
  type CertificationInput,
  type CertificationSnapshot,
  certificationWorkflow,
  certificationWorkflowId,
  create,
  getCertification,
  recomputeDeadline,
  type RenewedCertificate,
  review,
  setMaterial,
  submit,
  supplement,
} from '../workflows/certification/workflow.js';
import { calendarChangeWorkflow, calendarChangeWorkflowId } from '../workflows/calendar-change/workflow.js';
import { testCalendar, ZONE, fixedCalendar } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { cnCalendar, deadlineChangedMessages, nextThursdayDec24, officialNextYear, provisionalAttribute } from './support/provisional.js';
import { startTestWorker, timeSkippingEnv } from './support/temporal.js';
import { advanceClockTo, eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'certification-workflow-test';
let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let stopWorker: () => Promise<void>;
let calendar: BusinessCalendar;

beforeAll(async () => {
  env = await timeSkippingEnv();
  calendar = testCalendar(await env.currentTimeMs());
  ({ prisma, stop: stopWorker } = await startTestWorker(env, taskQueue, fixedCalendar(() => calendar)));
});

afterAll(async () => {
  await stopWorker?.();
  await env?.teardown();
});

const vendor: Actor = { sub: 'vendor-1' };
const partner = () => `P-${randomUUID().slice(0, 8)}`;
const KINDS = ['CASE_STUDIES', 'TEAM_ROSTER'];

/** What ROLE_CONSULTING needs: 3 full-time experts, one of them a CLOUD_EXPERT. */
async function qualify(partnerId: string) {
  await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_EXPERT' }));
  await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: 'E2' }));
  await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: 'E3' }));
}

async function start(partnerId: string, extra: Partial<CertificationInput> = {}, renewedCertificate?: RenewedCertificate) {
  const input: CertificationInput = { applicationId: randomUUID(), partnerId, type: 'ROLE_CONSULTING', createdBy: 'partner-user', ...extra };
  const workflowId = certificationWorkflowId(input.applicationId);
  const snapshot = await env.client.workflow.executeUpdateWithStart(create, {
    args: [renewedCertificate ? { renewedCertificate } : {}],
    startWorkflowOperation: new WithStartWorkflowOperation(certificationWorkflow, { workflowId, taskQueue, args: [input], workflowIdConflictPolicy: 'USE_EXISTING' }),
  });
  return { handle: env.client.workflow.getHandle<typeof certificationWorkflow>(workflowId), snapshot, actor: { sub: 'partner-user', partnerId } as Actor };
}

/** Uploads a material row for the application (as the API will) and sets it as `kind`. */
async function attach(handle: WorkflowHandle, applicationId: string, actor: Actor, kind: string) {
  const id = randomUUID();
  const sha256 = randomUUID().replaceAll('-', '').padEnd(64, '0');
  const row = await prisma.material.create({
    data: { id, ownerKind: 'certification', ownerId: applicationId, partnerId: actor.partnerId!, fileName: `${kind}.pdf`, contentType: 'application/pdf', size: 3, sha256, bytes: Buffer.from('pdf'), uploadedBy: actor.sub },
  });
  const material = { materialId: id, fileName: row.fileName, sha256, size: 3, contentType: row.contentType, uploadedBy: actor.sub, uploadedAt: row.uploadedAt.toISOString() };
  return handle.executeUpdate(setMaterial, { args: [{ actor, kind, material }] });
}

/** A qualified partner's application, with its materials, submitted: IN_REVIEW. */
async function inReview(partnerId = partner(), extra: Partial<CertificationInput> = {}, renewed?: RenewedCertificate) {
  if (!extra.renewalOf) await qualify(partnerId);
  const started = await start(partnerId, extra, renewed);
  for (const kind of KINDS) await attach(started.handle, started.snapshot.applicationId, started.actor, kind);
  const snapshot = await started.handle.executeUpdate(submit, { args: [{ actor: started.actor }] });
  return { ...started, snapshot, partnerId, applicationId: snapshot.applicationId };
}

const advanceTo = (target: number) => advanceClockTo(env, target);

const refusal = (error: unknown) => {
  const cause = error instanceof WorkflowUpdateFailedError ? (error.cause as { type?: string; message?: string; details?: unknown[] } | undefined) : undefined;
  return cause ? { type: cause.type, message: cause.message ?? '', details: cause.details } : { type: `not a refusal: ${String(error)}`, message: '', details: undefined };
};
const refused = (promise: Promise<unknown>) => promise.then(() => ({ type: 'accepted', message: '', details: undefined }), refusal);

const events = async (applicationId: string) =>
  (await prisma.certificationEvent.findMany({ where: { applicationId }, orderBy: { seq: 'asc' } })).map((e) => e.type);
const outbox = (topic: string, aggregateId: string) => prisma.outbox.findMany({ where: { topic, aggregateId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });
const DAY = 24 * 3600 * 1000;
const localDate = (iso: string) => DateTime.fromISO(iso).setZone(ZONE).toISODate()!;
const startOfLocalDay = (isoDate: string, days: number) => DateTime.fromISO(isoDate, { zone: ZONE }).plus({ days }).toMillis();


// First in the file: its clock jump to 24 December comes before other tests leave workflows (and terminations) behind.
describe('review and supplement deadlines reaching into a year whose holiday schedule is not published', () => {
  const row = (id: string) => prisma.certificationApplication.findUniqueOrThrow({ where: { id }, include: { events: { orderBy: { seq: 'asc' } } } });
  const eventCount = (id: string, count: number) =>
    eventually(async () => {
      const r = await row(id);
      return r.events.length === count ? r : undefined;
    });

  it('are provisional (history, query, Web UI); the official year re-times them: a confirmed reviewDueAt clears its mark, a moved supplementDeadline is announced', async () => {
    const dec24 = nextThursdayDec24(await env.currentTimeMs());
    const [year, next] = [dec24.year, dec24.year + 1];
    calendar = cnCalendar(year - 1, year); // next year not published: counted with CN's statutory rules
    try {
      await advanceTo(dec24.toMillis());
      const reviewed = await inReview();
      const supplementing = await inReview();
      const requested = await supplementing.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
      // Instants count from the round's start or the request (Thu 12-24 10:00 and the seconds the test took); no DST.
      const at = (from: string, days: number) => new Date(Date.parse(from) + days * DAY).toISOString();
      // Thu 12-24 + 10 working days: Fri 25 (1), Mon 28–Thu 31 (2–5), Fri 01-01 New Year's Day (statutory), Mon 04–Fri 08
      // (6–10) → Fri 01-08, 15 days on.
      const reviewDueAt = at(reviewed.snapshot.reviewStartedAt!, 15);
      const supplementDeadline = at(requested.supplementRequestedAt!, 15);
      expect(reviewed.snapshot).toMatchObject({ status: 'IN_REVIEW', reviewDueAt, deadlineProvisional: true, provisionalYears: [next] });
      expect(requested).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementDeadline, deadlineProvisional: true, provisionalYears: [next] });
      for (const [{ events }, type] of [[await row(reviewed.applicationId), 'REVIEW_STARTED'], [await row(supplementing.applicationId), 'SUPPLEMENT_REQUESTED']] as const) {
        expect(events.find((e) => e.type === type)!.data).toMatchObject({
          explanation: {
            provisional: true,
            provisionalYears: [next],
            provisionalNote: expect.stringContaining('may move'),
            skippedDays: expect.arrayContaining([{ date: `${next}-01-01`, reason: 'HOLIDAY', name: "New Year's Day (provisional)" }]),
          },
        });
      }
      for (const { handle } of [reviewed, supplementing]) expect(await provisionalAttribute(handle)).toBe(true);

      // The official year says what the rules said: reviewDueAt stands, its mark clears, nothing is sent.
      calendar = officialNextYear(year);
      await reviewed.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const confirmed = await eventCount(reviewed.applicationId, 6); // CREATED, 2 × MATERIAL_SET, SUBMITTED, REVIEW_STARTED, DEADLINE_CHANGED
      expect(confirmed.reviewDueAt!.toISOString()).toBe(reviewDueAt);
      expect(confirmed.events[5]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'reviewDueAt', from: reviewDueAt, to: reviewDueAt } });
      expect(confirmed.events[5]!.note).toContain('no longer provisional');
      expect(confirmed.events[5]!.data).not.toHaveProperty('explanation.provisional');
      expect(await deadlineChangedMessages(prisma, reviewed.applicationId)).toEqual([]);
      expect(await provisionalAttribute(reviewed.handle)).toBe(false);
      expect(await reviewed.handle.query(getCertification)).not.toHaveProperty('deadlineProvisional');

      // The official year adds a bridge day (Mon 01-04): Fri 25 (1), 28–31 (2–5), Tue 05–Fri 08 (6–9), Mon 11 (10) → Mon 01-11, 18 days on.
      calendar = officialNextYear(year, { bridge: true });
      await supplementing.handle.signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const moved = await eventCount(supplementing.applicationId, 7); // … SUPPLEMENT_REQUESTED, DEADLINE_CHANGED
      const to = at(requested.supplementRequestedAt!, 18);
      expect(moved.supplementDeadline!.toISOString()).toBe(to);
      expect(moved.events[6]).toMatchObject({ type: 'DEADLINE_CHANGED', data: { deadline: 'supplementDeadline', from: supplementDeadline, to } });
      const [message, ...more] = await eventually(async () => {
        const rows = await deadlineChangedMessages(prisma, supplementing.applicationId);
        return rows.length ? rows : undefined;
      });
      expect(more).toEqual([]);
      expect(message).toMatchObject({
        topic: 'certification.deadline-changed',
        payload: { applicationId: supplementing.applicationId, partnerId: supplementing.partnerId, deadline: 'supplementDeadline', from: supplementDeadline, to, reason: `calendar CN: ${next} published` },
      });
      expect(message!.payload).not.toHaveProperty('deadlineProvisional');
      expect(await provisionalAttribute(supplementing.handle)).toBe(false);
      expect(await supplementing.handle.query(getCertification)).toMatchObject({ supplementDeadline: to });
      expect(await supplementing.handle.query(getCertification)).not.toHaveProperty('deadlineProvisional');
    } finally {
      calendar = testCalendar(await env.currentTimeMs());
    }
  });
});

describe('certification workflow', () => {
  it('refuses to submit with materials missing, listing every missing kind, and unknown kinds', async () => {
    const partnerId = partner();
    await qualify(partnerId);
    const { handle, snapshot, actor } = await start(partnerId);
    expect(snapshot).toMatchObject({ status: 'DRAFT', seq: 1, terms: { category: 'ROLE', requiredMaterials: KINDS } });
    expect(await refused(handle.executeUpdate(submit, { args: [{ actor }] }))).toMatchObject({
      type: 'MATERIALS_MISSING',
      message: 'Materials missing: CASE_STUDIES, TEAM_ROSTER.',
      details: [{ missing: KINDS }],
    });
    await attach(handle, snapshot.applicationId, actor, 'CASE_STUDIES');
    expect((await refused(handle.executeUpdate(submit, { args: [{ actor }] }))).message).toBe('Materials missing: TEAM_ROSTER.');
    expect((await refused(attach(handle, snapshot.applicationId, actor, 'BROCHURE'))).type).toBe('INVALID_REQUEST');
    expect(await events(snapshot.applicationId)).toEqual(['CREATED', 'MATERIAL_SET']);
    // A material that was not uploaded for this application: nothing changes.
    const bogus = { materialId: randomUUID(), fileName: 'x.pdf', sha256: 'a'.repeat(64), size: 1, contentType: 'application/pdf', uploadedBy: 'u', uploadedAt: new Date().toISOString() };
    expect((await refused(handle.executeUpdate(setMaterial, { args: [{ actor, kind: 'TEAM_ROSTER', material: bogus }] }))).type).toBe('MATERIAL_NOT_FOUND');
    expect((await handle.query(getCertification)).seq).toBe(2);
  });

  it('refuses submit listing every unmet prerequisite and changes nothing; accepts once the experts are registered', async () => {
    const partnerId = partner();
    const { handle, snapshot, actor } = await start(partnerId);
    for (const kind of KINDS) await attach(handle, snapshot.applicationId, actor, kind);
    const error = await refused(handle.executeUpdate(submit, { args: [{ actor }] }));
    expect(error.type).toBe('PREREQUISITES_UNMET');
    expect(error.details).toEqual([
      [
        { description: 'at least 3 full-time experts registered', required: 3, actual: 0 },
        { description: 'at least 1 expert holding a valid CLOUD_EXPERT certification', required: 1, actual: 0 },
      ],
    ]);
    expect(error.message).toMatch(/at least 3 full-time experts registered \(required 3, actual 0\); at least 1 expert .*CLOUD_EXPERT.*\(required 1, actual 0\)/);
    expect(await handle.query(getCertification)).toMatchObject({ status: 'DRAFT', seq: 3 });
    expect(await events(snapshot.applicationId)).toEqual(['CREATED', 'MATERIAL_SET', 'MATERIAL_SET']);

    await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_EXPERT', fullTime: false }));
    const partly = await refused(handle.executeUpdate(submit, { args: [{ actor }] }));
    expect(partly.details).toEqual([[{ description: 'at least 3 full-time experts registered', required: 3, actual: 0 }]]);
    for (const id of ['E2', 'E3', 'E4']) await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: id }));
    const submitted = await handle.executeUpdate(submit, { args: [{ actor }] });
    expect(submitted).toMatchObject({ status: 'IN_REVIEW', reviewRound: 1, seq: 5 });
    expect(submitted.reviewDueAt).toBe(calendar.addWorkingDays(new Date(submitted.submittedAt!), 10).deadline.toISOString());
    expect(await events(snapshot.applicationId)).toEqual(['CREATED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'REVIEW_STARTED']);
  });

  it('keeps partners apart and validates the application at creation', async () => {
    const { handle, snapshot } = await inReview();
    const other: Actor = { sub: 'intruder', partnerId: partner() };
    for (const call of [
      () => handle.executeUpdate(submit, { args: [{ actor: other }] }),
      () => handle.executeUpdate(review, { args: [{ actor: other, decision: 'APPROVE' }] }),
      () => handle.executeUpdate(supplement, { args: [{ actor: other }] }),
      () => attach(handle, snapshot.applicationId, other, 'CASE_STUDIES'),
    ]) {
      expect((await refused(call())).type).toBe('CERTIFICATION_NOT_FOUND');
    }
    expect((await handle.query(getCertification)).seq).toBe(snapshot.seq);
    expect((await refused(start(partner(), { type: 'ADVANCED_CLOUD_SOFTWARE' }))).type).toBe('INVALID_REQUEST');
    expect((await refused(start(partner(), { type: 'NO_SUCH_TYPE' }))).type).toBe('UNKNOWN_CERTIFICATION_TYPE');
    const solution = await start(partner(), { type: 'ADVANCED_CLOUD_SOFTWARE', solutionName: 'ACME Lake' });
    expect(solution.snapshot).toMatchObject({ status: 'DRAFT', solutionName: 'ACME Lake', terms: { appliesTo: 'SOLUTION' } });
    expect((await refused(start(partner(), { renewalOf: randomUUID() }))).type).toBe('INVALID_REQUEST');
  });

  it('rejects: vendor only, with a note; REJECTED is terminal and issues nothing', async () => {
    const { handle, actor, applicationId } = await inReview();
    expect((await refused(handle.executeUpdate(review, { args: [{ actor, decision: 'APPROVE' }] }))).type).toBe('VENDOR_ONLY');
    expect((await refused(handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REJECT' }] }))).type).toBe('INVALID_REQUEST');
    const rejected = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REJECT', note: 'cases too thin' }] });
    expect(rejected).toMatchObject({ status: 'REJECTED', decisionNote: 'cases too thin' });
    expect((await handle.result()).status).toBe('REJECTED');
    const row = await prisma.certificationApplication.findUniqueOrThrow({ where: { id: applicationId } });
    expect(row).toMatchObject({ status: 'REJECTED', decisionNote: 'cases too thin', lastSeq: 6 });
    expect(await prisma.certificate.count({ where: { applicationId } })).toBe(0);
  });

  it('supplement in time: SUPPLEMENT_REQUESTED → material replaced → IN_REVIEW (new round) → APPROVED', async () => {
    const { handle, actor, applicationId } = await inReview();
    expect((await refused(handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT' }] }))).type).toBe('INVALID_REQUEST');
    const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'add a case' }] });
    expect(requested.status).toBe('SUPPLEMENT_REQUESTED');
    const before = requested.materials.CASE_STUDIES!.materialId;
    const replaced = await attach(handle, applicationId, actor, 'CASE_STUDIES');
    expect(replaced.materials.CASE_STUDIES!.materialId).not.toBe(before);
    const back = await handle.executeUpdate(supplement, { args: [{ actor, note: 'third case added' }] });
    expect(back).toMatchObject({ status: 'IN_REVIEW', reviewRound: 2 });
    expect(back.supplementDeadline).toBeUndefined();
    expect(back.reviewDueAt).toBe(calendar.addWorkingDays(new Date((await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'SUPPLEMENTED' } })).at), 10).deadline.toISOString());
    expect((await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] })).status).toBe('APPROVED');
    expect(await events(applicationId)).toEqual(['CREATED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'REVIEW_STARTED', 'SUPPLEMENT_REQUESTED', 'MATERIAL_SET', 'SUPPLEMENTED', 'APPROVED']);
    expect((await prisma.certificationMaterial.findUniqueOrThrow({ where: { applicationId_kind: { applicationId, kind: 'CASE_STUDIES' } } })).materialId).toBe(replaced.materials.CASE_STUDIES!.materialId);
  });

  it('supplement timeout: WITHDRAWN_BY_TIMEOUT at exactly the supplement deadline, not a second earlier', async () => {
    const { handle, actor, applicationId } = await inReview();
    const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'roster incomplete' }] });
    const deadline = Date.parse(requested.supplementDeadline!);
    expect(requested.supplementDeadline).toBe(calendar.addWorkingDays(new Date(requested.decidedAt ?? (await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'SUPPLEMENT_REQUESTED' } })).at), 10).deadline.toISOString());
    await advanceTo(deadline - 1000);
    expect((await handle.query(getCertification)).status).toBe('SUPPLEMENT_REQUESTED');
    const result = await handle.result();
    expect(result.status).toBe('WITHDRAWN_BY_TIMEOUT');
    const last = await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId }, orderBy: { seq: 'desc' } });
    expect(last.type).toBe('WITHDRAWN_BY_TIMEOUT');
    expect(last.at.getTime()).toBeGreaterThanOrEqual(deadline);
    expect(last.at.getTime()).toBeLessThan(deadline + 1000);
    expect((await refused(handle.executeUpdate(supplement, { args: [{ actor }] }))).type).not.toBe('accepted');
  });

  it('review SLA: one escalation in the outbox past reviewDueAt, still IN_REVIEW, and a decision afterwards', async () => {
    const { handle, applicationId, snapshot } = await inReview();
    const due = Date.parse(snapshot.reviewDueAt!);
    await advanceTo(due - 1000);
    expect(await outbox('certification.review-escalation', applicationId)).toHaveLength(0);
    await advanceTo(due + 1000);
    const [message] = await eventually(async () => {
      const rows = await outbox('certification.review-escalation', applicationId);
      return rows.length ? rows : undefined;
    });
    expect(message).toMatchObject({ dedupeKey: `certification-review-escalation-${applicationId}-1`, payload: { reviewRound: 1 } });
    expect(message!.dueAt.getTime()).toBe(due);
    expect(await handle.query(getCertification)).toMatchObject({ status: 'IN_REVIEW', reviewEscalated: true });
    await advanceTo(due + 10 * 24 * 3600 * 1000);
    expect(await outbox('certification.review-escalation', applicationId)).toHaveLength(1);
    expect((await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REJECT', note: 'late but no' }] })).status).toBe('REJECTED');
  });

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
    const rows = await prisma.certificate.findMany({ where: { partnerId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]!.validTo.toISOString().slice(0, 10)).toBe(validTo);
    const described = await handle.describe();
    expect(described.searchAttributes).toMatchObject({ PartnerId: [partnerId], CertificationType: ['ROLE_CONSULTING'], ProcessStatus: ['APPROVED'] });
    expect((described.searchAttributes.ProcessDeadline as Date[])[0]!.getTime()).toBe(startOfLocalDay(validTo, 1));
    // The transition retried after its commit issues nothing twice.
    const approvedEvent = await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'APPROVED' } });
    await createCertificationActivities({ prisma, calendarFor: fixedCalendar(() => calendar) }).recordCertificationTransition({
      applicationId, seq: approvedEvent.seq, type: 'APPROVED', fromStatus: 'IN_REVIEW', toStatus: 'APPROVED', actor: 'vendor-1', at: approvedEvent.at.toISOString(),
      certificate: { issue: { ...cert, partnerId } },
    });
    expect(await prisma.certificate.count({ where: { partnerId } })).toBe(1);

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
    const expiresAt = startOfLocalDay(validTo, 1);
    await advanceTo(expiresAt - 1000);
    expect((await handle.query(getCertification)).status).toBe('APPROVED');
    const result = await handle.result();
    expect(result).toMatchObject({ status: 'EXPIRED', certificate: { status: 'EXPIRED', reminders: [{ sent: true }, { sent: true }] } });
    const expired = await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'EXPIRED' } });
    expect(expired.at.getTime()).toBeGreaterThanOrEqual(expiresAt);
    expect(expired.at.getTime()).toBeLessThan(expiresAt + 1000);
    expect(await prisma.certificate.findUniqueOrThrow({ where: { applicationId } })).toMatchObject({ status: 'EXPIRED' });
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
    expect(await prisma.certificate.count({ where: { partnerId: original.partnerId } })).toBe(1);
    expect((await prisma.certificate.findUniqueOrThrow({ where: { applicationId: original.applicationId } })).validTo.toISOString().slice(0, 10)).toBe(newValidTo);
    const history = await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId: original.applicationId, type: 'CERTIFICATE_EXTENDED' } });
    expect(history.data).toMatchObject({ oldValidTo: cert.validTo, newValidTo, renewalApplicationId: renewal.applicationId });

    await advanceTo(startOfLocalDay(cert.validTo, 1) + 1000);
    expect((await original.handle.query(getCertification)).status).toBe('APPROVED');
    const result = await original.handle.result();
    expect(result).toMatchObject({ status: 'EXPIRED', certificate: { validTo: newValidTo, status: 'EXPIRED' } });
    const expired = await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId: original.applicationId, type: 'EXPIRED' } });
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
    const rows = await prisma.certificate.findMany({ where: { partnerId: original.partnerId }, orderBy: { issuedAt: 'asc' } });
    expect(rows.map((r) => [r.number, r.status])).toEqual([
      [cert.number, 'EXPIRED'],
      [renewed.certificate!.number, 'ACTIVE'],
    ]);
  });

  it('awaitCertificateExtension: the certificate row decides whether an extension happened', async () => {
    const original = await inReview();
    const { certificate } = await original.handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    const activities = createCertificationActivities({ prisma, calendarFor: fixedCalendar(() => calendar) });
    const later = DateTime.fromISO(certificate!.validTo).plus({ years: 1 }).toISODate()!;
    const wait = (newValidTo: string) => new MockActivityEnvironment().run(activities.awaitCertificateExtension, { applicationId: original.applicationId, newValidTo });

    await prisma.certificate.update({ where: { applicationId: original.applicationId }, data: { validTo: new Date(`${later}T00:00:00Z`) } });
    expect(await wait(later)).toBe('EXTENDED');
    await prisma.certificate.update({ where: { applicationId: original.applicationId }, data: { validTo: new Date(`${certificate!.validTo}T00:00:00Z`), status: 'EXPIRED' } });
    expect(await wait(later)).toBe('EXPIRED');
    await original.handle.terminate('test done');
  });
});

describe('certification deadlines follow the calendar', () => {
  const row = (id: string) => prisma.certificationApplication.findUniqueOrThrow({ where: { id } });
  const lastEvent = (applicationId: string) => prisma.certificationEvent.findFirstOrThrow({ where: { applicationId }, orderBy: { seq: 'desc' } });
  const processDeadline = async (handle: WorkflowHandle) => ((await handle.describe()).searchAttributes.ProcessDeadline?.[0] as Date | undefined)?.getTime();
  /** The first local date on or after `fromIso` with ISO weekday `weekday`. */
  const nextWeekday = (fromIso: string, weekday: number) => {
    let day = DateTime.fromISO(fromIso).setZone(ZONE).startOf('day');
    while (day.weekday !== weekday) day = day.plus({ days: 1 });
    return day.toISODate()!;
  };
  /** A working day in the middle of the application's first review window (from its REVIEW_STARTED explanation). */
  const countedDay = async (applicationId: string) =>
    ((await prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'REVIEW_STARTED' } })).data as { explanation: DeadlineExplanation }).explanation.countedDays[4]!.date;
  const withDays = async (days: { holidays?: string[]; makeupWorkdays?: string[] }) => (calendar = testCalendar(await env.currentTimeMs(), days));

  it('a holiday inside the review window pushes reviewDueAt one working day: history, row, search attribute, escalation', async () => {
    await withDays({});
    const { handle, applicationId, snapshot } = await inReview();
    const [start, oldDue] = [snapshot.reviewStartedAt!, Date.parse(snapshot.reviewDueAt!)];
    const holiday = await countedDay(applicationId);
    const oneMore = calendar.addWorkingDays(new Date(start), 11).deadline.getTime();
    const newDue = (await withDays({ holidays: [holiday] })).addWorkingDays(new Date(start), 10).deadline.getTime();
    expect(newDue).toBe(oneMore);
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed', calendar: 'TEST', version: 2 });
    // The row moves in the transition's transaction, after the workflow (and its query) already shows the new deadline.
    await eventually(async () => ((await row(applicationId)).reviewDueAt?.getTime() === newDue ? true : undefined));
    expect((await handle.query(getCertification)).reviewDueAt).toBe(new Date(newDue).toISOString());
    expect((await events(applicationId)).slice(-2)).toEqual(['REVIEW_STARTED', 'DEADLINE_CHANGED']);
    const changed = await lastEvent(applicationId);
    expect(changed).toMatchObject({ fromStatus: 'IN_REVIEW', toStatus: 'IN_REVIEW', actor: 'system' });
    expect(changed.data).toMatchObject({ deadline: 'reviewDueAt', from: new Date(oldDue).toISOString(), to: new Date(newDue).toISOString(), calendar: 'TEST', version: 2, reasons: ['calendar TEST changed'] });
    expect(changed.note).toContain('v2');
    expect(await row(applicationId)).toMatchObject({ reviewDueAt: new Date(newDue), reviewStartedAt: new Date(start) });
    expect(await processDeadline(handle)).toBe(newDue);

    // Escalated at the new deadline, not at the old one.
    await advanceTo(oldDue + 1000);
    expect(await outbox('certification.review-escalation', applicationId)).toHaveLength(0);
    await advanceTo(newDue + 1000);
    const [message] = await eventually(async () => {
      const rows = await outbox('certification.review-escalation', applicationId);
      return rows.length ? rows : undefined;
    });
    expect(message!.dueAt.getTime()).toBe(newDue);
    expect((await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REJECT', note: 'no' }] })).status).toBe('REJECTED');
    await recordHistory(handle, 'certification-deadline-recomputed');
    await withDays({});
  });

  it('a make-up day pulls the supplement deadline in; already past, the application is withdrawn at once', async () => {
    await withDays({});
    const { handle, applicationId } = await inReview();
    const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'more' }] });
    const oldDeadline = Date.parse(requested.supplementDeadline!);
    const saturday = nextWeekday(requested.supplementRequestedAt!, 6);
    const pulledIn = (await withDays({ makeupWorkdays: [saturday] })).addWorkingDays(new Date(requested.supplementRequestedAt!), 10).deadline.getTime();
    expect(pulledIn).toBeLessThan(oldDeadline - DAY / 2);
    await withDays({});
    await advanceTo(pulledIn + 30 * 60_000); // still open on the old calendar
    expect((await handle.query(getCertification)).status).toBe('SUPPLEMENT_REQUESTED');
    await withDays({ makeupWorkdays: [saturday] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await eventually(async () => ((await row(applicationId)).status === 'WITHDRAWN_BY_TIMEOUT' ? true : undefined));
    expect((await events(applicationId)).slice(-3)).toEqual(['SUPPLEMENT_REQUESTED', 'DEADLINE_CHANGED', 'WITHDRAWN_BY_TIMEOUT']);
    expect((await row(applicationId)).supplementDeadline!.getTime()).toBe(pulledIn);
    const withdrawn = await lastEvent(applicationId);
    expect(withdrawn.at.getTime()).toBeGreaterThanOrEqual(pulledIn + 30 * 60_000);
    expect(withdrawn.at.getTime()).toBeLessThan(oldDeadline);
    await withDays({});
  });

  it('a change outside the window changes nothing; past its deadline or decided, an application ignores the signal', async () => {
    await withDays({});
    const { handle, applicationId, snapshot } = await inReview();
    const due = Date.parse(snapshot.reviewDueAt!);
    await withDays({ holidays: [localDate(new Date(due + 60 * DAY).toISOString())] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    await advanceTo(due + 1000); // escalated at the unchanged deadline
    const [message] = await eventually(async () => {
      const rows = await outbox('certification.review-escalation', applicationId);
      return rows.length ? rows : undefined;
    });
    expect(message!.dueAt.getTime()).toBe(due);
    // Past reviewDueAt (escalated): a holiday inside the old window moves nothing.
    await withDays({ holidays: [await countedDay(applicationId)] });
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed again' });
    const approved = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] });
    // Decided: the certificate's validity is in calendar years, not working days.
    await handle.signal(recomputeDeadline, { reason: 'calendar TEST changed once more' });
    expect((await refused(handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] }))).type).toBe('NOT_IN_REVIEW');
    expect(await events(applicationId)).toEqual(['CREATED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'REVIEW_STARTED', 'APPROVED']);
    expect((await row(applicationId)).reviewDueAt!.getTime()).toBe(due);
    expect((await handle.query(getCertification)).certificate).toEqual(approved.certificate);
    await handle.terminate('test done');
    await withDays({});
  });

  it('calendarChangeWorkflow signals the applications whose pending window holds a changed date, and only those', async () => {
    await withDays({});
    const name = `CERT-${randomUUID().slice(0, 6)}`;
    const inside = await inReview();
    const outside = await inReview();
    const holiday = await countedDay(inside.applicationId);
    // The database's calendar: only its changes matter here (the worker counts in the test calendar).
    const year = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE }).year;
    const version = (v: number, changes?: object) => ({
      version: v, zone: ZONE, restWeekdays: [6, 7], firstYear: year - 1, lastYear: year + 30, holidays: [], makeupWorkdays: [], changedBy: 'test', changedAt: new Date(),
      ...(changes ? { changes } : {}),
    });
    await prisma.calendar.create({
      data: { name, createdBy: 'test', createdAt: new Date(), versions: { create: [version(1), version(2, { everyDate: false, dates: [{ date: holiday, from: 'WORKDAY', to: 'HOLIDAY' }] })] } },
    });
    await prisma.partnerCalendar.create({ data: { partnerId: inside.partnerId, calendarName: name, assignedBy: 'test', assignedAt: new Date() } });
    const newDue = (await withDays({ holidays: [holiday] })).addWorkingDays(new Date(inside.snapshot.reviewStartedAt!), 10).deadline.toISOString();

    const scope = { kind: 'CALENDAR' as const, calendar: name, version: 2, defaultCalendar: 'CN' };
    const change = await env.client.workflow.start(calendarChangeWorkflow, { workflowId: calendarChangeWorkflowId(scope), taskQueue, args: [{ scope, reason: `calendar ${name} v2` }] });
    // Not change.result(): awaiting a result lets the time-skipping server skip ahead on its own.
    await eventually(async () => ((await change.describe()).status.name === 'COMPLETED' ? true : undefined));
    await eventually(async () => ((await row(inside.applicationId)).reviewDueAt!.toISOString() === newDue ? true : undefined));
    expect((await lastEvent(inside.applicationId)).data).toMatchObject({ deadline: 'reviewDueAt', version: 2, reasons: [`calendar ${name} v2`] });
    // The other partner counts in CN: not signalled, so nothing recorded even though the test calendar moved.
    expect((await events(outside.applicationId)).at(-1)).toBe('REVIEW_STARTED');
    for (const { handle } of [inside, outside]) await handle.terminate('test done');
    await withDays({});
  });
});
