/**
 * Enterprise lookup on the embedded database (`npm start` without DATABASE_URL): PGlite with its pg_trgm contrib
 * extension loaded as scripts/embedded-db.ts loads it, served on the wire protocol, every migration applied. The same
 * API imports the same enterprises and a Chinese name with a typo finds the right one first, served by the trigram
 * index; and without the extension the migration fails loudly instead of leaving search without an index.
 */
import type { Server } from 'node:http';
import { createServer } from 'node:net';
import { randomUUID } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { SEARCH_BY_NAME_SQL, searchByNameParameters, searchPartOf } from '../api/enterprise/client.js';
import { createPrisma, migrate, type PrismaClient } from '../platform/db.js';
import { serializeExchanges } from '../scripts/pglite-serial.js';
import { call, tokenFor } from './support/app.js';
import { importEnterprises, ndjson, NEIGHBOURS, REAL_ENTERPRISES, syntheticEnterprisesSql } from './support/access-matrix-enterprise.js';
import { expectOk, useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'enterprise-pglite' });
let pglite: PGlite;
let socket: PGLiteSocketServer;
let prisma: PrismaClient;
let http: Server;
let base: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

async function served(db: PGlite): Promise<{ url: string; server: PGLiteSocketServer }> {
  const port = await freePort();
  const server = new PGLiteSocketServer({ db, port, host: '127.0.0.1', maxConnections: 8 });
  serializeExchanges(server);
  await server.start();
  return { url: `postgres://postgres@127.0.0.1:${port}/postgres`, server };
}

beforeAll(async () => {
  pglite = await PGlite.create({ extensions: { pg_trgm } });
  const { url, server } = await served(pglite);
  socket = server;
  await migrate(url);
  prisma = createPrisma(url, 4);
  const app = createApp({ ...env.deps(), prisma });
  http = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(http.address() as { port: number }).port}`;
}, 120_000);

afterAll(async () => {
  http?.close();
  await prisma?.$disconnect();
  await socket?.stop();
  await pglite?.close();
});

describe('enterprise lookup on the embedded PGlite', () => {
  it("PGlite's ctype is C.UTF-8: pg_trgm makes trigrams of Chinese text", async () => {
    const [row] = await prisma.$queryRaw<{ ctype: string; trigrams: number }[]>`
      SELECT datctype AS ctype, coalesce(array_length(show_trgm('企业百科'), 1), 0) AS trigrams FROM pg_database WHERE datname = current_database()`;
    expect(row).toEqual({ ctype: 'C.UTF-8', trigrams: 5 });
  });

  it('imports through the API and finds 杭州阿里巴巴网络科技有限公司 first when searched as 杭州阿理巴巴网络科技有限公司', async () => {
    const manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'pglite-manager');
    const imported = await importEnterprises(base, manager, ndjson([...REAL_ENTERPRISES, ...NEIGHBOURS, { creditCode: '91330100716105852E', name: '坏校验位' }]));
    expectOk(imported);
    expect(imported.body).toMatchObject({ lines: 12, accepted: 11, refused: 1 });
    expect(imported.body.results[11]).toMatchObject({ line: 12, ok: false, problem: { errors: [{ field: 'creditCode' }] } });
    const sales = await tokenFor(['partner_sales'], `P-pgl-${randomUUID().slice(0, 8)}`);
    const res = await call(base, 'GET', `/v1/enterprises?name=${encodeURIComponent('杭州阿理巴巴网络科技有限公司')}&limit=5`, sales);
    expectOk(res);
    expect(res.body.items[0]).toMatchObject({ creditCode: '91330100716105852F', name: '杭州阿里巴巴网络科技有限公司' });
    expect(res.body.items[0].similarity).toBeGreaterThan(res.body.items[1]?.similarity ?? 0);
    expectOk(await call(base, 'GET', '/v1/enterprises/91330100716105852F', sales));
  });

  it('is served by the trigram index on a table large enough (EXPLAIN)', async () => {
    for (const sql of syntheticEnterprisesSql(randomUUID())) await prisma.$executeRawUnsafe(sql);
    const part = await searchPartOf(prisma, '杭州阿理巴巴网络科技有限公司');
    const plan = await prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${SEARCH_BY_NAME_SQL}`, ...searchByNameParameters(part, undefined, 21));
    const text = plan.map((r) => r['QUERY PLAN']).join('\n');
    expect(text, text).toContain('enterprise_search_name_trgm_idx');
    expect(text, text).not.toMatch(/Seq Scan on enterprise/);
  });

  it('without pg_trgm loaded the migrations fail, naming the extension (nothing half-made)', async () => {
    const bare = await PGlite.create();
    const { url, server } = await served(bare);
    try {
      await expect(migrate(url)).rejects.toThrow(/pg_trgm/);
    } finally {
      await server.stop();
      await bare.close();
    }
  }, 120_000);
});
