/**
 * Problem rendering (domain/problems.ts through api/kit/http.ts sendProblem): the body, and the Retry-After header
 * a refusal that clears by itself carries.
 */
import type { Server } from 'node:http';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendProblem } from '../api/kit/http.js';
import { type Problem, problems } from '../domain/problems.js';

let server: Server;
let base: string;
const answers = new Map<string, Problem>([
  ['/busy', problems.conflict('action-in-progress', 'Another action on this application is in progress; try again.', { retryAfterSeconds: 1 })],
  ['/slow', problems.conflict('not-opened', 'Not open yet.', { retryAfterSeconds: 2.2 })],
  ['/conflict', problems.conflict('not-draft', 'Not a draft.', { currentStatus: 'SUBMITTED' })],
  ['/invalid', problems.validation([{ field: 'amount.minor', message: 'must be an integer' }])],
]);

beforeAll(async () => {
  const app = express();
  app.use((req, res) => sendProblem(res, answers.get(req.path)!, 'req-1'));
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('sendProblem', () => {
  it('answers problem+json with the status, type, instance and request id', async () => {
    const res = await fetch(`${base}/invalid?x=1`);
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(res.headers.get('retry-after')).toBeNull();
    expect(await res.json()).toEqual({
      type: 'urn:partnerflow:problem:validation-error',
      title: 'The request is not valid',
      status: 400,
      detail: 'amount.minor: must be an integer',
      errors: [{ field: 'amount.minor', message: 'must be an integer' }],
      instance: '/invalid?x=1',
      requestId: 'req-1',
    });
  });

  it('sets Retry-After (whole seconds, rounded up) when the problem says when to retry, and only then', async () => {
    const busy = await fetch(`${base}/busy`);
    expect(busy.status).toBe(409);
    expect(busy.headers.get('retry-after')).toBe('1');
    expect(await busy.json()).toMatchObject({ type: 'urn:partnerflow:problem:action-in-progress', retryAfterSeconds: 1 });
    expect((await fetch(`${base}/slow`)).headers.get('retry-after')).toBe('3');
    const conflict = await fetch(`${base}/conflict`);
    expect(conflict.headers.get('retry-after')).toBeNull();
    expect(await conflict.json()).toMatchObject({ currentStatus: 'SUBMITTED' });
  });
});
