/**
 * The embedded database as `npm start` runs it (scripts/embedded-db.ts), for the files that show a database rule holds
 * on it as on PostgreSQL (test/ledger.test.ts, test/funds.ledger.test.ts): an in-memory PGlite with pg_trgm, served on
 * the wire protocol on a free loopback port one exchange at a time (scripts/pglite-serial.ts), every migration applied
 * as `npm start` applies them.
 */
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { migrate } from '../../platform/db.js';
import { serializeExchanges } from '../../scripts/pglite-serial.js';
import { freePorts } from './stack.js';

/** A fresh session on the database at `url`. */
export async function connectTo(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  return client;
}

/**
 * A migrated PGlite served for the enclosing describe block: started in its beforeAll, stopped in its afterAll.
 * `url()` names it once started.
 */
export function useServedPglite({ maxConnections = 4 }: { maxConnections?: number } = {}): { url: () => string } {
  let pglite: PGlite | undefined;
  let server: PGLiteSocketServer | undefined;
  let url: string | undefined;

  beforeAll(async () => {
    pglite = await PGlite.create({ extensions: { pg_trgm } });
    const [port] = (await freePorts(1)) as [number];
    server = new PGLiteSocketServer({ db: pglite, port, host: '127.0.0.1', maxConnections });
    serializeExchanges(server);
    await server.start();
    url = `postgres://postgres@127.0.0.1:${port}/postgres`;
    await migrate(url);
  });
  afterAll(async () => {
    await server?.stop();
    await pglite?.close();
  });

  return {
    url: () => {
      if (!url) throw new Error('the PGlite server is not started yet: call url() inside a test or hook');
      return url;
    },
  };
}
