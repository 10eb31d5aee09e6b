/**
 * Balances never go negative, kept by the database itself (prisma/migrations/0030_funds.sql), shown with raw SQL on the
 * real PostgreSQL and on the embedded PGlite: a posting that would overdraw a recharge balance, a customer's allocation
 * or the available credit fails and its transaction commits nothing; a credit limit lowered by the vendor may still
 * leave credit negative; the stored sums move by postings only. On PostgreSQL also with two sessions racing: the
 * second waits for the first and is refused on the sum the first left. And the pure rules of domain/funds.ts by hand.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allocationSplit, fundsPostings, reclaimSplit, statementCsv, statementOf } from '../domain/funds.js';
import { testDatabaseUrl } from './support/database.js';
import { connectTo, useServedPglite } from './support/pglite-server.js';

describe('the rules by hand', () => {
  it('allocation: recharge first, then credit, never beyond recharge + available credit', () => {
    expect(allocationSplit({ recharge: 1_000n, credit: 500n }, 1_200n)).toEqual({ recharge: 1_000n, credit: 200n });
    expect(allocationSplit({ recharge: 1_000n, credit: 500n }, 800n)).toEqual({ recharge: 800n, credit: 0n });
    expect(allocationSplit({ recharge: 1_000n, credit: 500n }, 1_501n)).toBeUndefined();
    // A negative credit (limit lowered below what is used) is not money to allocate, nor does it eat the recharge.
    expect(allocationSplit({ recharge: 1_000n, credit: -300n }, 1_000n)).toEqual({ recharge: 1_000n, credit: 0n });
    expect(allocationSplit({ recharge: 1_000n, credit: -300n }, 1_001n)).toBeUndefined();
  });

  it('reclaim: credit first, up to what the allocations drew on it and what the partner still uses; the rest to recharge', () => {
    // unspent 900, the allocations drew 400 on credit, the partner uses 1 000 of its credit.
    expect(reclaimSplit(900n, 400n, 1_000n, 300n)).toEqual({ credit: 300n, recharge: 0n });
    expect(reclaimSplit(900n, 400n, 1_000n, 900n)).toEqual({ credit: 400n, recharge: 500n });
    // The partner repaid its credit meanwhile (uses 100): only 100 returns to credit, the rest was paid in cash.
    expect(reclaimSplit(900n, 400n, 100n, 900n)).toEqual({ credit: 100n, recharge: 800n });
    expect(reclaimSplit(900n, 400n, 1_000n, 901n)).toBeUndefined();
    expect(fundsPostings('RECLAIM', 900n, { credit: 400n, recharge: 500n })).toEqual([
      { account: 'CUSTOMER_ALLOCATION', amount: 900n },
      { account: 'PARTNER_CREDIT_LINE', amount: -400n },
      { account: 'PARTNER_RECHARGE', amount: -500n },
    ]);
    expect(fundsPostings('CUSTOMER_SPEND', 70n)).toEqual([{ account: 'CUSTOMER_ALLOCATION', amount: 70n }, { account: 'VENDOR_REVENUE', amount: -70n }]);
  });

  it('statement: running balances from the opening; CSV quotes what must be and defuses formulas', () => {
    const at = new Date('2026-03-01T00:00:00Z');
    const s = statementOf('CNY', { recharge: 100n, credit: 50n }, [
      { transferId: 't1', kind: 'ALLOCATION', customerId: 'C-1', occurredAt: at, memo: '=SUM(A1), "x"', recharge: -100n, credit: -20n },
      { transferId: 't2', kind: 'RECLAIM', customerId: 'C-1', occurredAt: at, memo: null, recharge: 0n, credit: 20n },
    ]);
    expect(s.lines.map((l) => [l.change, l.runningRecharge, l.runningCredit, l.runningBalance])).toEqual([[-120n, 0n, 30n, 30n], [20n, 0n, 50n, 50n]]);
    expect(s.closing).toEqual({ recharge: 0n, credit: 50n, balance: 50n });
    const csv = statementCsv('P-1', at, at, [s]).split('\r\n');
    expect(csv[2]).toBe(`P-1,CNY,MOVEMENT,2026-03-01T00:00:00.000Z,ALLOCATION,t1,C-1,"'=SUM(A1), ""x""",-100,-20,-120,0,30,30`);
  });
});

/** The database's rules, the same on any PostgreSQL the project runs on. `connect` gives a fresh session. */
function databaseRules(connect: () => Promise<pg.Client>) {
  let db: pg.Client;
  const partner = `P-fundsdb-${randomUUID().slice(0, 8)}`;
  const customer = `C-fundsdb-${randomUUID().slice(0, 8)}`;
  const a: Record<string, string> = {};

  beforeAll(async () => {
    db = await connect();
    const account = async (kind: string, customerId: string | null = null) =>
      (await db.query<{ id: string }>('INSERT INTO ledger_account (partner_id, kind, currency, customer_id) VALUES ($1, $2, $3, $4) RETURNING id', [partner, kind, 'CNY', customerId])).rows[0]!.id;
    for (const kind of ['VENDOR_CASH', 'PARTNER_RECHARGE', 'PARTNER_CREDIT_LINE', 'VENDOR_CREDIT_GRANTED', 'VENDOR_REVENUE']) a[kind] = await account(kind);
    a.CUSTOMER_ALLOCATION = await account('CUSTOMER_ALLOCATION', customer);
  });
  afterAll(() => db?.end());

  /** One transaction: a transfer of `kind` and its legs; resolves to the error, if any. */
  async function transfer(kind: string, legs: [string, number][]): Promise<string | undefined> {
    const id = randomUUID();
    const customerId = ['ALLOCATION', 'RECLAIM', 'CUSTOMER_SPEND'].includes(kind) ? customer : null;
    await db.query('BEGIN');
    try {
      await db.query(
        `INSERT INTO ledger_transfer (id, partner_id, customer_id, kind, source, feeder_key, entry_hash, occurred_at, actor) VALUES ($1, $2, $3, $4, 'test', $1, 'h', now(), 'test')`,
        [id, partner, customerId, kind],
      );
      for (const [account, amount] of legs) await db.query("INSERT INTO ledger_posting (transfer_id, account_id, amount, currency) VALUES ($1, $2, $3, 'CNY')", [id, a[account], amount]);
      await db.query('COMMIT');
      return undefined;
    } catch (error) {
      await db.query('ROLLBACK');
      return (error as Error).message;
    }
  }
  const totals = async () =>
    Object.fromEntries((await db.query<{ kind: string; total: string }>('SELECT a.kind, b.total FROM ledger_balance b JOIN ledger_account a ON a.id = b.account_id WHERE a.partner_id = $1', [partner])).rows.map((r) => [r.kind, Number(r.total)]));

  it('a recharge of 1 000 and a credit limit of 500 commit; the stored sums follow the postings', async () => {
    expect(await transfer('RECHARGE', [['VENDOR_CASH', 1_000], ['PARTNER_RECHARGE', -1_000]])).toBeUndefined();
    expect(await transfer('CREDIT_LIMIT_CHANGE', [['VENDOR_CREDIT_GRANTED', 500], ['PARTNER_CREDIT_LINE', -500]])).toBeUndefined();
    expect(await totals()).toMatchObject({ VENDOR_CASH: 1_000, PARTNER_RECHARGE: -1_000, VENDOR_CREDIT_GRANTED: 500, PARTNER_CREDIT_LINE: -500, CUSTOMER_ALLOCATION: 0 });
  });

  it('an allocation beyond the recharge, or beyond the available credit, fails and commits nothing', async () => {
    expect(await transfer('ALLOCATION', [['PARTNER_RECHARGE', 1_001], ['CUSTOMER_ALLOCATION', -1_001]])).toMatch(/ledger_balance_never_negative/);
    expect(await transfer('ALLOCATION', [['PARTNER_CREDIT_LINE', 501], ['CUSTOMER_ALLOCATION', -501]])).toMatch(/PARTNER_CREDIT_LINE\) would be overdrawn: available credit -1/);
    expect(await totals()).toMatchObject({ PARTNER_RECHARGE: -1_000, PARTNER_CREDIT_LINE: -500, CUSTOMER_ALLOCATION: 0 });
    // Exactly all of it is allowed: recharge 0, credit 0, allocation 1 500.
    expect(await transfer('ALLOCATION', [['PARTNER_RECHARGE', 1_000], ['PARTNER_CREDIT_LINE', 500], ['CUSTOMER_ALLOCATION', -1_500]])).toBeUndefined();
    expect(await totals()).toMatchObject({ PARTNER_RECHARGE: 0, PARTNER_CREDIT_LINE: 0, CUSTOMER_ALLOCATION: -1_500 });
  });

  it('spending beyond the allocation fails; a reclaim beyond it too', async () => {
    expect(await transfer('CUSTOMER_SPEND', [['CUSTOMER_ALLOCATION', 1_501], ['VENDOR_REVENUE', -1_501]])).toMatch(/ledger_balance_never_negative/);
    expect(await transfer('CUSTOMER_SPEND', [['CUSTOMER_ALLOCATION', 1_000], ['VENDOR_REVENUE', -1_000]])).toBeUndefined();
    expect(await transfer('RECLAIM', [['CUSTOMER_ALLOCATION', 501], ['PARTNER_RECHARGE', -501]])).toMatch(/ledger_balance_never_negative/);
    expect(await transfer('RECLAIM', [['CUSTOMER_ALLOCATION', 500], ['PARTNER_CREDIT_LINE', -500]])).toBeUndefined();
    expect(await totals()).toMatchObject({ CUSTOMER_ALLOCATION: 0, PARTNER_CREDIT_LINE: -500 });
  });

  it('a credit limit lowered below what is used may leave credit negative (the vendor decides it); a draw then may not', async () => {
    expect(await transfer('CHARGE', [['PARTNER_CREDIT_LINE', 400], ['VENDOR_REVENUE', -400]])).toBeUndefined(); // credit 100
    expect(await transfer('CREDIT_LIMIT_CHANGE', [['VENDOR_CREDIT_GRANTED', -300], ['PARTNER_CREDIT_LINE', 300]])).toBeUndefined(); // credit −200
    expect(await transfer('CHARGE', [['PARTNER_CREDIT_LINE', 1], ['VENDOR_REVENUE', -1]])).toMatch(/would be overdrawn: available credit -201/);
  });

  it('the stored sums are moved by postings only: written directly, refused', async () => {
    await expect(db.query('UPDATE ledger_balance SET total = -1000000 WHERE account_id = $1', [a.PARTNER_RECHARGE])).rejects.toThrow(/moved by postings only/);
    await expect(db.query('DELETE FROM ledger_balance WHERE account_id = $1', [a.PARTNER_RECHARGE])).rejects.toThrow(/moved by postings only/);
    await expect(db.query("INSERT INTO ledger_balance (account_id, kind, total) VALUES (-1, 'VENDOR_CASH', 0)")).rejects.toThrow(/moved by postings only/);
  });

  it('accounts: one per partner, kind and currency; the allocation account one per customer too, and only it has a customer', async () => {
    await expect(db.query("INSERT INTO ledger_account (partner_id, kind, currency) VALUES ($1, 'PARTNER_RECHARGE', 'CNY')", [partner])).rejects.toThrow(/ledger_account_partner_id_kind_currency_customer_id_key/);
    await expect(db.query("INSERT INTO ledger_account (partner_id, kind, currency, customer_id) VALUES ($1, 'CUSTOMER_ALLOCATION', 'CNY', $2)", [partner, customer])).rejects.toThrow(/ledger_account_partner_id_kind_currency_customer_id_key/);
    await expect(db.query("INSERT INTO ledger_account (partner_id, kind, currency) VALUES ($1, 'CUSTOMER_ALLOCATION', 'USD')", [partner])).rejects.toThrow(/ledger_account_customer_id_check/);
    await expect(db.query("INSERT INTO ledger_account (partner_id, kind, currency, customer_id) VALUES ($1, 'VENDOR_CASH', 'USD', 'C-1')", [partner])).rejects.toThrow(/ledger_account_customer_id_check/);
  });
}

describe('balances never go negative: PostgreSQL', () => {
  databaseRules(() => connectTo(testDatabaseUrl()));

  it('two sessions drawing on one recharge: the second waits for the first, then is refused on the sum it left', async () => {
    const [one, two] = [new pg.Client({ connectionString: testDatabaseUrl() }), new pg.Client({ connectionString: testDatabaseUrl() })];
    await Promise.all([one.connect(), two.connect()]);
    try {
      const partner = `P-fundsrace-${randomUUID().slice(0, 8)}`;
      const ids: Record<string, string> = {};
      for (const [kind, customer] of [['VENDOR_CASH', null], ['PARTNER_RECHARGE', null], ['CUSTOMER_ALLOCATION', 'C-race']] as const) {
        ids[kind] = (await one.query<{ id: string }>("INSERT INTO ledger_account (partner_id, kind, currency, customer_id) VALUES ($1, $2, 'CNY', $3) RETURNING id", [partner, kind, customer])).rows[0]!.id;
      }
      const begin = async (c: pg.Client, kind: string, legs: [string, number][]) => {
        const id = randomUUID();
        await c.query('BEGIN');
        await c.query(`INSERT INTO ledger_transfer (id, partner_id, customer_id, kind, source, feeder_key, entry_hash, occurred_at, actor) VALUES ($1, $2, $3, $4, 'test', $1, 'h', now(), 'test')`, [
          id, partner, kind === 'ALLOCATION' ? 'C-race' : null, kind,
        ]);
        return Promise.all(legs.map(([k, amount]) => c.query("INSERT INTO ledger_posting (transfer_id, account_id, amount, currency) VALUES ($1, $2, $3, 'CNY')", [id, ids[k], amount])));
      };
      await begin(one, 'RECHARGE', [['VENDOR_CASH', 1_000], ['PARTNER_RECHARGE', -1_000]]);
      await one.query('COMMIT');
      // Each allocation alone fits (600 ≤ 1 000); together they would overdraw.
      await begin(one, 'ALLOCATION', [['PARTNER_RECHARGE', 600], ['CUSTOMER_ALLOCATION', -600]]);
      let secondDone = false;
      const second = begin(two, 'ALLOCATION', [['PARTNER_RECHARGE', 600], ['CUSTOMER_ALLOCATION', -600]]).then(
        () => ((secondDone = true), 'inserted'),
        (e: Error) => ((secondDone = true), e.message),
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(secondDone).toBe(false); // waiting on the first session's row
      await one.query('COMMIT');
      expect(await second).toMatch(/ledger_balance_never_negative/);
      await two.query('ROLLBACK');
      const { rows } = await one.query<{ total: string }>('SELECT total FROM ledger_balance WHERE account_id = $1', [ids.PARTNER_RECHARGE]);
      expect(Number(rows[0]!.total)).toBe(-400);
    } finally {
      await Promise.all([one.end(), two.end()]);
    }
  });
});

describe('balances never go negative: the embedded PGlite', () => {
  const pglite = useServedPglite();
  databaseRules(() => connectTo(pglite.url()));
});
