/**
 * Webhook limits end to end (real API + worker + time-skipping server + PostgreSQL, real receivers on 127.0.0.1):
 * the per-partner endpoint quota (422 quota-exceeded, nothing stored, race-safe), the allowed ports (refused at
 * registration and at delivery), which answers are retried (4xx but 408/409/425/429 DEAD after one attempt; 5xx and
 * 429 through the budget, Retry-After honoured), lastError without addresses, and an endpoint disabled after
 * WEBHOOK_DISABLE_AFTER_DEAD (default 5) DEAD deliveries in a row — with its reason, a notice to the partner's
 * subscribed endpoint, a success resetting the streak and PATCH re-enabling it. Private targets are allowed here
 * (127.0.0.1): the address rule is test/webhooks.test.ts's.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import { verify } from '../domain/webhook-signature.js';
import { defaultQuotas } from '../platform/config.js';
import type { DeliveryRetry } from '../workflows/webhook/workflow.js';
import { type Call, tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';
import { eventually } from './support/wait.js';
import { closedPort, type Receiver, startReceiver, windowReminderEmitter } from './support/webhook-receiver.js';

const taskQueue = 'webhook-limits-test';
const RETRY: DeliveryRetry = { maximumAttempts: 3, maximumIntervalMs: 2_000, timeoutMs: 5_000 };
const QUOTA = 3;
const TOPIC = 'path-review.window-reminder';
const DISABLED = 'webhook.endpoint-disabled';
/** An IPv4 or IPv6 address anywhere in a text. */
const ANY_ADDRESS = /\b\d{1,3}(\.\d{1,3}){3}\b|[0-9a-f]*:[0-9a-f]*:[0-9a-f:]*/i;

let receiver: Receiver;
/** A receiver on a port not allowed: nothing may reach it. */
let outside: Receiver;
/** Allowed, nothing listens there. */
let refusingPort: number;
let emit: ReturnType<typeof windowReminderEmitter>;

// The receivers first: their ports are the API's allowed ones; they close after the environment stops.
beforeAll(async () => {
  [receiver, outside, refusingPort] = await Promise.all([startReceiver(), startReceiver(), closedPort()]);
});
afterAll(async () => {
  await Promise.all([receiver?.close(), outside?.close()]);
});

const env = useTestEnv({
  taskQueue,
  api: () => ({
    webhookRetry: RETRY,
    webhookAllowPrivateTargets: true,
    webhookAllowedPorts: [80, 443, receiver.port, refusingPort],
    quotas: { ...defaultQuotas, webhookEndpoints: QUOTA },
  }),
});
const { api } = env;

beforeAll(() => {
  const activities = createActivities({ prisma: env.prisma, temporal: env.client, webhookRetry: RETRY, calendarFor: env.calendarFor });
  emit = windowReminderEmitter({ activities, env, prisma: env.prisma, taskQueue });
});

const expectStatus = (res: Call, status: number) => expect(res.status, JSON.stringify(res.body)).toBe(status);
async function partner() {
  const partnerId = `P-whl-${randomUUID().slice(0, 8)}`;
  return { partnerId, admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`) };
}
async function register(token: string, url: string, events: string[] = [TOPIC]) {
  const res = await api('POST', '/v1/webhooks', token, { url, events });
  expectStatus(res, 201);
  return res.body as { id: string; secret: string };
}
type Delivery = { id: string; status: string; attempts: number; lastResponseStatus: number | null; lastError: string | null };
const deliveries = async (endpointId: string) => env.prisma.webhookDelivery.findMany({ where: { endpointId }, orderBy: { createdAt: 'asc' } });
/** The endpoint's only delivery, once it is no longer PENDING. */
const settledOne = (endpointId: string) =>
  eventually(async () => {
    const rows = await deliveries(endpointId);
    return rows.length === 1 && rows[0]!.status !== 'PENDING' ? (rows[0] as Delivery) : undefined;
  });
const endpointRow = (id: string) => env.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id } });

describe('webhook limits', () => {
  it('quota: a partner past QUOTA_WEBHOOK_ENDPOINTS active endpoints gets 422 quota-exceeded naming url, nothing stored', async () => {
    const a = await partner();
    const ids = [];
    for (let i = 0; i < QUOTA; i++) ids.push((await register(a.admin, `https://example.com/quota/${i}`)).id);
    const key = `quota-${randomUUID()}`;
    const refused = await api('POST', '/v1/webhooks', a.admin, { url: 'https://example.com/quota/more', events: [TOPIC] }, { 'Idempotency-Key': key });
    expectStatus(refused, 422);
    expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(refused.body).toMatchObject({ type: 'urn:partnerflow:problem:quota-exceeded', status: 422, quota: 'webhookEndpoints', limit: QUOTA, used: QUOTA });
    expect(refused.body.errors.map((e: { field: string }) => e.field)).toEqual(['url']);
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(QUOTA);
    expect(await env.prisma.idempotencyKey.count({ where: { key } })).toBe(0);
    // Another partner has its own quota.
    await register((await partner()).admin, 'https://example.com/quota/other');

    // A deactivated endpoint frees its place; re-enabling it needs a free place again.
    expectStatus(await api('DELETE', `/v1/webhooks/${ids[0]}`, a.admin), 200);
    await register(a.admin, 'https://example.com/quota/again');
    const before = await endpointRow(ids[0]!);
    const reenable = await api('PATCH', `/v1/webhooks/${ids[0]}`, a.admin, { active: true });
    expectStatus(reenable, 422);
    expect(reenable.body).toMatchObject({ type: 'urn:partnerflow:problem:quota-exceeded', quota: 'webhookEndpoints', limit: QUOTA, used: QUOTA });
    expect(await endpointRow(ids[0]!)).toEqual(before);
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId, active: true } })).toBe(QUOTA);
  });

  it('quota under concurrency: 6 registrations at once with 2 places left, exactly 2 pass', async () => {
    const a = await partner();
    await register(a.admin, 'https://example.com/race/first');
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => api('POST', '/v1/webhooks', a.admin, { url: `https://example.com/race/${i}`, events: [TOPIC] })));
    expect(results.map((r) => r.status).sort()).toEqual([201, 201, 422, 422, 422, 422]);
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(QUOTA);
  });

  it('ports: refused at registration (422 naming url, nothing stored) and at delivery (DEAD after one attempt, nothing sent)', async () => {
    const a = await partner();
    for (const url of [`http://127.0.0.1:${outside.port}/hook`, 'https://example.com:8443/hook', 'http://example.com:22/']) {
      const res = await api('POST', '/v1/webhooks', a.admin, { url, events: [TOPIC] });
      expectStatus(res, 422);
      expect(res.body.type).toBe('urn:partnerflow:problem:webhook-port-not-allowed');
      expect(res.body.errors.map((e: { field: string }) => e.field)).toEqual(['url']);
      expect(res.body.detail).toBe(`port ${new URL(url).port} is not allowed: webhooks are delivered only to port 80, 443, ${receiver.port}, ${refusingPort} (WEBHOOK_ALLOWED_PORTS).`);
    }
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(0);
    // The scheme's default port, named or not, passes.
    for (const url of ['https://example.com:443/hook', 'http://example.com/hook']) expectStatus(await api('POST', '/v1/webhooks', a.admin, { url, events: ['incentive.expired'] }), 201);

    // Stored before the rule (or the configuration changed since): the worker refuses it too.
    const target = outside.hook(() => 200);
    const id = randomUUID();
    await env.prisma.webhookEndpoint.create({ data: { id, partnerId: a.partnerId, url: target.url, events: [TOPIC], secret: 'whsec_dGVzdA==', createdBy: 'test', createdAt: new Date() } });
    await emit(a.partnerId);
    expect(await settledOne(id)).toMatchObject({
      status: 'DEAD',
      attempts: 1,
      lastResponseStatus: null,
      lastError: `port ${outside.port} is not allowed: webhooks are delivered only to port 80, 443, ${receiver.port}, ${refusingPort}`,
    });
    expect(outside.requests(target.path)).toEqual([]);

    // Re-enabling checks the URL again: refused, still inactive.
    expectStatus(await api('DELETE', `/v1/webhooks/${id}`, a.admin), 200);
    const again = await api('PATCH', `/v1/webhooks/${id}`, a.admin, { active: true });
    expectStatus(again, 422);
    expect(again.body.type).toBe('urn:partnerflow:problem:webhook-port-not-allowed');
    expect(await endpointRow(id)).toMatchObject({ active: false });
  });

  it('answers: 400, 404, 410 DEAD after exactly one attempt; 500, 429 (Retry-After honoured) and a refused connection retried', async () => {
    const a = await partner();
    const b = await partner();
    const hooks = { 400: receiver.hook(() => 400), 404: receiver.hook(() => 404), 410: receiver.hook(() => 410) };
    const fivehundred = receiver.hook(() => 500);
    const tooMany = receiver.hook(() => ({ status: 429, headers: { 'retry-after': '2' } }));
    const endpoints = Object.fromEntries(await Promise.all(Object.entries(hooks).map(async ([status, h]) => [status, await register(a.admin, h.url)] as const)));
    const retried = await register(b.admin, fivehundred.url);
    const limited = await register(b.admin, tooMany.url);
    const refusing = await register(b.admin, `http://127.0.0.1:${refusingPort}/hook`);
    await Promise.all([emit(a.partnerId), emit(b.partnerId)]);

    for (const [status, h] of Object.entries(hooks)) {
      const dead = await settledOne(endpoints[status]!.id);
      expect(dead, status).toMatchObject({ status: 'DEAD', attempts: 1, lastResponseStatus: Number(status), lastError: `the endpoint answered ${status} (not retried)` });
      expect(receiver.requests(h.path)).toHaveLength(1);
    }
    expect(await settledOne(retried.id)).toMatchObject({ status: 'DEAD', attempts: 3, lastResponseStatus: 500, lastError: 'the endpoint answered 500' });
    expect(receiver.requests(fivehundred.path)).toHaveLength(3);
    expect(await settledOne(limited.id)).toMatchObject({ status: 'DEAD', attempts: 3, lastResponseStatus: 429 });
    const [first, second] = receiver.requests(tooMany.path);
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(1_900); // Retry-After: 2 instead of the first backoff's 1 s
    const connection = await settledOne(refusing.id);
    expect(connection).toMatchObject({ status: 'DEAD', attempts: 3, lastResponseStatus: null, lastError: 'connection refused' });
    expect(connection.lastError).not.toMatch(ANY_ADDRESS);
    expect(connection.lastError).not.toContain(String(refusingPort));
  });

  it('5 DEAD in a row disable an endpoint (reason, notice to the subscribed one); a success resets the streak; PATCH re-enables', async () => {
    const a = await partner();
    const b = await partner();
    // The 5th request succeeds: 4 DEAD, a success, then 5 DEAD more before the endpoint is disabled.
    const failing = receiver.hook((n) => (n === 5 ? 204 : 404));
    const noticed = receiver.hook(() => 204);
    const elsewhere = receiver.hook(() => 204);
    const endpoint = await register(a.admin, failing.url);
    const listener = await register(a.admin, noticed.url, [DISABLED]);
    const otherPartners = await register(b.admin, elsewhere.url, [DISABLED]);
    const deliverNext = async (n: number) => {
      await emit(a.partnerId);
      await eventually(async () => {
        const rows = await deliveries(endpoint.id);
        return rows.length === n && rows.every((r) => r.status !== 'PENDING') ? true : undefined;
      });
      return endpointRow(endpoint.id);
    };
    for (let n = 1; n <= 4; n++) expect(await deliverNext(n)).toMatchObject({ active: true, consecutiveDead: n });
    expect(await deliverNext(5)).toMatchObject({ active: true, consecutiveDead: 0 });
    for (let n = 6; n <= 9; n++) expect(await deliverNext(n)).toMatchObject({ active: true, consecutiveDead: n - 5 });
    expect(await deliverNext(10)).toMatchObject({ active: false, consecutiveDead: 5 });

    const reason = '5 deliveries in a row ended DEAD; the last: the endpoint answered 404 (not retried)';
    const view = await api('GET', `/v1/webhooks/${endpoint.id}`, a.admin);
    expect(view.body).toMatchObject({ active: false, deactivatedReason: reason });
    expect(view.body.deactivatedAt).not.toBeNull();
    const notice = await eventually(async () => receiver.requests(noticed.path)[0]);
    const body = JSON.parse(notice.body);
    expect(body).toMatchObject({ type: DISABLED, data: { partnerId: a.partnerId, endpointId: endpoint.id, url: failing.url, reason, disabledAt: view.body.deactivatedAt } });
    const headers = { id: String(notice.headers['webhook-id']), timestamp: String(notice.headers['webhook-timestamp']), signature: String(notice.headers['webhook-signature']) };
    expect(verify(listener.secret, headers, notice.body)).toBe(true);
    expect(await deliveries(otherPartners.id)).toEqual([]);

    // Disabled: the next event is not delivered to it.
    await emit(a.partnerId);
    await eventually(async () => ((await deliveries(listener.id)).length === 1 && receiver.requests(noticed.path).length === 1 ? true : undefined));
    await eventually(async () => ((await env.prisma.outbox.count({ where: { payload: { path: ['partnerId'], equals: a.partnerId }, deliveredAt: null } })) === 0 ? true : undefined));
    expect(await deliveries(endpoint.id)).toHaveLength(10);

    // Another partner cannot re-enable it; its own admin can: active, streak and reason cleared.
    expectStatus(await api('PATCH', `/v1/webhooks/${endpoint.id}`, b.admin, { active: true }), 404);
    expect(await endpointRow(endpoint.id)).toMatchObject({ active: false, consecutiveDead: 5 });
    expectStatus(await api('PATCH', `/v1/webhooks/${endpoint.id}`, a.admin, { active: 'yes' }), 400);
    const reenabled = await api('PATCH', `/v1/webhooks/${endpoint.id}`, a.admin, { active: true });
    expectStatus(reenabled, 200);
    expect(reenabled.body).toMatchObject({ id: endpoint.id, active: true, deactivatedAt: null, deactivatedReason: null });
    expect(await endpointRow(endpoint.id)).toMatchObject({ active: true, consecutiveDead: 0, deactivatedReason: null });
  });
});
