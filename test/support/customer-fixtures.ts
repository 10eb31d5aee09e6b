/**
 * What the customer report tests share: enterprise records written as the enterprise import writes them (an import
 * row, then the enterprise), customer facts fed through the real API as vendor_system, tokens of partners and
 * customers. Not a test file itself (no `.test.ts`).
 */
import { randomInt, randomUUID } from 'node:crypto';
import pg from 'pg';
import { signToken } from '../../domain/auth.js';
import { JWT_SECRET, tokenFor } from './app.js';
import { testDatabaseUrl } from './database.js';

const ALPHABET = '0123456789ABCDEFGHJKLMNPQRTUWXY';
/** A fresh code of the credit code's shape (the check digit is the enterprise import's business, not these tables'). */
export const freshCreditCode = () => `91${String(randomInt(0, 1_000_000)).padStart(6, '0')}${Array.from({ length: 10 }, () => ALPHABET[randomInt(0, ALPHABET.length)]).join('')}`;

/** Puts enterprise records in the enterprise table (migration 0025) as one finished import would. */
export async function enterprises(...codes: string[]): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    const importId = randomUUID();
    await client.query(`INSERT INTO enterprise_import (id, idempotency_key, imported_by, started_at) VALUES ($1, $2, 'test', now())`, [importId, importId]);
    for (const [i, code] of codes.entries()) {
      await client.query(`INSERT INTO enterprise (credit_code, name, import_id, import_line, imported_at, created_at) VALUES ($1, $2, $3, $4, now(), now())`, [code, `测试企业${code.slice(-4)}有限公司`, importId, i + 1]);
    }
  } finally {
    await client.end();
  }
}

/**
 * Customer facts written straight into customer_fact as the feed writes them (one feed id), for set-ups that must not
 * spend the API's per-address rate limit (the access matrix); the tests of the feed itself go through the API.
 */
export async function insertCustomerFacts(customerId: string, facts: { kind: string; value: Record<string, unknown>; observedAt: string }[]): Promise<void> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    const feedId = randomUUID();
    for (const f of facts) {
      await client.query(
        `INSERT INTO customer_fact (customer_id, kind, value, credit_code, source, observed_at, feed_id, actor) VALUES ($1, $2, $3, $4, 'billing', $5, $6, 'test')`,
        [customerId, f.kind, JSON.stringify(f.value), f.kind === 'ENTERPRISE' ? String(f.value.creditCode) : null, f.observedAt, feedId],
      );
    }
  } finally {
    await client.end();
  }
}

type Api = (method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>) => Promise<{ status: number; body: any }>;

/** The facts of a customer account that make it reportable on `today` (registered that day, nothing else). */
export const reportableFacts = (creditCode: string, registeredOn: string, observedAt: string) => [
  { kind: 'ENTERPRISE', value: { creditCode }, observedAt },
  { kind: 'REGISTERED', value: { registeredOn }, observedAt },
  { kind: 'DIRECT_CONTRACT', value: { signed: false }, observedAt },
  { kind: 'DIRECT_SALES_SPEND', value: { followed: false }, observedAt },
];

/** The facts of an account with the given reasons against reporting it (none given: reportable). */
export const customerEnterpriseFacts = (creditCode: string, registeredOn: string, observedAt: string, o: { directContract?: boolean; followed?: boolean }) => [
  { kind: 'ENTERPRISE', value: { creditCode }, observedAt },
  { kind: 'REGISTERED', value: { registeredOn }, observedAt },
  { kind: 'DIRECT_CONTRACT', value: { signed: o.directContract === true }, observedAt },
  { kind: 'DIRECT_SALES_SPEND', value: { followed: o.followed === true }, observedAt },
];

/** Feeds customer facts through POST /v1/customers/:customerId/facts as the billing system. */
export async function feedCustomer(api: Api, customerId: string, facts: unknown[]): Promise<void> {
  const system = await tokenFor(['vendor_system'], undefined, 'billing-system');
  const res = await api('POST', `/v1/customers/${customerId}/facts`, system, { source: 'billing', facts }, { 'Idempotency-Key': randomUUID() });
  if (res.status !== 201) throw new Error(`feeding ${customerId}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** A customer's token: accountType customer, its customerId, the customer role alone. */
export const customerToken = (customerId: string) => signToken({ sub: `${customerId}-account`, roles: ['customer'], customerId, accountType: 'customer' }, JWT_SECRET);

export const freshPartner = (prefix: string) => `P-${prefix}-${randomUUID().slice(0, 8)}`;
export const freshCustomer = (prefix: string) => `C-${prefix}-${randomUUID().slice(0, 8)}`;
