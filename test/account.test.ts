/**
 * The partner account on the real API + PostgreSQL: facts fed by the machine identity (vendor_system, account.feed)
 * and read back as the latest observation of each (an older one arriving late never wins), ledger entries recorded as
 * balanced transfers with balances summed by hand, Idempotency-Key (required; a retry answers the first result, another
 * body 422), entry keys unique per source, refusals naming their field and writing nothing, and who may read whose
 * account (own partner only; another partner's 404; vendor staff any).
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { accountSchema, factPageSchema, transferPageSchema } from '../api/account/schemas.js';
import { tokenFor } from './support/app.js';
import { expectProblem, fields, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'account-test', api: true });
const { api } = env;
let feeder: string;
let vendor: string;

beforeAll(async () => {
  feeder = await tokenFor(['vendor_system'], undefined, 'billing-system');
  vendor = await tokenFor(['vendor_staff']);
});

const newPartner = () => `P-acct-${randomUUID().slice(0, 8)}`;
const key = () => ({ 'Idempotency-Key': randomUUID() });
const feedFacts = (partnerId: string, body: unknown, headers: Record<string, string> = key()) => api('POST', `/v1/partners/${partnerId}/account/facts`, feeder, body, headers);
const feedLedger = (partnerId: string, body: unknown, headers: Record<string, string> = key()) =>
  api('POST', `/v1/partners/${partnerId}/account/ledger-entries`, feeder, body, headers);
const cny = (minor: number) => ({ currency: 'CNY', minor });
/** Every row the account's tables hold for the partner: a refused request must leave the count as it was. */
const rowsOf = async (partnerId: string) =>
  Promise.all([
    env.prisma.partnerAccountFact.count({ where: { partnerId } }),
    env.prisma.ledgerTransfer.count({ where: { partnerId } }),
    env.prisma.ledgerAccount.count({ where: { partnerId } }),
    env.prisma.idempotencyKey.count({ where: { scope: { contains: partnerId } } }),
  ]);

describe('facts', () => {
  it('are kept as fed; the account reads the latest observation of each, whatever order they arrive in', async () => {
    const partnerId = newPartner();
    const newer = await feedFacts(partnerId, {
      source: 'billing',
      facts: [
        { kind: 'FROZEN', value: { frozen: true }, observedAt: '2026-03-02T10:00:00+08:00' },
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINING' }, observedAt: '2026-03-02T10:00:00+08:00' },
        { kind: 'VOUCHER', subject: 'V-1', value: { issuer: 'marketing', amount: cny(5_000), state: 'USED' }, observedAt: '2026-03-02T10:00:00+08:00' },
        { kind: 'OPEN_RESOURCES', value: { count: 3 }, observedAt: '2026-03-02T10:00:00+08:00' },
      ],
    });
    expect(newer.status, JSON.stringify(newer.body)).toBe(201);
    expect(newer.body.items.map((f: { kind: string; subject: string }) => `${f.kind}/${f.subject}`)).toEqual(['FROZEN/', 'PROGRAM_MEMBERSHIP/RESELLER', 'VOUCHER/V-1', 'OPEN_RESOURCES/']);
    // Older observations arrive afterwards (another system, a delayed queue): kept, but not current.
    const older = await feedFacts(partnerId, {
      source: 'iam',
      facts: [
        { kind: 'FROZEN', value: { frozen: false }, observedAt: '2026-03-01T10:00:00+08:00' },
        { kind: 'VOUCHER', subject: 'V-1', value: { issuer: 'marketing', amount: cny(5_000), state: 'ACTIVE' }, observedAt: '2026-03-01T10:00:00+08:00' },
        // Same instant as the newer one: the one received later wins the tie.
        { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt: '2026-03-02T02:00:00Z' },
        { kind: 'ENTERPRISE_ROLE', value: { role: 'SUB' }, observedAt: '2026-03-01T10:00:00+08:00' },
        { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'RESALE_CUSTOMER', distributorId: 'D-9', distributorTier: 1 }, observedAt: '2026-03-01T10:00:00+08:00' },
      ],
    });
    expect(older.status, JSON.stringify(older.body)).toBe(201);
    expect(await env.prisma.partnerAccountFact.count({ where: { partnerId } })).toBe(9);

    const account = await api('GET', `/v1/partners/${partnerId}/account`, await tokenFor(['partner_finance'], partnerId));
    expect(account.status, JSON.stringify(account.body)).toBe(200);
    expect(accountSchema.safeParse(account.body).success).toBe(true);
    const { facts } = account.body;
    expect(facts.frozen).toEqual({ frozen: true, source: 'billing', observedAt: '2026-03-02T02:00:00.000Z' });
    expect(facts.openResources).toEqual({ count: 0, source: 'iam', observedAt: '2026-03-02T02:00:00.000Z' });
    expect(facts.programs).toEqual({ SOLUTION_PROVIDER: null, RESELLER: { state: 'JOINING', source: 'billing', observedAt: '2026-03-02T02:00:00.000Z' }, DISTRIBUTOR: null });
    expect(facts.instruments).toEqual([{ kind: 'VOUCHER', id: 'V-1', issuer: 'marketing', amount: cny(5_000), state: 'USED', source: 'billing', observedAt: '2026-03-02T02:00:00.000Z' }]);
    expect(facts.enterpriseRole).toMatchObject({ role: 'SUB' });
    expect(facts.distributorRelationship).toMatchObject({ relation: 'RESALE_CUSTOMER', distributorId: 'D-9', distributorTier: 1 });
    // Never fed: unknown (null), not false.
    expect(facts.postpaid).toBeNull();
    expect(facts.designatedContracts).toEqual({ OFFLINE_DIRECT: null, TELESALES_AUTHORISED_DISCOUNT: null, DIRECT_SPECIAL_PRICE: null });
    expect(account.body.balances).toEqual([]);

    // The history: every observation as stored, newest received first (the second feed's, then the first's; within a
    // feed, the last fed first), in keyset pages; kind (and subject) narrow it to one fact.
    const finance = await tokenFor(['partner_finance'], partnerId);
    const history = (query: string) => api('GET', `/v1/partners/${partnerId}/account/facts?${query}`, finance);
    const byHand = [
      'iam DISTRIBUTOR_RELATIONSHIP/',
      'iam ENTERPRISE_ROLE/',
      'iam OPEN_RESOURCES/',
      'iam VOUCHER/V-1',
      'iam FROZEN/',
      'billing OPEN_RESOURCES/',
      'billing VOUCHER/V-1',
      'billing PROGRAM_MEMBERSHIP/RESELLER',
      'billing FROZEN/',
    ];
    const label = (f: { source: string; kind: string; subject: string }) => `${f.source} ${f.kind}/${f.subject}`;
    const first = await history('limit=4');
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(factPageSchema.safeParse(first.body).success).toBe(true);
    const second = await history(`limit=4&cursor=${first.body.nextCursor}`);
    const third = await history(`limit=4&cursor=${second.body.nextCursor}`);
    expect([...first.body.items, ...second.body.items, ...third.body.items].map(label)).toEqual(byHand);
    expect(third.body.nextCursor).toBeNull();
    const frozen = await history('kind=FROZEN');
    expect(frozen.body.items.map((f: { value: unknown; source: string }) => [f.source, f.value])).toEqual([['iam', { frozen: false }], ['billing', { frozen: true }]]);
    expect((await history('kind=VOUCHER&subject=V-1')).body.items.map((f: { value: { state: string } }) => f.value.state)).toEqual(['ACTIVE', 'USED']);
    expect((await history('kind=VOUCHER&subject=V-2')).body.items).toEqual([]);
    expect(fields(await history('subject=V-1'))).toEqual(['query.subject']);
    expect(fields(await history('cursor=bm90LWEtY3Vyc29y'))).toEqual(['query.cursor']);
  });

  it('Idempotency-Key is required; a retry answers the first result and writes nothing; another body with it is 422', async () => {
    const partnerId = newPartner();
    const body = { source: 'contracts', facts: [{ kind: 'DESIGNATED_CONTRACT', subject: 'OFFLINE_DIRECT', value: { signed: true, contractId: 'C-1' }, observedAt: '2026-03-01T00:00:00Z' }] };
    expect(fields(await feedFacts(partnerId, body, {}))).toEqual(['Idempotency-Key']);
    const headers = key();
    const first = await feedFacts(partnerId, body, headers);
    expect(first.status).toBe(201);
    const retries = await Promise.all([1, 2, 3].map(() => feedFacts(partnerId, body, headers)));
    for (const retry of retries) expect(retry.body, JSON.stringify(retry.body)).toEqual(first.body);
    expect(await env.prisma.partnerAccountFact.count({ where: { partnerId } })).toBe(1);
    const other = { ...body, facts: [{ ...body.facts[0], value: { signed: false } }] };
    expectProblem(await feedFacts(partnerId, other, headers), 422, 'idempotency-key-reused');
    expect(await env.prisma.partnerAccountFact.count({ where: { partnerId } })).toBe(1);
  });

  it('a bad fact is a 400 naming it, and nothing of its batch is written', async () => {
    const partnerId = newPartner();
    const good = { kind: 'POSTPAID', value: { enabled: true }, observedAt: '2026-03-01T00:00:00Z' };
    const cases: [unknown, string[]][] = [
      [{ kind: 'MOOD', value: {}, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.kind']],
      [{ kind: 'PROGRAM_MEMBERSHIP', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.subject']],
      [{ kind: 'PROGRAM_MEMBERSHIP', subject: 'PLATINUM', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.subject']],
      [{ kind: 'FROZEN', subject: 'x', value: { frozen: true }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.subject']],
      [{ kind: 'FROZEN', value: { frozen: 'yes' }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.value.frozen']],
      [{ kind: 'OPEN_RESOURCES', value: { count: -1 }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.value.count']],
      [{ kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 1.5 } }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.value.amount.minor']],
      [{ kind: 'COUPON', subject: 'C-1', value: { issuer: 'x', amount: cny(1), state: 'LOST' }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.value.state']],
      [{ kind: 'POSTPAID', value: { enabled: true }, observedAt: '2026-03-01' }, ['facts.1.observedAt']],
      [{ kind: 'POSTPAID', value: { enabled: true, extra: 1 }, observedAt: '2026-03-01T00:00:00Z' }, ['facts.1.value.extra']],
    ];
    for (const [bad, named] of cases) {
      const res = await feedFacts(partnerId, { source: 'billing', facts: [good, bad] });
      expectProblem(res, 400, 'validation-error');
      expect(fields(res), JSON.stringify(bad)).toEqual(named);
    }
    expect(fields(await feedFacts(partnerId, { source: 'Billing System', facts: [good] }))).toEqual(['source']);
    expect(fields(await feedFacts(partnerId, { source: 'billing', facts: [] }))).toEqual(['facts']);
    expect(await rowsOf(partnerId)).toEqual([0, 0, 0, 0]);
  });
});

describe('ledger', () => {
  // The month of test/ledger.test.ts, fed through the API: the balances are the ones worked out there by hand.
  const month = [
    { kind: 'RECHARGE', key: 'r-1', amount: cny(10_000), occurredAt: '2026-03-01T09:00:00+08:00', memo: 'bank transfer' },
    { kind: 'CREDIT_LIMIT_CHANGE', key: 'l-1', change: cny(5_000), occurredAt: '2026-03-02T09:00:00+08:00' },
    { kind: 'CHARGE', key: 'c-1', amount: cny(12_000), drawn: { recharge: 10_000, credit: 2_000 }, occurredAt: '2026-03-03T09:00:00+08:00' },
    { kind: 'CHARGE', key: 'c-2', amount: cny(4_000), drawn: { credit: 3_000, arrears: 1_000 }, occurredAt: '2026-03-04T09:00:00+08:00' },
    { kind: 'RECHARGE', key: 'r-2', amount: cny(2_500), occurredAt: '2026-03-05T09:00:00+08:00' },
    { kind: 'ARREARS_REPAYMENT', key: 'a-1', amount: cny(1_000), from: 'RECHARGE', occurredAt: '2026-03-06T09:00:00+08:00' },
    { kind: 'CREDIT_REPAYMENT', key: 'p-1', amount: cny(2_000), from: 'CASH', occurredAt: '2026-03-07T09:00:00+08:00' },
  ];
  const byHand = { currency: 'CNY', recharge: 1_500, creditLimit: 5_000, credit: 2_000, creditUsed: 3_000, arrears: 0, balance: 3_500 };

  it('entries become balanced transfers; the balances are their sums; the ledger pages newest first', async () => {
    const partnerId = newPartner();
    const source = `billing-${randomUUID().slice(0, 8)}`;
    const fed = await feedLedger(partnerId, { source, entries: month.slice(0, 4) });
    expect(fed.status, JSON.stringify(fed.body)).toBe(201);
    expect(fed.body.items.map((t: { key: string }) => t.key)).toEqual(['r-1', 'l-1', 'c-1', 'c-2']);
    expect(fed.body.items[2].postings).toEqual([
      { account: 'PARTNER_RECHARGE', currency: 'CNY', amount: 10_000 },
      { account: 'PARTNER_CREDIT_LINE', currency: 'CNY', amount: 2_000 },
      { account: 'VENDOR_REVENUE', currency: 'CNY', amount: -12_000 },
    ]);
    expect((await feedLedger(partnerId, { source, entries: month.slice(4) })).status).toBe(201);

    const own = await tokenFor(['partner_admin'], partnerId);
    const account = await api('GET', `/v1/partners/${partnerId}/account`, own);
    expect(account.body.balances).toEqual([byHand]);

    const first = await api('GET', `/v1/partners/${partnerId}/account/ledger?limit=4`, own);
    expect(first.status).toBe(200);
    expect(transferPageSchema.safeParse(first.body).success).toBe(true);
    expect(first.body.items.map((t: { key: string }) => t.key)).toEqual(['p-1', 'a-1', 'r-2', 'c-2']);
    const second = await api('GET', `/v1/partners/${partnerId}/account/ledger?limit=4&cursor=${first.body.nextCursor}`, own);
    expect(second.body.items.map((t: { key: string }) => t.key)).toEqual(['c-1', 'l-1', 'r-1']);
    expect(second.body.nextCursor).toBeNull();
    for (const t of [...first.body.items, ...second.body.items]) {
      expect(t.postings.reduce((sum: number, p: { amount: number }) => sum + p.amount, 0), t.key).toBe(0);
    }
  });

  it("an entry's key is one transfer per source: fed again (another request) it is the same; other content is 422", async () => {
    const partnerId = newPartner();
    const source = `billing-${randomUUID().slice(0, 8)}`;
    const first = await feedLedger(partnerId, { source, entries: [month[0]] });
    const again = await feedLedger(partnerId, { source, entries: [month[0], month[1]] });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect(again.body.items[0]).toEqual(first.body.items[0]);
    expect(await env.prisma.ledgerTransfer.count({ where: { partnerId } })).toBe(2);
    const changed = await feedLedger(partnerId, { source, entries: [{ ...month[0], amount: cny(10_001) }] });
    expectProblem(changed, 422, 'ledger-key-reused');
    expect(fields(changed)).toEqual(['entries.0.key']);
    // The same source and key for another partner: refused too (a key is the feeder's, once).
    expectProblem(await feedLedger(newPartner(), { source, entries: [month[0]] }), 422, 'ledger-key-reused');
    // Another source may use the same key.
    expect((await feedLedger(partnerId, { source: `${source}-b`, entries: [month[0]] })).status).toBe(201);
    // Two entries of one request with one key: 400 naming the second.
    expect(fields(await feedLedger(partnerId, { source, entries: [month[2], { ...month[2], occurredAt: '2026-03-09T00:00:00Z' }] }))).toEqual(['entries.1.key']);
  });

  it('an entry drawing more than the account holds is refused with its field, and nothing of the request is written', async () => {
    const partnerId = newPartner();
    const source = `billing-${randomUUID().slice(0, 8)}`;
    const headers = key();
    const res = await feedLedger(
      partnerId,
      { source, entries: [month[0], { kind: 'CHARGE', key: 'c-big', amount: cny(10_001), drawn: { recharge: 10_001 }, occurredAt: '2026-03-03T00:00:00Z' }] },
      headers,
    );
    expectProblem(res, 422, 'ledger-entry-refused');
    expect(fields(res)).toEqual(['entries.1.drawn.recharge']);
    expect(await rowsOf(partnerId)).toEqual([0, 0, 0, 0]);
    // The key was not kept either: the corrected request goes through with it.
    const fixed = await feedLedger(partnerId, { source, entries: [month[0], { kind: 'CHARGE', key: 'c-big', amount: cny(10_001), drawn: { recharge: 10_000, arrears: 1 }, occurredAt: '2026-03-03T00:00:00Z' }] }, headers);
    expect(fixed.status, JSON.stringify(fixed.body)).toBe(201);
    const account = await api('GET', `/v1/partners/${partnerId}/account`, vendor);
    expect(account.body.balances).toEqual([{ currency: 'CNY', recharge: 0, creditLimit: 0, credit: 0, creditUsed: 0, arrears: 1, balance: 0 }]);
  });

  it('feeds racing for one partner are recorded one at a time: charges together beyond the recharge, only those that fit', async () => {
    const partnerId = newPartner();
    const source = `billing-${randomUUID().slice(0, 8)}`;
    expect((await feedLedger(partnerId, { source, entries: [month[0]] })).status).toBe(201); // recharge 10 000
    // Five charges of 3 000 each from the recharge, at once: 3 fit (9 000), 2 do not.
    const charges = await Promise.all(
      [1, 2, 3, 4, 5].map((i) =>
        feedLedger(partnerId, { source, entries: [{ kind: 'CHARGE', key: `race-${i}`, amount: cny(3_000), drawn: { recharge: 3_000 }, occurredAt: '2026-03-03T00:00:00Z' }] }),
      ),
    );
    expect(charges.map((r) => r.status).sort()).toEqual([201, 201, 201, 422, 422]);
    const account = await api('GET', `/v1/partners/${partnerId}/account`, vendor);
    expect(account.body.balances).toEqual([{ currency: 'CNY', recharge: 1_000, creditLimit: 0, credit: 0, creditUsed: 0, arrears: 0, balance: 1_000 }]);
  });

  it('Idempotency-Key: required; a retry answers the first result; another body with it is 422', async () => {
    const partnerId = newPartner();
    const body = { source: `billing-${randomUUID().slice(0, 8)}`, entries: [month[0]] };
    expect(fields(await feedLedger(partnerId, body, {}))).toEqual(['Idempotency-Key']);
    const headers = key();
    const first = await feedLedger(partnerId, body, headers);
    const retries = await Promise.all([1, 2, 3].map(() => feedLedger(partnerId, body, headers)));
    for (const retry of retries) expect(retry.body).toEqual(first.body);
    expectProblem(await feedLedger(partnerId, { ...body, entries: [{ ...month[0], memo: 'other' }] }, headers), 422, 'idempotency-key-reused');
    expect(await env.prisma.ledgerTransfer.count({ where: { partnerId } })).toBe(1);
  });
});

describe('who may feed and read', () => {
  it('only account.feed feeds; partner staff read their own account only (another partner 404), vendor staff any', async () => {
    const partnerId = newPartner();
    const body = { source: 'billing', facts: [{ kind: 'POSTPAID', value: { enabled: true }, observedAt: '2026-03-01T00:00:00Z' }] };
    for (const token of [vendor, await tokenFor(['vendor_admin']), await tokenFor(['partner_admin'], partnerId)]) {
      expectProblem(await api('POST', `/v1/partners/${partnerId}/account/facts`, token, body, key()), 403);
      expectProblem(await api('POST', `/v1/partners/${partnerId}/account/ledger-entries`, token, { source: 'billing', entries: [] }, key()), 403);
    }
    expect(await rowsOf(partnerId)).toEqual([0, 0, 0, 0]);
    expect((await feedFacts(partnerId, body)).status).toBe(201);

    for (const path of [`/v1/partners/${partnerId}/account`, `/v1/partners/${partnerId}/account/ledger`, `/v1/partners/${partnerId}/account/facts`]) {
      expect((await api('GET', path, await tokenFor(['partner_admin'], partnerId))).status).toBe(200);
      expect((await api('GET', path, vendor)).status).toBe(200);
      expectProblem(await api('GET', path, await tokenFor(['partner_admin'], newPartner())), 404);
      expectProblem(await api('GET', path, await tokenFor(['partner_finance'], newPartner())), 404);
      // Sales staff do not see the partner's money; the feeder reads nothing.
      expectProblem(await api('GET', path, await tokenFor(['partner_sales'], partnerId)), 403);
      expectProblem(await api('GET', path, feeder), 403);
    }
  });
});
