/**
 * The funds invariants over random operation sequences (fast-check), on the real PostgreSQL through the same
 * functions the API and the unlink activity call (platform/funds.ts) and the account feed (recharges, credit limits,
 * charges): after every sequence no account is overdrawn, every transfer balances, each stored sum is its postings',
 * partner balance + unspent allocations + customer spending + charges = everything fed (recharges + credit limits),
 * the statement's closing is the balance — and each operation succeeded exactly when a model of the rules said it
 * would, leaving the balance the model expects.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAccountClient } from '../api/account/client.js';
import { loadStatement } from '../api/funds/client.js';
import type { Principal } from '../domain/auth.js';
import { Problem } from '../domain/problems.js';
import { createPrisma, type PrismaClient } from '../platform/db.js';
import { allocate, customerFunds, reclaim, recordSpend } from '../platform/funds.js';
import { fundsBalances } from '../platform/partner-account.js';
import { testDatabaseUrl } from './support/database.js';
import { associate, cny, ledgerIsConsistent, newCustomer, newPartner } from './support/funds.js';

let prisma: PrismaClient;
beforeAll(() => {
  prisma = createPrisma(testDatabaseUrl());
});
afterAll(() => prisma?.$disconnect());

const feeder: Principal = { sub: 'billing-system', roles: ['vendor_system'] };
const amount = fc.integer({ min: 1, max: 6_000 });
const who = fc.integer({ min: 0, max: 1 });
const operation = fc.oneof(
  fc.record({ op: fc.constant('recharge' as const), amount }),
  fc.record({ op: fc.constant('creditLimit' as const), amount }),
  fc.record({ op: fc.constant('charge' as const), amount }),
  fc.record({ op: fc.constant('allocate' as const), who, amount }),
  fc.record({ op: fc.constant('spend' as const), who, amount }),
  fc.record({ op: fc.constant('reclaim' as const), who, amount: fc.option(amount, { nil: undefined }) }),
);

/** The rules' model: what each operation should do, in plain numbers. */
type Model = { recharge: number; limit: number; credit: number; unspent: number[]; fromCredit: number[]; fed: number; spent: number; charged: number };

/** The refusal's code, or undefined when the operation went through. */
async function attempt(run: () => Promise<unknown>): Promise<string | undefined> {
  try {
    await run();
    return undefined;
  } catch (error) {
    if (error instanceof Problem) return error.code;
    throw error;
  }
}

describe('funds invariants over random operation sequences', () => {
  it('hold after every sequence, and every operation does what the rules say', async () => {
    let runs = 0;
    let operations = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 4, maxLength: 20 }), async (ops) => {
        runs++;
        const partnerId = newPartner();
        const customers = [newCustomer(), newCustomer()];
        for (const c of customers) await associate(prisma, partnerId, c);
        const account = createAccountClient({ prisma });
        const m: Model = { recharge: 0, limit: 0, credit: 0, unspent: [0, 0], fromCredit: [0, 0], fed: 0, spent: 0, charged: 0 };
        const entry = (e: Record<string, unknown>) =>
          account.feedLedger(feeder, partnerId, { source: 'billing', entries: [{ key: randomUUID(), occurredAt: new Date().toISOString(), ...e } as never] }, randomUUID());

        for (const o of ops) {
          operations++;
          const tx = <T>(fn: (t: Parameters<Parameters<PrismaClient['$transaction']>[0]>[0]) => Promise<T>) => prisma.$transaction(fn);
          switch (o.op) {
            case 'recharge':
              await entry({ kind: 'RECHARGE', amount: cny(o.amount) });
              m.recharge += o.amount;
              m.fed += o.amount;
              break;
            case 'creditLimit':
              await entry({ kind: 'CREDIT_LIMIT_CHANGE', change: cny(o.amount) });
              m.limit += o.amount;
              m.credit += o.amount;
              m.fed += o.amount;
              break;
            case 'charge': {
              // Billing draws recharge first, then credit, never more than there is (a charge beyond falls into arrears: not drawn here).
              const r = Math.min(o.amount, m.recharge);
              const c = Math.min(o.amount - r, Math.max(m.credit, 0));
              if (r + c === 0) break;
              await entry({ kind: 'CHARGE', amount: cny(r + c), drawn: { ...(r ? { recharge: r } : {}), ...(c ? { credit: c } : {}) } });
              m.recharge -= r;
              m.credit -= c;
              m.charged += r + c;
              break;
            }
            case 'allocate': {
              const refused = await attempt(() => tx((t) => allocate(t, { partnerId, customerId: customers[o.who]!, amount: cny(o.amount), key: randomUUID(), actor: 'prop' })));
              const fits = o.amount <= m.recharge + Math.max(m.credit, 0);
              expect(refused, JSON.stringify({ o, m })).toBe(fits ? undefined : 'funds-insufficient');
              if (fits) {
                const r = Math.min(o.amount, m.recharge);
                m.recharge -= r;
                m.credit -= o.amount - r;
                m.fromCredit[o.who]! += o.amount - r;
                m.unspent[o.who]! += o.amount;
              }
              break;
            }
            case 'spend': {
              const refused = await attempt(() => tx((t) => recordSpend(t, { customerId: customers[o.who]!, source: 'billing', key: randomUUID(), amount: cny(o.amount), occurredAt: new Date(), actor: 'prop' })));
              const fits = o.amount <= m.unspent[o.who]!;
              expect(refused, JSON.stringify({ o, m })).toBe(fits ? undefined : 'allocation-exceeded');
              if (fits) {
                m.unspent[o.who]! -= o.amount;
                m.spent += o.amount;
              }
              break;
            }
            case 'reclaim': {
              const everAllocated = (await customerFunds(prisma, partnerId, customers[o.who]!)).length > 0;
              const refused = await attempt(() => tx((t) => reclaim(t, { partnerId, customerId: customers[o.who]!, currency: 'CNY', minor: o.amount, key: randomUUID(), actor: 'prop' })));
              const wanted = o.amount ?? m.unspent[o.who]!;
              const expected = !everAllocated ? 'not-found' : wanted > m.unspent[o.who]! ? 'funds-unspent-exceeded' : undefined;
              expect(refused, JSON.stringify({ o, m })).toBe(expected);
              if (!expected && wanted > 0) {
                const toCredit = Math.min(wanted, m.fromCredit[o.who]!, Math.max(m.limit - m.credit, 0));
                m.credit += toCredit;
                m.recharge += wanted - toCredit;
                m.fromCredit[o.who]! -= toCredit;
                m.unspent[o.who]! -= wanted;
              }
              break;
            }
          }
        }

        // The database's figures against the model, and the invariants.
        const balance = (await fundsBalances(prisma, partnerId)).find((b) => b.currency === 'CNY');
        const db = { recharge: Number(balance?.recharge ?? 0n), credit: Number(balance?.credit ?? 0n) };
        expect(db).toEqual({ recharge: m.recharge, credit: m.credit });
        const funds = await Promise.all(customers.map(async (c) => (await customerFunds(prisma, partnerId, c))[0]));
        const unspent = funds.reduce((s, f) => s + Number(f?.unspent ?? 0n), 0);
        const spent = funds.reduce((s, f) => s + Number(f?.spent ?? 0n), 0);
        expect(funds.map((f) => Number(f?.unspent ?? 0n))).toEqual(m.unspent);
        expect(db.recharge + db.credit + unspent + spent + m.charged).toBe(m.fed);
        expect(await ledgerIsConsistent(prisma, partnerId)).toEqual({ unbalanced: 0, drifted: 0, negative: 0 });
        const [statement] = await loadStatement(prisma, partnerId, new Date('2000-01-01T00:00:00Z'), new Date(Date.now() + 60_000));
        expect(Number(statement?.closing.balance ?? 0n)).toBe(db.recharge + db.credit);
      }),
      { numRuns: 80 },
    );
    console.log(`funds property: ${runs} sequences, ${operations} operations, every invariant held`);
  }, 240_000);
});
