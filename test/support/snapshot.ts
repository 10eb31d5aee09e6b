/**
 * The whole database at one instant, as the fuzz (support/fuzz-state.ts) and the access matrix compare it around a
 * refused request: every table's row count and a hash of its rows, taken by ONE SQL query (one consistent read, a few
 * milliseconds). The tables come from the database itself (information_schema), not from a list in a test: a table a
 * migration adds is covered the day it exists — webhook endpoint secrets, the outbox, whatever comes next.
 */
import type { PrismaClient } from '../../platform/db.js';

/**
 * Columns that a background process moves on its own time, never a request: left out of their table's hash (the rest
 * of each row, and the row count, still count). Each line says which process, so the list stays short.
 */
export const MOVING_COLUMNS: Readonly<Record<string, readonly string[]>> = {
  // The relay stamps a message dispatched, then delivered, moments after the append committed (workflows/webhook).
  outbox: ['dispatched_at', 'delivered_at'],
  // A delivery to a closed port retries for half an hour: its attempts and their outcome move; its status and runs
  // (what a redelivery changes) do not until its budget is spent.
  webhook_delivery: ['attempts', 'last_attempt_at', 'last_response_status', 'last_error'],
};

/**
 * Append-only tables written after a route's work succeeded (the audit line of a successful call, the idempotency key
 * of a created object), and never updated: a row added shows in the count; hashing thousands of lines adds nothing.
 */
export const COUNTED_ONLY: readonly string[] = ['audit_log', 'idempotency_key'];

export type TableState = { rows: number; hash: string };
/** Table name → its state. */
export type DatabaseSnapshot = Record<string, TableState>;

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
const quoteLiteral = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** Column types PostgreSQL hashes itself (arrays of them too); any other is hashed as its text. */
const HASHABLE = new Set([
  'text', 'character varying', 'character', 'integer', 'bigint', 'smallint', 'boolean', 'jsonb', 'bytea', 'date', 'uuid', 'numeric',
  'timestamp with time zone', 'timestamp without time zone', 'double precision', 'real', 'ARRAY',
]);

/** The snapshot query for this database's tables; refuses a MOVING_COLUMNS or COUNTED_ONLY line that names nothing. */
async function buildQuery(prisma: PrismaClient): Promise<string> {
  const columns = await prisma.$queryRaw<{ table_name: string; column_name: string; data_type: string }[]>`
    SELECT c.table_name::text AS table_name, c.column_name::text AS column_name, c.data_type::text AS data_type
    FROM information_schema.columns c
    JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
    WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
    ORDER BY c.table_name, c.ordinal_position`;
  const tables = [...new Set(columns.map((c) => c.table_name))].sort();
  const stale = [
    ...COUNTED_ONLY.filter((table) => !tables.includes(table)).map((table) => `COUNTED_ONLY ${table}`),
    ...Object.entries(MOVING_COLUMNS).flatMap(([table, names]) =>
      names.filter((name) => !columns.some((c) => c.table_name === table && c.column_name === name)).map((name) => `MOVING_COLUMNS ${table}.${name}`),
    ),
  ];
  if (stale.length) throw new Error(`test/support/snapshot.ts names what the database does not have: ${stale.join(', ')}`);
  if (tables.length === 0) throw new Error('the database has no tables: the snapshot would compare nothing');
  return tables
    .map((table) => {
      const name = quoteLiteral(table);
      if (COUNTED_ONLY.includes(table)) return `SELECT ${name} AS name, count(*) AS rows, '' AS hash FROM ${quoteIdent(table)}`;
      const kept = columns.filter((c) => c.table_name === table && !MOVING_COLUMNS[table]?.includes(c.column_name));
      const row = kept.map((c) => `t.${quoteIdent(c.column_name)}${HASHABLE.has(c.data_type) ? '' : '::text'}`).join(', ');
      // The sum of the rows' hashes: the same whatever order the rows come in, so nothing is sorted (linear in rows,
      // under a microsecond a row).
      return `SELECT ${name} AS name, count(*) AS rows, coalesce(sum(hash_record_extended(ROW(${row}), 0)), 0)::text AS hash FROM ${quoteIdent(table)} t`;
    })
    .join('\nUNION ALL\n');
}

const queries = new WeakMap<PrismaClient, Promise<string>>();

/** Every table of the database: its row count and the hash of its rows (MOVING_COLUMNS left out). */
export async function databaseSnapshot(prisma: PrismaClient): Promise<DatabaseSnapshot> {
  let query = queries.get(prisma);
  if (!query) queries.set(prisma, (query = buildQuery(prisma)));
  const rows = await prisma.$queryRawUnsafe<{ name: string; rows: bigint | number; hash: string }[]>(await query);
  return Object.fromEntries(rows.map((r) => [r.name, { rows: Number(r.rows), hash: r.hash }]));
}

/** What differs between two snapshots, one line per table (empty: nothing changed). */
export function tableChanges(before: DatabaseSnapshot, after: DatabaseSnapshot): string[] {
  const names = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return names.flatMap((name) => {
    const [b, a] = [before[name], after[name]];
    if (!b || !a) return [`${name}: table ${b ? 'dropped' : 'created'}`];
    if (b.rows !== a.rows) return [`${name}: ${b.rows} → ${a.rows} rows`];
    return b.hash === a.hash ? [] : [`${name}: a row changed (${b.rows} rows)`];
  });
}

/**
 * Takes `take()` until two in a row agree (the state stopped moving), at most `tries` times `intervalMs` apart; the
 * last one when it never settles (the comparison that follows then names what kept moving).
 */
export async function untilQuiet<S>(take: () => Promise<S>, { intervalMs = 100, tries = 40 } = {}): Promise<S> {
  let last = await take();
  for (let i = 0; i < tries; i++) {
    await new Promise((r) => setTimeout(r, intervalMs));
    const next = await take();
    if (JSON.stringify(next) === JSON.stringify(last)) return next;
    last = next;
  }
  return last;
}
