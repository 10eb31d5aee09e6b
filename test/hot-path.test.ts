/**
 * The hot path's database round trips, counted (issue 16): on this 2-core machine every statement costs the API's
 * main thread, the socket and the database about a millisecond of CPU, and share → accept is what the partner center
 * does thousands of times a day. The budget, by design (docs/architecture.md, "The hot path counts its round trips"):
 * a share with an Idempotency-Key is 4 statements — the key, the share's one-statement write (a local activity), the
 * view in one query, the audit row — and an accept 4 — the agreement gate (issue 17 section 5: one indexed query,
 * platform/agreement-gate.ts, refused before anything is sent), its one-statement write (a regular activity), the view,
 * the audit row — once the partner user's member lookup is cached. API and worker run in this process: every statement
 * of both goes through node-postgres's Client.query, counted here.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'hot-path-test', server: 'dev', api: true });
const { api } = env;

const statements: string[] = [];
let counting = false;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (counting) {
    const q = args[0] as string | { text?: string };
    statements.push((typeof q === 'string' ? q : (q.text ?? '')).replace(/\s+/g, ' ').trim().slice(0, 60));
  }
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;
afterAll(() => {
  pg.Client.prototype.query = query;
});

async function counted<T>(run: () => Promise<T>): Promise<{ value: T; statements: string[] }> {
  statements.length = 0;
  counting = true;
  try {
    return { value: await run(), statements: [...statements] };
  } finally {
    counting = false;
  }
}

describe('the hot path', () => {
  it('a share is 4 statements, an accept 4', async () => {
    const vendor = await tokenFor(['vendor_staff']);
    const partnerId = `P-${randomUUID().slice(0, 8)}`;
    const partner = await tokenFor(['partner_admin'], partnerId);
    const body = { partnerId, customerName: 'ACME Ltd.', title: 'Hot path', estimatedAmount: { currency: 'CNY', minor: 100 } };
    // Warm: the vendor's and the partner user's first requests (member lookups cached 5 s), the worker polling.
    const first = await api('POST', '/v1/opportunities', vendor, body, { 'Idempotency-Key': randomUUID() });
    expect(first.status).toBe(201);
    expect((await api('GET', `/v1/opportunities/${first.body.id}`, partner)).status).toBe(200);

    const share = await counted(() => api('POST', '/v1/opportunities', vendor, body, { 'Idempotency-Key': randomUUID() }));
    expect(share.value.status).toBe(201);
    expect(share.statements, share.statements.join('\n')).toHaveLength(4);

    const accept = await counted(() => api('POST', `/v1/opportunities/${share.value.body.id}/accept`, partner));
    expect(accept.value.status).toBe(200);
    expect(accept.value.body.status).toBe('ACCEPTED');
    expect(accept.statements, accept.statements.join('\n')).toHaveLength(4);
  });
});
