/**
 * The unlink's objection window through the real API and worker on the time-skipping server (issue 18 section 3): the
 * partner asks, the customer is reminded one calendar day before the deadline, silence approves at objectionDeadline
 * exactly (10 calendar days on at the same local time: Asia/Shanghai has no DST, so 10 × 24 h) and not a minute
 * earlier — the association ended, the unspent allocation reclaimed with the figures counted by hand; the customer
 * asks and the partner objects (OBJECTED, nothing moves); a reason that appears in the window refuses the execution
 * (REFUSED_AT_EXECUTION); the execution retried lands once. Each path is recorded for test/replay.test.ts
 * (RECORD_HISTORIES=1).
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createUnlinkActivities } from '../activities/unlink.js';
import { unlinkWorkflowId } from '../workflows/unlink/contract.js';
import { expectActedAt } from './support/acted.js';
import { tokenFor } from './support/app.js';
import { nextFriday } from './support/calendar.js';
import { customerToken, freshCustomer, freshPartner, insertCustomerFacts } from './support/customer-fixtures.js';
import { DAY, daysAfter as at, expectOk, expectProblem, SECOND, useTestEnv } from './support/env.js';
import { recordHistory } from './support/histories.js';
import { advanceClockTo, completed } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'unlink-test', api: true });
const { api, outbox, arrived } = env;
const MINUTE = 60 * SECOND;
const key = () => ({ 'Idempotency-Key': randomUUID() });
const cny = (minor: number) => ({ currency: 'CNY', minor });
const handleOf = (id: string) => env.client.workflow.getHandle(unlinkWorkflowId(id));

/** A customer associated with a fresh partner (RESELLER) a day ago, its unlink facts clear; the partner's admin token. */
async function associated(prefix: string) {
  const partnerId = freshPartner(prefix);
  const customerId = freshCustomer(prefix);
  const associationId = randomUUID();
  const since = new Date((await env.currentTimeMs()) - DAY).toISOString();
  await env.prisma.$executeRawUnsafe(
    `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by) VALUES ($1::uuid, $2, $3, '91330100799655058B', 'RESELLER', $4::timestamptz, 'test')`,
    associationId, partnerId, customerId, since,
  );
  await insertCustomerFacts(customerId, [
    { kind: 'FROZEN', value: { frozen: false }, observedAt: since },
    { kind: 'RESERVED_INSTANCES', value: { count: 0 }, observedAt: since },
    { kind: 'SUPPORT_PLANS', value: { count: 0 }, observedAt: since },
  ]);
  return { partnerId, customerId, associationId, since, admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`), customer: await customerToken(customerId) };
}

async function preview(path: string, token: string) {
  const res = await api('GET', path, token, undefined, { 'Accept-Language': 'en' });
  expectOk(res, 200);
  return res.body;
}

const associationOf = async (id: string) =>
  (await env.prisma.$queryRawUnsafe<{ unlinkedAt: Date | null; unlinkId: string | null }[]>(`SELECT unlinked_at AS "unlinkedAt", unlink_id::text AS "unlinkId" FROM customer_association WHERE id = $1::uuid`, id))[0]!;
const transfersOf = async (partnerId: string, kind: string) =>
  env.prisma.$queryRawUnsafe<{ id: string; feederKey: string }[]>(`SELECT id, feeder_key AS "feederKey" FROM ledger_transfer WHERE partner_id = $1 AND kind = $2 ORDER BY feeder_key`, partnerId, kind);

describe('silence approves, to the minute', () => {
  it('the customer reminded a day before; UNLINKED at objectionDeadline, not a minute earlier; the unspent back: 2 000 to credit, 6 000 to recharge', async () => {
    // Friday 14:37 local: the window ends on the Monday 10 days later at 14:37 (10 × 24 h on in Asia/Shanghai).
    await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 14).plus({ minutes: 37 }).toMillis());
    const c = await associated('ul-ok');
    // Funds by hand: recharge 10 000, credit limit 5 000; allocate 12 000 = 10 000 recharge + 2 000 credit; the customer
    // spends 4 000. Unspent 8 000 returns credit first as far as the allocations drew on credit (2 000), the rest
    // (6 000) to the recharge: afterwards recharge 6 000, credit 5 000.
    const feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
    expectOk(
      await api('POST', `/v1/partners/${c.partnerId}/account/ledger-entries`, feeder, {
        source: 'billing',
        entries: [
          { kind: 'RECHARGE', key: randomUUID(), amount: cny(10_000), occurredAt: c.since },
          { kind: 'CREDIT_LIMIT_CHANGE', key: randomUUID(), change: cny(5_000), occurredAt: c.since },
        ],
      }, key()),
      201,
    );
    expectOk(await api('POST', `/v1/partners/${c.partnerId}/customers/${c.customerId}/allocations`, c.admin, { amount: cny(12_000) }, key()), 201);
    expectOk(await api('POST', `/v1/customers/${c.customerId}/spend`, feeder, { source: 'billing', key: randomUUID(), amount: cny(4_000), occurredAt: c.since }, key()), 201);

    const p = await preview(`/v1/partners/${c.partnerId}/customers/${c.customerId}/unlink-preview`, c.admin);
    expect(p).toMatchObject({ partnerId: c.partnerId, customerId: c.customerId, unlinkable: true, unmet: [], objectionDays: 10, objectingSide: 'CUSTOMER', association: { id: c.associationId, mode: 'RESELLER' } });
    expect(p.reclaim).toEqual([{ currency: 'CNY', unspent: 8_000, toCredit: 2_000, toRecharge: 6_000 }]);
    expect(p.consequences.vouchers).toContain('stay usable by the customer');
    expect(p.consequences.refunds).toContain("partner's account");

    const res = await api('POST', `/v1/partners/${c.partnerId}/customers/${c.customerId}/unlinks`, c.admin, { previewHash: p.previewHash }, key());
    expectOk(res, 201);
    const u = res.body;
    const deadline = at(u.requestedAt, 10);
    const reminderAt = at(u.requestedAt, 9);
    expect(u).toMatchObject({ status: 'OBJECTION_WINDOW', requestedSide: 'PARTNER', objectionDays: 10, objectionDeadline: deadline, associationId: c.associationId });
    expect(u.local.objectionDeadline.slice(11, 16)).toBe('14:37');
    expect((await outbox('unlink.requested', u.id)).map((m) => m.payload)).toMatchObject([{ unlinkId: u.id, partnerId: c.partnerId, requestedSide: 'PARTNER', objectingSide: 'CUSTOMER', objectionDeadline: deadline }]);
    // A second request while this one is open: 409.
    expectProblem(await api('POST', '/v1/customer/unlinks', c.customer, { previewHash: p.previewHash }, key()), 409, 'unlink-already-open');
    // The partner cannot object to its own request.
    expectProblem(await api('POST', `/v1/unlinks/${u.id}/objection`, c.admin, {}), 409, 'own-unlink-request');

    await advanceClockTo(env, Date.parse(reminderAt) - SECOND);
    expect(await outbox('unlink.objection-reminder', u.id)).toEqual([]);
    await advanceClockTo(env, Date.parse(reminderAt) + SECOND);
    const [reminder] = await arrived('unlink.objection-reminder', u.id, 1);
    expect(reminder!.payload).toEqual({ unlinkId: u.id, partnerId: c.partnerId, customerId: c.customerId, to: 'CUSTOMER', objectionDeadline: deadline, daysBefore: 1 });

    await advanceClockTo(env, Date.parse(deadline) - MINUTE);
    expect((await api('GET', `/v1/unlinks/${u.id}`, c.admin)).body.status).toBe('OBJECTION_WINDOW');
    expect((await associationOf(c.associationId)).unlinkedAt).toBeNull();
    await advanceClockTo(env, Date.parse(deadline) + SECOND);
    const [executed] = await arrived('unlink.executed', u.id, 1);
    await completed(handleOf(u.id));
    await expectActedAt(handleOf(u.id), 'executeUnlink', [Date.parse(deadline)]);
    expect(await associationOf(c.associationId)).toEqual({ unlinkedAt: new Date(deadline), unlinkId: u.id });
    const done = (await api('GET', `/v1/unlinks/${u.id}`, c.admin)).body;
    expect(done).toMatchObject({ status: 'UNLINKED', executedAt: deadline });
    expect(done.reclaimed).toMatchObject([{ currency: 'CNY', minor: 8_000, toCredit: 2_000, toRecharge: 6_000 }]);
    expect(done.history.map((h: { type: string }) => h.type)).toEqual(['REQUESTED', 'UNLINKED']);
    expect(executed!.payload).toMatchObject({ unlinkId: u.id, partnerId: c.partnerId, status: 'UNLINKED', unlinkedAt: deadline });
    const account = (await api('GET', `/v1/partners/${c.partnerId}/account`, c.admin)).body.balances.find((b: { currency: string }) => b.currency === 'CNY');
    expect(account).toMatchObject({ recharge: 6_000, credit: 5_000, balance: 11_000 });
    expect((await transfersOf(c.partnerId, 'RECLAIM')).map((t) => t.feederKey)).toEqual([`unlink:${u.id}/CNY`]);
    expect(await outbox('funds.reclaimed', done.reclaimed[0].transferId)).toHaveLength(1);

    // The execution retried (the same seq): it answers what was recorded and records nothing twice.
    const activities = createUnlinkActivities({ prisma: env.prisma });
    const again = await activities.executeUnlink({ unlinkId: u.id, seq: 2, at: new Date(Date.parse(deadline) + DAY).toISOString() });
    expect(again).toMatchObject({ status: 'UNLINKED', executedAt: deadline, seq: 2, reclaimed: done.reclaimed });
    expect(await transfersOf(c.partnerId, 'RECLAIM')).toHaveLength(1);
    expect(await outbox('unlink.executed', u.id)).toHaveLength(1);
    expect(await associationOf(c.associationId)).toEqual({ unlinkedAt: new Date(deadline), unlinkId: u.id });
    expectProblem(await api('POST', `/v1/unlinks/${u.id}/objection`, c.admin, {}), 409);
    await recordHistory(handleOf(u.id), 'unlink-silence-approved');
  });
});

describe('an objection ends it', () => {
  it('the customer asks, the partner objects within the window: OBJECTED, the association stays, nothing executes at the deadline', async () => {
    await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 9).toMillis());
    const c = await associated('ul-obj');
    const p = await preview('/v1/customer/unlink-preview', c.customer);
    expect(p).toMatchObject({ objectingSide: 'PARTNER', reclaim: [], unlinkable: true });
    const res = await api('POST', '/v1/customer/unlinks', c.customer, { previewHash: p.previewHash }, key());
    expectOk(res, 201);
    const u = res.body;
    expect(u).toMatchObject({ requestedSide: 'CUSTOMER', status: 'OBJECTION_WINDOW' });
    expectProblem(await api('POST', `/v1/customer/unlinks/${u.id}/objection`, c.customer, {}), 409, 'own-unlink-request');
    // Another partner's admin: not found, exactly like a missing unlink.
    const stranger = await tokenFor(['partner_admin'], freshPartner('ul-x'));
    expectProblem(await api('POST', `/v1/unlinks/${u.id}/objection`, stranger, {}), 404);
    expectProblem(await api('GET', `/v1/unlinks/${u.id}`, stranger), 404);
    expectProblem(await api('GET', `/v1/customer/unlinks/${u.id}`, await customerToken(freshCustomer('ul-x'))), 404);

    await advanceClockTo(env, Date.parse(at(u.requestedAt, 3)));
    const objected = await api('POST', `/v1/unlinks/${u.id}/objection`, c.admin, { reason: '客户仍在项目交付期' });
    expectOk(objected, 200);
    expect(objected.body).toMatchObject({ status: 'OBJECTED', objectedBy: `${c.partnerId}-admin`, objectionReason: '客户仍在项目交付期' });
    await completed(handleOf(u.id));
    expect((await arrived('unlink.objected', u.id, 1))[0]!.payload).toMatchObject({ unlinkId: u.id, partnerId: c.partnerId, status: 'OBJECTED', objectingSide: 'PARTNER' });
    await advanceClockTo(env, Date.parse(at(u.requestedAt, 11)));
    expect(await associationOf(c.associationId)).toEqual({ unlinkedAt: null, unlinkId: null });
    expect(await outbox('unlink.executed', u.id)).toEqual([]);
    expect(await outbox('unlink.objection-reminder', u.id)).toEqual([]);
    expectProblem(await api('POST', `/v1/customer/unlinks/${u.id}/objection`, c.customer, {}), 409, 'unlink-closed');
    expect((await api('GET', `/v1/customer/unlinks/${u.id}`, c.customer)).body.history.map((h: { type: string }) => h.type)).toEqual(['REQUESTED', 'OBJECTED']);
    await recordHistory(handleOf(u.id), 'unlink-objected');
  });
});

describe('checked again at execution', () => {
  it('frozen during the window: REFUSED_AT_EXECUTION with the reason; the association and the funds stay', async () => {
    await advanceClockTo(env, nextFriday(await env.currentTimeMs(), 11).toMillis());
    const c = await associated('ul-ref');
    const p = await preview(`/v1/partners/${c.partnerId}/customers/${c.customerId}/unlink-preview`, c.admin);
    const res = await api('POST', `/v1/partners/${c.partnerId}/customers/${c.customerId}/unlinks`, c.admin, { previewHash: p.previewHash }, key());
    expectOk(res, 201);
    const u = res.body;
    await advanceClockTo(env, Date.parse(at(u.requestedAt, 5)));
    await insertCustomerFacts(c.customerId, [{ kind: 'FROZEN', value: { frozen: true }, observedAt: new Date(await env.currentTimeMs()).toISOString() }]);
    await advanceClockTo(env, Date.parse(u.objectionDeadline) + SECOND);
    const [refused] = await arrived('unlink.refused-at-execution', u.id, 1);
    await completed(handleOf(u.id));
    expect(refused!.payload).toMatchObject({ unlinkId: u.id, partnerId: c.partnerId, status: 'REFUSED_AT_EXECUTION', unmet: ['customer-frozen'] });
    const done = (await api('GET', `/v1/unlinks/${u.id}`, c.admin)).body;
    expect(done).toMatchObject({ status: 'REFUSED_AT_EXECUTION', executedAt: u.objectionDeadline, reclaimed: null, refusedUnmet: [{ code: 'customer-frozen', evidence: { fact: 'FROZEN', customerId: c.customerId } }] });
    expect(await associationOf(c.associationId)).toEqual({ unlinkedAt: null, unlinkId: null });
    expect(await outbox('unlink.executed', u.id)).toEqual([]);
    await recordHistory(handleOf(u.id), 'unlink-refused-at-execution');
  });
});
