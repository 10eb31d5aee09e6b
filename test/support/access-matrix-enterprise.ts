/**
 * Enterprise lookup (issue 18 section 1) in the access matrix, and the enterprise fixtures the enterprise tests share:
 * real enterprises with their published credit codes, NDJSON bodies, and an import through the real API. Every
 * enterprise is a catalog entry (no partner owns one): the list is declared a catalog, the reads are not
 * partner-owned. Imports send a fresh Idempotency-Key and re-import the same records, so every allowed call succeeds
 * alike.
 */
import { randomUUID } from 'node:crypto';
import { creditCodeCheckCharacter } from '../../domain/credit-code.js';
import { call, type Call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';

/** Real enterprises, with the codes published for them (their check characters are verified by hand in test/enterprise.test.ts). */
export const REAL_ENTERPRISES = [
  { creditCode: '91330100716105852F', name: '杭州阿里巴巴网络科技有限公司', industry: '互联网和相关服务', region: '浙江省杭州市', registeredCapital: { currency: 'CNY', minor: 1_072_000_000_00 } },
  { creditCode: '91330100799655058B', name: '阿里巴巴（中国）有限公司', industry: '软件和信息技术服务业', region: '浙江省杭州市', registeredCapital: { currency: 'USD', minor: 1_500_000_000_00 } },
  { creditCode: '914403001922038216', name: '华为技术有限公司', industry: '计算机、通信和其他电子设备制造业', region: '广东省深圳市' },
  { creditCode: '91440300708461136T', name: '深圳市腾讯计算机系统有限公司', industry: '互联网和相关服务', region: '广东省深圳市' },
  { creditCode: '91110108551385082Q', name: '小米科技有限责任公司', region: '北京市海淀区' },
];

/** A valid code for a made-up enterprise (fixtures only: its check character comes from the rule the domain test proves). */
export function madeUpCode(n: number): string {
  const first17 = `91${String(n).padStart(15, '0')}`;
  return first17 + creditCodeCheckCharacter(first17)!;
}

/** Neighbours of the Alibaba names, so that a typo search has near misses to rank below the right one. */
export const NEIGHBOURS = [
  '杭州阿里巴巴广告有限公司',
  '杭州阿里妈妈软件服务有限公司',
  '杭州网络科技有限公司',
  '阿里云计算有限公司',
  '浙江天猫网络有限公司',
  '杭州巴巴网络科技有限公司',
].map((name, i) => ({ creditCode: madeUpCode(880_000 + i), name }));

/**
 * 30,000 made-up enterprises of one import (a city, three characters drawn across the CJK block, a company form),
 * then ANALYZE: a table large enough that the planner prefers an index to a scan. Codes start with 93 (none of the
 * tests' others do); the import id names them for deletion.
 */
export const syntheticEnterprisesSql = (importId: string) => [
  `INSERT INTO enterprise_import (id, idempotency_key, imported_by, started_at) VALUES ('${importId}', '${importId}', 'synthetic', now())`,
  `INSERT INTO enterprise (credit_code, name, import_id, import_line, imported_at, created_at)
   SELECT '93' || lpad(i::text, 15, '0') || '0',
          (ARRAY['北京','上海','广州','深圳','成都','武汉','西安','南京','苏州','重庆'])[(1 + i % 10)::int]
            || chr((19968 + (i * 7919) % 20000)::int) || chr((19968 + (i * 104729) % 20000)::int) || chr((19968 + (i * 31337) % 20000)::int)
            || (ARRAY['有限公司','科技有限公司','股份有限公司','贸易有限公司'])[(1 + i % 4)::int],
          '${importId}', i::int, now(), now()
   FROM generate_series(1::bigint, 30000) AS i`,
  'ANALYZE enterprise',
];

export const ndjson = (lines: readonly unknown[]) => Buffer.from(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');

/** POST /v1/enterprises/import with an NDJSON body (bytes, or a stream sent as it is produced). */
export async function importEnterprises(base: string, token: string | undefined, body: Buffer | ReadableStream<Uint8Array>, headers: Record<string, string> = {}): Promise<Call> {
  const res = await fetch(`${base}/v1/enterprises/import`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', 'idempotency-key': randomUUID(), ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: Buffer.isBuffer(body) ? new Uint8Array(body) : body,
    ...(Buffer.isBuffer(body) ? {} : { duplex: 'half' }),
  } as RequestInit);
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** The enterprise list holds no partner's data. */
export const ENTERPRISE_CATALOG = { 'GET /v1/enterprises': "enterprise records (企业百科): the vendor's catalog, the same for every partner" };

export function enterpriseEntries(base: () => string): MatrixTable {
  let imported: Promise<void> | undefined;
  const ensureImported = () =>
    (imported ??= (async () => {
      const res = await importEnterprises(base(), await tokenFor(['vendor_admin'], undefined, 'matrix-setup-enterprises'), ndjson(REAL_ENTERPRISES));
      if (res.status !== 200) throw new Error(`setup: POST /v1/enterprises/import answered ${res.status} ${JSON.stringify(res.body)}`);
    })());
  return {
    'POST /v1/enterprises/import': {
      success: 200,
      partnerOwned: false,
      request: () => ({ body: ndjson(REAL_ENTERPRISES), headers: { 'Content-Type': 'application/x-ndjson', 'Idempotency-Key': randomUUID() } }),
    },
    'GET /v1/enterprises': { success: 200, partnerOwned: false, request: async () => (await ensureImported(), { query: { name: '阿里巴巴', limit: '5' } }) },
    'GET /v1/enterprises/:creditCode': { success: 200, partnerOwned: false, request: async () => (await ensureImported(), { params: { creditCode: REAL_ENTERPRISES[0]!.creditCode } }) },
  };
}

/** A fresh call helper for reads (JSON in and out). */
export const lookUp = (base: string, path: string, token?: string) => call(base, 'GET', path, token);
