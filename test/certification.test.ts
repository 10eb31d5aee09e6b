/**
 * The certification application workflow on the time-skipping test server, with the real activities on a real
 * PostgreSQL: prerequisites and materials refusals, partner isolation, rejection, supplements (in time, timed out),
 * review-SLA escalation. The certificate's life: certification-certificates.test.ts; deadlines following the calendar:
 * certification-recompute.test.ts and certification-provisional.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { WorkflowNotFoundError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import {
  type Actor,
  getCertification,
  review,
  setMaterial,
  submit,
  supplement,
} from '../workflows/certification/workflow.js';
import { expectActedAt } from './support/acted.js';
import { nextFriday } from './support/calendar.js';
import { certificationSteps, KINDS, partner, refused, vendor } from './support/certification.js';
import { DAY, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { eventually } from './support/wait.js';

const taskQueue = 'certification-workflow-test';
const env = useTestEnv({ taskQueue });
const { advanceTo } = env;
const { qualify, start, attach, inReview, events } = certificationSteps(env);
const outbox = (topic: string, aggregateId: string) => env.prisma.outbox.findMany({ where: { topic, aggregateId }, orderBy: [{ dueAt: 'asc' }, { id: 'asc' }] });
/**
 * The server's clock to the next Friday 15:00 (Asia/Shanghai, no DST), so that deadlines are counted by hand: in the
 * test calendar (Saturday and Sunday rest), 10 working days from a Friday afternoon are Mon–Fri twice → the Friday two
 * weeks on at the same time, 14 × 24 h later. What happens next lands a few ms (at most seconds) after 15:00.
 */
const toFriday = async () => {
  const friday = nextFriday(await env.currentTimeMs(), 15).toMillis();
  await advanceTo(friday);
  return friday;
};
/** `at` is on the Friday afternoon toFriday moved to (not a day or a weekend later). */
const onFriday = (at: number, friday: number) => {
  expect(at).toBeGreaterThanOrEqual(friday);
  expect(at).toBeLessThan(friday + 60_000);
};

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

    await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_EXPERT', fullTime: false }));
    const partly = await refused(handle.executeUpdate(submit, { args: [{ actor }] }));
    expect(partly.details).toEqual([[{ description: 'at least 3 full-time experts registered', required: 3, actual: 0 }]]);
    for (const id of ['E2', 'E3', 'E4']) await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: id }));
    const friday = await toFriday();
    const submitted = await handle.executeUpdate(submit, { args: [{ actor }] });
    expect(submitted).toMatchObject({ status: 'IN_REVIEW', reviewRound: 1, seq: 5 });
    // Submitted on a Friday afternoon: the review SLA, 10 working days, ends the Friday two weeks on (see toFriday).
    onFriday(Date.parse(submitted.submittedAt!), friday);
    expect(submitted.reviewDueAt).toBe(new Date(Date.parse(submitted.submittedAt!) + 14 * DAY).toISOString());
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
    const row = await env.prisma.certificationApplication.findUniqueOrThrow({ where: { id: applicationId } });
    expect(row).toMatchObject({ status: 'REJECTED', decisionNote: 'cases too thin', lastSeq: 6 });
    expect(await env.prisma.certificate.count({ where: { applicationId } })).toBe(0);
  });

  it('supplement in time: SUPPLEMENT_REQUESTED → material replaced → IN_REVIEW (new round) → APPROVED', async () => {
    const { handle, actor, applicationId } = await inReview();
    expect((await refused(handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT' }] }))).type).toBe('INVALID_REQUEST');
    const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'add a case' }] });
    expect(requested.status).toBe('SUPPLEMENT_REQUESTED');
    const before = requested.materials.CASE_STUDIES!.materialId;
    const replaced = await attach(handle, applicationId, actor, 'CASE_STUDIES');
    expect(replaced.materials.CASE_STUDIES!.materialId).not.toBe(before);
    const friday = await toFriday();
    const back = await handle.executeUpdate(supplement, { args: [{ actor, note: 'third case added' }] });
    expect(back).toMatchObject({ status: 'IN_REVIEW', reviewRound: 2 });
    expect(back.supplementDeadline).toBeUndefined();
    // The new round's SLA counts from the supplement, a Friday afternoon: 10 working days → 14 × 24 h on.
    const supplementedAt = (await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'SUPPLEMENTED' } })).at.getTime();
    onFriday(supplementedAt, friday);
    expect(back.reviewDueAt).toBe(new Date(supplementedAt + 14 * DAY).toISOString());
    expect((await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'APPROVE' }] })).status).toBe('APPROVED');
    expect(await events(applicationId)).toEqual(['CREATED', 'MATERIAL_SET', 'MATERIAL_SET', 'SUBMITTED', 'REVIEW_STARTED', 'SUPPLEMENT_REQUESTED', 'MATERIAL_SET', 'SUPPLEMENTED', 'APPROVED']);
    expect((await env.prisma.certificationMaterial.findUniqueOrThrow({ where: { applicationId_kind: { applicationId, kind: 'CASE_STUDIES' } } })).materialId).toBe(replaced.materials.CASE_STUDIES!.materialId);
  });

  it('supplement timeout: WITHDRAWN_BY_TIMEOUT at exactly the supplement deadline, not a second earlier', async () => {
    const { handle, actor, applicationId } = await inReview();
    const friday = await toFriday();
    const requested = await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REQUEST_SUPPLEMENT', note: 'roster incomplete' }] });
    // Requested on a Friday afternoon: the partner's 10 working days end the Friday two weeks on, 14 × 24 h later.
    const requestedAt = (await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId, type: 'SUPPLEMENT_REQUESTED' } })).at.getTime();
    onFriday(requestedAt, friday);
    const deadline = requestedAt + 14 * DAY;
    expect(requested.supplementDeadline).toBe(new Date(deadline).toISOString());
    await advanceTo(deadline - 1000);
    expect((await handle.query(getCertification)).status).toBe('SUPPLEMENT_REQUESTED');
    const result = await handle.result();
    expect(result.status).toBe('WITHDRAWN_BY_TIMEOUT');
    const last = await env.prisma.certificationEvent.findFirstOrThrow({ where: { applicationId }, orderBy: { seq: 'desc' } });
    expect(last.type).toBe('WITHDRAWN_BY_TIMEOUT');
    expect(last.at.getTime()).toBeGreaterThanOrEqual(deadline);
    expect(last.at.getTime()).toBeLessThan(deadline + 1000);
    // Withdrawn, the workflow has ended: a late supplement finds no process to act on.
    await expect(handle.executeUpdate(supplement, { args: [{ actor }] })).rejects.toBeInstanceOf(WorkflowNotFoundError);
  });

  it('review SLA: one escalation in the outbox past reviewDueAt, still IN_REVIEW, and a decision afterwards', async () => {
    const friday = await toFriday();
    const { handle, applicationId, snapshot } = await inReview();
    // Submitted on a Friday afternoon: due the Friday two weeks on (see toFriday).
    onFriday(Date.parse(snapshot.submittedAt!), friday);
    const due = Date.parse(snapshot.submittedAt!) + 14 * DAY;
    expect(snapshot.reviewDueAt).toBe(new Date(due).toISOString());
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
    await advanceTo(due + 10 * DAY);
    expect(await outbox('certification.review-escalation', applicationId)).toHaveLength(1);
    // Decided at the due time by the workflow's clock, and once: not earlier (the empty outbox at due − 1 s could have
    // been looked at before an early escalation's row was written), not again ten days on.
    await expectActedAt(handle, 'enqueueCertificationMessage', [due], (m) => m.topic === 'certification.review-escalation');
    expect((await handle.executeUpdate(review, { args: [{ actor: vendor, decision: 'REJECT', note: 'late but no' }] })).status).toBe('REJECTED');
  });

});
