/**
 * The embedded default database (`npm start` without DATABASE_URL): PGlite served on the wire protocol to the API's
 * and the worker's connection pools at once. Many connections mixing transactions and plain parameterized queries
 * must each get their own answers (pglite-socket alone interleaves their protocol exchanges: scripts/pglite-serial.ts).
 */
import { createServer } from 'node:net';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeExchanges } from '../scripts/pglite-serial.js';

let db: PGlite;
let server: PGLiteSocketServer;
let url: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  db = await PGlite.create();
  const port = await freePort();
  server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 20 });
  serializeExchanges(server);
  await server.start();
  url = `postgres://postgres@127.0.0.1:${port}/postgres`;
});

afterAll(async () => {
  await server?.stop();
  await db?.close();
});

describe('embedded database', () => {
  it('answers every connection its own rows while transactions and plain queries interleave', async () => {
    const pools = [new pg.Pool({ connectionString: url, max: 5 }), new pg.Pool({ connectionString: url, max: 5 })];
    try {
      const inTransaction = async (i: number) => {
        const client = await pools[0]!.connect();
        try {
          await client.query('BEGIN');
          const { rows } = await client.query('SELECT $1::int + 1 AS n', [i]);
          await client.query('COMMIT');
          return rows[0]?.n === i + 1;
        } finally {
          client.release();
        }
      };
      const plain = async (i: number) => (await pools[1]!.query('SELECT $1::text AS s, $2::int AS n', [String(i), i])).rows[0]?.n === i;
      const answers = await Promise.all(Array.from({ length: 600 }, (_, i) => (i % 2 ? inTransaction(i) : plain(i)).catch((e: Error) => e.message)));
      expect(answers.filter((a) => a !== true)).toEqual([]);
    } finally {
      await Promise.all(pools.map((p) => p.end()));
    }
  });
});
