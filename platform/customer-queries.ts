/**
 * The reads a customer report is judged on, shared by the API's client (which refuses before anything starts) and the
 * report's activity (which decides again in the transaction that records it): the same SQL, so both judge alike.
 * Written against the tables of migrations 0027 and 0028; the caller runs them on its client or transaction (`run`).
 */
import { type CustomerFactRow, type CustomerFacts, currentCustomerFacts, emptyCustomerFacts } from '../domain/customer.js';
import { type ReportContext, reportUnmet, type ReportUnmet } from '../domain/customer-report.js';

/** Runs one parameterised query ($1, $2…) and answers its rows. */
export type RunQuery = <T>(sql: string, ...params: unknown[]) => Promise<T[]>;

/** Every observation of every account whose current ENTERPRISE fact is the code, newest first per (account, kind). */
const ENTERPRISE_ACCOUNT_FACTS = `
  WITH candidates AS (SELECT DISTINCT customer_id FROM customer_fact WHERE credit_code = $1),
  current_enterprise AS (
    SELECT DISTINCT ON (f.customer_id) f.customer_id, f.credit_code FROM customer_fact f
    WHERE f.kind = 'ENTERPRISE' AND f.customer_id IN (SELECT customer_id FROM candidates)
    ORDER BY f.customer_id, f.observed_at DESC, f.id DESC)
  SELECT f.customer_id AS "customerId", f.kind, f.value FROM customer_fact f
  WHERE f.customer_id IN (SELECT customer_id FROM current_enterprise WHERE credit_code = $1)
  ORDER BY f.customer_id, f.kind, f.observed_at DESC, f.id DESC`;

/** The current facts of one account, newest first per kind. */
const ACCOUNT_FACTS = `
  SELECT customer_id AS "customerId", kind, value FROM customer_fact WHERE customer_id = $1
  ORDER BY kind, observed_at DESC, id DESC`;

/** The enterprise's accounts associated with a partner now: by the association's code or by the account. */
const ASSOCIATED = `
  SELECT customer_id AS "customerId" FROM customer_association
  WHERE unlinked_at IS NULL AND (credit_code = $1 OR customer_id = ANY($2::text[]))
  ORDER BY customer_id`;

/** The current facts of every account of the enterprise `creditCode`. */
export async function enterpriseAccounts(run: RunQuery, creditCode: string): Promise<CustomerFacts[]> {
  return [...currentCustomerFacts(await run<CustomerFactRow>(ENTERPRISE_ACCOUNT_FACTS, creditCode)).values()];
}

/** The current facts of one customer account (every kind null when nothing was ever fed). */
export async function accountFacts(run: RunQuery, customerId: string): Promise<CustomerFacts> {
  const facts = currentCustomerFacts(await run<CustomerFactRow>(ACCOUNT_FACTS, customerId)).get(customerId);
  return facts ?? emptyCustomerFacts(customerId);
}

/** Every reason the enterprise cannot be reported now, on the partner's local date `today`. */
export async function reportabilityOf(run: RunQuery, creditCode: string, today: string, registeredWithinDays: number): Promise<ReportUnmet[]> {
  const accounts = await enterpriseAccounts(run, creditCode);
  const associated = await run<{ customerId: string }>(ASSOCIATED, creditCode, accounts.map((a) => a.customerId));
  const context: ReportContext = { creditCode, today, accounts, associatedCustomerIds: associated.map((a) => a.customerId), registeredWithinDays };
  return reportUnmet(context);
}

/**
 * Whether the enterprise lookup (migration 0025, 企业百科) holds the code. A database without that table (the lookup not
 * deployed) knows no enterprise records, and the report is judged on the customer facts alone.
 */
export async function enterpriseKnown(run: RunQuery, creditCode: string): Promise<boolean> {
  const [table] = await run<{ present: boolean }>(`SELECT to_regclass('public.enterprise') IS NOT NULL AS present`);
  if (!table?.present) return true;
  return (await run<{ one: number }>(`SELECT 1 AS one FROM enterprise WHERE credit_code = $1`, creditCode)).length > 0;
}

/** Who holds the enterprise's protection now (the API never says it to another partner), and this partner's open report. */
export async function protectionOf(run: RunQuery, creditCode: string, partnerId: string): Promise<{ holder: string | null; ownOpen: string | null }> {
  const [held] = await run<{ partnerId: string }>(`SELECT partner_id AS "partnerId" FROM customer_report WHERE protected_credit_code = $1`, creditCode);
  const [own] = await run<{ id: string }>(`SELECT id::text AS id FROM customer_report WHERE open_key = $1`, `${partnerId}/${creditCode}`);
  return { holder: held?.partnerId ?? null, ownOpen: own?.id ?? null };
}

/** The partner's reports counted against the cap: in manual review, protected or invited. */
export async function openReportCount(run: RunQuery, partnerId: string): Promise<number> {
  const [row] = await run<{ n: number }>(`SELECT count(*)::int AS n FROM customer_report WHERE partner_id = $1 AND open_key IS NOT NULL`, partnerId);
  return row?.n ?? 0;
}
