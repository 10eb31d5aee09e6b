/**
 * The funds ledger (domain/ledger.ts, prisma/migrations/0020_partner_account.sql): what each entry posts and how the
 * balances derive, with figures worked out by hand; and the database's own rules, shown with raw SQL on the real
 * PostgreSQL and on the embedded PGlite — an unbalanced transfer, a transfer of one leg, a zero amount, a leg in another
 * currency or added to a committed transfer all fail at commit; an UPDATE or DELETE of a posting or transfer fails.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AccountSums, balanceOf, checkEntry, type LedgerEntry, ledgerEntrySchema, postingsOf, withPostings } from '../domain/ledger.js';
import { testDatabaseUrl } from './support/database.js';
import { connectTo, useServedPglite } from './support/pglite-server.js';

const at = '2026-03-02T09:00:00+08:00';
const entry = (e: Record<string, unknown>): LedgerEntry => ledgerEntrySchema.parse({ key: randomUUID(), occurredAt: at, ...e });
const cny = (minor: number) => ({ currency: 'CNY', minor });
const replay = (entries: LedgerEntry[]): AccountSums => entries.reduce<AccountSums>((sums, e) => withPostings(sums, postingsOf(e)), {});

describe('ledger postings and balances, figures by hand', () => {
  it('each entry kind posts a balanced pair (or more) with the signs of the vendor books', () => {
    expect(postingsOf(entry({ kind: 'RECHARGE', amount: cny(10_000) }))).toEqual([
      { account: 'VENDOR_CASH', currency: 'CNY', amount: 10_000n },
      { account: 'PARTNER_RECHARGE', currency: 'CNY', amount: -10_000n },
    ]);
    expect(postingsOf(entry({ kind: 'CREDIT_LIMIT_CHANGE', change: { currency: 'CNY', minor: -2_000 } }))).toEqual([
      { account: 'VENDOR_CREDIT_GRANTED', currency: 'CNY', amount: -2_000n },
      { account: 'PARTNER_CREDIT_LINE', currency: 'CNY', amount: 2_000n },
    ]);
    // 12 000 = 7 000 from the recharge + 4 000 from credit + 1 000 into arrears, all against revenue.
    expect(postingsOf(entry({ kind: 'CHARGE', amount: cny(12_000), drawn: { recharge: 7_000, credit: 4_000, arrears: 1_000 } }))).toEqual([
      { account: 'PARTNER_RECHARGE', currency: 'CNY', amount: 7_000n },
      { account: 'PARTNER_CREDIT_LINE', currency: 'CNY', amount: 4_000n },
      { account: 'PARTNER_ARREARS', currency: 'CNY', amount: 1_000n },
      { account: 'VENDOR_REVENUE', currency: 'CNY', amount: -12_000n },
    ]);
    expect(postingsOf(entry({ kind: 'ARREARS_REPAYMENT', amount: cny(500), from: 'RECHARGE' }))).toEqual([
      { account: 'PARTNER_RECHARGE', currency: 'CNY', amount: 500n },
      { account: 'PARTNER_ARREARS', currency: 'CNY', amount: -500n },
    ]);
    expect(postingsOf(entry({ kind: 'CREDIT_REPAYMENT', amount: cny(300), from: 'CASH' }))).toEqual([
      { account: 'VENDOR_CASH', currency: 'CNY', amount: 300n },
      { account: 'PARTNER_CREDIT_LINE', currency: 'CNY', amount: -300n },
    ]);
  });

  it('a month of entries: recharge 100.00, credit limit 50.00, charges, repayments — balances by hand', () => {
    const month = [
      entry({ kind: 'RECHARGE', amount: cny(10_000) }), // recharge 10 000
      entry({ kind: 'CREDIT_LIMIT_CHANGE', change: { currency: 'CNY', minor: 5_000 } }), // limit 5 000, credit 5 000
      entry({ kind: 'CHARGE', amount: cny(12_000), drawn: { recharge: 10_000, credit: 2_000 } }), // recharge 0, credit 3 000
      entry({ kind: 'CHARGE', amount: cny(4_000), drawn: { credit: 3_000, arrears: 1_000 } }), // credit 0, arrears 1 000
      entry({ kind: 'RECHARGE', amount: cny(2_500) }), // recharge 2 500
      entry({ kind: 'ARREARS_REPAYMENT', amount: cny(1_000), from: 'RECHARGE' }), // recharge 1 500, arrears 0
      entry({ kind: 'CREDIT_REPAYMENT', amount: cny(2_000), from: 'CASH' }), // credit 2 000 (used 3 000)
    ];
    const sums = replay(month);
    // Every transfer sums to zero, so the whole ledger does.
    expect(Object.values(sums).reduce((a, b) => a + b, 0n)).toBe(0n);
    // Hand-computed: recharge 10 000 − 10 000 + 2 500 − 1 000 = 1 500; limit 5 000; credit 5 000 − 2 000 − 3 000 + 2 000
    // = 2 000, used 5 000 − 2 000 = 3 000; arrears 1 000 − 1 000 = 0; balance 1 500 + 2 000 = 3 500.
    expect(balanceOf('CNY', sums)).toEqual({ currency: 'CNY', recharge: 1_500n, creditLimit: 5_000n, credit: 2_000n, creditUsed: 3_000n, arrears: 0n, balance: 3_500n });
  });

  it('a limit lowered below what is used leaves credit negative: the balance shows it', () => {
    const sums = replay([
      entry({ kind: 'CREDIT_LIMIT_CHANGE', change: { currency: 'CNY', minor: 8_000 } }),
      entry({ kind: 'CHARGE', amount: cny(6_000), drawn: { credit: 6_000 } }),
      entry({ kind: 'CREDIT_LIMIT_CHANGE', change: { currency: 'CNY', minor: -5_000 } }),
    ]);
    // limit 8 000 − 5 000 = 3 000; used 6 000; credit 3 000 − 6 000 = −3 000; balance 0 − 3 000.
    expect(balanceOf('CNY', sums)).toEqual({ currency: 'CNY', recharge: 0n, creditLimit: 3_000n, credit: -3_000n, creditUsed: 6_000n, arrears: 0n, balance: -3_000n });
  });

  it('checkEntry refuses draws beyond what the account holds, naming the field', () => {
    // recharge 1 000, credit limit 500 (all available), arrears 200.
    const held = balanceOf('CNY', { PARTNER_RECHARGE: -1_000n, VENDOR_CASH: 1_000n, VENDOR_CREDIT_GRANTED: 500n, PARTNER_CREDIT_LINE: -500n, PARTNER_ARREARS: 200n });
    expect(checkEntry(held, entry({ kind: 'CHARGE', amount: cny(1_500), drawn: { recharge: 1_000, credit: 500 } }))).toEqual([]);
    expect(checkEntry(held, entry({ kind: 'CHARGE', amount: cny(1_502), drawn: { recharge: 1_001, credit: 501 } }))).toEqual([
      { field: 'drawn.recharge', message: '1001 exceeds the recharge balance (1000 CNY minor units)' },
      { field: 'drawn.credit', message: '501 exceeds the available credit (500 CNY minor units)' },
    ]);
    expect(checkEntry(held, entry({ kind: 'ARREARS_REPAYMENT', amount: cny(201), from: 'CASH' })).map((r) => r.field)).toEqual(['amount.minor']);
    expect(checkEntry(held, entry({ kind: 'ARREARS_REPAYMENT', amount: cny(200), from: 'RECHARGE' }))).toEqual([]);
    expect(checkEntry(held, entry({ kind: 'CREDIT_REPAYMENT', amount: cny(1), from: 'CASH' })).map((r) => r.field)).toEqual(['amount.minor']); // nothing used
    expect(checkEntry(held, entry({ kind: 'CREDIT_LIMIT_CHANGE', change: { currency: 'CNY', minor: -501 } })).map((r) => r.field)).toEqual(['change.minor']);
    expect(checkEntry(held, entry({ kind: 'CREDIT_LIMIT_CHANGE', change: { currency: 'CNY', minor: -500 } }))).toEqual([]);
  });

  it('the entry schema refuses a split that does not add up, zero amounts and unknown kinds, naming the field', () => {
    const fields = (e: unknown) => {
      const r = ledgerEntrySchema.safeParse(e);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    const base = { key: 'k-1', occurredAt: at };
    expect(fields({ ...base, kind: 'CHARGE', amount: cny(100), drawn: { recharge: 60, credit: 30 } })).toEqual(['drawn']);
    expect(fields({ ...base, kind: 'CHARGE', amount: cny(100), drawn: {} })).toEqual(['drawn']);
    expect(fields({ ...base, kind: 'RECHARGE', amount: cny(0) })).toEqual(['amount.minor']);
    expect(fields({ ...base, kind: 'CREDIT_LIMIT_CHANGE', change: { currency: 'CNY', minor: 0 } })).toEqual(['change.minor']);
    expect(fields({ ...base, kind: 'REFUND', amount: cny(1) })).toEqual(['kind']);
    expect(fields({ ...base, kind: 'RECHARGE', amount: { currency: 'XXY', minor: 1 } })).toEqual(['amount.currency']);
  });
});

/** The database's rules, the same on any PostgreSQL the project runs on. `connect` gives a fresh session. */
function databaseRules(connect: () => Promise<pg.Client>) {
  let db: pg.Client;
  let accounts: { cash: string; recharge: string; usd: string };
  const partner = `P-ledger-${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    db = await connect();
    const account = async (kind: string, currency = 'CNY') =>
      (await db.query<{ id: string }>('INSERT INTO ledger_account (partner_id, kind, currency) VALUES ($1, $2, $3) RETURNING id', [partner, kind, currency])).rows[0]!.id;
    accounts = { cash: await account('VENDOR_CASH'), recharge: await account('PARTNER_RECHARGE'), usd: await account('VENDOR_REVENUE', 'USD') };
  });
  afterAll(() => db?.end());

  /** One transaction: a transfer and its legs [account, amount, currency?]; resolves to the error at commit, if any. */
  async function transfer(legs: [string, number, string?][], key = randomUUID()): Promise<{ id: string; error?: string }> {
    const id = randomUUID();
    await db.query('BEGIN');
    try {
      await db.query(
        `INSERT INTO ledger_transfer (id, partner_id, kind, source, feeder_key, entry_hash, occurred_at, actor) VALUES ($1, $2, 'RECHARGE', 'test', $3, 'h', now(), 'test')`,
        [id, partner, key],
      );
      for (const [account, amount, currency] of legs) {
        await db.query('INSERT INTO ledger_posting (transfer_id, account_id, amount, currency) VALUES ($1, $2, $3, $4)', [id, account, amount, currency ?? 'CNY']);
      }
      await db.query('COMMIT');
      return { id };
    } catch (error) {
      await db.query('ROLLBACK');
      return { id, error: (error as Error).message };
    }
  }
  const exists = async (id: string) => (await db.query('SELECT 1 FROM ledger_transfer WHERE id = $1', [id])).rowCount === 1;

  it('a balanced transfer commits, its legs inserted one by one (the check waits for the commit)', async () => {
    const { id, error } = await transfer([[accounts.cash, 700], [accounts.recharge, -700]]);
    expect(error).toBeUndefined();
    expect(await exists(id)).toBe(true);
  });

  it('an unbalanced transfer fails at commit, and leaves nothing', async () => {
    const { id, error } = await transfer([[accounts.cash, 700], [accounts.recharge, -699]]);
    expect(error).toMatch(/does not balance: its CNY postings sum to 1/);
    expect(await exists(id)).toBe(false);
  });

  it('a transfer of one leg, or of none, fails at commit', async () => {
    expect((await transfer([[accounts.cash, 700]])).error).toMatch(/has 1 posting\(s\); a transfer needs at least two/);
    expect((await transfer([])).error).toMatch(/has 0 posting\(s\)/);
  });

  it('a zero amount is refused, and a leg in another currency than its account', async () => {
    expect((await transfer([[accounts.cash, 0], [accounts.recharge, 0]])).error).toMatch(/ledger_posting_amount_check/);
    expect((await transfer([[accounts.cash, 5], [accounts.recharge, -5, 'USD']])).error).toMatch(/does not balance|another currency/);
    // Balanced in each currency, but a USD leg on a CNY account: refused.
    expect((await transfer([[accounts.cash, 5, 'USD'], [accounts.usd, -5, 'USD']])).error).toMatch(/another currency or partner/);
  });

  it('a committed transfer gains no legs, even balanced ones', async () => {
    const { id } = await transfer([[accounts.cash, 10], [accounts.recharge, -10]]);
    await db.query('BEGIN');
    await db.query('INSERT INTO ledger_posting (transfer_id, account_id, amount, currency) VALUES ($1, $2, 1, $4), ($1, $3, -1, $4)', [id, accounts.cash, accounts.recharge, 'CNY']);
    await expect(db.query('COMMIT')).rejects.toThrow(/was committed before: it gains no postings/);
  });

  it('postings, transfers and accounts are append-only: UPDATE and DELETE fail', async () => {
    const { id } = await transfer([[accounts.cash, 20], [accounts.recharge, -20]]);
    await expect(db.query('UPDATE ledger_posting SET amount = amount * 2 WHERE transfer_id = $1', [id])).rejects.toThrow(/ledger_posting is append-only/);
    await expect(db.query('DELETE FROM ledger_posting WHERE transfer_id = $1', [id])).rejects.toThrow(/ledger_posting is append-only/);
    await expect(db.query("UPDATE ledger_transfer SET memo = 'x' WHERE id = $1", [id])).rejects.toThrow(/ledger_transfer is append-only/);
    await expect(db.query('DELETE FROM ledger_account WHERE id = $1', [accounts.cash])).rejects.toThrow(/ledger_account is append-only/);
    await db.query(
      `INSERT INTO partner_account_fact (partner_id, kind, subject, value, source, observed_at, feed_id, actor) VALUES ($1, 'FROZEN', '', '{"frozen": true}', 'test', now(), 'f', 'test')`,
      [partner],
    );
    await expect(db.query('DELETE FROM partner_account_fact WHERE partner_id = $1', [partner])).rejects.toThrow(/partner_account_fact is append-only/);
    await expect(db.query(`UPDATE partner_account_fact SET value = '{"frozen": false}' WHERE partner_id = $1`, [partner])).rejects.toThrow(/append-only/);
  });

  it('a feeder key is one transfer per source', async () => {
    const key = randomUUID();
    expect((await transfer([[accounts.cash, 1], [accounts.recharge, -1]], key)).error).toBeUndefined();
    expect((await transfer([[accounts.cash, 1], [accounts.recharge, -1]], key)).error).toMatch(/ledger_transfer_source_feeder_key_key/);
  });
}

describe('the database keeps the ledger balanced and append-only: PostgreSQL', () => {
  databaseRules(() => connectTo(testDatabaseUrl()));
});

describe('the database keeps the ledger balanced and append-only: the embedded PGlite', () => {
  const pglite = useServedPglite();
  databaseRules(() => connectTo(pglite.url()));
});
