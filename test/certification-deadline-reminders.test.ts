/**
 * Issue 14's deadline rule for certification, through the real API and worker on the time-skipping server: every
 * deadline a person must meet has a reminder before it and an escalation after it, and the answer explains the
 * pending deadline. reviewDueAt (the vendor's): a reminder 1 working day before, re-planned when the date moves, the
 * review escalation after. supplementDeadline (the partner's): a reminder 2 working days before, the withdrawal
 * announced after. Expected instants are counted by hand in the comments (the test calendar rests on Saturdays and
 * Sundays only; Asia/Shanghai has no DST, so N days on is N × 24 h).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { certificationWorkflowId, recomputeDeadline } from '../workflows/certification/workflow.js';
import { expectActedAt } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { nextFriday, testCalendar } from './support/calendar.js';
import { daysAfter as at, expectOk, localDate, PDF, SECOND, useTestEnv } from './support/env.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { advanceClockTo, eventually } from './support/wait.js';
import { recordHistory } from './support/histories.js';

const env = useTestEnv({ taskQueue: 'certification-reminders-test', api: true });
const { api, outbox, arrived } = env;

const recordHistoryOf = (id: string, name: string) => recordHistory(env.client.workflow.getHandle(certificationWorkflowId(id)), name);
/**
 * The empty outbox a second before a message's time could have been read before an early message's row was written:
 * when the workflow decided to send each message of `topic`, by its own clock (its history), settles it.
 */
const expectSentAt = (id: string, topic: string, times: string[]) =>
  expectActedAt(env.client.workflow.getHandle(certificationWorkflowId(id)), 'enqueueCertificationMessage', times.map(Date.parse), (m) => m.topic === topic);

/** A qualified partner's ROLE_CONSULTING application (review SLA and supplement: 10 working days each), submitted on a Friday at 10:00. */
async function submittedOnFriday() {
  await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 10).toMillis());
  const partnerId = `P-cr-${randomUUID().slice(0, 8)}`;
  const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
  const reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-cr');
  await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_EXPERT' }));
  for (const employeeId of ['E2', 'E3']) await attestExpert(env.prisma, partnerId, await insertExpert(env.prisma, partnerId, { employeeId }));
  const draft = await api('POST', '/v1/certifications', owner, { type: 'ROLE_CONSULTING' });
  expectOk(draft, 201);
  const id = draft.body.id as string;
  expect(draft.body.deadlineExplanation).toBeNull(); // a DRAFT has no deadline
  const files = [];
  for (const name of ['cases.pdf', 'roster.pdf']) {
    const bytes = Buffer.concat([PDF, Buffer.from(`% ${name}\n`)]); // two files, two contents
    const file = await api('POST', `/v1/certifications/${id}/files`, owner, bytes, { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${name}"` });
    expectOk(file, 201);
    files.push(file.body.id as string);
  }
  expectOk(await api('PUT', `/v1/certifications/${id}/materials`, owner, { materials: [{ kind: 'CASE_STUDIES', materialId: files[0] }, { kind: 'TEAM_ROSTER', materialId: files[1] }] }));
  const submitted = await api('POST', `/v1/certifications/${id}/submit`, owner);
  expectOk(submitted);
  const startedAt = (await env.prisma.certificationApplication.findUniqueOrThrow({ where: { id } })).reviewStartedAt!.toISOString();
  return { id, partnerId, owner, reviewer, view: submitted.body, startedAt };
}

describe('certification deadlines: reminder before, escalation after, explanation in the answer', () => {
  it('reviewDueAt: the reviewers are reminded 1 working day before; a holiday moves the date and the reminder is planned again; the escalation follows the new date', async () => {
    const a = await submittedOnFriday();
    // Fri + 10 working days: Mon–Fri (1–5), Mon–Fri (6–10) → Fri, 14 days on; the reminder, 9 working days → Thu, 13 days on.
    const due = at(a.startedAt, 14);
    const reminderAt = at(a.startedAt, 13);
    expect(a.view).toMatchObject({ status: 'IN_REVIEW', reviewDueAt: due });
    expect(a.view.deadlineExplanation).toMatchObject({ calendar: 'TEST', workingDays: 10, skippedDays: [{ reason: 'REST_DAY' }, { reason: 'REST_DAY' }, { reason: 'REST_DAY' }, { reason: 'REST_DAY' }] });
    expect(Date.parse(a.view.deadlineExplanation.deadline)).toBe(Date.parse(due));

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('certification.review-reminder', a.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [first] = await arrived('certification.review-reminder', a.id, 1);
    expect(first!.dueAt.toISOString()).toBe(reminderAt);
    expect(first!.payload).toEqual({ applicationId: a.id, partnerId: a.partnerId, type: 'ROLE_CONSULTING', reviewRound: 1, reviewDueAt: due, workingDaysBefore: 1 });

    // The Tuesday of the second week (day 11 on) becomes a holiday: Mon–Fri (1–5), Mon (6), Wed–Fri (7–9), Mon (10)
    // → Mon, 17 days on; its reminder, 9 working days → Fri, 14 days on (the old due date: the reminder names the new one).
    const holiday = localDate(at(a.startedAt, 11));
    env.calendar = testCalendar(await env.currentTimeMs(), { holidays: [holiday] });
    const newDue = at(a.startedAt, 17);
    const newReminderAt = at(a.startedAt, 14);
    await env.client.workflow.getHandle(certificationWorkflowId(a.id)).signal(recomputeDeadline, { reason: 'calendar TEST changed' });
    const moved = await eventually(async () => {
      const res = await api('GET', `/v1/certifications/${a.id}`, a.owner);
      return res.body.reviewDueAt === newDue ? res : undefined;
    });
    expect(moved.body.deadlineExplanation.skippedDays).toContainEqual({ date: holiday, reason: 'HOLIDAY', name: 'Test Festival' });
    expect(Date.parse(moved.body.deadlineExplanation.deadline)).toBe(Date.parse(newDue));

    await advanceClockTo(env, Date.parse(newReminderAt) - SECOND);
    expect(await outbox('certification.review-reminder', a.id)).toHaveLength(1);
    await advanceClockTo(env, Date.parse(newReminderAt) + SECOND);
    const [, second] = await arrived('certification.review-reminder', a.id, 2);
    expect(second!.dueAt.toISOString()).toBe(newReminderAt);
    expect(second!.payload).toMatchObject({ reviewRound: 1, reviewDueAt: newDue });
    expect(await outbox('certification.review-escalation', a.id)).toEqual([]); // past the old due date: not escalated

    await advanceClockTo(env, Date.parse(newDue) - SECOND);
    expect(await outbox('certification.review-escalation', a.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(newDue) + SECOND);
    const [escalation] = await arrived('certification.review-escalation', a.id, 1);
    expect(escalation!.payload).toMatchObject({ partnerId: a.partnerId, reviewRound: 1, reviewDueAt: newDue });
    expect(await outbox('certification.review-reminder', a.id)).toHaveLength(2);
    await expectSentAt(a.id, 'certification.review-reminder', [reminderAt, newReminderAt]);
    await expectSentAt(a.id, 'certification.review-escalation', [newDue]); // not at the old due date

    const rejected = await api('POST', `/v1/certifications/${a.id}/review`, a.reviewer, { decision: 'REJECT', note: 'late, and no' });
    expectOk(rejected);
    expect(rejected.body).toMatchObject({ status: 'REJECTED', deadlineExplanation: null });
    env.calendar = testCalendar(await env.currentTimeMs());
    await recordHistoryOf(a.id, 'certification-review-reminder-replanned');
  });

  it('supplementDeadline: the partner is reminded 2 working days before; unanswered, the withdrawal is announced at the deadline', async () => {
    const a = await submittedOnFriday();
    const requested = await api('POST', `/v1/certifications/${a.id}/review`, a.reviewer, { decision: 'REQUEST_SUPPLEMENT', note: 'add a case' });
    expectOk(requested);
    const from = (await env.prisma.certificationApplication.findUniqueOrThrow({ where: { id: a.id } })).supplementRequestedAt!.toISOString();
    // Fri + 10 working days → Fri, 14 days on; the reminder, 8 working days (Mon–Fri, Mon–Wed) → Wed, 12 days on.
    const deadline = at(from, 14);
    const reminderAt = at(from, 12);
    expect(requested.body).toMatchObject({ status: 'SUPPLEMENT_REQUESTED', supplementDeadline: deadline });
    expect(requested.body.deadlineExplanation).toMatchObject({ workingDays: 10 });
    expect(Date.parse(requested.body.deadlineExplanation.deadline)).toBe(Date.parse(deadline));
    expect(Date.parse(requested.body.deadlineExplanation.from)).toBe(Date.parse(from)); // the supplement's, not the review's

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('certification.supplement-reminder', a.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [reminder] = await arrived('certification.supplement-reminder', a.id, 1);
    expect(reminder!.dueAt.toISOString()).toBe(reminderAt);
    expect(reminder!.payload).toEqual({ applicationId: a.id, partnerId: a.partnerId, type: 'ROLE_CONSULTING', supplementDeadline: deadline, workingDaysBefore: 2 });

    await advanceClockTo(env, Date.parse(deadline) - SECOND);
    expect(await outbox('certification.withdrawn-by-timeout', a.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(deadline) + SECOND);
    const [withdrawn] = await arrived('certification.withdrawn-by-timeout', a.id, 1);
    expect(withdrawn!.payload).toMatchObject({ applicationId: a.id, partnerId: a.partnerId, type: 'ROLE_CONSULTING', supplementDeadline: deadline });
    expect(withdrawn!.dedupeKey).toBe(`certification-withdrawn-by-timeout-${a.id}`);
    const view = await api('GET', `/v1/certifications/${a.id}`, a.owner);
    expect(view.body).toMatchObject({ status: 'WITHDRAWN_BY_TIMEOUT', deadlineExplanation: null });
    expect(await outbox('certification.supplement-reminder', a.id)).toHaveLength(1);
    await expectSentAt(a.id, 'certification.supplement-reminder', [reminderAt]);
    const handle = env.client.workflow.getHandle(certificationWorkflowId(a.id));
    await expectActedAt(handle, 'recordCertificationTransition', [Date.parse(deadline)], (t) => t.type === 'WITHDRAWN_BY_TIMEOUT');
    await recordHistoryOf(a.id, 'certification-supplement-reminded-withdrawn');
  });
});
