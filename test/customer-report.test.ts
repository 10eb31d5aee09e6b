/**
 * The customer report's deadlines and states through the real API and worker on the time-skipping server (issue 18
 * section 2): PROTECTED for 15 calendar days to the minute (same local time 15 days on: Asia/Shanghai has no DST, so
 * 15 × 24 h), the partner reminded one day before, EXPIRED at protectedUntil and not a minute earlier; manual review
 * due in 3 working days of the partner's calendar (the test calendar rests on Saturdays and Sundays only), the
 * reviewers reminded one working day before, escalated once after, approved → PROTECTED from the approval; an
 * invitation valid 7 calendar days, reminded a day before, expired → PROTECTED, issued again and accepted → ASSOCIATED,
 * the association written once. Expected instants are counted by hand in the comments. Each main path is recorded for
 * test/replay.test.ts (RECORD_HISTORIES=1).
 */
import { describe, expect, it } from 'vitest';
import { customerReportSchema } from '../api/customers/schemas.js';
import { customerReportWorkflowId } from '../workflows/customer-report/contract.js';
import { customerToken, enterprises, feedCustomer, freshCreditCode, freshCustomer, freshPartner, reportableFacts } from './support/customer-fixtures.js';
import { expectActedAt } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { nextFriday } from './support/calendar.js';
import { daysAfter as at, expectOk, expectProblem, localDate, SECOND, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { advanceClockTo, completed, eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'customer-report-test', api: true });
const { api, outbox, arrived } = env;
const MINUTE = 60 * SECOND;

const handleOf = (id: string) => env.client.workflow.getHandle(customerReportWorkflowId(id));
const view = async (id: string, token: string) => (await api('GET', `/v1/customer-reports/${id}`, token)).body;
const associationsOf = async (reportId: string) => env.prisma.customerAssociation.findMany({ where: { reportId } });

/** An enterprise with one customer account registered today (reportable), and a partner's sales token. */
async function reportableEnterprise(prefix: string) {
  const creditCode = freshCreditCode();
  const customerId = freshCustomer(prefix);
  await enterprises(creditCode);
  const now = new Date(await env.currentTimeMs()).toISOString();
  await feedCustomer(api, customerId, reportableFacts(creditCode, localDate(now), now));
  const partnerId = freshPartner(prefix);
  return { creditCode, customerId, partnerId, sales: await tokenFor(['partner_sales'], partnerId, `${partnerId}-sales`) };
}

async function report(partnerId: string, token: string, body: Record<string, unknown>) {
  const res = await api('POST', `/v1/partners/${partnerId}/customer-reports`, token, body);
  expectOk(res, 201);
  expect(customerReportSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  return res.body;
}

describe('protection: 15 calendar days to the minute', () => {
  it('reminded a day before; another partner refused without naming the holder; EXPIRED at protectedUntil, not a minute earlier', async () => {
    // Friday 14:37 local: the protection ends on the Saturday two weeks later at 14:37, 15 × 24 h on.
    await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 14).plus({ minutes: 37 }).toMillis());
    const e = await reportableEnterprise('cr-exp');
    const r = await report(e.partnerId, e.sales, { creditCode: e.creditCode });
    const until = at(r.reportedAt, 15);
    const reminderAt = at(r.reportedAt, 14);
    expect(r).toMatchObject({ status: 'PROTECTED', creditCode: e.creditCode, protectionDays: 15, protectedFrom: r.reportedAt, protectedUntil: until });
    expect(r.local.protectedUntil.slice(11, 16)).toBe('14:37');
    expect(r.local.protectedUntil.slice(0, 10)).toBe(localDate(at(r.reportedAt, 15)));
    expect((await outbox('customer-report.protected', r.id)).map((m) => m.payload)).toEqual([
      { reportId: r.id, partnerId: e.partnerId, creditCode: e.creditCode, status: 'PROTECTED', reportedAt: r.reportedAt, protectedUntil: until },
    ]);

    // Another partner, meanwhile: 409, and nothing in the answer says who holds it.
    const other = freshPartner('cr-exp2');
    const otherSales = await tokenFor(['partner_sales'], other, `${other}-sales`);
    const refused = await api('POST', `/v1/partners/${other}/customer-reports`, otherSales, { creditCode: e.creditCode });
    expectProblem(refused, 409, 'customer-already-reported');
    expect(JSON.stringify(refused.body)).not.toContain(e.partnerId);
    expect(JSON.stringify(refused.body)).not.toContain(r.id);
    expect((await api('GET', `/v1/partners/${other}/customer-reports`, otherSales)).body.items).toEqual([]);

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('customer-report.protection-reminder', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [reminder] = await arrived('customer-report.protection-reminder', r.id, 1);
    expect(reminder!.dueAt.toISOString()).toBe(reminderAt);
    expect(reminder!.payload).toEqual({ reportId: r.id, partnerId: e.partnerId, creditCode: e.creditCode, protectedUntil: until, daysBefore: 1 });

    await advanceClockTo(env, Date.parse(until) - MINUTE);
    expect((await view(r.id, e.sales)).status).toBe('PROTECTED');
    expect(await outbox('customer-report.expired', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(until) + SECOND);
    const [expired] = await arrived('customer-report.expired', r.id, 1);
    expect(expired!.payload).toMatchObject({ reportId: r.id, partnerId: e.partnerId, status: 'EXPIRED', protectedUntil: until });
    await completed(handleOf(r.id));
    await expectActedAt(handleOf(r.id), 'enqueueCustomerReportMessage', [Date.parse(reminderAt)]);
    await expectActedAt(handleOf(r.id), 'recordCustomerReportTransition', [Date.parse(until)], (t) => t.type === 'EXPIRED');
    const ended = await view(r.id, e.sales);
    expect(ended).toMatchObject({ status: 'EXPIRED', protectedUntil: until });
    expect(ended.history.map((h: { type: string }) => h.type)).toEqual(['PROTECTED', 'EXPIRED']);

    // Free again: no more 409 for the other partner — only the rules speak now (the account is 15 days old), and its
    // manual review is recorded.
    const late = await api('POST', `/v1/partners/${other}/customer-reports`, otherSales, { creditCode: e.creditCode });
    expectProblem(late, 422, 'customer-not-reportable');
    expect(late.body.unmet.map((u: { code: string }) => u.code)).toEqual(['customer-registered-too-long-ago']);
    expect((await report(other, otherSales, { creditCode: e.creditCode, manualReview: true, justification: 'new project' })).status).toBe('IN_MANUAL_REVIEW');
    expectProblem(await api('POST', `/v1/customer-reports/${r.id}/withdraw`, e.sales, {}), 409, 'customer-report-closed');
    await recordHistory(handleOf(r.id), 'customer-report-protection-expired');
  });
});

describe('manual review: the SLA in working days, reminder before, escalation after', () => {
  it('due 3 working days on, reminded the working day before, escalated once; approved → PROTECTED from the approval', async () => {
    await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 10).toMillis());
    const e = await reportableEnterprise('cr-mr');
    const now = new Date(await env.currentTimeMs()).toISOString();
    await feedCustomer(api, e.customerId, [{ kind: 'DIRECT_CONTRACT', value: { signed: true }, observedAt: now }]);
    expectProblem(await api('POST', `/v1/partners/${e.partnerId}/customer-reports`, e.sales, { creditCode: e.creditCode }), 422, 'customer-not-reportable');
    const r = await report(e.partnerId, e.sales, { creditCode: e.creditCode, manualReview: true, justification: '客户已在我方完成 POC' });
    // Fri 10:00 + 3 working days: Mon, Tue, Wed → Wed 10:00, 5 days on; the reminder, 2 working days → Tue 10:00, 4 days on.
    const due = at(r.reportedAt, 5);
    const reminderAt = at(r.reportedAt, 4);
    expect(r).toMatchObject({ status: 'IN_MANUAL_REVIEW', manualReview: true, justification: '客户已在我方完成 POC', reviewSlaWorkingDays: 3, reviewDueAt: due, protectedUntil: null });
    expect(r.unmet).toEqual([{ code: 'customer-direct-contract', evidence: { fact: 'DIRECT_CONTRACT', customerId: e.customerId } }]);
    expect((await arrived('customer-report.manual-review-requested', r.id, 1))[0]!.payload).toMatchObject({ reportId: r.id, partnerId: e.partnerId, reviewDueAt: due, unmet: ['customer-direct-contract'] });

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('customer-report.review-reminder', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    expect((await arrived('customer-report.review-reminder', r.id, 1))[0]!.payload).toEqual({ reportId: r.id, partnerId: e.partnerId, creditCode: e.creditCode, reviewDueAt: due, workingDaysBefore: 1 });
    await advanceClockTo(env, Date.parse(due) - SECOND);
    expect(await outbox('customer-report.review-escalation', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(due) + SECOND);
    expect((await arrived('customer-report.review-escalation', r.id, 1))[0]!.payload).toMatchObject({ reportId: r.id, status: 'IN_MANUAL_REVIEW', reviewDueAt: due });
    await expectActedAt(handleOf(r.id), 'recordCustomerReportTransition', [Date.parse(due)], (t) => t.type === 'REVIEW_ESCALATED');

    // Partners do not decide; the ecosystem manager does.
    expectProblem(await api('POST', `/v1/customer-reports/${r.id}/review`, e.sales, { decision: 'APPROVE' }), 403);
    const manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'eco-manager');
    const approved = await api('POST', `/v1/customer-reports/${r.id}/review`, manager, { decision: 'APPROVE', note: 'POC confirmed' });
    expectOk(approved);
    const from = approved.body.decidedAt as string;
    expect(approved.body).toMatchObject({ status: 'PROTECTED', protectedFrom: from, protectedUntil: at(from, 15), decisionNote: 'POC confirmed', deadlineExplanation: null });
    expect((await arrived('customer-report.protected', r.id, 1))[0]!.payload).toMatchObject({ reportId: r.id, status: 'PROTECTED', protectedUntil: at(from, 15) });
    expect(approved.body.history.map((h: { type: string }) => h.type)).toEqual(['MANUAL_REVIEW_REQUESTED', 'REVIEW_ESCALATED', 'APPROVED']);

    expectOk(await api('POST', `/v1/customer-reports/${r.id}/withdraw`, e.sales, { reason: 'customer went elsewhere' }));
    await completed(handleOf(r.id));
    expect((await view(r.id, e.sales)).status).toBe('WITHDRAWN');
    await recordHistory(handleOf(r.id), 'customer-report-manual-review-escalated-approved');
  });
});

describe('invitation: 7 calendar days, then the association', () => {
  it('expires a week on (reminded a day before) → PROTECTED; issued again and accepted once → ASSOCIATED', async () => {
    await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 9).toMillis());
    const e = await reportableEnterprise('cr-inv');
    const r = await report(e.partnerId, e.sales, { creditCode: e.creditCode });
    const issued = await api('POST', `/v1/customer-reports/${r.id}/invitation`, e.sales, { mode: 'RESELLER' });
    expectOk(issued, 201);
    const issuedAt = issued.body.report.invitation.issuedAt as string;
    const expires = at(issuedAt, 7);
    expect(issued.body).toMatchObject({ mode: 'RESELLER', expiresAt: expires, path: `/v1/customer-invitations/${issued.body.token}` });
    expect(issued.body.report.status).toBe('INVITED');
    expect(JSON.stringify(await view(r.id, e.sales))).not.toContain(issued.body.token);
    const [announced] = await arrived('customer-report.invited', r.id, 1);
    expect(announced!.payload).toMatchObject({ reportId: r.id, partnerId: e.partnerId, mode: 'RESELLER', invitationExpiresAt: expires });
    expect(JSON.stringify(announced!.payload)).not.toMatch(new RegExp(`${issued.body.token}|invitationTokenSha256`));

    await advanceClockTo(env, Date.parse(at(issuedAt, 6)) + SECOND);
    expect((await arrived('customer-report.invitation-reminder', r.id, 1))[0]!.payload).toMatchObject({ invitationExpiresAt: expires, mode: 'RESELLER', daysBefore: 1 });
    await advanceClockTo(env, Date.parse(expires) - SECOND);
    expect(await outbox('customer-report.invitation-expired', r.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(expires) + SECOND);
    await arrived('customer-report.invitation-expired', r.id, 1);
    await expectActedAt(handleOf(r.id), 'recordCustomerReportTransition', [Date.parse(expires)], (t) => t.type === 'INVITATION_EXPIRED');
    expect((await view(r.id, e.sales)).status).toBe('PROTECTED');
    const customer = await customerToken(e.customerId);
    expectProblem(await api('POST', `/v1/customer-invitations/${issued.body.token}/accept`, customer), 409, 'invitation-not-valid');

    const again = await api('POST', `/v1/customer-reports/${r.id}/invitation`, e.sales, { mode: 'CONSULTATIVE' });
    expectOk(again, 201);
    const link = `/v1/customer-invitations/${again.body.token}`;
    // A customer of another enterprise sees nothing and cannot accept.
    const stranger = freshCustomer('cr-str');
    const now = new Date(await env.currentTimeMs()).toISOString();
    await feedCustomer(api, stranger, reportableFacts(freshCreditCode(), localDate(now), now));
    expectProblem(await api('GET', link, await customerToken(stranger)), 403);
    expectProblem(await api('POST', `${link}/accept`, await customerToken(stranger)), 403);
    expect((await api('GET', link, customer)).body).toEqual({ partnerId: e.partnerId, creditCode: e.creditCode, mode: 'CONSULTATIVE', expiresAt: again.body.expiresAt, status: 'VALID' });

    const accepted = await api('POST', `${link}/accept`, customer);
    expectOk(accepted, 201);
    expect(accepted.body).toMatchObject({ partnerId: e.partnerId, customerId: e.customerId, creditCode: e.creditCode, mode: 'CONSULTATIVE', reportId: r.id });
    // Accepted again (a retry): the same association, nothing new.
    const retried = await api('POST', `${link}/accept`, customer);
    expectOk(retried, 200);
    expect(retried.body).toEqual(accepted.body);
    expect((await api('GET', link, customer)).body.status).toBe('ACCEPTED');
    // Another account of the same enterprise: the link is used.
    const sibling = freshCustomer('cr-sib');
    await feedCustomer(api, sibling, reportableFacts(e.creditCode, localDate(now), now));
    expectProblem(await api('POST', `${link}/accept`, await customerToken(sibling)), 409, 'invitation-not-valid');
    await completed(handleOf(r.id));
    expect(await associationsOf(r.id)).toHaveLength(1);
    expect(await outbox('customer-report.associated', r.id)).toHaveLength(1);
    const done = await view(r.id, e.sales);
    expect(done).toMatchObject({ status: 'ASSOCIATED', customerId: e.customerId, associationId: accepted.body.associationId });
    expect(done.history.map((h: { type: string }) => h.type)).toEqual(['PROTECTED', 'INVITED', 'INVITATION_EXPIRED', 'INVITED', 'ASSOCIATED']);
    const customers = await api('GET', `/v1/partners/${e.partnerId}/customers`, e.sales);
    expect(customers.body.items).toEqual([accepted.body]);
    await recordHistory(handleOf(r.id), 'customer-report-invitation-expired-associated');

    // Associated now: another partner's report is refused for that reason.
    const other = freshPartner('cr-inv2');
    const refused = await api('POST', `/v1/partners/${other}/customer-reports`, await tokenFor(['partner_admin'], other), { creditCode: e.creditCode }, { 'Accept-Language': 'en' });
    expectProblem(refused, 422, 'customer-not-reportable');
    expect(refused.body.unmet.map((u: { code: string }) => u.code)).toEqual(['customer-already-associated']);
    await eventually(async () => ((await view(r.id, e.sales)).status === 'ASSOCIATED' ? true : undefined));
  });
});
