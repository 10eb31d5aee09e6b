/**
 * The database is built by prisma/migrations/*.sql, the client's types by schema.prisma: nothing but
 * this test keeps them in step. It fails on any difference in tables, columns, column types,
 * nullability, primary keys, unique and plain indexes (columns, order, sort direction, method) and
 * foreign keys. Not compared: defaults, CHECK constraints, triggers, index names.
 */
import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './support/database.js';
import { databaseShape, diffSchemas, prismaSchemaShape, type SchemaShape } from './support/schema-drift.js';

const schemaText = readFileSync(new URL('../prisma/schema.prisma', import.meta.url), 'utf8');
const drift = (schema: string, database: SchemaShape) => diffSchemas(prismaSchemaShape(schema), database);

/** Edits the schema text, failing loudly if the edit matches nothing (a no-op would prove nothing). */
function edit(schema: string, ...edits: [RegExp | string, string][]): string {
  return edits.reduce((text, [pattern, replacement]) => {
    const next = text.replace(pattern, replacement);
    if (next === text) throw new Error(`edit ${String(pattern)} did not change schema.prisma`);
    return next;
  }, schema);
}

describe('schema.prisma vs. the migrated database', () => {
  let client: pg.Client;
  let database: SchemaShape;

  beforeAll(async () => {
    client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    database = await databaseShape(client);
  });
  afterAll(() => client?.end());

  it('describe the same tables', () => {
    expect(drift(schemaText, database)).toEqual([]);
  });

  // Each case breaks a copy of the schema and expects exactly these differences: the comparison
  // notices the change, names the right table.column, and reports nothing spurious.
  it.each<[string, () => string, string[]]>([
    [
      'a column made optional',
      () => edit(schemaText, [/^(\s+title\s+)String$/m, '$1String?']),
      ['opportunity.title: nullable in schema.prisma, NOT NULL in database'],
    ],
    [
      'a field dropped',
      () => edit(schemaText, [/^\s+note\s+String\?\n/m, '']),
      ['opportunity_event.note: column only in database'],
    ],
    [
      'a column renamed with @map',
      () => edit(schemaText, ['@map("partner_id")', '@map("partner_ref")']),
      [
        'opportunity.partner_id: column only in database',
        'opportunity.partner_ref: column only in schema.prisma',
        'opportunity: index (partner_id, shared_at DESC) only in database',
        'opportunity: index (partner_ref, shared_at DESC) only in schema.prisma',
      ],
    ],
    [
      'a scalar type changed',
      () => edit(schemaText, [/^(\s+lastSeq\s+)Int /m, '$1BigInt ']),
      ['opportunity.last_seq: type is bigint in schema.prisma, integer in database'],
    ],
    [
      'a native type dropped (DateTime defaults to timestamp(3) without time zone)',
      () => edit(schemaText, [/^(\s+at\s+DateTime) @db\.Timestamptz\(3\)$/m, '$1']),
      ['opportunity_event.at: type is timestamp(3) without time zone in schema.prisma, timestamp(3) with time zone in database'],
    ],
    [
      'a type without a mapping',
      () => edit(schemaText, [/^(\s+status\s+)String$/m, '$1Status'], [/$/, '\nenum Status {\n  ACCEPTED\n}\n']),
      ['opportunity.status: type is <no mapping for Prisma enum Status: add it to test/support/schema-drift.ts> in schema.prisma, text in database'],
    ],
    [
      'an index sort order',
      () => edit(schemaText, ['@@index([status, sharedAt(sort: Desc)])', '@@index([status, sharedAt])']),
      [
        'opportunity: index (status, shared_at DESC) only in database',
        'opportunity: index (status, shared_at) only in schema.prisma',
      ],
    ],
    [
      'a unique index made plain',
      () => edit(schemaText, ['@@unique([opportunityId, seq])', '@@index([opportunityId, seq])']),
      [
        'opportunity_event: index (opportunity_id, seq) only in schema.prisma',
        'opportunity_event: unique (opportunity_id, seq) only in database',
      ],
    ],
    [
      'a compound primary key reordered',
      () => edit(schemaText, ['@@id([scope, key])', '@@id([key, scope])']),
      [
        'idempotency_key: primary key (key, scope) only in schema.prisma',
        'idempotency_key: primary key (scope, key) only in database',
      ],
    ],
    [
      'a relation dropped',
      () => edit(schemaText, [/^\s+events\s+OpportunityEvent\[\]\n/m, ''], [/^\s+opportunity\s+Opportunity @relation.*\n/m, '']),
      ['opportunity_event: foreign key (opportunity_id) references opportunity (id) only in database'],
    ],
    [
      'a table renamed with @@map',
      () => edit(schemaText, ['@@map("idempotency_key")', '@@map("idempotency_keys")']),
      ['idempotency_key: table only in database', 'idempotency_keys: table only in schema.prisma'],
    ],
  ])('detects %s', (_, brokenSchema, expected) => {
    expect(drift(brokenSchema(), database)).toEqual(expected);
  });

  it('detects a table the schema does not know', () => {
    const withExtra: SchemaShape = new Map([...database, ['legacy_export', { columns: new Map(), keys: new Set<string>() }]]);
    expect(drift(schemaText, withExtra)).toEqual(['legacy_export: table only in database']);
  });
});
