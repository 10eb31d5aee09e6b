/**
 * The unlink's API on the real app and worker (issue 18 section 3): every reason alone and together, in the caller's
 * language, with nothing written; the preview's hash (409 when what would happen changed); the limit counted through
 * real requests; partner scoping; and billing's refunds routed by the consumption's instant — to the partner of the
 * association it fell in (also after the unlink), to the customer outside any — each once.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { customerToken, freshCustomer, freshPartner, insertCustomerFacts } from './support/customer-fixtures.js';
import { DAY, expectOk, expectProblem, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'unlink-api-test', api: true });
const { api } = env;
const key = () => ({ 'Idempotency-Key': randomUUID() });
const cny = (minor: number) => ({ currency: 'CNY', minor });
const CODE = '91330100799655058B';

async function associate(partnerId: string, customerId: string, from: Date, to?: Date) {
  const id = randomUUID();
  await env.prisma.$executeRawUnsafe(
    `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by) VALUES ($1::uuid, $2, $3, $4, 'RESELLER', $5::timestamptz, 'test')`,
    id, partnerId, customerId, CODE, from.toISOString(),
  );
  if (to) await env.prisma.$executeRawUnsafe(`UPDATE customer_association SET unlinked_at = $2::timestamptz, unlink_id = $3::uuid WHERE id = $1::uuid`, id, to.toISOString(), randomUUID());
  return id;
}

async function customer(prefix: string, facts?: { frozen?: boolean; reserved?: number; plans?: number }) {
  const partnerId = freshPartner(prefix);
  const customerId = freshCustomer(prefix);
  const observedAt = new Date(Date.now() - DAY).toISOString();
  const associationId = await associate(partnerId, customerId, new Date(Date.now() - 2 * DAY));
  if (facts) {
    await insertCustomerFacts(customerId, [
      { kind: 'FROZEN', value: { frozen: facts.frozen ?? false }, observedAt },
      { kind: 'RESERVED_INSTANCES', value: { count: facts.reserved ?? 0 }, observedAt },
      { kind: 'SUPPORT_PLANS', value: { count: facts.plans ?? 0 }, observedAt },
    ]);
  }
  return { partnerId, customerId, associationId, admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`), token: await customerToken(customerId) };
}
const previewPath = (c: { partnerId: string; customerId: string }) => `/v1/partners/${c.partnerId}/customers/${c.customerId}/unlink-preview`;
const unlinksPath = (c: { partnerId: string; customerId: string }) => `/v1/partners/${c.partnerId}/customers/${c.customerId}/unlinks`;
const unlinkCount = async (customerId: string) =>
  Number((await env.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM customer_unlink WHERE customer_id = $1`, customerId))[0]!.n);

describe('refused with every reason, in the caller\'s language, nothing written', () => {
  it('facts never fed: each its own reason (zh-CN by default)', async () => {
    const c = await customer('ul-unknown');
    const p = (await api('GET', previewPath(c), c.admin)).body;
    expect(p.unlinkable).toBe(false);
    expect(p.unmet.map((u: { evidence: { fact: string } }) => u.evidence.fact)).toEqual(['FROZEN', 'RESERVED_INSTANCES', 'SUPPORT_PLANS']);
    const res = await api('POST', unlinksPath(c), c.admin, { previewHash: p.previewHash }, key());
    expectProblem(res, 422, 'customer-not-unlinkable');
    expect(res.headers.get('content-language')).toBe('zh-CN');
    expect(res.body.unmet[0].message).toContain('尚未获知');
    expect(await unlinkCount(c.customerId)).toBe(0);
  });

  it('frozen alone; then frozen, reserved instances and support plans together (en)', async () => {
    const alone = await customer('ul-frozen', { frozen: true });
    const p1 = (await api('GET', previewPath(alone), alone.admin, undefined, { 'Accept-Language': 'en' })).body;
    const r1 = await api('POST', unlinksPath(alone), alone.admin, { previewHash: p1.previewHash }, { ...key(), 'Accept-Language': 'en' });
    expectProblem(r1, 422, 'customer-not-unlinkable');
    expect(r1.body.unmet).toEqual([expect.objectContaining({ code: 'customer-frozen', message: `Customer account ${alone.customerId} is frozen.` })]);
    expect(r1.body.errors[0]).toMatchObject({ field: 'customerId' });

    const all = await customer('ul-all', { frozen: true, reserved: 2, plans: 1 });
    const p2 = (await api('GET', '/v1/customer/unlink-preview', all.token, undefined, { 'Accept-Language': 'en' })).body;
    expect(p2.unmet.map((u: { code: string }) => u.code)).toEqual(['customer-frozen', 'customer-reserved-instances', 'customer-support-plans']);
    const r2 = await api('POST', '/v1/customer/unlinks', all.token, { previewHash: p2.previewHash }, { ...key(), 'Accept-Language': 'en' });
    expectProblem(r2, 422, 'customer-not-unlinkable');
    expect(r2.body.unmet.map((u: { code: string; remedy: string }) => [u.code, u.remedy.length > 0])).toEqual([
      ['customer-frozen', true],
      ['customer-reserved-instances', true],
      ['customer-support-plans', true],
    ]);
    expect(await unlinkCount(all.customerId)).toBe(0);
  });
});

describe('the preview and its hash', () => {
  it('409 unlink-preview-changed when what would happen changed (an allocation meanwhile), with the current hash', async () => {
    const c = await customer('ul-hash', {});
    const before = (await api('GET', previewPath(c), c.admin)).body;
    expect(before.reclaim).toEqual([]);
    const feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
    expectOk(await api('POST', `/v1/partners/${c.partnerId}/account/ledger-entries`, feeder, { source: 'billing', entries: [{ kind: 'RECHARGE', key: randomUUID(), amount: cny(1_000), occurredAt: new Date().toISOString() }] }, key()), 201);
    expectOk(await api('POST', `/v1/partners/${c.partnerId}/customers/${c.customerId}/allocations`, c.admin, { amount: cny(300) }, key()), 201);
    const stale = await api('POST', unlinksPath(c), c.admin, { previewHash: before.previewHash }, key());
    expectProblem(stale, 409, 'unlink-preview-changed');
    const after = (await api('GET', previewPath(c), c.admin)).body;
    expect(after.reclaim).toEqual([{ currency: 'CNY', unspent: 300, toCredit: 0, toRecharge: 300 }]);
    expect(stale.body.previewHash).toBe(after.previewHash);
    expect(await unlinkCount(c.customerId)).toBe(0);
    expectOk(await api('POST', unlinksPath(c), c.admin, { previewHash: after.previewHash }, key()), 201);
  });

  it("another partner's customer is 404 as if absent; a customer with no association 404; a malformed hash 400", async () => {
    const c = await customer('ul-scope', {});
    const other = await tokenFor(['partner_admin'], c.partnerId.replace('ul-scope', 'ul-other'));
    expectProblem(await api('GET', previewPath(c), other), 404);
    const stranger = freshPartner('ul-str');
    expectProblem(await api('GET', `/v1/partners/${stranger}/customers/${c.customerId}/unlink-preview`, await tokenFor(['partner_admin'], stranger)), 404);
    expectProblem(await api('GET', '/v1/customer/unlink-preview', await customerToken(freshCustomer('ul-none'))), 404);
    expectProblem(await api('POST', unlinksPath(c), c.admin, { previewHash: 'nope' }, key()), 400);
  });
});

describe('at most 3 requests per customer in 3 calendar months, whatever their outcome', () => {
  it('three requests objected; the fourth refused naming when the next is possible', async () => {
    const c = await customer('ul-limit', {});
    const times: string[] = [];
    for (let i = 0; i < 3; i++) {
      const p = (await api('GET', previewPath(c), c.admin)).body;
      const u = await api('POST', unlinksPath(c), c.admin, { previewHash: p.previewHash }, key());
      expectOk(u, 201);
      times.push(u.body.requestedAt);
      expectOk(await api('POST', `/v1/customer/unlinks/${u.body.id}/objection`, c.token, { reason: `no ${i}` }), 200);
    }
    const p = (await api('GET', previewPath(c), c.admin, undefined, { 'Accept-Language': 'en' })).body;
    expect(p.unmet.map((u: { code: string }) => u.code)).toEqual(['unlink-limit-reached']);
    const res = await api('POST', '/v1/customer/unlinks', c.token, { previewHash: p.previewHash }, { ...key(), 'Accept-Language': 'en' });
    expectProblem(res, 422, 'customer-not-unlinkable');
    const [reason] = res.body.unmet;
    // The oldest counted request leaves the window 3 calendar months after it, at the same local time.
    const { DateTime } = await import('luxon');
    expect(reason.evidence).toMatchObject({ limit: 3, months: 3, requests: times, nextPossibleAt: DateTime.fromISO(times[0]!, { zone: 'Asia/Shanghai' }).plus({ months: 3 }).toUTC().toISO() });
    expect(await unlinkCount(c.customerId)).toBe(3);
  });
});

describe('refunds of consumption', () => {
  it('during an association → that partner (also after the unlink); outside → the customer; each key once', async () => {
    const customerId = freshCustomer('ul-ref');
    const [p1, p2] = [freshPartner('ul-ref1'), freshPartner('ul-ref2')];
    const t = (iso: string) => new Date(iso);
    // P1 from 1 March 10:00 to 10 March 10:00 (unlinked), nobody until 15 March 10:00, P2 since (Shanghai times).
    await associate(p1, customerId, t('2026-03-01T02:00:00Z'), t('2026-03-10T02:00:00Z'));
    await associate(p2, customerId, t('2026-03-15T02:00:00Z'));
    const feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
    const refunds = [
      { key: 'r-1', consumedAt: '2026-03-05T12:00:00+08:00', amount: cny(700) }, // in P1's period
      { key: 'r-2', consumedAt: '2026-03-10T10:00:00+08:00', amount: cny(50) }, // the unlink's instant: no longer P1's
      { key: 'r-3', consumedAt: '2026-03-15T10:00:00+08:00', amount: cny(30) }, // P2's first instant
    ];
    const res = await api('POST', `/v1/customers/${customerId}/refunds`, feeder, { source: 'billing', refunds }, key());
    expectOk(res, 201);
    expect(res.body.items.map((r: { key: string; routedTo: string; partnerId: string | null }) => [r.key, r.routedTo, r.partnerId])).toEqual([
      ['r-1', 'PARTNER', p1],
      ['r-2', 'CUSTOMER', null],
      ['r-3', 'PARTNER', p2],
    ]);
    expect(res.body.items[1].transferId).toBeNull();
    const balance = async (partnerId: string) =>
      (await api('GET', `/v1/partners/${partnerId}/account`, await tokenFor(['partner_finance'], partnerId))).body.balances.find((b: { currency: string }) => b.currency === 'CNY');
    expect(await balance(p1)).toMatchObject({ recharge: 700, balance: 700 });
    expect(await balance(p2)).toMatchObject({ recharge: 30, balance: 30 });
    const postings = await env.prisma.$queryRawUnsafe<{ kind: string; amount: bigint }[]>(
      `SELECT a.kind, p.amount FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id WHERE p.transfer_id = $1 ORDER BY a.kind`,
      res.body.items[0].transferId,
    );
    expect(postings.map((p) => [p.kind, Number(p.amount)])).toEqual([['PARTNER_RECHARGE', -700], ['VENDOR_REVENUE', 700]]);
    expect((await env.outbox('customer.refunded', res.body.items[0].id))[0]!.payload).toMatchObject({ partnerId: p1, customerId, transferId: res.body.items[0].transferId, amount: cny(700) });
    // The statement shows the refund as a movement of the recharge.
    const statement = (await api('GET', `/v1/partners/${p1}/statement?from=2000-01-01T00:00:00Z`, await tokenFor(['partner_finance'], p1))).body;
    expect(statement.currencies[0].lines.map((l: { kind: string; recharge: number }) => [l.kind, l.recharge])).toEqual([['REFUND', 700]]);

    // Fed again (another request): the same routing, nothing counted twice; other content under a key: 422.
    const again = await api('POST', `/v1/customers/${customerId}/refunds`, feeder, { source: 'billing', refunds: [refunds[0]] }, key());
    expectOk(again, 201);
    expect(again.body.items[0]).toMatchObject({ id: res.body.items[0].id, transferId: res.body.items[0].transferId });
    expect(await balance(p1)).toMatchObject({ recharge: 700 });
    const reused = await api('POST', `/v1/customers/${customerId}/refunds`, feeder, { source: 'billing', refunds: [{ ...refunds[0], amount: cny(701) }] }, key());
    expectProblem(reused, 422, 'refund-key-reused');
    expect(reused.body.errors[0].field).toBe('refunds[0].key');
    expectProblem(await api('POST', `/v1/customers/${customerId}/refunds`, feeder, { source: 'billing', refunds }), 400);
    const rows = await env.prisma.$queryRawUnsafe<{ n: bigint }[]>(`SELECT count(*) AS n FROM customer_refund WHERE customer_id = $1`, customerId);
    expect(Number(rows[0]!.n)).toBe(3);
  });
});
