/**
 * The customer association table's own rules (prisma/migrations/0027_customer_association.sql), with raw SQL on the
 * real PostgreSQL: one open association per customer; a new one after the unlink; an association is never deleted
 * and only its ending may be set, once, both columns together.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './support/database.js';

// A valid code of the format (the check digit is the enterprise lookup's business, not this table's).
const CODE = '91330100799655058B';
let client: pg.Client;
beforeAll(async () => {
  client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
});
afterAll(() => client.end());

const associate = (customerId: string, partnerId = 'P-assoc-1', id = randomUUID()) =>
  client
    .query(
      `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by)
       VALUES ($1, $2, $3, $4, 'RESELLER', now(), 'customer-account') RETURNING id`,
      [id, partnerId, customerId, CODE],
    )
    .then(() => id);

describe('customer_association', () => {
  it('one open association per customer; after its unlink, a new one', async () => {
    const customer = `C-${randomUUID().slice(0, 8)}`;
    const first = await associate(customer);
    await expect(associate(customer, 'P-assoc-2')).rejects.toThrow(/customer_association_open_customer_id_key/);
    await client.query(`UPDATE customer_association SET unlinked_at = now(), unlink_id = $2 WHERE id = $1`, [first, randomUUID()]);
    await associate(customer, 'P-assoc-2');
    const rows = await client.query(`SELECT partner_id, unlinked_at IS NULL AS open FROM customer_association WHERE customer_id = $1 ORDER BY associated_at, partner_id`, [customer]);
    expect(rows.rows).toEqual([
      { partner_id: 'P-assoc-1', open: false },
      { partner_id: 'P-assoc-2', open: true },
    ]);
  });

  it('is never deleted, and only its ending may be set, once, both columns together', async () => {
    const id = await associate(`C-${randomUUID().slice(0, 8)}`);
    await expect(client.query(`DELETE FROM customer_association WHERE id = $1`, [id])).rejects.toThrow(/never deleted/);
    await expect(client.query(`UPDATE customer_association SET mode = 'CONSULTATIVE' WHERE id = $1`, [id])).rejects.toThrow(/may only be ended/);
    await expect(client.query(`UPDATE customer_association SET unlinked_at = now() WHERE id = $1`, [id])).rejects.toThrow(/may only be ended/);
    await expect(client.query(`UPDATE customer_association SET partner_id = 'P-other', unlinked_at = now(), unlink_id = $2 WHERE id = $1`, [id, randomUUID()])).rejects.toThrow(/may only be ended/);
    await client.query(`UPDATE customer_association SET unlinked_at = now(), unlink_id = $2 WHERE id = $1`, [id, randomUUID()]);
    await expect(client.query(`UPDATE customer_association SET unlinked_at = now(), unlink_id = $2 WHERE id = $1`, [id, randomUUID()])).rejects.toThrow(/may only be ended/);
  });
});
