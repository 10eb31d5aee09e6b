/**
 * Enterprise lookup through the real API on PostgreSQL: the streamed import (recorded while the body still arrives,
 * a result per line, a bad line refused alone naming its fields, re-imports, an idempotent retry, another body with the
 * same key), the search (a Chinese name with a typo first, served by the trigram index on a table large enough for the
 * planner to want it, exact credit code, pages), one record, and the 403 that says whom to ask.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEARCH_BY_NAME_SQL, searchByNameParameters, searchPartOf } from '../api/enterprise/client.js';
import { call, tokenFor } from './support/app.js';
import { importEnterprises, madeUpCode, ndjson, NEIGHBOURS, REAL_ENTERPRISES, syntheticEnterprisesSql } from './support/access-matrix-enterprise.js';
import { expectOk, useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { testDatabaseUrl } from './support/database.js';
import { migrate } from '../platform/db.js';
import pg from 'pg';

const env = useTestEnv({ taskQueue: 'enterprise-api', api: true });
let manager: string;
let sales: string;
const SYNTHETIC_IMPORT = randomUUID();

const rowsOf = async (key: string) =>
  Number(
    (
      await env.prisma.$queryRaw<{ n: bigint }[]>`
        SELECT count(*) AS n FROM enterprise_import_row r JOIN enterprise_import i ON i.id = r.import_id WHERE i.idempotency_key = ${key}`
    )[0]!.n,
  );

beforeAll(async () => {
  manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'enterprise-manager');
  sales = await tokenFor(['partner_sales'], `P-ent-${randomUUID().slice(0, 8)}`);
  expectOk(await importEnterprises(env.base, manager, ndjson([...REAL_ENTERPRISES, ...NEIGHBOURS])));
});

afterAll(async () => {
  await env.prisma.$executeRaw`DELETE FROM enterprise WHERE import_id = ${SYNTHETIC_IMPORT}::uuid`;
  await env.prisma.$executeRaw`DELETE FROM enterprise_import WHERE id = ${SYNTHETIC_IMPORT}::uuid`;
});

describe('the streamed import', () => {
  it('records lines while the body still arrives (never buffered whole), and answers every line', async () => {
    const key = `stream-${randomUUID()}`;
    const first = Array.from({ length: 250 }, (_, i) => ({ creditCode: madeUpCode(100_000 + i), name: `流式导入测试企业${i}号有限公司` }));
    const rest = Array.from({ length: 50 }, (_, i) => ({ creditCode: madeUpCode(100_250 + i), name: `流式导入测试企业${250 + i}号有限公司` }));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new Uint8Array(ndjson(first)));
        await held; // the rest only once the server has recorded the first lines
        controller.enqueue(new Uint8Array(ndjson(rest)));
        controller.close();
      },
    });
    const answer = importEnterprises(env.base, manager, body, { 'idempotency-key': key });
    // A server that read the whole body first would record nothing until the stream ends, which waits for this.
    expect(await eventually(async () => ((await rowsOf(key)) >= 200 ? rowsOf(key) : undefined), 20_000)).toBeGreaterThanOrEqual(200);
    release();
    const res = await answer;
    expectOk(res);
    expect(res.body).toMatchObject({ lines: 300, accepted: 300, refused: 0, replayed: false });
    expect(res.body.results.map((r: { line: number }) => r.line)).toEqual(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(await rowsOf(key)).toBe(300);
  });

  it('refuses a bad line alone, naming its field; the lines after it are recorded', async () => {
    const code = madeUpCode(200_001);
    const body = ndjson([
      { creditCode: code, name: '好企业有限公司', registeredCapital: { currency: 'CNY', minor: 100 } },
      { creditCode: '914403001922038217', name: '校验位错误' },
      '{"creditCode": "91',
      { creditCode: madeUpCode(200_002), name: '负资本', registeredCapital: { currency: 'CNY', minor: -5 } },
      '',
      { creditCode: madeUpCode(200_003), name: '多余字段', boss: '某人' },
      { creditCode: madeUpCode(200_004), name: '最后一行有限公司' },
    ]);
    const res = await importEnterprises(env.base, manager, body);
    expectOk(res);
    expect(res.body).toMatchObject({ lines: 6, accepted: 2, refused: 4 });
    expect(res.body.results).toEqual([
      { line: 1, ok: true, creditCode: code, outcome: 'CREATED' },
      { line: 2, ok: false, creditCode: '914403001922038217', problem: { code: 'invalid-line', errors: [{ field: 'creditCode', message: expect.stringContaining('check character') }] } },
      { line: 3, ok: false, creditCode: null, problem: { code: 'malformed-line', errors: [{ field: '(line)', message: 'not a JSON value' }] } },
      { line: 4, ok: false, creditCode: madeUpCode(200_002), problem: { code: 'invalid-line', errors: [{ field: 'registeredCapital.minor', message: expect.any(String) }] } },
      { line: 6, ok: false, creditCode: madeUpCode(200_003), problem: { code: 'invalid-line', errors: [{ field: 'boss', message: 'unknown field(s): boss' }] } },
      { line: 7, ok: true, creditCode: madeUpCode(200_004), outcome: 'CREATED' },
    ]);
    const refused = await env.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM enterprise WHERE credit_code IN (${madeUpCode(200_002)}, ${madeUpCode(200_003)})`;
    expect(Number(refused[0]!.n)).toBe(0);
  });

  it('a re-import updates the current record or leaves it unchanged, and keeps every import in the history', async () => {
    const code = madeUpCode(300_001);
    expectOk(await importEnterprises(env.base, manager, ndjson([{ creditCode: code, name: '旧名称有限公司', region: '浙江省' }])));
    const again = await importEnterprises(env.base, manager, ndjson([{ creditCode: code, name: '旧名称有限公司', region: '浙江省' }]));
    expect(again.body.results[0]).toMatchObject({ outcome: 'UNCHANGED' });
    const renamed = await importEnterprises(env.base, manager, ndjson([{ creditCode: code, name: '新名称有限公司', region: '浙江省' }]));
    expect(renamed.body.results[0]).toMatchObject({ outcome: 'UPDATED' });
    const one = await call(env.base, 'GET', `/v1/enterprises/${code}`, sales);
    expectOk(one);
    expect(one.body).toMatchObject({ creditCode: code, name: '新名称有限公司', region: '浙江省', industry: null, registeredCapital: null, importId: renamed.body.id });
    const history = await env.prisma.$queryRaw<{ outcome: string; name: string }[]>`
      SELECT outcome, data->>'name' AS name FROM enterprise_import_row WHERE credit_code = ${code} ORDER BY id`;
    expect(history).toEqual([
      { outcome: 'CREATED', name: '旧名称有限公司' },
      { outcome: 'UNCHANGED', name: '旧名称有限公司' },
      { outcome: 'UPDATED', name: '新名称有限公司' },
    ]);
  });

  it('a retry with the same Idempotency-Key answers the same results and records nothing again; another body is 422', async () => {
    const key = `retry-${randomUUID()}`;
    const body = ndjson([{ creditCode: madeUpCode(400_001), name: '重试企业有限公司' }, { creditCode: 'bad', name: 'x' }]);
    const first = await importEnterprises(env.base, manager, body, { 'idempotency-key': key });
    expectOk(first);
    const rows = await rowsOf(key);
    const retry = await importEnterprises(env.base, manager, body, { 'idempotency-key': key });
    expectOk(retry);
    expect({ ...retry.body, replayed: false }).toEqual(first.body);
    expect(retry.body.replayed).toBe(true);
    expect(await rowsOf(key)).toBe(rows);
    for (const other of [
      ndjson([{ creditCode: madeUpCode(400_001), name: '另一个名字' }, { creditCode: 'bad', name: 'x' }]),
      ndjson([{ creditCode: madeUpCode(400_001), name: '重试企业有限公司' }]),
      ndjson([{ creditCode: madeUpCode(400_001), name: '重试企业有限公司' }, { creditCode: 'bad', name: 'x' }, { creditCode: madeUpCode(400_002), name: '多一行' }]),
    ]) {
      const res = await importEnterprises(env.base, manager, other, { 'idempotency-key': key });
      expect(res.status, JSON.stringify(res.body)).toBe(422);
      expect(res.body).toMatchObject({ type: 'urn:partnerflow:problem:idempotency-key-reused', errors: [{ field: 'Idempotency-Key' }] });
    }
    expect(await rowsOf(key)).toBe(rows);
  });

  it('refuses a request without Idempotency-Key, another Content-Type or no lines, writing nothing', async () => {
    const count = async () => Number((await env.prisma.$queryRaw<{ n: bigint }[]>`SELECT count(*) AS n FROM enterprise_import`)[0]!.n);
    const before = await count();
    const body = ndjson([REAL_ENTERPRISES[0]]);
    const noKey = await fetch(`${env.base}/v1/enterprises/import`, { method: 'POST', headers: { authorization: `Bearer ${manager}`, 'content-type': 'application/x-ndjson' }, body: new Uint8Array(body) });
    expect(noKey.status).toBe(400);
    expect(((await noKey.json()) as { errors: unknown }).errors).toEqual([{ field: 'Idempotency-Key', message: expect.any(String) }]);
    const json = await importEnterprises(env.base, manager, body, { 'content-type': 'text/plain' });
    expect(json.status).toBe(415);
    expect(json.body.errors).toEqual([{ field: 'Content-Type', message: expect.any(String) }]);
    const empty = await importEnterprises(env.base, manager, Buffer.from('\n \n'));
    expect(empty.status).toBe(400);
    expect(empty.body.errors).toEqual([{ field: '(body)', message: expect.stringContaining('no lines') }]);
    expect((await importEnterprises(env.base, sales, body)).status).toBe(403);
    expect(await count()).toBe(before);
  });
});

describe('the document', () => {
  it('describes the import body as NDJSON with the shape of one line, and the search and read answers', async () => {
    const doc = (await call(env.base, 'GET', '/v1/openapi.json')).body;
    const importOp = doc.paths['/v1/enterprises/import'].post;
    const content = importOp.requestBody?.content?.['application/x-ndjson'];
    expect(content, JSON.stringify(importOp.requestBody)).toBeDefined();
    expect(Object.keys(content.itemSchema.properties).sort()).toEqual(['creditCode', 'industry', 'name', 'region', 'registeredCapital']);
    expect(content.itemSchema.required.sort()).toEqual(['creditCode', 'name']);
    expect(Object.keys(importOp.responses)).toEqual(expect.arrayContaining(['200', '400', '403', '413', '415', '422']));
    expect(importOp.parameters).toContainEqual(expect.objectContaining({ name: 'Idempotency-Key', in: 'header' }));
    expect(doc.paths['/v1/enterprises'].get.parameters.map((p: { name: string }) => p.name)).toEqual(['name', 'creditCode', 'limit', 'cursor']);
    expect(Object.keys(doc.paths['/v1/enterprises/{creditCode}'].get.responses)).toEqual(expect.arrayContaining(['200', '404', '422']));
  });
});

describe('search', () => {
  const search = (query: string, token = sales) => call(env.base, 'GET', `/v1/enterprises?${query}`, token);

  it('finds 杭州阿里巴巴网络科技有限公司 first when searched with one character wrong (杭州阿理巴巴…)', async () => {
    const res = await search(`name=${encodeURIComponent('杭州阿理巴巴网络科技有限公司')}&limit=5`);
    expectOk(res);
    expect(res.body.items[0]).toMatchObject({ creditCode: '91330100716105852F', name: '杭州阿里巴巴网络科技有限公司', registeredCapital: { currency: 'CNY', minor: 1_072_000_000_00 } });
    expect(res.body.items[0].similarity).toBeGreaterThan(res.body.items[1].similarity);
    const scores = res.body.items.map((i: { similarity: number }) => i.similarity);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
  });

  it('finds a name by a part of it, and pages through the matches in rank order without repeats', async () => {
    const part = await search(`name=${encodeURIComponent('阿里巴巴')}&limit=2`);
    expectOk(part);
    expect(part.body.items).toHaveLength(2);
    const seen = [...part.body.items];
    let cursor = part.body.nextCursor as string | null;
    while (cursor) {
      const next = await search(`name=${encodeURIComponent('阿里巴巴')}&limit=2&cursor=${cursor}`);
      expectOk(next);
      seen.push(...next.body.items);
      cursor = next.body.nextCursor;
    }
    const names = seen.map((i) => i.name);
    expect(names).toEqual(expect.arrayContaining(['杭州阿里巴巴网络科技有限公司', '阿里巴巴（中国）有限公司', '杭州阿里巴巴广告有限公司']));
    expect(new Set(seen.map((i) => i.creditCode)).size).toBe(seen.length);
    const scores = seen.map((i) => i.similarity);
    expect(scores).toEqual([...scores].sort((a, b) => b - a));
    expect((await search(`name=${encodeURIComponent('阿里巴巴')}&cursor=bm90LWEtY3Vyc29y`)).body.errors).toEqual([{ field: 'query.cursor', message: expect.any(String) }]);
  });

  it('finds one by exact credit code; a malformed code is 422 naming it; neither or both parameters 400', async () => {
    const exact = await search('creditCode=914403001922038216');
    expectOk(exact);
    expect(exact.body.items).toEqual([expect.objectContaining({ creditCode: '914403001922038216', name: '华为技术有限公司', similarity: 1 })]);
    expect((await search(`creditCode=${madeUpCode(999_999)}`)).body.items).toEqual([]);
    const bad = await search('creditCode=914403001922038217');
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ type: 'urn:partnerflow:problem:credit-code-invalid', errors: [{ field: 'query.creditCode' }] });
    expect((await search('')).body.errors).toEqual([{ field: 'query.name', message: expect.any(String) }]);
    expect((await search(`name=x&creditCode=914403001922038216`)).status).toBe(400);
  });

  it('answers one record by code: 404 when none, 422 naming the malformed code', async () => {
    const one = await call(env.base, 'GET', '/v1/enterprises/91440300708461136T', sales);
    expectOk(one);
    expect(one.body).toMatchObject({ name: '深圳市腾讯计算机系统有限公司', region: '广东省深圳市', registeredCapital: null });
    expect((await call(env.base, 'GET', `/v1/enterprises/${madeUpCode(999_998)}`, sales)).status).toBe(404);
    const bad = await call(env.base, 'GET', '/v1/enterprises/91440300708461136U', sales);
    expect(bad.status).toBe(422);
    expect(bad.body.errors).toEqual([{ field: 'creditCode', message: expect.stringContaining('check character') }]);
    expect((await call(env.base, 'GET', '/v1/enterprises/9144', sales)).body.errors).toEqual([{ field: 'creditCode', message: expect.stringContaining('18 characters') }]);
  });

  it('without customer.expand: 403 saying to contact the ecosystem manager (请联系生态经理)', async () => {
    const finance = await tokenFor(['partner_finance'], `P-ent-${randomUUID().slice(0, 8)}`);
    for (const path of [`/v1/enterprises?name=${encodeURIComponent('华为')}`, '/v1/enterprises/914403001922038216']) {
      const res = await call(env.base, 'GET', path, finance);
      expect(res.status).toBe(403);
      expect(res.body.detail).toContain('请联系生态经理');
      expect(res.body.detail).toContain('contact your ecosystem manager');
    }
  });

  it('is served by the trigram index on a table large enough for the planner to choose it (EXPLAIN)', async () => {
    for (const sql of syntheticEnterprisesSql(SYNTHETIC_IMPORT)) await env.prisma.$executeRawUnsafe(sql);
    for (const name of ['杭州阿理巴巴网络科技有限公司', '阿里巴巴']) {
      const plan = await env.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN ${SEARCH_BY_NAME_SQL}`, ...searchByNameParameters(await searchPartOf(env.prisma, name), undefined, 21));
      const text = plan.map((r) => r['QUERY PLAN']).join('\n');
      expect(text, text).toContain('enterprise_search_name_trgm_idx');
      expect(text, text).not.toMatch(/Seq Scan on enterprise/);
    }
    // …and the typo search still ranks the right one first among them.
    const res = await search(`name=${encodeURIComponent('杭州阿理巴巴网络科技有限公司')}&limit=3`);
    expect(res.body.items[0].creditCode).toBe('91330100716105852F');
  });
});

describe('the database locale', () => {
  it('a database whose ctype is C (initdb --no-locale) fails the migration, saying why and how to fix it', async () => {
    const name = `enterprise_c_ctype_${randomUUID().slice(0, 8)}`;
    const admin = new pg.Client({ connectionString: testDatabaseUrl() });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${name} ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0`);
      const url = new URL(testDatabaseUrl());
      url.pathname = `/${name}`;
      await expect(migrate(url.toString())).rejects.toThrow(/pg_trgm finds no trigrams in Chinese text .*LC_CTYPE C\b.*C\.UTF-8/s);
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  });
});
