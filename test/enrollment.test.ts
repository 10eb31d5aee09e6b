/**
 * Joining a program; becoming a reseller (issue 17 section 3), through the real API and worker on the time-skipping
 * server: refused with every unmet reason (the distributor plan offline only); the reseller program reviewed by the
 * vendor (reviewDueAt 5 working days after the request, escalation past it); the preview of the instruments joining
 * voids, 409 when that list changed, JOINED voiding each listed instrument exactly once (the activity retried voids
 * nothing twice); the conditions checked again at the moment of joining. Expected lists are written out by hand from
 * the facts each test feeds (domain/eligibility-rules.ts's RESELLER order).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEnrollmentActivities } from '../activities/enrollment.js';
import { enrollmentSchema } from '../api/enrollment/schemas.js';
import { enrollmentWorkflowId } from '../workflows/enrollment/contract.js';
import { tokenFor } from './support/app.js';
import { recordHistory } from './support/histories.js';
import { expectOk, expectProblem, SECOND, useTestEnv } from './support/env.js';
import { advanceClockTo, completed, eventually } from './support/wait.js';

const env = useTestEnv({ taskQueue: 'enrollment-test', api: true });
const { api } = env;
let feeder: string;
let reviewer: string;

beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
  reviewer = await tokenFor(['vendor_reviewer'], undefined, 'reviewer-en');
});

const cny = (minor: number) => ({ currency: 'CNY', minor });
const at = () => new Date(Date.now() - 60 * SECOND).toISOString();
const feed = async (partnerId: string, facts: unknown[]) => {
  const res = await api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, { source: 'billing', facts }, { 'Idempotency-Key': randomUUID() });
  expectOk(res, 201);
};
const voucher = (id: string, state: string, kind = 'VOUCHER') => ({ kind, subject: id, value: { issuer: 'marketing', amount: cny(5_000), state }, observedAt: at() });

/** A partner meeting every reseller condition: nothing open, nothing invoiceable, no postpaid, no contract, no distributor. */
async function resellerReady(prefix: string) {
  const partnerId = `P-en-${prefix}-${randomUUID().slice(0, 8)}`;
  const observedAt = at();
  await feed(partnerId, [
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' }, observedAt },
    { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
    { kind: 'INVOICEABLE_AMOUNT', value: { amount: cny(0) }, observedAt },
    { kind: 'POSTPAID', value: { enabled: false }, observedAt },
    ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT', subject, value: { signed: false }, observedAt })),
    { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
  ]);
  const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
  return { partnerId, owner };
}

const codes = (res: { body: { unmet?: { code: string }[] } }) => (res.body.unmet ?? []).map((u) => u.code);
const voidedRows = (enrollmentId: string) => env.prisma.$queryRaw<{ kind: string; instrument_id: string }[]>`
  SELECT kind, instrument_id FROM voided_instrument WHERE enrollment_id = ${enrollmentId}::uuid ORDER BY kind, instrument_id`;

/** Requested and approved by the vendor: AWAITING_CONFIRMATION. */
async function approved(p: { partnerId: string; owner: string }) {
  const res = await api('POST', `/v1/partners/${p.partnerId}/enrollments`, p.owner, { program: 'RESELLER' });
  expectOk(res, 201);
  expect(enrollmentSchema.safeParse(res.body).success, JSON.stringify(res.body)).toBe(true);
  expect(res.body.status).toBe('IN_REVIEW');
  const decided = await api('POST', `/v1/enrollments/${res.body.id}/review`, reviewer, { decision: 'APPROVE' });
  expectOk(decided);
  expect(decided.body.status).toBe('AWAITING_CONFIRMATION');
  return res.body.id as string;
}

describe('refusals', () => {
  it('a partner nothing is known of is refused with every unmet reseller condition, in the rules order', async () => {
    const partnerId = `P-en-none-${randomUUID().slice(0, 8)}`;
    const owner = await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`);
    const res = await api('POST', `/v1/partners/${partnerId}/enrollments`, owner, { program: 'RESELLER' });
    expectProblem(res, 422, 'enrollment-not-eligible');
    // No ledger entries: no arrears and no recharge balance; every fed fact unknown.
    expect(codes(res)).toEqual([
      'program-membership-unknown',
      'open-resources-unknown',
      'invoiceable-amount-unknown',
      'postpaid-unknown',
      'designated-contract-unknown',
      'designated-contract-unknown',
      'designated-contract-unknown',
      'distributor-relationship-unknown',
    ]);
  });

  it('the distributor plan is offline only; known unmet conditions are each a reason; another partner is 404', async () => {
    const p = await resellerReady('ref');
    const distributor = await api('POST', `/v1/partners/${p.partnerId}/enrollments`, p.owner, { program: 'DISTRIBUTOR' });
    expectProblem(distributor, 422, 'enrollment-not-eligible');
    expect(codes(distributor)).toEqual(['program-offline-only']);

    await feed(p.partnerId, [
      { kind: 'POSTPAID', value: { enabled: true }, observedAt: at() },
      { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'RESALE_CUSTOMER', distributorId: 'D-1', distributorTier: 1 }, observedAt: at() },
    ]);
    const refused = await api('POST', `/v1/partners/${p.partnerId}/enrollments`, p.owner, { program: 'RESELLER' });
    expectProblem(refused, 422, 'enrollment-not-eligible');
    expect(codes(refused)).toEqual(['postpaid-enabled', 'tier1-distributor-customer']);

    const other = await tokenFor(['partner_admin'], 'P-en-other', 'P-en-other-owner');
    expectProblem(await api('POST', `/v1/partners/${p.partnerId}/enrollments`, other, { program: 'RESELLER' }), 404);
  });
});

describe('becoming a reseller', () => {
  it('preview → confirm: a list changed meanwhile is 409; joining voids each listed instrument once and records the membership', async () => {
    const p = await resellerReady('join');
    await feed(p.partnerId, [voucher('V-1', 'ACTIVE'), voucher('C-1', 'ACTIVE', 'COUPON'), voucher('V-used', 'USED')]);
    const id = await approved(p);

    const first = await api('GET', `/v1/enrollments/${id}/voided-instruments-preview`, p.owner);
    expectOk(first);
    // The used voucher is not voided: only the two ACTIVE ones, coupons before vouchers.
    expect(first.body.instruments.map((i: { kind: string; id: string }) => `${i.kind}/${i.id}`)).toEqual(['COUPON/C-1', 'VOUCHER/V-1']);

    // A stored-value card arrives after the preview: the confirmed list is no longer the one joining would void.
    await feed(p.partnerId, [voucher('S-1', 'ACTIVE', 'STORED_VALUE_CARD')]);
    const stale = await api('POST', `/v1/enrollments/${id}/confirm`, p.owner, { instrumentsHash: first.body.instrumentsHash });
    expectProblem(stale, 409, 'voided-instruments-changed');
    expect(await voidedRows(id)).toEqual([]);

    const second = await api('GET', `/v1/enrollments/${id}/voided-instruments-preview`, p.owner);
    expect(second.body.instruments).toHaveLength(3);
    expect(second.body.instrumentsHash).not.toBe(first.body.instrumentsHash);
    const joined = await api('POST', `/v1/enrollments/${id}/confirm`, p.owner, { instrumentsHash: second.body.instrumentsHash });
    expectOk(joined);
    expect(joined.body.status).toBe('JOINED');
    expect(joined.body.voided.map((v: { kind: string; id: string }) => `${v.kind}/${v.id}`)).toEqual(['COUPON/C-1', 'STORED_VALUE_CARD/S-1', 'VOUCHER/V-1']);
    const rows = [
      { kind: 'COUPON', instrument_id: 'C-1' },
      { kind: 'STORED_VALUE_CARD', instrument_id: 'S-1' },
      { kind: 'VOUCHER', instrument_id: 'V-1' },
    ];
    expect(await voidedRows(id)).toEqual(rows);

    // The joining's activity retried (as after a crash), twice: its history row is there, nothing is voided again.
    const event = await env.prisma.$queryRaw<{ seq: number; at: Date }[]>`SELECT seq, at FROM enrollment_event WHERE enrollment_id = ${id}::uuid AND type = 'JOINED'`;
    const activities = createEnrollmentActivities({ prisma: env.prisma });
    for (let retry = 0; retry < 2; retry++) {
      const outcome = await activities.joinEnrollment({ enrollmentId: id, seq: event[0]!.seq, actor: `${p.partnerId}-owner`, at: event[0]!.at.toISOString(), instrumentsHash: second.body.instrumentsHash });
      expect(outcome.status).toBe('JOINED');
    }
    expect(await voidedRows(id)).toEqual(rows);
    const facts = await env.prisma.$queryRaw<{ kind: string; subject: string }[]>`
      SELECT kind, subject FROM partner_account_fact WHERE partner_id = ${p.partnerId} AND source = 'partnerflow' ORDER BY kind, subject`;
    expect(facts.map((f) => `${f.kind}/${f.subject}`)).toEqual(['COUPON/C-1', 'PROGRAM_MEMBERSHIP/RESELLER', 'STORED_VALUE_CARD/S-1', 'VOUCHER/V-1']);
    expect(await env.prisma.outbox.count({ where: { topic: 'enrollment.joined', aggregateId: id } })).toBe(1);

    // The rules see the membership partnerflow recorded: asking again is refused as joined.
    const again = await api('POST', `/v1/partners/${p.partnerId}/enrollments`, p.owner, { program: 'RESELLER' });
    expectProblem(again, 422, 'enrollment-not-eligible');
    expect(codes(again)).toEqual(['program-joined']);
    const handle = env.client.workflow.getHandle(enrollmentWorkflowId(id));
    await completed(handle);
    await recordHistory(handle, 'enrollment-reseller-joined');
  });

  it('the conditions are checked again at the moment of joining: resources opened after the approval refuse it with the reason', async () => {
    const p = await resellerReady('recheck');
    await feed(p.partnerId, [voucher('V-1', 'ACTIVE')]);
    const id = await approved(p);
    const preview = await api('GET', `/v1/enrollments/${id}/voided-instruments-preview`, p.owner);
    await feed(p.partnerId, [{ kind: 'OPEN_RESOURCES', value: { count: 2 }, observedAt: new Date(Date.now() - 30 * SECOND).toISOString() }]);
    const res = await api('POST', `/v1/enrollments/${id}/confirm`, p.owner, { instrumentsHash: preview.body.instrumentsHash });
    expectOk(res);
    expect(res.body.status).toBe('REFUSED_AT_JOINING');
    expect(res.body.refusal.map((u: { code: string }) => u.code)).toEqual(['open-resources']);
    expect(await voidedRows(id)).toEqual([]);
    const handle = env.client.workflow.getHandle(enrollmentWorkflowId(id));
    await completed(handle);
    await recordHistory(handle, 'enrollment-refused-at-joining');
  });

  it('a review past its due date escalates once (reviewDueAt: 5 working days after the request)', async () => {
    const p = await resellerReady('esc');
    const res = await api('POST', `/v1/partners/${p.partnerId}/enrollments`, p.owner, { program: 'RESELLER' });
    expectOk(res, 201);
    const dueAt = Date.parse(res.body.reviewDueAt);
    // 5 working days are at least 5 × 24 h after the request.
    expect(dueAt - Date.parse(res.body.submittedAt)).toBeGreaterThanOrEqual(5 * 24 * 3600 * SECOND);
    await advanceClockTo(env, dueAt + SECOND);
    await eventually(async () => {
      const view = await api('GET', `/v1/enrollments/${res.body.id}`, reviewer);
      const types = view.body.history.map((h: { type: string }) => h.type);
      return types.length === 2 ? types : undefined;
    }).then((types) => expect(types).toEqual(['REQUESTED', 'REVIEW_ESCALATED']));
    expect(await env.prisma.outbox.count({ where: { topic: 'enrollment.review-escalation', aggregateId: res.body.id } })).toBe(1);
  });
});
