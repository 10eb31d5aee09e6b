/**
 * The OpenAPI contract, enterprise lookup routes (企业百科): the streamed NDJSON import, the search and one record —
 * successes and refusals — each answer validated against the schema the document gives for that route and status
 * (support/openapi-contract.ts); every route of the area answered a success.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { expectStatus, type Mode, newPartner, useContract } from './support/openapi-contract.js';

const { checked, unexercised } = useContract();

describe('contract: real answers match the document', () => {
  it('enterprises: import (NDJSON with a bad line, retried, another body, no key, another type, no permission), search (typo, code, bad code), one record (404, 422, 403) — successes and refusals', async () => {
    const n = (...a: Parameters<typeof checked> extends [Mode, ...infer R] ? R : never) => checked('normal', ...a);
    const manager = await tokenFor(['vendor_ecosystem_manager']);
    const sales = await tokenFor(['partner_sales'], newPartner());
    const ndjson = { 'Content-Type': 'application/x-ndjson', 'Idempotency-Key': randomUUID() };
    const body = Buffer.from('{"creditCode":"91330100716105852F","name":"杭州阿里巴巴网络科技有限公司"}\n{"creditCode":"91330100716105852E","name":"坏校验位"}\n');
    expectStatus(await n('POST', '/v1/enterprises/import', manager, body, ndjson), 200);
    expectStatus(await n('POST', '/v1/enterprises/import', manager, body, ndjson), 200); // the retry: the same answer
    expectStatus(await n('POST', '/v1/enterprises/import', manager, Buffer.from('{"creditCode":"x"}\n'), ndjson), 422);
    expectStatus(await n('POST', '/v1/enterprises/import', manager, body, { 'Content-Type': 'application/x-ndjson' }), 400);
    expectStatus(await n('POST', '/v1/enterprises/import', manager, body, { 'Content-Type': 'text/plain', 'Idempotency-Key': randomUUID() }), 415);
    expectStatus(await n('POST', '/v1/enterprises/import', sales, body, { ...ndjson, 'Idempotency-Key': randomUUID() }), 403);
    expectStatus(await n('GET', `/v1/enterprises?name=${encodeURIComponent('杭州阿理巴巴网络科技有限公司')}&limit=3`, sales), 200);
    expectStatus(await n('GET', '/v1/enterprises?creditCode=91330100716105852F', sales), 200);
    expectStatus(await n('GET', '/v1/enterprises?creditCode=91330100716105852E', sales), 422);
    expectStatus(await n('GET', '/v1/enterprises', sales), 400);
    expectStatus(await n('GET', '/v1/enterprises/91330100716105852F', sales), 200);
    expectStatus(await n('GET', '/v1/enterprises/1A0000000000000000', sales), 404);
    expectStatus(await n('GET', '/v1/enterprises/9133', sales), 422);
    expectStatus(await n('GET', '/v1/enterprises/91330100716105852F', await tokenFor(['partner_finance'], newPartner())), 403);
  });

  it('every enterprise route was exercised with a success answer', () => {
    expect(unexercised('enterprises')).toEqual([]);
  });
});
