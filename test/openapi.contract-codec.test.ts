/**
 * The OpenAPI contract, codec endpoint (issue 19 section 3): real decode and encode calls — successes and refusals —
 * each answer validated against the schema the document gives for that route and status (support/openapi-contract.ts);
 * every codec route answered a success. The contract's apps run without PAYLOAD_CODEC_KEYS: payloads pass through.
 */
import { describe, expect, it } from 'vitest';
import { CODEC_PATH } from '../api/codec/routes.js';
import { routeKey } from './support/access-matrix.js';
import { tokenFor } from './support/app.js';
import { expectStatus, useContract } from './support/openapi-contract.js';

const { checked, routes, seen } = useContract();
const b64 = (text: string) => Buffer.from(text).toString('base64');
const payloads = { payloads: [{ metadata: { encoding: b64('json/plain') }, data: b64('{"a":1}') }, { metadata: { encoding: b64('binary/null') } }] };

describe('contract: real answers match the document', () => {
  it('codec: decode and encode for vendor_operator, refusals for others and for malformed payloads', async () => {
    const operator = await tokenFor(['vendor_operator'], undefined, 'oa-operator');
    for (const direction of ['decode', 'encode']) {
      const url = `${CODEC_PATH}/${direction}`;
      const ok = await checked('normal', 'POST', url, operator, payloads, { 'X-Namespace': 'default' });
      expectStatus(ok, 200);
      expect(ok.body).toEqual(payloads); // no codec configured: every payload as it came
      expectStatus(await checked('normal', 'POST', url, operator, { payloads: [{ metadata: { encoding: '%%' } }] }), 400);
      expectStatus(await checked('normal', 'POST', url, operator, { payloads: [], extra: 1 }), 400);
      expectStatus(await checked('normal', 'POST', url, await tokenFor(['vendor_admin']), payloads), 403);
      expectStatus(await checked('normal', 'POST', url, undefined, payloads), 401);
    }
  });

  it('every codec route was exercised with a success answer', () => {
    const codecRoutes = routes.normal.filter((r) => r.path.startsWith(`${CODEC_PATH}/`)).map((r) => `normal ${routeKey(r)}`);
    expect(codecRoutes.length).toBe(2);
    expect(codecRoutes.filter((key) => ![...(seen.get(key) ?? [])].some((s) => s >= 200 && s < 300))).toEqual([]);
  });
});
