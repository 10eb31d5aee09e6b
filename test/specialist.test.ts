/**
 * The project specialist application's deadlines and states, through the real API and worker on the time-skipping
 * server (issue 17 section 4): SUBMITTED with reviewDueAt 5 working days (the default SLA) after the submission in the
 * partner's calendar, the vendor's reviewers reminded 1 working day before it, one escalation after it; a holiday inside
 * the window moves the due date and its reminder (one outside does not); APPROVED, REJECTED, CANCELLED by either side;
 * the member applies again after a rejection or a cancellation. Expected instants are counted by hand in the comments
 * (the test calendar rests on Saturdays and Sundays only; Asia/Shanghai has no DST, so N days on is N × 24 h). Each
 * main path is recorded for test/replay.test.ts (RECORD_HISTORIES=1).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { specialistSchema } from '../api/specialist/schemas.js';
import { recomputeDeadline, specialistWorkflowId } from '../workflows/specialist/workflow.js';
import { expectActedAt } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { nextFriday, testCalendar } from './support/calendar.js';
import { daysAfter as at, expectOk, expectProblem, localDate, PDF, SECOND, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { cnCalendar, deadlineChangedMessages, nextThursdayDec24, officialNextYear, provisionalAttribute } from './support/provisional.js';
import { advanceClockTo, completed, eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'specialist-test', api: true });
const { api, outbox, arrived } = env;
let feeder: string;
let vendorAdmin: string;
let reviewer: string;
beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
  vendorAdmin = await tokenFor(['vendor_admin'], undefined, 'vendor-admin-sp');
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-sp');
});

const handleOf = (id: string) => env.client.workflow.getHandle(specialistWorkflowId(id));
const events = async (applicationId: string) => (await env.prisma.specialistEvent.findMany({ where: { applicationId }, orderBy: { seq: 'asc' } })).map((e) => e.type);

/** A reseller partner (may apply), one member with a work residence, and its administrator's token. */
async function resellerWithMember() {
  const partnerId = `P-sp-${randomUUID().slice(0, 8)}`;
  const facts = [
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' } },
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'NOT_JOINED' } },
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'DISTRIBUTOR', value: { state: 'NOT_JOINED' } },
  ].map((f) => ({ ...f, observedAt: '2026-03-01T00:00:00Z' }));
  expectOk(await api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'crm', facts }, { 'Idempotency-Key': randomUUID() }), 201);
  const member = await api('POST', `/v1/partners/${partnerId}/members`, vendorAdmin, { sub: `${partnerId}-m1`, displayName: 'Specialist One', roles: ['partner_sales'], workResidence: 'Hangzhou' });
  expectOk(member, 201);
  return { partnerId, memberId: member.body.id as string, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`) };
}

/** Applies on a Friday at 10:00 (server clock); answers the view and the stored submission instant. */
async function appliedOnFriday() {
  await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 10).toMillis());
  return appliedNow();
}

/** Applies at the server clock's time for a new reseller's member. */
async function appliedNow() {
  const p = await resellerWithMember();
  const res = await api('POST', '/v1/specialist-applications', p.owner, { memberId: p.memberId, pathId: 'SOFTWARE' });
  expectOk(res, 201);
  expect(specialistSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  return { ...p, id: res.body.id as string, view: res.body, submittedAt: res.body.submittedAt as string };
}

/** Both materials uploaded and set, as the partner does before the vendor approves. */
async function withMaterials(a: { id: string; owner: string }) {
  const files = [];
  for (const name of ['resume.pdf', 'qualification.pdf']) {
    const file = await api('POST', `/v1/specialist-applications/${a.id}/files`, a.owner, Buffer.concat([PDF, Buffer.from(`% ${name}\n`)]), {
      'content-type': 'application/pdf',
      'content-disposition': `attachment; filename="${name}"`,
    });
    expectOk(file, 201);
    files.push(file.body.id as string);
  }
  const set = await api('PUT', `/v1/specialist-applications/${a.id}/materials`, a.owner, { materials: [{ kind: 'RESUME', materialId: files[0] }, { kind: 'QUALIFICATION', materialId: files[1] }] });
  expectOk(set);
  return set.body;
}

describe('the review SLA: reminder before, escalation after', () => {
  it('reviewDueAt 5 working days on; the reviewers reminded the working day before; escalated once after; then approved and cancelled by the vendor', async () => {
    const a = await appliedOnFriday();
    // Fri 10:00 + 5 working days: Mon–Fri → the next Fri 10:00, 7 days on; the reminder, 4 working days → Thu, 6 days on.
    const due = at(a.submittedAt, 7);
    const reminderAt = at(a.submittedAt, 6);
    expect(a.view).toMatchObject({ status: 'SUBMITTED', reviewSlaWorkingDays: 5, reviewDueAt: due, reviewEscalatedAt: null, memberId: a.memberId, pathId: 'SOFTWARE' });
    expect(a.view.deadlineExplanation).toMatchObject({ calendar: 'TEST', workingDays: 5, skippedDays: [{ reason: 'REST_DAY' }, { reason: 'REST_DAY' }] });
    expect((await outbox('specialist.submitted', a.id)).map((m) => m.payload)).toEqual([
      { applicationId: a.id, partnerId: a.partnerId, memberId: a.memberId, pathId: 'SOFTWARE', submittedAt: a.submittedAt, reviewDueAt: due },
    ]);

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('specialist.review-reminder', a.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [reminder] = await arrived('specialist.review-reminder', a.id, 1);
    expect(reminder!.dueAt.toISOString()).toBe(reminderAt);
    expect(reminder!.payload).toEqual({ applicationId: a.id, partnerId: a.partnerId, memberId: a.memberId, pathId: 'SOFTWARE', reviewDueAt: due, workingDaysBefore: 1 });

    await advanceClockTo(env, Date.parse(due) - SECOND);
    expect(await outbox('specialist.review-escalation', a.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(due) + SECOND);
    const [escalation] = await arrived('specialist.review-escalation', a.id, 1);
    expect(escalation!.payload).toMatchObject({ applicationId: a.id, partnerId: a.partnerId, status: 'SUBMITTED', reviewDueAt: due });
    await expectActedAt(handleOf(a.id), 'enqueueSpecialistMessage', [Date.parse(reminderAt)]);
    await expectActedAt(handleOf(a.id), 'recordSpecialistTransition', [Date.parse(due)], (t) => t.type === 'REVIEW_ESCALATED');
    const escalated = await api('GET', `/v1/specialist-applications/${a.id}`, a.owner);
    expect(escalated.body).toMatchObject({ status: 'SUBMITTED', reviewDueAt: due });
    expect(Date.parse(escalated.body.reviewEscalatedAt) - Date.parse(due)).toBeLessThan(SECOND);

    // Approval needs both materials.
    const early = await api('POST', `/v1/specialist-applications/${a.id}/review`, reviewer, { decision: 'APPROVE' });
    expectProblem(early, 422, 'materials-missing');
    expect(early.body.missing).toEqual(['RESUME', 'QUALIFICATION']);
    await withMaterials(a);
    const approved = await api('POST', `/v1/specialist-applications/${a.id}/review`, reviewer, { decision: 'APPROVE', note: 'welcome' });
    expectOk(approved);
    expect(approved.body).toMatchObject({ status: 'APPROVED', decisionNote: 'welcome', deadlineExplanation: null });
    expect((await arrived('specialist.approved', a.id, 1))[0]!.payload).toMatchObject({ applicationId: a.id, partnerId: a.partnerId, memberId: a.memberId, status: 'APPROVED', note: 'welcome' });
    // Approved: the same member cannot apply again while it is a specialist.
    const again = await api('POST', '/v1/specialist-applications', a.owner, { memberId: a.memberId, pathId: 'SOFTWARE' });
    expectProblem(again, 422, 'specialist-not-eligible');
    expect(again.body.unmet.map((u: { code: string }) => u.code)).toEqual(['specialist-already-applied']);

    const cancelled = await api('POST', `/v1/specialist-applications/${a.id}/cancel`, reviewer, { reason: 'left the project' });
    expectOk(cancelled);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', cancelledBy: 'reviewer-sp', cancelReason: 'left the project' });
    expect((await arrived('specialist.cancelled', a.id, 1))[0]!.payload).toMatchObject({ status: 'CANCELLED', by: 'VENDOR', note: 'left the project' });
    await completed(handleOf(a.id));
    expect(await events(a.id)).toEqual(['SUBMITTED', 'REVIEW_ESCALATED', 'MATERIAL_SET', 'MATERIAL_SET', 'APPROVED', 'CANCELLED']);
    // Closed: nothing more can be done with it.
    expectProblem(await api('POST', `/v1/specialist-applications/${a.id}/cancel`, a.owner, { reason: 'again' }), 409, 'specialist-application-closed');
    await recordHistory(handleOf(a.id), 'specialist-escalated-approved-cancelled');
  });

  it('a holiday inside the window moves reviewDueAt and re-plans its reminder; one outside does not; past the date nothing moves', async () => {
    const a = await appliedOnFriday();
    // The Wednesday after (5 days on) becomes a holiday: Mon, Tue, Thu, Fri, Mon → the Monday, 10 days on; its
    // reminder, 4 working days → the Friday, 7 days on (the old due date).
    const inside = localDate(at(a.submittedAt, 5));
    const outside = localDate(at(a.submittedAt, 20));
    env.calendar = testCalendar(await env.currentTimeMs(), { holidays: [outside] });
    await handleOf(a.id).signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    env.calendar = testCalendar(await env.currentTimeMs(), { holidays: [outside, inside] });
    await handleOf(a.id).signal(recomputeDeadline, { reason: 'calendar TEST changed again' });
    const newDue = at(a.submittedAt, 10);
    const moved = await eventually(async () => {
      const res = await api('GET', `/v1/specialist-applications/${a.id}`, a.owner);
      return res.body.reviewDueAt === newDue ? res : undefined;
    });
    expect(moved.body.deadlineExplanation.skippedDays).toContainEqual({ date: inside, reason: 'HOLIDAY', name: 'Test Festival' });
    const changes = moved.body.history.filter((h: { type: string }) => h.type === 'DEADLINE_CHANGED');
    expect(changes).toHaveLength(1); // the holiday outside the window changed nothing
    expect(changes[0].data).toMatchObject({ deadline: 'reviewDueAt', from: at(a.submittedAt, 7), to: newDue });
    expect((await arrived('specialist.deadline-changed', a.id, 1))[0]!.payload).toMatchObject({ applicationId: a.id, partnerId: a.partnerId, deadline: 'reviewDueAt', from: at(a.submittedAt, 7), to: newDue });

    const newReminderAt = at(a.submittedAt, 7);
    await advanceClockTo(env, Date.parse(newReminderAt) - SECOND);
    expect(await outbox('specialist.review-reminder', a.id)).toEqual([]); // not at the old reminder (6 days on)
    await advanceClockTo(env, Date.parse(newDue) + SECOND);
    expect((await arrived('specialist.review-escalation', a.id, 1))[0]!.payload).toMatchObject({ reviewDueAt: newDue });
    await expectActedAt(handleOf(a.id), 'enqueueSpecialistMessage', [Date.parse(newReminderAt)]);
    await expectActedAt(handleOf(a.id), 'recordSpecialistTransition', [Date.parse(newDue)], (t) => t.type === 'REVIEW_ESCALATED');
    // Past the due date a recompute is ignored: the escalation was sent for the date the reviewers knew.
    env.calendar = testCalendar(await env.currentTimeMs());
    await handleOf(a.id).signal(recomputeDeadline, { reason: 'calendar TEST changed back' });
    const rejected = await api('POST', `/v1/specialist-applications/${a.id}/review`, reviewer, { decision: 'REJECT', note: 'not enough projects' });
    expectOk(rejected);
    expect(rejected.body).toMatchObject({ status: 'REJECTED', reviewDueAt: newDue, decisionNote: 'not enough projects' });
    await completed(handleOf(a.id));
    expect(await events(a.id)).toEqual(['SUBMITTED', 'DEADLINE_CHANGED', 'REVIEW_ESCALATED', 'REJECTED']);
    await recordHistory(handleOf(a.id), 'specialist-deadline-moved-rejected');
  });
});

describe('the states', () => {
  it('rejected with a reason, the member applies again; the partner cancels the new one and applies a third time', async () => {
    const a = await appliedOnFriday();
    expectProblem(await api('POST', `/v1/specialist-applications/${a.id}/review`, reviewer, { decision: 'REJECT' }), 400);
    const rejected = await api('POST', `/v1/specialist-applications/${a.id}/review`, reviewer, { decision: 'REJECT', note: 'no residence proof' });
    expectOk(rejected);
    expect((await arrived('specialist.rejected', a.id, 1))[0]!.payload).toMatchObject({ status: 'REJECTED', note: 'no residence proof' });
    await completed(handleOf(a.id));
    await recordHistory(handleOf(a.id), 'specialist-rejected');
    // Rejected: nothing more, and the member may apply again (a new application, a new workflow).
    expectProblem(await api('POST', `/v1/specialist-applications/${a.id}/review`, reviewer, { decision: 'APPROVE' }), 409, 'specialist-application-closed');
    const second = await api('POST', '/v1/specialist-applications', a.owner, { memberId: a.memberId, pathId: 'CONSULTING_SI' });
    expectOk(second, 201);
    expect(second.body.id).not.toBe(a.id);

    const cancelled = await api('POST', `/v1/specialist-applications/${second.body.id}/cancel`, a.owner, { reason: 'applied by mistake' });
    expectOk(cancelled);
    expect(cancelled.body).toMatchObject({ status: 'CANCELLED', cancelledBy: `${a.partnerId}-owner`, cancelReason: 'applied by mistake' });
    expect((await arrived('specialist.cancelled', second.body.id, 1))[0]!.payload).toMatchObject({ by: 'PARTNER' });
    const third = await api('POST', '/v1/specialist-applications', a.owner, { memberId: a.memberId, pathId: 'SOFTWARE' });
    expectOk(third, 201);
    const history = await env.prisma.specialistApplication.findMany({ where: { memberId: a.memberId }, orderBy: { submittedAt: 'asc' } });
    expect(history.map((r) => r.status)).toEqual(['REJECTED', 'CANCELLED', 'SUBMITTED']);
    await completed(handleOf(second.body.id));
    await recordHistory(handleOf(second.body.id), 'specialist-cancelled-by-partner');
  });
});

describe('a review due date reaching into a year whose holiday schedule is not published', () => {
  it('is provisional (answer, history, Web UI); the official year confirms it (mark cleared, nothing sent) or moves it (announced)', async () => {
    const dec28 = nextThursdayDec24(await env.currentTimeMs()).plus({ days: 4 });
    const [year, next] = [dec28.year, dec28.year + 1];
    env.calendar = cnCalendar(year - 1, year); // next year not published: counted with CN's statutory rules
    try {
      await advanceClockTo(env, dec28.toMillis());
      const confirmed = await appliedNow();
      const moved = await appliedNow();
      // Mon 12-28 10:00 + 5 working days: Tue 29, Wed 30, Thu 31 (1–3), Fri 01-01 New Year's Day (statutory), Mon 04,
      // Tue 05 (4–5) → Tue 01-05 10:00, 8 days on.
      for (const a of [confirmed, moved]) {
        expect(a.view).toMatchObject({ reviewDueAt: at(a.submittedAt, 8), deadlineExplanation: { provisional: true, provisionalYears: [next] } });
        expect(await provisionalAttribute(handleOf(a.id))).toBe(true);
      }
      // The official year says what the rules said: the date stands, its mark clears, nothing is sent.
      env.calendar = officialNextYear(year);
      await handleOf(confirmed.id).signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const cleared = await eventually(async () => {
        const res = await api('GET', `/v1/specialist-applications/${confirmed.id}`, confirmed.owner);
        return res.body.history.some((h: { type: string }) => h.type === 'DEADLINE_CHANGED') ? res : undefined;
      });
      expect(cleared.body.reviewDueAt).toBe(at(confirmed.submittedAt, 8));
      expect(cleared.body.deadlineExplanation.provisional).toBeUndefined();
      expect(await provisionalAttribute(handleOf(confirmed.id))).toBe(false);
      expect(await deadlineChangedMessages(env.prisma, confirmed.id)).toEqual([]);
      // With a bridge day (Mon 01-04): Tue 29 – Thu 31 (1–3), Tue 05, Wed 06 (4–5) → Wed 01-06, 9 days on: announced.
      env.calendar = officialNextYear(year, { bridge: true });
      await handleOf(moved.id).signal(recomputeDeadline, { reason: `calendar CN: ${next} published`, calendar: 'CN', version: 3 });
      const [message] = await arrived('specialist.deadline-changed', moved.id, 1);
      expect(message!.payload).toMatchObject({ applicationId: moved.id, deadline: 'reviewDueAt', from: at(moved.submittedAt, 8), to: at(moved.submittedAt, 9) });
      expect(await provisionalAttribute(handleOf(moved.id))).toBe(false);
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });
});
