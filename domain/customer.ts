/**
 * A customer's account facts (issue 18 section 0): what the cloud's billing, IAM and contract systems report of a
 * customer (a cloud account, named by its customerId), fed by vendor_system through POST /v1/customers/:customerId/facts
 * and kept append-only (customer_fact). The current value of a kind is its latest observation by observedAt, ties
 * broken by receipt order — as the partner's facts (domain/account.ts). A kind never fed reads null: unknown, not false.
 */
import { z } from 'zod';

/** A unified social credit code's shape (GB 32100-2015: 18 characters, no I, O, S, V, Z); its check digit is the enterprise lookup's. */
export const CREDIT_CODE = /^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$/;

export const CUSTOMER_FACT_KINDS = ['ENTERPRISE', 'REGISTERED', 'FROZEN', 'RESERVED_INSTANCES', 'SUPPORT_PLANS', 'DIRECT_CONTRACT', 'DIRECT_SALES_SPEND'] as const;
export type CustomerFactKind = (typeof CUSTOMER_FACT_KINDS)[number];

const count = z.strictObject({ count: z.number().int().min(0).max(1_000_000) });

/** Each kind's value, as the feed validates it. */
export const CUSTOMER_FACT_VALUES = {
  /** The enterprise the account belongs to, by its verified unified social credit code. */
  ENTERPRISE: z.strictObject({ creditCode: z.string().regex(CREDIT_CODE, 'must be a unified social credit code (18 characters)') }),
  /** The account's registration date (its local date, as the cloud's IAM reports it). */
  REGISTERED: z.strictObject({ registeredOn: z.iso.date('must be a date YYYY-MM-DD') }),
  FROZEN: z.strictObject({ frozen: z.boolean() }),
  /** Reserved instances still valid. */
  RESERVED_INSTANCES: count,
  /** Support plans still valid. */
  SUPPORT_PLANS: count,
  /** A direct contract between the customer and the vendor. */
  DIRECT_CONTRACT: z.strictObject({ signed: z.boolean() }),
  /** Whether the customer's cash spend is already followed by the vendor's direct sales. */
  DIRECT_SALES_SPEND: z.strictObject({ followed: z.boolean() }),
} as const satisfies Record<CustomerFactKind, z.ZodType>;

export type CustomerFactValues = { [K in CustomerFactKind]: z.output<(typeof CUSTOMER_FACT_VALUES)[K]> };

/** The current value of every kind for one customer account: null when never fed. */
export type CustomerFacts = { customerId: string } & { [K in CustomerFactKind]: CustomerFactValues[K] | null };

/** A stored observation, as the current-value fold reads it (newest first: observedAt, then receipt). */
export type CustomerFactRow = { customerId: string; kind: string; value: unknown };

/** An account nothing was ever fed of: every kind unknown. */
export const emptyCustomerFacts = (customerId: string): CustomerFacts => ({
  customerId,
  ...(Object.fromEntries(CUSTOMER_FACT_KINDS.map((k) => [k, null])) as { [K in CustomerFactKind]: null }),
});

/** The current facts of each customer in `rows`, which must be ordered newest first per (customer, kind). */
export function currentCustomerFacts(rows: readonly CustomerFactRow[]): Map<string, CustomerFacts> {
  const facts = new Map<string, CustomerFacts>();
  for (const row of rows) {
    let f = facts.get(row.customerId);
    if (!f) {
      f = emptyCustomerFacts(row.customerId);
      facts.set(row.customerId, f);
    }
    const kind = row.kind as CustomerFactKind;
    if (f[kind] === null) (f as Record<string, unknown>)[kind] = row.value;
  }
  return facts;
}
