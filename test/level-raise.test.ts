/**
 * The level raise's deadlines and states, through the real API and worker on the time-skipping server (issue 17
 * section 6): SUBMITTED with reviewDueAt 5 working days (the default SLA) after the request in the partner's calendar,
 * the vendor's reviewers reminded 1 working day before it, one escalation after it; a holiday inside the window moves
 * the due date and its reminder; APPROVED (the level moves), REJECTED, WITHDRAWN. Expected instants are counted by hand
 * in the comments (the test calendar rests on Saturdays and Sundays only; Asia/Shanghai has no DST, so N days on is
 * N × 24 h). Each main path is recorded for test/replay.test.ts (RECORD_HISTORIES=1).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { levelRaiseSchema } from '../api/level-raise/schemas.js';
import { levelRaiseWorkflowId, recomputeDeadline } from '../workflows/level-raise/workflow.js';
import { expectActedAt } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { nextFriday, testCalendar } from './support/calendar.js';
import { daysAfter as at, expectOk, expectProblem, localDate, SECOND, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { qualifySoftware } from './support/path-facts.js';
import { advanceClockTo, completed, eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'level-raise-test', api: true });
const { api, outbox, arrived } = env;
let reviewer: string;
beforeAll(async () => {
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-lr');
});

const handleOf = (id: string) => env.client.workflow.getHandle(levelRaiseWorkflowId(id));
const events = async (raiseId: string) => (await env.prisma.levelRaiseEvent.findMany({ where: { raiseId }, orderBy: { seq: 'asc' } })).map((e) => e.type);
const levelOf = async (partnerId: string) => (await env.prisma.pathMembership.findUnique({ where: { partnerId_pathId: { partnerId, pathId: 'SOFTWARE' } } }))?.level ?? null;

/** A partner not on SOFTWARE that meets CERTIFIED, asking for it on a Friday at 10:00 (server clock). */
async function requestedOnFriday() {
  await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 10).toMillis());
  const partnerId = `P-lr-${randomUUID().slice(0, 8)}`;
  await qualifySoftware(env.prisma, partnerId, 'CERTIFIED');
  const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
  const res = await api('POST', `/v1/partners/${partnerId}/level-raises`, owner, { pathId: 'SOFTWARE' });
  expectOk(res, 201);
  expect(levelRaiseSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  return { partnerId, owner, id: res.body.id as string, view: res.body, submittedAt: res.body.submittedAt as string };
}

describe('the review SLA: reminder before, escalation after', () => {
  it('reviewDueAt 5 working days on; the reviewers reminded the working day before; escalated once after; then approved: the level moves', async () => {
    const r = await requestedOnFriday();
    // Fri 10:00 + 5 working days: Mon–Fri → the next Fri 10:00, 7 days on; the reminder, 4 working days → Thu, 6 days on.
    const due = at(r.submittedAt, 7);
    const reminderAt = at(r.submittedAt, 6);
    expect(r.view).toMatchObject({ status: 'SUBMITTED', pathId: 'SOFTWARE', fromLevel: null, toLevel: 'CERTIFIED', reviewSlaWorkingDays: 5, reviewDueAt: due, reviewEscalatedAt: null });
    expect(r.view.deadlineExplanation).toMatchObject({ calendar: 'TEST', workingDays: 5, skippedDays: [{ reason: 'REST_DAY' }, { reason: 'REST_DAY' }] });
    expect((await outbox('level-raise.submitted', r.id)).map((m) => m.payload)).toEqual([
      { raiseId: r.id, partnerId: r.partnerId, pathId: 'SOFTWARE', fromLevel: null, toLevel: 'CERTIFIED', submittedAt: r.submittedAt, reviewDueAt: due },
    ]);

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('level-raise.review-reminder', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [reminder] = await arrived('level-raise.review-reminder', r.id, 1);
    expect(reminder!.dueAt.toISOString()).toBe(reminderAt);
    expect(reminder!.payload).toEqual({ raiseId: r.id, partnerId: r.partnerId, pathId: 'SOFTWARE', fromLevel: null, toLevel: 'CERTIFIED', reviewDueAt: due, workingDaysBefore: 1 });

    await advanceClockTo(env, Date.parse(due) - SECOND);
    expect(await outbox('level-raise.review-escalation', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(due) + SECOND);
    const [escalation] = await arrived('level-raise.review-escalation', r.id, 1);
    expect(escalation!.payload).toMatchObject({ raiseId: r.id, partnerId: r.partnerId, status: 'SUBMITTED', reviewDueAt: due });
    await expectActedAt(handleOf(r.id), 'enqueueLevelRaiseMessage', [Date.parse(reminderAt)]);
    await expectActedAt(handleOf(r.id), 'recordLevelRaiseTransition', [Date.parse(due)], (t) => t.type === 'REVIEW_ESCALATED');
    const escalated = await api('GET', `/v1/level-raises/${r.id}`, r.owner);
    expect(escalated.body).toMatchObject({ status: 'SUBMITTED', reviewDueAt: due });
    expect(Date.parse(escalated.body.reviewEscalatedAt) - Date.parse(due)).toBeLessThan(SECOND);
    expect(await levelOf(r.partnerId)).toBeNull();

    const approved = await api('POST', `/v1/level-raises/${r.id}/review`, reviewer, { decision: 'APPROVE', note: 'welcome' });
    expectOk(approved);
    expect(approved.body).toMatchObject({ status: 'APPROVED', decisionNote: 'welcome', deadlineExplanation: null });
    expect(await levelOf(r.partnerId)).toBe('CERTIFIED');
    expect((await arrived('level-raise.approved', r.id, 1))[0]!.payload).toMatchObject({ raiseId: r.id, partnerId: r.partnerId, status: 'APPROVED', fromLevel: null, toLevel: 'CERTIFIED', note: 'welcome' });
    await completed(handleOf(r.id));
    expect(await events(r.id)).toEqual(['SUBMITTED', 'REVIEW_ESCALATED', 'APPROVED']);
    expectProblem(await api('POST', `/v1/level-raises/${r.id}/withdraw`, r.owner, {}), 409, 'level-raise-closed');
    await recordHistory(handleOf(r.id), 'level-raise-escalated-approved');
  });

  it('a holiday inside the window moves reviewDueAt and re-plans its reminder; past the date nothing moves; then rejected', async () => {
    const r = await requestedOnFriday();
    // The Wednesday after (5 days on) becomes a holiday: Mon, Tue, Thu, Fri, Mon → the Monday, 10 days on; its
    // reminder, 4 working days → the Friday, 7 days on (the old due date).
    const inside = localDate(at(r.submittedAt, 5));
    env.calendar = testCalendar(await env.currentTimeMs(), { holidays: [inside] });
    try {
      await handleOf(r.id).signal(recomputeDeadline, { reason: 'calendar TEST changed' });
      const newDue = at(r.submittedAt, 10);
      const moved = await eventually(async () => {
        const res = await api('GET', `/v1/level-raises/${r.id}`, r.owner);
        return res.body.reviewDueAt === newDue ? res : undefined;
      });
      expect(moved.body.deadlineExplanation.skippedDays).toContainEqual({ date: inside, reason: 'HOLIDAY', name: 'Test Festival' });
      const changes = moved.body.history.filter((h: { type: string }) => h.type === 'DEADLINE_CHANGED');
      expect(changes).toHaveLength(1);
      expect(changes[0].data).toMatchObject({ deadline: 'reviewDueAt', from: at(r.submittedAt, 7), to: newDue });
      expect((await arrived('level-raise.deadline-changed', r.id, 1))[0]!.payload).toMatchObject({ raiseId: r.id, partnerId: r.partnerId, deadline: 'reviewDueAt', from: at(r.submittedAt, 7), to: newDue });

      const newReminderAt = at(r.submittedAt, 7);
      await advanceClockTo(env, Date.parse(newReminderAt) - SECOND);
      expect(await outbox('level-raise.review-reminder', r.id)).toEqual([]); // not at the old reminder (6 days on)
      await advanceClockTo(env, Date.parse(newDue) + SECOND);
      expect((await arrived('level-raise.review-escalation', r.id, 1))[0]!.payload).toMatchObject({ reviewDueAt: newDue });
      await expectActedAt(handleOf(r.id), 'enqueueLevelRaiseMessage', [Date.parse(newReminderAt)]);
      // Past the due date a recompute is ignored: the escalation was sent for the date the reviewers knew.
      env.calendar = testCalendar(await env.currentTimeMs());
      await handleOf(r.id).signal(recomputeDeadline, { reason: 'calendar TEST changed back' });
      expectProblem(await api('POST', `/v1/level-raises/${r.id}/review`, reviewer, { decision: 'REJECT' }), 400);
      const rejected = await api('POST', `/v1/level-raises/${r.id}/review`, reviewer, { decision: 'REJECT', note: 'cases too thin' });
      expectOk(rejected);
      expect(rejected.body).toMatchObject({ status: 'REJECTED', reviewDueAt: newDue, decisionNote: 'cases too thin' });
      expect((await arrived('level-raise.rejected', r.id, 1))[0]!.payload).toMatchObject({ status: 'REJECTED', note: 'cases too thin' });
      await completed(handleOf(r.id));
      expect(await events(r.id)).toEqual(['SUBMITTED', 'DEADLINE_CHANGED', 'REVIEW_ESCALATED', 'REJECTED']);
      expect(await levelOf(r.partnerId)).toBeNull();
      await recordHistory(handleOf(r.id), 'level-raise-deadline-moved-rejected');
    } finally {
      env.calendar = testCalendar(await env.currentTimeMs());
    }
  });
});

describe('withdrawn by the partner', () => {
  it('while SUBMITTED: WITHDRAWN, announced, the level unchanged; the partner may ask again', async () => {
    const r = await requestedOnFriday();
    const withdrawn = await api('POST', `/v1/level-raises/${r.id}/withdraw`, r.owner, { reason: 'asked too early' });
    expectOk(withdrawn);
    expect(withdrawn.body).toMatchObject({ status: 'WITHDRAWN', withdrawnAt: expect.any(String), deadlineExplanation: null });
    expect((await arrived('level-raise.withdrawn', r.id, 1))[0]!.payload).toMatchObject({ raiseId: r.id, status: 'WITHDRAWN', note: 'asked too early' });
    await completed(handleOf(r.id));
    expect(await events(r.id)).toEqual(['SUBMITTED', 'WITHDRAWN']);
    expect(await levelOf(r.partnerId)).toBeNull();
    await recordHistory(handleOf(r.id), 'level-raise-withdrawn');
    const again = await api('POST', `/v1/partners/${r.partnerId}/level-raises`, r.owner, { pathId: 'SOFTWARE' });
    expectOk(again, 201);
    expect(again.body.id).not.toBe(r.id);
    expectOk(await api('POST', `/v1/level-raises/${again.body.id}/withdraw`, r.owner, {}));
  });
});
