/**
 * Issue 14's deadline rule for the annual path review, through the real API and worker on the time-skipping server:
 * every deadline a person must meet has a reminder before it and an escalation after it, and the answer explains the
 * pending deadline. windowEndsAt: its reminders (10 and 3 working days before) are older (test/path-review.test.ts);
 * after it the lapse is announced (path-review.lapsed). supplementDeadline: a reminder 2 working days before,
 * re-planned when the date moves, and the lapse announced after. Expected instants are counted by hand in the
 * comments (the test calendar rests on Saturdays and Sundays only; Asia/Shanghai has no DST: N days on is N × 24 h).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { pathReviewId, pathReviewWorkflow, pathReviewWorkflowId, recomputeDeadline } from '../workflows/path-review/workflow.js';
import { expectActedAt } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { nextFriday, testCalendar } from './support/calendar.js';
import { daysAfter as at, expectOk, localDate, PDF, SECOND, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { advanceClockTo, eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const taskQueue = 'path-review-reminders-test';
/** Reviews of this year are this file's (their partners are no path's members: no cycle of another file reaches them). */
const YEAR = 2031;
const env = useTestEnv({ taskQueue, api: true });
const { api, outbox, arrived } = env;

const statusOf = (id: string, token: string, status: string) =>
  eventually(async () => {
    const res = await api('GET', `/v1/path-reviews/${id}`, token);
    return res.body?.status === status ? res.body : undefined;
  });

const recordHistoryOf = (reviewId: string, name: string) => recordHistory(env.client.workflow.getHandle(pathReviewWorkflowId(reviewId)), name);
/**
 * The empty outbox a second before a message's time could have been read before an early message's row was written:
 * when the workflow decided to act — a reminder of `topic`, or the lapse — by its own clock (its history), settles it.
 */
const expectRemindedAt = (reviewId: string, topic: string, times: string[]) =>
  expectActedAt(env.client.workflow.getHandle(pathReviewWorkflowId(reviewId)), 'enqueuePathReviewMessage', times.map(Date.parse), (m) => m.topic === topic);
const expectLapsedAt = (reviewId: string, time: string) =>
  expectActedAt(env.client.workflow.getHandle(pathReviewWorkflowId(reviewId)), 'recordPathReviewTransition', [Date.parse(time)], (t) => t.type === 'LAPSED');

/** A SOFTWARE CERTIFIED review (a 30-working-day window; a failure leaves the path) whose cycle started on a Friday at 10:00. */
async function openedOnFriday() {
  await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 10).toMillis());
  const partnerId = `P-prr-${randomUUID().slice(0, 8)}`;
  const cycleStartedAt = new Date(await env.currentTimeMs()).toISOString();
  const id = pathReviewId('SOFTWARE', partnerId, YEAR);
  await env.client.workflow.start(pathReviewWorkflow, { workflowId: pathReviewWorkflowId(id), taskQueue, args: [{ pathId: 'SOFTWARE', partnerId, year: YEAR, level: 'CERTIFIED', cycleStartedAt }] });
  const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
  const view = await statusOf(id, owner, 'OPEN');
  return { id, partnerId, owner, cycleStartedAt, view, reviewer: await tokenFor(['vendor_reviewer'], undefined, 'reviewer-prr') };
}

/** What CERTIFIED requires (2 full-time experts, an active ADVANCED_CLOUD_SOFTWARE certificate), then apply, material, submit. */
async function submit(r: Awaited<ReturnType<typeof openedOnFriday>>) {
  for (const employeeId of ['E1', 'E2']) await attestExpert(env.prisma, r.partnerId, await insertExpert(env.prisma, r.partnerId, { employeeId }));
  const certificate = randomUUID();
  const [now, type] = [new Date(), 'ADVANCED_CLOUD_SOFTWARE'];
  await env.prisma.certificationApplication.create({
    data: { id: certificate, partnerId: r.partnerId, type, category: type, appliesTo: 'PARTNER', status: 'APPROVED', terms: {}, createdBy: 'seed', createdAt: now, lastSeq: 1, updatedAt: now },
  });
  await env.prisma.certificate.create({
    data: { number: `PF-PRR-${certificate}`, applicationId: certificate, partnerId: r.partnerId, type, category: type, labels: [], scope: 'partner', validFrom: new Date('2020-01-01'), validTo: new Date('2099-12-31'), status: 'ACTIVE', issuedAt: now, updatedAt: now },
  });
  expectOk(await api('POST', `/v1/path-reviews/${r.id}/apply`, r.owner));
  const file = await api('POST', `/v1/path-reviews/${r.id}/files`, r.owner, PDF, { 'content-type': 'application/pdf', 'content-disposition': 'attachment; filename="report.pdf"' });
  expectOk(file, 201);
  expectOk(await api('PUT', `/v1/path-reviews/${r.id}/materials`, r.owner, { materials: [{ kind: 'ANNUAL_REPORT', materialId: file.body.id }] }));
  const submitted = await api('POST', `/v1/path-reviews/${r.id}/submit`, r.owner);
  expectOk(submitted);
  return submitted.body;
}

describe('path review deadlines: reminder before, escalation after, explanation in the answer', () => {
  it('windowEndsAt: explained while open; nothing submitted by then, the lapse is announced at the end and the answer explains nothing more', async () => {
    const r = await openedOnFriday();
    // Fri + 30 working days: six weeks of Mon–Fri → Fri, 42 days on.
    const windowEndsAt = at(r.cycleStartedAt, 42);
    expect(r.view.windowEndsAt).toBe(windowEndsAt);
    expect(r.view.deadlineExplanation).toMatchObject({ calendar: 'TEST', workingDays: 30 });
    expect(r.view.deadlineExplanation.skippedDays).toHaveLength(12); // six weekends
    expect(Date.parse(r.view.deadlineExplanation.deadline)).toBe(Date.parse(windowEndsAt));

    await advanceClockTo(env, Date.parse(windowEndsAt) - SECOND);
    expect(await outbox('path-review.lapsed', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(windowEndsAt) + SECOND);
    const [lapsed] = await arrived('path-review.lapsed', r.id, 1);
    expect(lapsed!.payload).toEqual({
      reviewId: r.id, pathId: 'SOFTWARE', partnerId: r.partnerId, year: YEAR, deadline: 'windowEndsAt', windowEndsAt, fromLevel: 'CERTIFIED', newLevel: null, lapsedAt: windowEndsAt,
    });
    expect(lapsed!.dedupeKey).toBe(`path-review-lapsed-${r.id}`);
    expect(await statusOf(r.id, r.owner, 'LAPSED')).toMatchObject({ deadlineExplanation: null });
    await expectLapsedAt(r.id, windowEndsAt);
  });

  it('supplementDeadline: explained; a holiday moves it and its reminder (2 working days before) is planned for the new date; unanswered, the lapse is announced after it', async () => {
    const r = await openedOnFriday();
    expect(await submit(r)).toMatchObject({ status: 'SUBMITTED', deadlineExplanation: null }); // the vendor's decision has no deadline
    const asked = await api('POST', `/v1/path-reviews/${r.id}/decision`, r.reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'add the 2030 figures' });
    expectOk(asked);
    const from = (await env.prisma.pathReviewEvent.findFirstOrThrow({ where: { reviewId: r.id, type: 'SUPPLEMENT_REQUESTED' } })).at.toISOString();
    // Fri + 10 working days → Fri, 14 days on; its reminder, 8 working days (Mon–Fri, Mon–Wed) → Wed, 12 days on.
    const deadline = at(from, 14);
    const oldReminderAt = at(from, 12);
    expect(asked.body).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementDeadline: deadline, deadlineExplanation: { workingDays: 10 } });
    expect(Date.parse(asked.body.deadlineExplanation.deadline)).toBe(Date.parse(deadline));

    // Monday 3 days on becomes a holiday: Tue–Fri (1–4), Mon–Fri (5–9), Mon (10) → Mon, 17 days on; the reminder,
    // 8 working days: Tue–Fri (1–4), Mon–Thu (5–8) → Thu, 13 days on.
    const holiday = localDate(at(from, 3));
    env.calendar = testCalendar(await env.currentTimeMs(), { holidays: [holiday] });
    const newDeadline = at(from, 17);
    const reminderAt = at(from, 13);
    await env.client.workflow.getHandle(pathReviewWorkflowId(r.id)).signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    const moved = await eventually(async () => {
      const res = await api('GET', `/v1/path-reviews/${r.id}`, r.owner);
      return res.body.supplementDeadline === newDeadline ? res.body : undefined;
    });
    expect(moved.deadlineExplanation.skippedDays).toContainEqual({ date: holiday, reason: 'HOLIDAY', name: 'Test Festival' });

    await advanceClockTo(env, Date.parse(oldReminderAt) + SECOND);
    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('path-review.supplement-reminder', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [reminder] = await arrived('path-review.supplement-reminder', r.id, 1);
    expect(reminder!.dueAt.toISOString()).toBe(reminderAt);
    expect(reminder!.payload).toEqual({
      reviewId: r.id, pathId: 'SOFTWARE', partnerId: r.partnerId, year: YEAR, supplementRound: 1, supplementDeadline: newDeadline, workingDaysBefore: 2,
    });

    await advanceClockTo(env, Date.parse(newDeadline) - SECOND);
    expect(await outbox('path-review.lapsed', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(newDeadline) + SECOND);
    const [lapsed] = await arrived('path-review.lapsed', r.id, 1);
    expect(lapsed!.payload).toMatchObject({ partnerId: r.partnerId, deadline: 'supplementDeadline', supplementDeadline: newDeadline, fromLevel: 'CERTIFIED', newLevel: null });
    expect(await statusOf(r.id, r.owner, 'LAPSED')).toMatchObject({ deadlineExplanation: null });
    expect(await outbox('path-review.supplement-reminder', r.id)).toHaveLength(1);
    await expectRemindedAt(r.id, 'path-review.supplement-reminder', [reminderAt]); // not at the old reminder time
    await expectLapsedAt(r.id, newDeadline);
    env.calendar = testCalendar(await env.currentTimeMs());
    await recordHistoryOf(r.id, 'path-review-supplement-reminder-replanned-lapsed');
  });
});
