/** What the bulk-action tests share: opportunities shared through the API, and a job awaited through GET. */
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { Call } from './app.js';
import { eventually } from './wait.js';

type Api = (method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>) => Promise<Call>;

export const newPartner = () => `P-${randomUUID().slice(0, 8)}`;

/** Shares `count` opportunities with `partnerId` through the API, as the vendor; their ids in order. */
export async function shareMany(api: Api, vendor: string, partnerId: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await api('POST', '/v1/opportunities', vendor, { partnerId, customerName: `Customer ${i}`, title: `Opportunity ${i}` });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    ids.push(res.body.id as string);
  }
  return ids;
}

/** POST /v1/bulk-actions with a fresh (or the given) Idempotency-Key. */
export const submitBulk = (api: Api, token: string, body: unknown, key: string = randomUUID()) =>
  api('POST', '/v1/bulk-actions', token, body, { 'Idempotency-Key': key });

/** Polls GET /v1/bulk-actions/:id until the job is COMPLETED; every answer read on the way is kept. */
export async function completedJob(api: Api, token: string, id: string, seen: Call['body'][] = []): Promise<Call['body']> {
  return eventually(
    async () => {
      const res = await api('GET', `/v1/bulk-actions/${id}`, token);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      seen.push(res.body);
      return res.body.status === 'COMPLETED' ? res.body : undefined;
    },
    60_000,
    100,
  );
}
