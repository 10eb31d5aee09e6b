/**
 * audit_log is append-only at the database (prisma/migrations/0034_audit_append_only.sql): a row can be written, never
 * changed, deleted or emptied away with TRUNCATE — by the application's own connection, whatever code runs on it — on
 * the real PostgreSQL and on the embedded PGlite `npm start` runs. Each refused statement runs in a transaction rolled
 * back afterwards, so that a broken build (the trigger gone) shows as this test failing, not as other files' rows lost.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './support/database.js';
import { connectTo, useServedPglite } from './support/pglite-server.js';

/** The checks on one database: `connect` opens a session on it (in a beforeAll). */
function appendOnly(connect: () => Promise<pg.Client>): void {
  let client: pg.Client;
  let id: string;
  const requestId = `append-only-${randomUUID()}`;

  /** Runs `statement` in a transaction that is always rolled back; answers the error it raised, or undefined. */
  async function refusal(statement: string, values: unknown[] = []): Promise<string | undefined> {
    await client.query('BEGIN');
    try {
      await client.query(statement, values);
      return undefined;
    } catch (error) {
      return (error as Error).message;
    } finally {
      await client.query('ROLLBACK');
    }
  }

  const row = async () => (await client.query('SELECT actor, action, target, status, request_id FROM audit_log WHERE id = $1', [id])).rows;
  const count = async () => Number((await client.query('SELECT count(*) FROM audit_log')).rows[0].count);

  beforeAll(async () => {
    client = await connect();
    const inserted = await client.query(
      `INSERT INTO audit_log (actor, actor_partner_id, action, target, request_id, status) VALUES ('auditee', 'P-1', 'POST /v1/opportunities', 'o-1', $1, 201) RETURNING id::text`,
      [requestId],
    );
    id = inserted.rows[0].id;
  });
  afterAll(() => client?.end());

  it('refuses UPDATE of a row, whichever column', async () => {
    expect(await refusal('UPDATE audit_log SET status = 200 WHERE id = $1', [id])).toBe('audit_log is append-only');
    expect(await refusal("UPDATE audit_log SET actor = 'someone-else', at = at - interval '1 day' WHERE id = $1", [id])).toBe('audit_log is append-only');
    expect(await row()).toEqual([{ actor: 'auditee', action: 'POST /v1/opportunities', target: 'o-1', status: 201, request_id: requestId }]);
  });

  it('refuses DELETE of a row, and of every row', async () => {
    expect(await refusal('DELETE FROM audit_log WHERE id = $1', [id])).toBe('audit_log is append-only');
    expect(await refusal('DELETE FROM audit_log')).toBe('audit_log is append-only');
    expect(await row()).toHaveLength(1);
  });

  it('refuses TRUNCATE, which no row trigger sees', async () => {
    const rows = await count();
    expect(await refusal('TRUNCATE audit_log')).toBe('audit_log is append-only');
    expect(await count()).toBe(rows);
  });

  it('still takes new rows', async () => {
    const rows = await count();
    await client.query(`INSERT INTO audit_log (actor, action, request_id, status) VALUES ('auditee', 'POST /v1/x', $1, 201)`, [`${requestId}-2`]);
    expect(await count()).toBe(rows + 1);
  });
}

describe('audit_log is append-only: PostgreSQL', () => {
  appendOnly(() => connectTo(testDatabaseUrl()));
});

describe('audit_log is append-only: the embedded PGlite', () => {
  const pglite = useServedPglite();
  appendOnly(() => connectTo(pglite.url()));
});
