/**
 * Compares the tables the SQL migrations build with the ones schema.prisma describes. Both sides are
 * reduced to the same shape — per table: columns (Postgres type as format_type() prints it, NOT NULL)
 * and keys (primary key, unique and plain indexes, foreign keys as readable strings) — then diffed.
 */
import { get_dmmf } from '@prisma/prisma-schema-wasm';
import type pg from 'pg';

export type TableShape = { columns: Map<string, { type: string; notNull: boolean }>; keys: Set<string> };
export type SchemaShape = Map<string, TableShape>;

type DmmfField = {
  name: string; dbName?: string | null; kind: string; type: string; isList: boolean; isRequired: boolean; isId: boolean;
  nativeType: [string, string[]] | null; relationFromFields?: string[]; relationToFields?: string[];
};
type DmmfModel = { name: string; dbName: string | null; fields: DmmfField[]; primaryKey: { fields: string[] } | null };
type DmmfIndex = {
  model: string; type: string; algorithm?: string;
  fields: { name: string; sortOrder?: 'asc' | 'desc'; operatorClass?: string }[];
};

const precision = (args: string[]) => (args.length ? `(${args.join(',')})` : '');
// Postgres type per Prisma native type, spelled as format_type() prints it. Deliberately short: a type
// missing here shows up as a type difference instead of being skipped.
const NATIVE_TYPES: Record<string, (args: string[]) => string> = {
  Text: () => 'text',
  VarChar: (a) => `character varying${precision(a)}`,
  Uuid: () => 'uuid',
  Integer: () => 'integer',
  SmallInt: () => 'smallint',
  BigInt: () => 'bigint',
  Boolean: () => 'boolean',
  Timestamp: (a) => `timestamp${precision(a)} without time zone`,
  Timestamptz: (a) => `timestamp${precision(a)} with time zone`,
  Date: () => 'date',
  JsonB: () => 'jsonb',
  Json: () => 'json',
  DoublePrecision: () => 'double precision',
  Decimal: (a) => `numeric${precision(a)}`,
  ByteA: () => 'bytea',
};
// What `prisma migrate` would create for a scalar without @db.*.
const DEFAULT_NATIVE: Record<string, [string, string[]]> = {
  String: ['Text', []], Int: ['Integer', []], BigInt: ['BigInt', []], Boolean: ['Boolean', []],
  DateTime: ['Timestamp', ['3']], Json: ['JsonB', []], Float: ['DoublePrecision', []],
  Decimal: ['Decimal', ['65', '30']], Bytes: ['ByteA', []],
};

function postgresType(field: DmmfField): string {
  const native = field.kind === 'scalar' ? (field.nativeType ?? DEFAULT_NATIVE[field.type]) : undefined;
  const mapped = native && NATIVE_TYPES[native[0]]?.(native[1]);
  // A scalar list (String[]) is a PostgreSQL array of the element type.
  if (mapped) return field.isList ? `${mapped}[]` : mapped;
  const prismaType = `${field.kind} ${field.type}${field.isList ? '[]' : ''}${field.nativeType ? ` @db.${field.nativeType[0]}` : ''}`;
  return `<no mapping for Prisma ${prismaType}: add it to test/support/schema-drift.ts>`;
}

const keyText = (kind: string, columns: string[], method = 'btree') =>
  `${kind}${method === 'btree' ? '' : ` USING ${method}`} (${columns.join(', ')})`;

/** The database schema.prisma describes, from its DMMF (parsed offline by the WASM schema engine). */
export function prismaSchemaShape(schemaText: string): SchemaShape {
  let dmmf: { datamodel: { models: DmmfModel[]; indexes: DmmfIndex[] } };
  try {
    dmmf = JSON.parse(get_dmmf(JSON.stringify({ prismaSchema: schemaText })));
  } catch (error) {
    // The engine throws JSON whose message is coloured for a terminal: keep it readable.
    const raw = error instanceof Error ? error.message : String(error);
    let message = raw;
    try {
      message = (JSON.parse(raw) as { message?: string }).message ?? raw;
    } catch {
      // not JSON: keep it as it is
    }
    throw new Error(`schema.prisma does not validate:\n${message.replace(/\x1b\[[\d;]*m/g, '')}`);
  }
  const models = new Map(dmmf.datamodel.models.map((m) => [m.name, m]));
  const table = (m: DmmfModel) => m.dbName ?? m.name;
  const column = (m: DmmfModel, fieldName: string) => {
    const field = m.fields.find((f) => f.name === fieldName);
    return field?.dbName ?? fieldName;
  };

  const shape: SchemaShape = new Map();
  for (const model of models.values()) {
    const columns = new Map<string, { type: string; notNull: boolean }>();
    const keys = new Set<string>();
    for (const field of model.fields) {
      if (field.kind === 'object') {
        const target = models.get(field.type);
        if (target && field.relationFromFields?.length) {
          const refs = (field.relationToFields ?? []).map((f) => column(target, f));
          const from = field.relationFromFields.map((f) => column(model, f));
          keys.add(`${keyText('foreign key', from)} references ${table(target)} (${refs.join(', ')})`);
        }
        continue;
      }
      columns.set(field.dbName ?? field.name, { type: postgresType(field), notNull: field.isRequired });
    }
    // A compound @@id lives in primaryKey; a single @id only as isId on its field.
    const pk = model.primaryKey?.fields ?? model.fields.filter((f) => f.isId).map((f) => f.name);
    if (pk.length) keys.add(keyText('primary key', pk.map((f) => column(model, f))));
    shape.set(table(model), { columns, keys });
  }
  for (const index of dmmf.datamodel.indexes) {
    if (index.type !== 'unique' && index.type !== 'normal') continue;
    const model = models.get(index.model)!;
    const cols = index.fields.map((f) => `${column(model, f.name)}${f.sortOrder === 'desc' ? ' DESC' : ''}`);
    const method = (index.algorithm ?? 'BTree').toLowerCase();
    shape.get(table(model))!.keys.add(keyText(index.type === 'unique' ? 'unique' : 'index', cols, method));
  }
  return shape;
}

/** The tables the migrations actually built in schema `public` (node-pg-migrate's own table aside). */
export async function databaseShape(client: pg.Client): Promise<SchemaShape> {
  const shape: SchemaShape = new Map();
  const tableOf = (name: string) => {
    if (!shape.has(name)) shape.set(name, { columns: new Map(), keys: new Set() });
    return shape.get(name)!;
  };
  const tables = `SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname <> 'pgmigrations'`;
  // Column names (as text[]: pg leaves name[] unparsed) of an int2[] of attnums, in order; expression
  // index columns have attnum 0.
  const names = (attnums: string, rel: string) => `array(SELECT coalesce(a.attname::text, '(expression)')
    FROM unnest(${attnums}) WITH ORDINALITY k(attnum, ord)
    LEFT JOIN pg_attribute a ON a.attrelid = ${rel} AND a.attnum = k.attnum ORDER BY k.ord)`;

  const columns = await client.query<{ table: string; column: string; type: string; not_null: boolean }>(
    `SELECT t.relname AS table, a.attname AS column, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null
     FROM (${tables}) t JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped`,
  );
  for (const c of columns.rows) tableOf(c.table).columns.set(c.column, { type: c.type, notNull: c.not_null });

  const indexes = await client.query<{
    table: string; primary: boolean; unique: boolean; method: string; columns: string[]; options: number[];
    key_count: number; predicate: string | null;
  }>(
    `SELECT t.relname AS table, i.indisprimary AS primary, i.indisunique AS unique, am.amname AS method,
       ${names('i.indkey::int2[]', 'i.indrelid')} AS columns, i.indoption::int2[] AS options,
       i.indnkeyatts AS key_count, pg_get_expr(i.indpred, i.indrelid) AS predicate
     FROM (${tables}) t JOIN pg_index i ON i.indrelid = t.oid
     JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam`,
  );
  for (const i of indexes.rows) {
    // indoption bit 0 = DESC, bit 1 = NULLS FIRST; Prisma can only express the default null order.
    const cols = i.columns.slice(0, i.key_count).map((name, n) => {
      const option = i.options[n] ?? 0;
      const desc = (option & 1) === 1;
      const nullsFirst = (option & 2) === 2;
      return `${name}${desc ? ' DESC' : ''}${desc === nullsFirst ? '' : nullsFirst ? ' NULLS FIRST' : ' NULLS LAST'}`;
    });
    const include = i.columns.length > i.key_count ? ` INCLUDE (${i.columns.slice(i.key_count).join(', ')})` : '';
    const kind = i.primary ? 'primary key' : i.unique ? 'unique' : 'index';
    tableOf(i.table).keys.add(`${keyText(kind, cols, i.method)}${include}${i.predicate ? ` WHERE ${i.predicate}` : ''}`);
  }

  const foreignKeys = await client.query<{ table: string; columns: string[]; target: string; target_columns: string[] }>(
    `SELECT t.relname AS table, ${names('f.conkey', 'f.conrelid')} AS columns,
       r.relname AS target, ${names('f.confkey', 'f.confrelid')} AS target_columns
     FROM (${tables}) t JOIN pg_constraint f ON f.conrelid = t.oid AND f.contype = 'f'
     JOIN pg_class r ON r.oid = f.confrelid`,
  );
  for (const f of foreignKeys.rows) {
    tableOf(f.table).keys.add(`${keyText('foreign key', f.columns)} references ${f.target} (${f.target_columns.join(', ')})`);
  }
  return shape;
}

/** Every difference, one readable line each, sorted; empty when the two agree. */
export function diffSchemas(prisma: SchemaShape, database: SchemaShape): string[] {
  const out: string[] = [];
  const union = <T>(a: Iterable<T>, b: Iterable<T>) => [...new Set([...a, ...b])].sort();
  for (const name of union(prisma.keys(), database.keys())) {
    const p = prisma.get(name);
    const d = database.get(name);
    if (!p || !d) {
      out.push(`${name}: table only in ${p ? 'schema.prisma' : 'database'}`);
      continue;
    }
    for (const col of union(p.columns.keys(), d.columns.keys())) {
      const pc = p.columns.get(col);
      const dc = d.columns.get(col);
      if (!pc || !dc) out.push(`${name}.${col}: column only in ${pc ? 'schema.prisma' : 'database'}`);
      else {
        if (pc.type !== dc.type) out.push(`${name}.${col}: type is ${pc.type} in schema.prisma, ${dc.type} in database`);
        const nullability = (c: { notNull: boolean }) => (c.notNull ? 'NOT NULL' : 'nullable');
        if (pc.notNull !== dc.notNull) {
          out.push(`${name}.${col}: ${nullability(pc)} in schema.prisma, ${nullability(dc)} in database`);
        }
      }
    }
    for (const key of union(p.keys, d.keys)) {
      if (!p.keys.has(key) || !d.keys.has(key)) out.push(`${name}: ${key} only in ${p.keys.has(key) ? 'schema.prisma' : 'database'}`);
    }
  }
  return out;
}
