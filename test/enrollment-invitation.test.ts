/**
 * Enrollment invitations and the partner's deadlines (issue 17 section 3), through the real API and worker on the
 * time-skipping server: the vendor invites a partner (INVITED, invitationExpiresAt 10 working days on, the partner
 * reminded the working day before, EXPIRED after); the partner accepts (checked as a request: 422 with every reason,
 * the invitation still INVITED) or declines; an accepted reseller invitation goes to review (reviewDueAt 5 working
 * days from the acceptance, the reviewers reminded the working day before) and, approved, waits for the partner's
 * confirmation (confirmationDueAt 10 working days from the approval, reminded the working day before, EXPIRED after);
 * a partner joining another program fails its pending invitation with that reason. Expected instants are counted by
 * hand in the comments (the test calendar rests on Saturdays and Sundays only; Asia/Shanghai has no DST, so N days on
 * is N × 24 h).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { enrollmentPageSchema, enrollmentSchema } from '../api/enrollment/schemas.js';
import { enrollmentWorkflowId } from '../workflows/enrollment/contract.js';
import { tokenFor } from './support/app.js';
import { DateTime } from 'luxon';
import { nextFriday, ZONE } from './support/calendar.js';
import { daysAfter as at, expectOk, localDate, expectProblem, SECOND, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { advanceClockTo, completed, eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'enrollment-invitation-test', api: true });
const { api, outbox, arrived } = env;
let feeder: string;
let reviewer: string;
let inviter: string;
beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system-inv');
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-inv');
  inviter = await tokenFor(['vendor_ecosystem_manager'], undefined, 'ecosystem-inv');
});

const handleOf = (id: string) => env.client.workflow.getHandle(enrollmentWorkflowId(id));
const cny = (minor: number) => ({ currency: 'CNY', minor });
const feed = async (partnerId: string, facts: unknown[]) => {
  expectOk(await api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'billing', facts }, { 'Idempotency-Key': randomUUID() }), 201);
};
const types = async (id: string) => (await api('GET', `/v1/enrollments/${id}`, reviewer)).body.history.map((h: { type: string }) => h.type);

/** A partner meeting every reseller condition (facts observed a minute ago), and its admin. */
async function resellerReady(prefix: string) {
  const partnerId = `P-inv-${prefix}-${randomUUID().slice(0, 8)}`;
  const observedAt = new Date((await env.currentTimeMs()) - 60 * SECOND).toISOString();
  await feed(partnerId, [
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' }, observedAt },
    { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
    { kind: 'INVOICEABLE_AMOUNT', value: { amount: cny(0) }, observedAt },
    { kind: 'POSTPAID', value: { enabled: false }, observedAt },
    ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT', subject, value: { signed: false }, observedAt })),
    { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
  ]);
  return { partnerId, owner: await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`) };
}

/**
 * The explanation of a deadline counted in the test calendar (TEST, Asia/Shanghai, resting on Saturdays and Sundays),
 * written out by hand: the days counted and skipped as offsets from the start's local date.
 */
function expectExplained(explanation: unknown, want: { from: string; deadline: string; workingDays: number; counted: number[]; skipped: number[] }) {
  const e = explanation as { from: string; deadline: string; countedDays: { date: string; kind: string }[]; skippedDays: { date: string; reason: string }[] };
  const day = (offset: number) => DateTime.fromISO(localDate(want.from)).plus({ days: offset }).toISODate();
  expect(e).toMatchObject({ calendar: 'TEST', zone: ZONE, workingDays: want.workingDays });
  // Local instants with the zone's offset, equal to the instants the view answers in UTC.
  expect(e.from).toMatch(/\+08:00$/);
  expect(e.deadline).toMatch(/\+08:00$/);
  expect(Date.parse(e.from)).toBe(Date.parse(want.from));
  expect(Date.parse(e.deadline)).toBe(Date.parse(want.deadline));
  expect(e.countedDays).toEqual(want.counted.map((offset) => ({ date: day(offset), kind: 'WORKDAY' })));
  expect(e.skippedDays).toEqual(want.skipped.map((offset) => ({ date: day(offset), reason: 'REST_DAY' })));
}

/** Invited into `program` on a Friday at 10:00 (server clock). */
async function invitedOnFriday(partnerId: string, program = 'RESELLER') {
  await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 10).toMillis());
  const res = await api('POST', '/v1/enrollment-invitations', inviter, { partnerId, program, note: 'join us' }, { 'Idempotency-Key': randomUUID() });
  expectOk(res, 201);
  expect(enrollmentSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  return res.body as { id: string; submittedAt: string; invitationExpiresAt: string; status: string };
}

describe('the invitation waits for the partner until it expires', () => {
  it('invitationExpiresAt 10 working days on; the partner reminded the working day before; EXPIRED after, announced; accepting then is 409', async () => {
    const p = await resellerReady('exp');
    const inv = await invitedOnFriday(p.partnerId);
    // Fri 10:00 + 10 working days: two weeks of Mon–Fri → the Friday 14 days on; its reminder, 9 working days → Thu, 13 days on.
    const expiresAt = at(inv.submittedAt, 14);
    const reminderAt = at(inv.submittedAt, 13);
    expect(inv).toMatchObject({ status: 'INVITED', origin: 'INVITATION', requestedBy: 'ecosystem-inv', invitationNote: 'join us', invitationExpiresAt: expiresAt });
    // Counted from the Friday: Mon–Fri twice (3–7 and 10–14 days on); the two weekends (1, 2, 8, 9 days on) skipped.
    expect((inv as { zone?: string }).zone).toBe(ZONE);
    expectExplained((inv as { deadlineExplanation?: unknown }).deadlineExplanation, {
      from: inv.submittedAt,
      deadline: expiresAt,
      workingDays: 10,
      counted: [3, 4, 5, 6, 7, 10, 11, 12, 13, 14],
      skipped: [1, 2, 8, 9],
    });
    expect((await arrived('enrollment.invited', inv.id, 1))[0]!.payload).toMatchObject({ enrollmentId: inv.id, partnerId: p.partnerId, program: 'RESELLER', invitationExpiresAt: expiresAt });

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('enrollment.invitation-reminder', inv.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [reminder] = await arrived('enrollment.invitation-reminder', inv.id, 1);
    expect(reminder!.dueAt.toISOString()).toBe(reminderAt);
    expect(reminder!.payload).toMatchObject({ enrollmentId: inv.id, invitationExpiresAt: expiresAt, workingDaysBefore: 1 });

    await advanceClockTo(env, Date.parse(expiresAt) - SECOND);
    expect(await outbox('enrollment.invitation-expired', inv.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(expiresAt) + SECOND);
    expect((await arrived('enrollment.invitation-expired', inv.id, 1))[0]!.payload).toMatchObject({ enrollmentId: inv.id, status: 'EXPIRED', actor: 'system' });
    await completed(handleOf(inv.id));
    expect(await types(inv.id)).toEqual(['INVITED', 'INVITATION_EXPIRED']);
    // Nothing is pending once the invitation expired.
    expect((await api('GET', `/v1/enrollments/${inv.id}`, p.owner)).body).toMatchObject({ status: 'EXPIRED', zone: ZONE, deadlineExplanation: null });
    expectProblem(await api('POST', `/v1/enrollments/${inv.id}/accept`, p.owner, {}), 409);
    await recordHistory(handleOf(inv.id), 'enrollment-invitation-expired');
  });

  it('an ineligible partner accepting is refused with every reason and the invitation stays INVITED; declining ends it', async () => {
    const p = await resellerReady('decl');
    const inv = await invitedOnFriday(p.partnerId);
    await feed(p.partnerId, [{ kind: 'POSTPAID', value: { enabled: true }, observedAt: new Date((await env.currentTimeMs()) - SECOND).toISOString() }]);
    const refused = await api('POST', `/v1/enrollments/${inv.id}/accept`, p.owner, {});
    expectProblem(refused, 422, 'enrollment-not-eligible');
    expect(refused.body.unmet.map((u: { code: string }) => u.code)).toEqual(['postpaid-enabled']);
    expect((await api('GET', `/v1/enrollments/${inv.id}`, p.owner)).body.status).toBe('INVITED');
    const other = await tokenFor(['partner_admin'], 'P-inv-other', 'P-inv-other-owner');
    expectProblem(await api('POST', `/v1/enrollments/${inv.id}/decline`, other, {}), 404);
    // One open enrollment per partner and program: the invitation counts.
    expectProblem(await api('POST', '/v1/enrollment-invitations', inviter, { partnerId: p.partnerId, program: 'RESELLER' }), 409, 'enrollment-already-open');
    const declined = await api('POST', `/v1/enrollments/${inv.id}/decline`, p.owner, { reason: 'not this year' });
    expectOk(declined);
    expect(declined.body.status).toBe('DECLINED');
    expect((await arrived('enrollment.declined', inv.id, 1))[0]!.payload).toMatchObject({ status: 'DECLINED', note: 'not this year' });
    await completed(handleOf(inv.id));
    expect(await types(inv.id)).toEqual(['INVITED', 'DECLINED']);
    await recordHistory(handleOf(inv.id), 'enrollment-invitation-declined');
  });
});

describe('accepted, reviewed, then the confirmation deadline', () => {
  it('accept → IN_REVIEW (5 working days from the acceptance, reviewers reminded before) → approved → confirmationDueAt 10 working days on, reminded, EXPIRED after', async () => {
    const p = await resellerReady('conf');
    const inv = await invitedOnFriday(p.partnerId);
    // Accepted the Monday after at 10:00 (3 days on): + 5 working days → the next Monday, 10 days on; reminder Fri, 7 days on.
    await advanceClockTo(env, Date.parse(at(inv.submittedAt, 3)));
    const accepted = await api('POST', `/v1/enrollments/${inv.id}/accept`, p.owner, {});
    expectOk(accepted);
    const acceptedAt = accepted.body.acceptedAt as string;
    expect(Date.parse(acceptedAt) - Date.parse(at(inv.submittedAt, 3))).toBeLessThan(10 * SECOND);
    expect(accepted.body).toMatchObject({ status: 'IN_REVIEW', acceptedBy: `${p.partnerId}-owner`, reviewDueAt: at(acceptedAt, 7) });
    // Monday + 5 working days = Tue, Wed, Thu, Fri, Mon → the next Monday (7 days on); its reminder the Friday (4 days on).
    expectExplained(accepted.body.deadlineExplanation, { from: acceptedAt, deadline: at(acceptedAt, 7), workingDays: 5, counted: [1, 2, 3, 4, 7], skipped: [5, 6] });
    await advanceClockTo(env, Date.parse(at(acceptedAt, 4)) + SECOND);
    expect((await arrived('enrollment.review-reminder', inv.id, 1))[0]!.dueAt.toISOString()).toBe(at(acceptedAt, 4));

    const approved = await api('POST', `/v1/enrollments/${inv.id}/review`, reviewer, { decision: 'APPROVE' });
    expectOk(approved);
    const approvedAt = (approved.body.history as { type: string; at: string }[]).find((h) => h.type === 'APPROVED')!.at;
    // Approved on the Friday: + 10 working days → the Friday two weeks on (14 days); reminder Thu, 13 days on.
    const dueAt = at(approvedAt, 14);
    expect(approved.body).toMatchObject({ status: 'AWAITING_CONFIRMATION', confirmationDueAt: dueAt });
    expectExplained(approved.body.deadlineExplanation, { from: approvedAt, deadline: dueAt, workingDays: 10, counted: [3, 4, 5, 6, 7, 10, 11, 12, 13, 14], skipped: [1, 2, 8, 9] });
    await advanceClockTo(env, Date.parse(at(approvedAt, 13)) - SECOND);
    expect(await outbox('enrollment.confirmation-reminder', inv.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(at(approvedAt, 13)) + SECOND);
    expect((await arrived('enrollment.confirmation-reminder', inv.id, 1))[0]!.payload).toMatchObject({ confirmationDueAt: dueAt, workingDaysBefore: 1 });
    await advanceClockTo(env, Date.parse(dueAt) - SECOND);
    expect(await outbox('enrollment.confirmation-expired', inv.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(dueAt) + SECOND);
    expect((await arrived('enrollment.confirmation-expired', inv.id, 1))[0]!.payload).toMatchObject({ status: 'EXPIRED', confirmationDueAt: dueAt });
    await completed(handleOf(inv.id));
    expect(await types(inv.id)).toEqual(['INVITED', 'ACCEPTED', 'APPROVED', 'CONFIRMATION_EXPIRED']);
    expect((await api('GET', `/v1/enrollments/${inv.id}`, p.owner)).body).toMatchObject({ status: 'EXPIRED', deadlineExplanation: null });
    expectProblem(await api('POST', `/v1/enrollments/${inv.id}/confirm`, p.owner, { instrumentsHash: '0'.repeat(64) }), 409);
    await recordHistory(handleOf(inv.id), 'enrollment-invitation-confirmation-expired');
  });
});

describe('joining another program fails the pending invitations', () => {
  it('invited into SOLUTION_PROVIDER, the partner joins RESELLER: the invitation FAILED naming the program and the enrollment, announced; the list shows both', async () => {
    const p = await resellerReady('fail');
    const inv = await invitedOnFriday(p.partnerId, 'SOLUTION_PROVIDER');
    const asked = await api('POST', `/v1/partners/${p.partnerId}/enrollments`, p.owner, { program: 'RESELLER' });
    expectOk(asked, 201);
    expectOk(await api('POST', `/v1/enrollments/${asked.body.id}/review`, reviewer, { decision: 'APPROVE' }));
    const preview = await api('GET', `/v1/enrollments/${asked.body.id}/voided-instruments-preview`, p.owner);
    const joined = await api('POST', `/v1/enrollments/${asked.body.id}/confirm`, p.owner, { instrumentsHash: preview.body.instrumentsHash });
    expectOk(joined);
    expect(joined.body.status).toBe('JOINED');
    const reason = `joined RESELLER (enrollment ${asked.body.id})`;
    expect((await arrived('enrollment.failed', inv.id, 1))[0]!.payload).toMatchObject({ enrollmentId: inv.id, status: 'FAILED', reason, joinedProgram: 'RESELLER', joinedEnrollmentId: asked.body.id });
    await completed(handleOf(inv.id));
    const failed = await api('GET', `/v1/enrollments/${inv.id}`, p.owner);
    expect(failed.body).toMatchObject({ status: 'FAILED', failure: { reason, program: 'RESELLER', enrollmentId: asked.body.id } });
    expect(failed.body.history.map((h: { type: string }) => h.type)).toEqual(['INVITED', 'FAILED']);
    expect(await env.prisma.outbox.count({ where: { topic: 'enrollment.failed', aggregateId: inv.id } })).toBe(1);
    expectProblem(await api('POST', `/v1/enrollments/${inv.id}/accept`, p.owner, {}), 409);

    const list = await api('GET', `/v1/partners/${p.partnerId}/enrollments`, p.owner);
    expectOk(list);
    expect(enrollmentPageSchema.safeParse(list.body).success, JSON.stringify(list.body)).toBe(true);
    expect(list.body.items.map((e: { id: string; status: string }) => `${e.id}/${e.status}`)).toEqual([`${asked.body.id}/JOINED`, `${inv.id}/FAILED`]);
    expect(list.body.items.map((e: { zone: string }) => e.zone)).toEqual([ZONE, ZONE]);
    const onlyFailed = await api('GET', `/v1/partners/${p.partnerId}/enrollments?status=FAILED&limit=1`, p.owner);
    expect(onlyFailed.body.items.map((e: { id: string }) => e.id)).toEqual([inv.id]);
    const firstPage = await api('GET', `/v1/partners/${p.partnerId}/enrollments?limit=1`, p.owner);
    const secondPage = await api('GET', `/v1/partners/${p.partnerId}/enrollments?limit=1&cursor=${firstPage.body.nextCursor}`, p.owner);
    expect(secondPage.body.items.map((e: { id: string }) => e.id)).toEqual([inv.id]);
    const other = await tokenFor(['partner_admin'], 'P-inv-other', 'P-inv-other-owner');
    expectProblem(await api('GET', `/v1/partners/${p.partnerId}/enrollments`, other), 404);
    await eventually(async () => ((await types(asked.body.id)).includes('JOINED') ? true : undefined));
    await recordHistory(handleOf(inv.id), 'enrollment-invitation-failed');
  });
});
