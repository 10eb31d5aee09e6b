/**
 * Funds on the ledger through the real API + PostgreSQL (issue 18 section 4, docs/funds.md): an allocation draws
 * recharge first, then credit; the customer's spending leaves the partner's balance as it was; a reclaim returns credit
 * first, then recharge — figures worked out by hand in the comments; the statement's running balances, as JSON and CSV;
 * refusals (consultative, not associated, beyond the balance, beyond the unspent), Idempotency-Key (required; a retry is
 * the first transfer; another body 422), the webhook in the outbox, 50 allocations racing for one balance, and the
 * agreement gate.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { customerFundsSchema, fundsTransferSchema, statementSchema } from '../api/funds/schemas.js';
import { tokenFor } from './support/app.js';
import { agreementSteps, shanghaiDate } from './support/agreement.js';
import { expectProblem, fields, useTestEnv } from './support/env.js';
import { associate, cny, ledgerIsConsistent, newCustomer, newPartner, unlink } from './support/funds.js';

const env = useTestEnv({ taskQueue: 'funds-test', api: true });
const { api } = env;
let feeder: string;
let vendor: string;

beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
  vendor = await tokenFor(['vendor_staff']);
});

const key = () => ({ 'Idempotency-Key': randomUUID() });
const finance = (partnerId: string) => tokenFor(['partner_finance'], partnerId);
async function feed(partnerId: string, entries: Record<string, unknown>[]) {
  const res = await api('POST', `/v1/partners/${partnerId}/account/ledger-entries`, feeder, {
    source: 'billing',
    entries: entries.map((e) => ({ key: randomUUID(), occurredAt: '2026-03-01T09:00:00+08:00', ...e })),
  }, key());
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}
const allocate = async (partnerId: string, customerId: string, body: unknown, headers: Record<string, string> = key()) =>
  api('POST', `/v1/partners/${partnerId}/customers/${customerId}/allocations`, await finance(partnerId), body, headers);
const reclaim = async (partnerId: string, customerId: string, body: unknown, headers: Record<string, string> = key()) =>
  api('POST', `/v1/partners/${partnerId}/customers/${customerId}/reclaims`, await finance(partnerId), body, headers);
const spend = (customerId: string, amount: number, headers: Record<string, string> = key(), spendKey = randomUUID()) =>
  api('POST', `/v1/customers/${customerId}/spend`, feeder, { source: 'billing', key: spendKey, amount: cny(amount), occurredAt: new Date().toISOString() }, headers);
const balanceOf = async (partnerId: string) => {
  const res = await api('GET', `/v1/partners/${partnerId}/account`, await finance(partnerId));
  const b = res.body.balances.find((x: { currency: string }) => x.currency === 'CNY');
  return { recharge: b.recharge, credit: b.credit, balance: b.balance };
};
const fundsOf = async (partnerId: string, customerId: string) => api('GET', `/v1/partners/${partnerId}/customers/${customerId}/funds`, await finance(partnerId));

/** A partner with recharge 10 000 and a credit limit of 5 000 (balance 15 000), and an associated RESELLER customer. */
async function fundedPartner(recharge = 10_000, limit = 5_000) {
  const partnerId = newPartner();
  const customerId = newCustomer();
  await feed(partnerId, [
    { kind: 'RECHARGE', amount: cny(recharge) },
    ...(limit ? [{ kind: 'CREDIT_LIMIT_CHANGE', change: cny(limit) }] : []),
  ]);
  const associationId = await associate(env.prisma, partnerId, customerId);
  return { partnerId, customerId, associationId };
}

describe('allocate, spend, reclaim: figures by hand', () => {
  it('draws recharge first then credit; spending leaves the balance; reclaim returns credit first then recharge', async () => {
    const { partnerId, customerId } = await fundedPartner();
    expect(await balanceOf(partnerId)).toEqual({ recharge: 10_000, credit: 5_000, balance: 15_000 });

    // 12 000 = all 10 000 of the recharge + 2 000 of credit: recharge 0, credit 3 000, balance 3 000.
    const allocated = await allocate(partnerId, customerId, { amount: cny(12_000), memo: 'March budget' });
    expect(allocated.status, JSON.stringify(allocated.body)).toBe(201);
    expect(fundsTransferSchema.safeParse(allocated.body).success).toBe(true);
    expect(allocated.body).toMatchObject({ kind: 'ALLOCATION', customerId, amount: cny(12_000), split: { recharge: 10_000, credit: 2_000 }, balanceAfter: { recharge: 0, credit: 3_000, balance: 3_000 }, unspentAfter: 12_000 });
    expect(allocated.body.postings).toEqual([
      { account: 'PARTNER_RECHARGE', currency: 'CNY', amount: 10_000 },
      { account: 'PARTNER_CREDIT_LINE', currency: 'CNY', amount: 2_000 },
      { account: 'CUSTOMER_ALLOCATION', currency: 'CNY', amount: -12_000 },
    ]);
    expect(await balanceOf(partnerId)).toEqual({ recharge: 0, credit: 3_000, balance: 3_000 });

    // The customer spends 4 000: its unspent 12 000 → 8 000; the partner's balance stays 3 000 (seed).
    const spent = await spend(customerId, 4_000);
    expect(spent.status, JSON.stringify(spent.body)).toBe(201);
    expect(spent.body).toMatchObject({ kind: 'CUSTOMER_SPEND', split: { recharge: 0, credit: 0 }, balanceAfter: { balance: 3_000 }, unspentAfter: 8_000 });
    expect(await balanceOf(partnerId)).toEqual({ recharge: 0, credit: 3_000, balance: 3_000 });

    // Reclaim 3 000: the allocation drew 2 000 on credit (and 2 000 is used), so 2 000 to credit, 1 000 to recharge:
    // recharge 1 000, credit 5 000, balance 6 000; unspent 5 000.
    const part = await reclaim(partnerId, customerId, { currency: 'CNY', minor: 3_000 });
    expect(part.status, JSON.stringify(part.body)).toBe(201);
    expect(part.body).toMatchObject({ kind: 'RECLAIM', amount: cny(3_000), split: { credit: 2_000, recharge: 1_000 }, balanceAfter: { recharge: 1_000, credit: 5_000, balance: 6_000 }, unspentAfter: 5_000 });

    // Reclaim all (5 000): no credit outstanding any more, all to recharge: recharge 6 000, credit 5 000, balance 11 000.
    const rest = await reclaim(partnerId, customerId, { currency: 'CNY' });
    expect(rest.status, JSON.stringify(rest.body)).toBe(201);
    expect(rest.body).toMatchObject({ amount: cny(5_000), split: { credit: 0, recharge: 5_000 }, balanceAfter: { recharge: 6_000, credit: 5_000, balance: 11_000 }, unspentAfter: 0 });

    const funds = await fundsOf(partnerId, customerId);
    expect(funds.status).toBe(200);
    expect(customerFundsSchema.safeParse(funds.body).success).toBe(true);
    expect(funds.body).toEqual({ partnerId, customerId, association: { mode: 'RESELLER' }, funds: [{ currency: 'CNY', allocated: 12_000, reclaimed: 8_000, spent: 4_000, unspent: 0, creditOutstanding: 0 }] });
    // Fed 10 000 + 5 000 = balance 11 000 + unspent 0 + spent 4 000.
    expect(11_000 + 0 + 4_000).toBe(15_000);
    // Nothing left: reclaiming all again records nothing.
    expectProblem(await reclaim(partnerId, customerId, { currency: 'CNY' }), 422, 'nothing-to-reclaim');
    expect(await ledgerIsConsistent(env.prisma, partnerId)).toEqual({ unbalanced: 0, drifted: 0, negative: 0 });

    // The webhooks: one outbox message per allocation and reclaim, in their transactions.
    const messages = await env.prisma.outbox.findMany({ where: { aggregateId: { in: [allocated.body.id, part.body.id, rest.body.id] } }, orderBy: { id: 'asc' } });
    expect(messages.map((m) => m.topic)).toEqual(['funds.allocated', 'funds.reclaimed', 'funds.reclaimed']);
    expect(messages[0]!.payload).toMatchObject({ partnerId, customerId, amount: cny(12_000), drawn: { recharge: 10_000, credit: 2_000 }, balanceAfter: { balance: 3_000 } });
  });

  it('a statement for any period: opening, each movement with its running balance, closing — JSON and CSV', async () => {
    const { partnerId, customerId } = await fundedPartner(); // both fed at 2026-03-01T01:00Z
    const t0 = new Date();
    const a = await allocate(partnerId, customerId, { amount: cny(11_000) }); // recharge 0, credit 4 000: balance 4 000
    expect(a.status).toBe(201);
    expect((await spend(customerId, 1_000)).status).toBe(201); // no partner movement
    const r = await reclaim(partnerId, customerId, { currency: 'CNY', minor: 500 }); // credit first: credit 4 500, balance 4 500
    expect(r.status).toBe(201);
    const to = new Date(Date.now() + 1_000).toISOString();

    const whole = await api('GET', `/v1/partners/${partnerId}/statement?to=${encodeURIComponent(to)}`, await finance(partnerId));
    expect(whole.status, JSON.stringify(whole.body)).toBe(200);
    expect(statementSchema.safeParse(whole.body).success).toBe(true);
    const [cnyStatement] = whole.body.currencies;
    expect(cnyStatement.opening).toEqual({ recharge: 0, credit: 0, balance: 0 });
    expect(cnyStatement.lines.map((l: Record<string, unknown>) => [l.kind, l.change, l.runningBalance])).toEqual([
      ['RECHARGE', 10_000, 10_000],
      ['CREDIT_LIMIT_CHANGE', 5_000, 15_000],
      ['ALLOCATION', -11_000, 4_000],
      ['RECLAIM', 500, 4_500],
    ]);
    expect(cnyStatement.closing).toEqual({ recharge: 0, credit: 4_500, balance: 4_500 });
    expect(cnyStatement.closing.balance).toBe((await balanceOf(partnerId)).balance);

    // From t0: the fed entries are before it (the opening 15 000), the allocation and reclaim within.
    const period = await api('GET', `/v1/partners/${partnerId}/statement?from=${encodeURIComponent(t0.toISOString())}&to=${encodeURIComponent(to)}`, await finance(partnerId));
    expect(period.body.currencies[0].opening).toEqual({ recharge: 10_000, credit: 5_000, balance: 15_000 });
    expect(period.body.currencies[0].lines.map((l: { runningRecharge: number; runningCredit: number }) => [l.runningRecharge, l.runningCredit])).toEqual([[0, 4_000], [0, 4_500]]);

    // CSV, by format=csv and by Accept: the same figures.
    for (const [query, headers] of [['&format=csv', {}], ['', { Accept: 'text/csv' }]] as const) {
      const csv = await api('GET', `/v1/partners/${partnerId}/statement?from=${encodeURIComponent(t0.toISOString())}&to=${encodeURIComponent(to)}${query}`, await finance(partnerId), undefined, headers);
      expect(csv.status).toBe(200);
      expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
      const lines = (csv.body as Buffer).toString('utf8').trimEnd().split('\r\n');
      expect(lines[0]).toBe('partnerId,currency,line,occurredAt,kind,transferId,customerId,memo,recharge,credit,change,runningRecharge,runningCredit,runningBalance');
      expect(lines.slice(1).map((l) => { const c = l.split(','); return [c[2], c[4], c[10], c[13]].join(' '); })).toEqual([
        'OPENING   15000',
        'MOVEMENT ALLOCATION -11000 4000',
        'MOVEMENT RECLAIM 500 4500',
        'CLOSING   4500',
      ]);
    }
    // Another partner's statement: 404, as if absent; vendor staff read any.
    expectProblem(await api('GET', `/v1/partners/${partnerId}/statement`, await finance(newPartner())), 404);
    expect((await api('GET', `/v1/partners/${partnerId}/statement`, vendor)).status).toBe(200);
    expect(fields(await api('GET', `/v1/partners/${partnerId}/statement?from=2026-03-02T00:00:00Z&to=2026-03-01T00:00:00Z`, vendor))).toEqual(['query.to']);
    expect(fields(await api('GET', `/v1/partners/${partnerId}/statement?from=2999-01-01T00:00:00Z`, vendor))).toEqual(['query.from']);
  });
});

describe('refusals', () => {
  it('not associated (or another partner’s customer): 404 alike; consultative: 422 naming it; beyond the balance: 422', async () => {
    const { partnerId, customerId } = await fundedPartner(1_000, 0);
    const other = await fundedPartner(1_000, 0);
    const stranger = await allocate(partnerId, newCustomer(), { amount: cny(100) });
    const othersCustomer = await allocate(partnerId, other.customerId, { amount: cny(100) });
    expectProblem(stranger, 404);
    expectProblem(othersCustomer, 404);
    expect(othersCustomer.body.detail.replace(other.customerId, 'X')).toBe(stranger.body.detail.replace(/C-funds-\w+/, 'X'));
    expectProblem(await fundsOf(partnerId, other.customerId), 404);

    const consultative = newCustomer();
    await associate(env.prisma, partnerId, consultative, 'CONSULTATIVE');
    const refused = await allocate(partnerId, consultative, { amount: cny(100) });
    expectProblem(refused, 422, 'customer-consultative');
    expect(refused.body.detail).toMatch(/CONSULTATIVE/);

    const beyond = await allocate(partnerId, customerId, { amount: cny(1_001) });
    expectProblem(beyond, 422, 'funds-insufficient');
    expect(fields(beyond)).toEqual(['amount.minor']);
    expect(beyond.body.detail).toMatch(/at most 1000 CNY/);
    // Another partner's staff may not move this partner's funds: 404.
    expectProblem(await api('POST', `/v1/partners/${partnerId}/customers/${customerId}/allocations`, await finance(other.partnerId), { amount: cny(1) }, key()), 404);
    // Nothing of the refusals was written.
    expect(await env.prisma.ledgerTransfer.count({ where: { partnerId, kind: { in: ['ALLOCATION', 'RECLAIM'] } } })).toBe(0);
  });

  it('Idempotency-Key: required (400 naming it); a retry is the first transfer; another body 422', async () => {
    const { partnerId, customerId } = await fundedPartner(1_000, 0);
    const missing = await allocate(partnerId, customerId, { amount: cny(100) }, {});
    expectProblem(missing, 400);
    expect(fields(missing)).toEqual(['Idempotency-Key']);
    expect(fields(await reclaim(partnerId, customerId, { currency: 'CNY' }, {}))).toEqual(['Idempotency-Key']);
    expect(fields(await spend(customerId, 1, {}))).toEqual(['Idempotency-Key']);

    const headers = key();
    const first = await allocate(partnerId, customerId, { amount: cny(400) }, headers);
    const again = await allocate(partnerId, customerId, { amount: cny(400) }, headers);
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expectProblem(await allocate(partnerId, customerId, { amount: cny(401) }, headers), 422, 'idempotency-key-reused');
    expect(await env.prisma.ledgerTransfer.count({ where: { partnerId, kind: 'ALLOCATION' } })).toBe(1);
    expect((await balanceOf(partnerId)).balance).toBe(600);
  });

  it('reclaim beyond the unspent, spend beyond the allocation or without an association: 422 naming the field', async () => {
    const { partnerId, customerId, associationId } = await fundedPartner(1_000, 0);
    expectProblem(await reclaim(partnerId, customerId, { currency: 'CNY' }), 404); // never allocated to
    expect((await allocate(partnerId, customerId, { amount: cny(700) })).status).toBe(201);
    const over = await reclaim(partnerId, customerId, { currency: 'CNY', minor: 701 });
    expectProblem(over, 422, 'funds-unspent-exceeded');
    expect(fields(over)).toEqual(['minor']);
    const overspent = await spend(customerId, 701);
    expectProblem(overspent, 422, 'allocation-exceeded');
    expect(fields(overspent)).toEqual(['amount.minor']);
    // A spend key is one transfer per source: fed again it is that transfer; with another amount 422.
    const spendKey = randomUUID();
    const s1 = await spend(customerId, 200, key(), spendKey);
    const s2 = await spend(customerId, 200, key(), spendKey);
    expect(s2.body.id).toBe(s1.body.id);
    expectProblem(await spend(customerId, 201, key(), spendKey), 422, 'ledger-key-reused');
    // After the unlink the customer has no partner to spend from.
    await unlink(env.prisma, associationId);
    expectProblem(await spend(customerId, 1), 422, 'customer-not-associated');
    // Its unspent 500 stays reclaimable by the partner; the funds read says it is no longer associated.
    expect((await fundsOf(partnerId, customerId)).body).toMatchObject({ association: null, funds: [{ unspent: 500 }] });
    expect((await reclaim(partnerId, customerId, { currency: 'CNY' })).body).toMatchObject({ amount: cny(500), balanceAfter: { balance: 800 } });
  });
});

describe('concurrency', () => {
  it('50 allocations racing for one balance never overdraw; the successes sum to what left the balance', async () => {
    // Balance 10 000 (recharge 6 000 + credit 4 000); 50 allocations of 300 each: at most 33 fit (9 900).
    const { partnerId, customerId } = await fundedPartner(6_000, 4_000);
    const token = await finance(partnerId);
    const started = performance.now();
    const answers = await Promise.all(
      Array.from({ length: 50 }, () => api('POST', `/v1/partners/${partnerId}/customers/${customerId}/allocations`, token, { amount: cny(300) }, key())),
    );
    const ms = Math.round(performance.now() - started);
    const successes = answers.filter((a) => a.status === 201);
    const refusals = answers.filter((a) => a.status === 422 && a.body.type === 'urn:partnerflow:problem:funds-insufficient');
    console.log(`50 concurrent allocations of 300 on a balance of 10000: ${successes.length} succeeded, ${refusals.length} refused (funds-insufficient), ${ms} ms`);
    expect(successes.length + refusals.length, JSON.stringify(answers.filter((a) => a.status !== 201 && a.status !== 422).map((a) => a.body))).toBe(50);
    expect(successes.length).toBe(33);
    const moved = successes.reduce((sum, a) => sum + a.body.amount.minor, 0);
    const after = await balanceOf(partnerId);
    expect(moved).toBe(9_900);
    expect(10_000 - after.balance).toBe(moved);
    expect(after).toEqual({ recharge: 0, credit: 100, balance: 100 });
    expect((await fundsOf(partnerId, customerId)).body.funds[0]).toMatchObject({ allocated: 9_900, unspent: 9_900, creditOutstanding: 3_900 });
    expect(await ledgerIsConsistent(env.prisma, partnerId)).toEqual({ unbalanced: 0, drifted: 0, negative: 0 });
  });
});

describe('the agreement gate (last in this file: the version it publishes is in force until the file ends)', () => {
  const agreements = agreementSteps(env, () => manager);
  let manager: string;
  beforeAll(async () => {
    manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'funds-agreement-manager');
  });

  it('allocations and reclaims are refused while the agreement in force is unsigned; a recorded one still answers its retry', async () => {
    const { partnerId, customerId } = await fundedPartner(1_000, 0);
    const recorded = key();
    const before = await allocate(partnerId, customerId, { amount: cny(100) }, recorded);
    expect(before.status).toBe(201);
    const today = shanghaiDate(0);
    const inForce = await agreements.publish({ effectiveDate: today, signByDate: today });

    for (const res of [await allocate(partnerId, customerId, { amount: cny(100) }), await reclaim(partnerId, customerId, { currency: 'CNY' })]) {
      expectProblem(res, 403, 'agreement-signature-required');
      expect(res.body).toMatchObject({ agreementId: inForce.id });
    }
    expect((await allocate(partnerId, customerId, { amount: cny(100) }, recorded)).body).toEqual(before.body);
    expect(await env.prisma.ledgerTransfer.count({ where: { partnerId, kind: { in: ['ALLOCATION', 'RECLAIM'] } } })).toBe(1);
    // The customer's spending is billing's record, not the partner's action: not gated.
    expect((await spend(customerId, 10)).status).toBe(201);

    expect((await agreements.sign(partnerId, await tokenFor(['partner_admin'], partnerId), inForce.id, inForce.textSha256)).status).toBe(200);
    expect((await allocate(partnerId, customerId, { amount: cny(100) })).body).toMatchObject({ balanceAfter: { balance: 800 } });
    expect((await reclaim(partnerId, customerId, { currency: 'CNY' })).body).toMatchObject({ amount: cny(190), balanceAfter: { balance: 990 } });
  });
});
