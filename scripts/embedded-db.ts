/**
 * The embedded default database: PGlite (Postgres compiled to WASM) with its data under .data/, served on
 * the Postgres wire protocol so Prisma's pg adapter and node-pg-migrate talk to it like to any Postgres.
 * Run by `npm start` when DATABASE_URL is not set. PGlite runs one query at a time.
 */
import '../platform/parent-watch.js'; // stops with `npm start` however it ends
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { serializeExchanges } from './pglite-serial.js';
import { projectRoot } from './temporal-binaries.js';

const port = Number(process.env.EMBEDDED_DB_PORT ?? 5433);
// Must cover every pool that connects: worker + API + migration runner.
const maxConnections = Number(process.env.EMBEDDED_DB_MAX_CONNECTIONS ?? 32);
const dataDir = path.join(process.env.DATA_DIR ?? path.join(projectRoot, '.data'), 'pglite');
mkdirSync(dataDir, { recursive: true });

// pg_trgm: enterprise name search (0025_enterprise.sql creates the extension; PGlite's ctype is C.UTF-8, so Chinese
// names have trigrams).
const db = await PGlite.create(dataDir, { extensions: { pg_trgm } });
const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections });
serializeExchanges(server); // one connection's query exchange at a time (see pglite-serial.ts)
await server.start();
console.log(`embedded PostgreSQL (PGlite) on 127.0.0.1:${port}, data in ${dataDir}`);

async function stop() {
  await server.stop();
  await db.close(); // flushes to disk
  process.exit(0);
}
process.once('SIGINT', () => void stop());
process.once('SIGTERM', () => void stop());
