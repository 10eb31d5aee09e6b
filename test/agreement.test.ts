/**
 * The agreement version's workflow on the time-skipping server (issue 17 section 5): every partner is told of the
 * version at publication; 7 and 1 calendar days before the end of the sign-by date (Asia/Shanghai) each partner not yet
 * signed is reminded, once; at the end of the sign-by date each one still unsigned is escalated to the vendor, once, and
 * the workflow ends SIGN_BY_PASSED. The instants are computed here by hand: the end of a Shanghai date D is D 16:00 UTC.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { agreementWorkflowId } from '../workflows/agreement/contract.js';
import { tokenFor } from './support/app.js';
import { agreementSteps, shanghaiDate } from './support/agreement.js';
import { DAY, SECOND, expectOk, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'agreement-test', api: true });
let manager = '';
const agreements = agreementSteps(env, () => manager);

/** A partner with one member (whom the fan-out finds) and its administrator's token. */
async function newPartner() {
  const partnerId = `P-agw-${randomUUID().slice(0, 8)}`;
  await env.prisma.partnerMember.create({ data: { id: randomUUID(), partnerId, sub: `${partnerId}-member`, displayName: 'Member' } });
  return { partnerId, admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`) };
}
const messagesOf = (topic: string, agreementId: string, partnerId: string) =>
  env.prisma.outbox.findMany({ where: { topic, aggregateId: agreementId, payload: { path: ['partnerId'], equals: partnerId } }, orderBy: { id: 'asc' } });
const arrived = (topic: string, agreementId: string, partnerId: string, count: number) =>
  eventually(async () => {
    const rows = await messagesOf(topic, agreementId, partnerId);
    return rows.length >= count ? rows : undefined;
  });

describe('reminders and the escalation', () => {
  it('publication to all, reminders 7 and 1 days before the sign-by date to the unsigned, the escalation after it', async () => {
    manager = await tokenFor(['vendor_admin'], undefined, 'admin-agw');
    const late = await newPartner();
    const early = await newPartner();
    const signer = await newPartner();
    const signByDate = shanghaiDate(10, await env.currentTimeMs());
    const a = await agreements.publish({ effectiveDate: signByDate, signByDate });
    const signByAt = `${signByDate}T16:00:00.000Z`;
    expect(a.signByAt).toBe(signByAt);
    const reminder7 = Date.parse(signByAt) - 7 * DAY;
    const reminder1 = Date.parse(signByAt) - 1 * DAY;

    for (const p of [late, early, signer]) expect((await arrived('agreement.published', a.id, p.partnerId, 1))[0]!.dueAt.toISOString()).toBe(a.publishedAt);
    expectOk(await agreements.sign(signer.partnerId, signer.admin, a.id, a.textSha256));

    // Not a second early.
    await env.advanceTo(reminder7 - SECOND);
    expect(await messagesOf('agreement.sign-reminder', a.id, late.partnerId)).toHaveLength(0);
    await env.advanceTo(reminder7 + SECOND);
    const first = await arrived('agreement.sign-reminder', a.id, late.partnerId, 1);
    expect(first.map((m) => [m.dueAt.toISOString(), (m.payload as { daysBefore: number }).daysBefore])).toEqual([[new Date(reminder7).toISOString(), 7]]);
    expect(await messagesOf('agreement.sign-reminder', a.id, signer.partnerId)).toHaveLength(0);

    // Signed between the reminders: no second reminder and no escalation for it.
    expectOk(await agreements.sign(early.partnerId, early.admin, a.id, a.textSha256));
    await env.advanceTo(reminder1 + SECOND);
    const both = await arrived('agreement.sign-reminder', a.id, late.partnerId, 2);
    expect(both.map((m) => m.dueAt.toISOString())).toEqual([new Date(reminder7).toISOString(), new Date(reminder1).toISOString()]);
    expect(await messagesOf('agreement.sign-reminder', a.id, early.partnerId)).toHaveLength(1);

    await env.advanceTo(Date.parse(signByAt) - SECOND);
    expect(await messagesOf('agreement.sign-escalation', a.id, late.partnerId)).toHaveLength(0);
    await env.advanceTo(Date.parse(signByAt) + SECOND);
    const handle = env.client.workflow.getHandle(agreementWorkflowId(a.id));
    const done = await handle.result();
    expect(done).toMatchObject({ status: 'SIGN_BY_PASSED', remindersSent: [7, 1], escalatedAt: signByAt, seq: 4 });
    expect((await messagesOf('agreement.sign-escalation', a.id, late.partnerId)).map((m) => m.dueAt.toISOString())).toEqual([signByAt]);
    for (const p of [early, signer]) expect(await messagesOf('agreement.sign-escalation', a.id, p.partnerId)).toHaveLength(0);

    // The database = the workflow: its history rows in order, and the view's status.
    const events = await env.prisma.agreementEvent.findMany({ where: { agreementId: a.id }, orderBy: { seq: 'asc' } });
    expect(events.map((e) => [e.seq, e.type, e.toStatus, e.at.toISOString()])).toEqual([
      [1, 'PUBLISHED', 'SIGNING', a.publishedAt],
      [2, 'SIGN_REMINDERS_SENT', 'SIGNING', new Date(reminder7).toISOString()],
      [3, 'SIGN_REMINDERS_SENT', 'SIGNING', new Date(reminder1).toISOString()],
      [4, 'SIGN_BY_ESCALATED', 'SIGN_BY_PASSED', signByAt],
    ]);
    expect((await env.api('GET', `/v1/agreements/${a.id}`, manager)).body.status).toBe('SIGN_BY_PASSED');
    await recordHistory(handle, 'agreement-reminded-escalated');
  });
});
