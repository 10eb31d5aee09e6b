/**
 * Webhooks end to end on the real API + worker + time-skipping server + PostgreSQL, delivering to a local HTTP
 * receiver this test starts: retries with the same event id until DELIVERED, Standard Webhooks signatures, DEAD after
 * the budget, redelivery (409 while it runs), partner isolation, a message due later delivered only once the clock
 * reaches it, the sweeper starting a relay whose start was lost, refused registrations storing nothing, and an
 * outbox event written in the transaction of its state change (a failed change emits nothing). The app delivering to
 * the receiver on 127.0.0.1 allows private targets; a second API + worker (`strict`, task queue `webhooks-test-strict`)
 * keeps the production default: localhost and internal addresses refused at registration, and at delivery a name that
 * resolves to one DEAD after one attempt. Idempotent registration (Idempotency-Key per caller) and secret rotation: both
 * secrets sign during the grace period; a third API on `app`'s database and worker (`graceApi`) has a 500 ms grace, so
 * the test sees its end without waiting a day.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { MockActivityEnvironment, type TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createActivities } from '../activities/index.js';
import { createApp } from '../api/app.js';
import { sweepOutbox } from '../activities/webhook.js';
import { verify } from '../domain/webhook-signature.js';
import { outboxWorkflowId, type DeliveryRetry, webhookDeliveryWorkflowId } from '../workflows/webhook/workflow.js';
import { recordHistory } from './support/histories.js';
import { appDepsFor, call, type Call, startApp, tokenFor } from './support/app.js';
import { fixedCalendar, testCalendar } from './support/calendar.js';
import { timeSkippingEnv } from './support/temporal.js';
import { eventually } from './support/wait.js';
import { type Received, type Receiver, startReceiver, windowReminderEmitter } from './support/webhook-receiver.js';


/** The workflow's handle once it has completed (not handle.result(): that lets the time-skipping server skip ahead). */
const completed = async (workflowId: string) => {
  const handle = env.client.workflow.getHandle(workflowId);
  await eventually(async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
  return handle;
};
const taskQueue = 'webhooks-test';
const strictQueue = 'webhooks-test-strict';
/** A small budget, so DEAD comes after 1 s + 2 s of backoff. */
const RETRY: DeliveryRetry = { maximumAttempts: 3, maximumIntervalMs: 2_000, timeoutMs: 5_000 };
const TOPIC = 'path-review.window-reminder';
const DAY = 24 * 3600 * 1000;

let env: TestWorkflowEnvironment;
let app: Awaited<ReturnType<typeof startApp>>;
/** WEBHOOK_ALLOW_PRIVATE_TARGETS off (the default), in its API and its worker. */
let strict: Awaited<ReturnType<typeof startApp>>;
let activities: ReturnType<typeof createActivities>;
/** `app`'s API with a replaced secret's grace of GRACE_MS instead of 24 h (same database, same worker). */
const GRACE_MS = 500;
let graceApi: Server;
let graceBase: string;

// ── the receiver (support/webhook-receiver.ts): one server, one behaviour per path ─────────────────────────────────
let receiver: Receiver;
let receiverBase: string;
let received: Receiver['received'];
const hook: Receiver['hook'] = (behaviour) => receiver.hook(behaviour);

beforeAll(async () => {
  receiver = await startReceiver();
  ({ base: receiverBase, received } = receiver);
  env = await timeSkippingEnv();
  const calendar = testCalendar(await env.currentTimeMs());
  // The receiver's port is allowed beside 80 and 443 (WEBHOOK_ALLOWED_PORTS), in both apps: the address rule is what
  // `strict` tests.
  const webhookAllowedPorts = [80, 443, receiver.port];
  app = await startApp(env, { taskQueue, calendarFor: fixedCalendar(() => calendar), webhookRetry: RETRY, webhookAllowPrivateTargets: true, webhookAllowedPorts });
  strict = await startApp(env, { taskQueue: strictQueue, calendarFor: fixedCalendar(() => calendar), webhookRetry: RETRY, webhookAllowedPorts });
  activities = createActivities({ prisma: app.prisma, temporal: env.client, webhookRetry: RETRY, calendarFor: fixedCalendar(() => calendar) });
  emit = windowReminderEmitter({ activities, env, prisma: app.prisma, taskQueue });
  const graceApp = createApp({ ...appDepsFor(env, app, taskQueue, fixedCalendar(() => calendar), false), webhookAllowPrivateTargets: true, webhookSecretGraceMs: GRACE_MS });
  graceApi = await new Promise<Server>((resolve) => {
    const s = graceApp.listen(0, '127.0.0.1', () => resolve(s));
  });
  graceBase = `http://127.0.0.1:${(graceApi.address() as { port: number }).port}`;
});

afterAll(async () => {
  // Vendor endpoints receive every partner's events: leave none active for the other test files.
  await app?.prisma.webhookEndpoint.updateMany({ where: { partnerId: null, createdBy: 'webhooks-test-vendor' }, data: { active: false } });
  await new Promise((resolve) => graceApi?.close(resolve));
  await strict?.stop();
  await app?.stop();
  await env?.teardown();
  await receiver?.close();
});

// ── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────────
const api = (method: string, path: string, token?: string, body?: unknown) => call(app.base, method, path, token, body);
const expectOk = (res: Call, status = 200) => expect(res.status, JSON.stringify(res.body)).toBe(status);
/** A POST with an Idempotency-Key. */
const keyed = (path: string, token: string, key: string, body?: unknown, base = app.base) => call(base, 'POST', path, token, body, { 'Idempotency-Key': key });
const fields = (res: Call) => (res.body.errors as { field: string }[]).map((e) => e.field);

async function partner() {
  const partnerId = `P-wh-${randomUUID().slice(0, 8)}`;
  return { partnerId, admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`), sales: await tokenFor(['partner_sales'], partnerId) };
}
const vendorAdmin = () => tokenFor(['vendor_admin'], undefined, 'webhooks-test-vendor');
const vendorStaff = () => tokenFor(['vendor_staff'], undefined, 'webhooks-test-staff');

async function register(token: string, url: string, events: string[] = [TOPIC]) {
  const res = await api('POST', '/v1/webhooks', token, { url, events });
  expectOk(res, 201);
  return res.body as { id: string; secret: string; partnerId: string | null };
}

/** What a process appends: a window reminder of this partner (support/webhook-receiver.ts), to `queue`'s worker. */
let emit: ReturnType<typeof windowReminderEmitter>;

const deliveries = async (token: string, endpointId: string) => {
  const res = await api('GET', `/v1/webhooks/${endpointId}/deliveries`, token);
  expectOk(res);
  return res.body.items as { id: string; status: string; attempts: number; runs: number; eventId: string; lastResponseStatus: number | null; lastError: string | null }[];
};
const settled = (token: string, endpointId: string, status: string) =>
  eventually(async () => {
    const [d] = await deliveries(token, endpointId);
    return d?.status === status ? d : undefined;
  });

/** The one delivery of a fresh message to this endpoint, as the receiver got it. */
async function deliverOne(partnerId: string, admin: string, endpointId: string, path: string): Promise<Received> {
  const before = received.get(path)?.length ?? 0;
  await emit(partnerId);
  await eventually(async () => ((await deliveries(admin, endpointId)).some((d) => d.status === 'DELIVERED' && d.attempts === 1) && (received.get(path)?.length ?? 0) > before ? true : undefined));
  return received.get(path)!.at(-1)!;
}

const headersOf = (r: Received) => ({ id: String(r.headers['webhook-id']), timestamp: String(r.headers['webhook-timestamp']), signature: String(r.headers['webhook-signature']) });

// ── tests ───────────────────────────────────────────────────────────────────────────────────────────────────────
describe('webhooks', () => {
  it('refuses a non-http(s) URL, an unknown event and no events, naming the field, and stores nothing', async () => {
    const { partnerId, admin } = await partner();
    const ftp = await api('POST', '/v1/webhooks', admin, { url: 'ftp://example.com/hook', events: [TOPIC] });
    expect(ftp.status).toBe(400);
    expect(ftp.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(fields(ftp)).toEqual(['url']);
    const unknown = await api('POST', '/v1/webhooks', admin, { url: 'https://example.com/hook', events: [TOPIC, 'opportunity.nope'] });
    expect(unknown.status).toBe(400);
    expect(fields(unknown)).toEqual(['events.1']);
    expect(unknown.body.errors[0].message).toContain(TOPIC);
    const empty = await api('POST', '/v1/webhooks', admin, { url: 'https://example.com/hook', events: [] });
    expect(empty.status).toBe(400);
    expect(fields(empty)).toEqual(['events']);
    const twice = await api('POST', '/v1/webhooks', admin, { url: 'https://example.com/hook', events: [TOPIC, TOPIC] });
    expect(fields(twice)).toEqual(['events.1']);
    expect(await app.prisma.webhookEndpoint.count({ where: { partnerId } })).toBe(0);
    const list = await api('GET', '/v1/webhooks', admin);
    expect(list.body.items).toEqual([]);
  });

  it('fails twice then succeeds: DELIVERED after 3 attempts, one event id, signatures that verify; other partners get nothing', async () => {
    const a = await partner();
    const b = await partner();
    const target = hook((n) => (n <= 2 ? 503 : 204));
    const endpoint = await register(a.admin, target.url);
    expect(endpoint.secret).toMatch(/^whsec_/);
    expect(endpoint.partnerId).toBe(a.partnerId);
    const otherTarget = hook(() => 200);
    const other = await register(b.admin, otherTarget.url);
    const vendorTarget = hook(() => 200);
    const vendor = await register(await vendorAdmin(), vendorTarget.url);
    expect(vendor.partnerId).toBeNull();

    const message = await emit(a.partnerId);
    const delivered = await settled(a.admin, endpoint.id, 'DELIVERED');
    expect(delivered).toMatchObject({ attempts: 3, runs: 1, eventId: `evt_${message.id}`, lastResponseStatus: 204, lastError: null });

    const requests = received.get(target.path)!;
    expect(requests).toHaveLength(3);
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([`evt_${message.id}`]));
    for (const r of requests) {
      expect(verify(endpoint.secret, headersOf(r), r.body)).toBe(true);
      expect(verify(endpoint.secret, headersOf(r), r.body.replace(a.partnerId, b.partnerId))).toBe(false);
      expect(verify(other.secret, headersOf(r), r.body)).toBe(false);
      expect(JSON.parse(r.body)).toEqual({
        id: `evt_${message.id}`,
        type: TOPIC,
        timestamp: message.dueAt.toISOString(),
        data: expect.objectContaining({ partnerId: a.partnerId }),
      });
    }
    // The vendor endpoint receives every partner's events; B's endpoint none of A's.
    await settled(await vendorAdmin(), vendor.id, 'DELIVERED');
    expect(await deliveries(b.admin, other.id)).toEqual([]);
    expect(received.get(otherTarget.path)).toBeUndefined();
    const row = await app.prisma.outbox.findUniqueOrThrow({ where: { id: message.id } });
    expect(row.dispatchedAt).not.toBeNull();
    expect(row.deliveredAt).not.toBeNull();
    await recordHistory(await completed(outboxWorkflowId(String(message.id))), 'webhook-outbox-delivered-after-retries');
  });

  it('an always-failing receiver: DEAD after the budget; redeliver (409 while it runs) → DELIVERED; partner isolation', async () => {
    const a = await partner();
    const b = await partner();
    let mode: 'fail' | 'hold' = 'fail';
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    const target = hook(async () => {
      if (mode === 'fail') return 500;
      await held;
      return 200;
    });
    const endpoint = await register(a.admin, target.url);
    await emit(a.partnerId);
    const dead = await settled(a.admin, endpoint.id, 'DEAD');
    expect(dead).toMatchObject({ attempts: RETRY.maximumAttempts, lastResponseStatus: 500, lastError: 'the endpoint answered 500' });
    expect(received.get(target.path)).toHaveLength(RETRY.maximumAttempts);

    // Another partner: 404 everywhere, as if it did not exist; its list does not show it. Vendor staff read, not act.
    const path = `/v1/webhooks/${endpoint.id}`;
    const redeliverPath = `${path}/deliveries/${dead.id}/redeliver`;
    for (const [method, p] of [['GET', path], ['GET', `${path}/deliveries`], ['POST', redeliverPath], ['DELETE', path]] as const) {
      const res = await api(method, p, b.admin);
      expect(res.status, `${method} ${p}`).toBe(404);
    }
    expect((await api('GET', '/v1/webhooks', b.admin)).body.items).toEqual([]);
    expect((await api('GET', path, await vendorStaff())).status).toBe(200);
    expect((await api('POST', redeliverPath, await vendorStaff())).status).toBe(403);
    expect((await api('POST', redeliverPath, a.sales)).status).toBe(403);
    expect((await deliveries(a.admin, endpoint.id))[0]!.status).toBe('DEAD');

    mode = 'hold';
    const again = await api('POST', redeliverPath, a.admin);
    expectOk(again, 202);
    expect(again.body).toMatchObject({ id: dead.id, status: 'PENDING', runs: 2 });
    await eventually(async () => ((received.get(target.path)?.length ?? 0) > RETRY.maximumAttempts ? true : undefined));
    const running = await api('POST', redeliverPath, a.admin);
    expect(running.status).toBe(409);
    expect(running.body.type).toBe('urn:partnerflow:problem:delivery-in-progress');
    release();
    expect(await settled(a.admin, endpoint.id, 'DELIVERED')).toMatchObject({ id: dead.id, attempts: 1, runs: 2, eventId: dead.eventId, lastResponseStatus: 200 });
    const last = received.get(target.path)!.at(-1)!;
    expect(last.headers['webhook-id']).toBe(dead.eventId);
    await recordHistory(await completed(webhookDeliveryWorkflowId(dead.id)), 'webhook-redelivered');

    // Deactivated: nothing more is delivered, redelivery refused, still readable.
    const gone = await api('DELETE', path, a.admin);
    expectOk(gone);
    expect(gone.body).toMatchObject({ active: false });
    expect((await api('POST', redeliverPath, a.admin)).body.type).toBe('urn:partnerflow:problem:endpoint-inactive');
    await emit(a.partnerId);
    expect(await deliveries(a.admin, endpoint.id)).toHaveLength(1);
  });

  it('a message due later is delivered only once the clock reaches its due time', async () => {
    const a = await partner();
    const target = hook(() => 200);
    const endpoint = await register(a.admin, target.url);
    const dueAt = (await env.currentTimeMs()) + 3 * DAY;
    const message = await emit(a.partnerId, new Date(dueAt));
    await eventually(async () => ((await env.client.workflow.getHandle(outboxWorkflowId(String(message.id))).describe()).status.name === 'RUNNING' ? true : undefined));

    await env.sleep(dueAt - 60_000 - (await env.currentTimeMs()));
    expect(await deliveries(a.admin, endpoint.id)).toEqual([]);
    expect((await app.prisma.outbox.findUniqueOrThrow({ where: { id: message.id } })).deliveredAt).toBeNull();

    await env.sleep(dueAt + 1_000 - (await env.currentTimeMs()));
    await settled(a.admin, endpoint.id, 'DELIVERED');
    expect(received.get(target.path)).toHaveLength(1);
  });

  it('the sweeper starts the relay of a message whose start was lost', async () => {
    const a = await partner();
    const target = hook(() => 200);
    const endpoint = await register(a.admin, target.url);
    // Committed, never announced (a crash between the commit and the start); older than any other row.
    const lost = await app.prisma.outbox.create({
      data: {
        topic: TOPIC,
        aggregateId: `lost-${a.partnerId}`,
        dedupeKey: `webhooks-test-lost-${randomUUID()}`,
        payload: { partnerId: a.partnerId, reviewId: `lost-${a.partnerId}` },
        dueAt: new Date(await env.currentTimeMs()),
        createdAt: new Date('2000-01-01T00:00:00Z'),
      },
    });
    expect(await sweepOutbox(app.prisma, env.client, taskQueue, { graceMs: 0, batch: 1 })).toBe(1);
    expect((await settled(a.admin, endpoint.id, 'DELIVERED')).eventId).toBe(`evt_${lost.id}`);
    expect((await app.prisma.outbox.findUniqueOrThrow({ where: { id: lost.id } })).dispatchedAt).not.toBeNull();
    // Sweeping again starts nothing twice.
    await sweepOutbox(app.prisma, env.client, taskQueue, { graceMs: 0, batch: 1 });
    expect(received.get(target.path)).toHaveLength(1);
  });

  it('private targets not allowed: localhost and internal addresses refused at registration (422 naming url), nothing stored', async () => {
    const { partnerId, admin } = await partner();
    const port = new URL(receiverBase).port;
    for (const url of [`http://127.0.0.1:${port}/hook`, `http://localhost:${port}/hook`, 'http://[::1]/hook', 'http://169.254.169.254/latest/meta-data', 'https://10.0.0.5/hook']) {
      const res = await call(strict.base, 'POST', '/v1/webhooks', admin, { url, events: [TOPIC] });
      expect(res.status, url).toBe(422);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(res.body.type).toBe('urn:partnerflow:problem:webhook-target-not-allowed');
      expect(fields(res)).toEqual(['url']);
      expect(res.body.detail).toMatch(/^target address .+ is not allowed \((loopback|linkLocal|private)\)/);
    }
    expect(await app.prisma.webhookEndpoint.count({ where: { partnerId } })).toBe(0);
    // A name passes registration (delivery checks what it resolves to); deactivated at once: nothing is sent to it.
    const named = await call(strict.base, 'POST', '/v1/webhooks', admin, { url: 'https://hooks.example.com/partnerflow', events: [TOPIC] });
    expectOk(named, 201);
    expectOk(await call(strict.base, 'DELETE', `/v1/webhooks/${named.body.id}`, admin));
  });

  it('private targets not allowed in the worker: a name resolving to 127.0.0.1, and an IP literal, DEAD after one attempt', async () => {
    const a = await partner();
    const byName = hook(() => 200);
    const byLiteral = hook(() => 200);
    // Registered where private targets are allowed (or stored before the switch was turned off).
    const named = await register(a.admin, receiverBase.replace('127.0.0.1', 'localhost') + byName.path);
    const literal = await register(a.admin, byLiteral.url);
    await emit(a.partnerId, undefined, strictQueue);
    const dead = await settled(a.admin, named.id, 'DEAD');
    // lastError says why without the address the name resolved to (nor the receiver's port): the worker log has it.
    expect(dead).toMatchObject({ attempts: 1, runs: 1, lastResponseStatus: null, lastError: 'target refused: the host resolves to a non-public address (loopback)' });
    const byLiteralDead = await settled(a.admin, literal.id, 'DEAD');
    expect(byLiteralDead).toMatchObject({ attempts: 1, lastError: 'target refused: the host is a non-public address (loopback)' });
    for (const lastError of [dead.lastError, byLiteralDead.lastError]) {
      expect(lastError).not.toMatch(/\d{1,3}(\.\d{1,3}){3}|::1|\[?[0-9a-f]*:[0-9a-f:]+\]?/i);
      expect(lastError).not.toContain(String(receiver.port));
    }
    expect(received.get(byName.path)).toBeUndefined();
    expect(received.get(byLiteral.path)).toBeUndefined();
  });

  it('lists endpoints newest first in keyset pages', async () => {
    const a = await partner();
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await register(a.admin, `https://example.com/hook/${i}`)).id);
    const first = await api('GET', '/v1/webhooks?limit=2', a.admin);
    expectOk(first);
    expect(first.body.items.map((e: { id: string }) => e.id)).toEqual([ids[2], ids[1]]);
    expect(first.body.items[0]).not.toHaveProperty('secret');
    const second = await api('GET', `/v1/webhooks?limit=2&cursor=${first.body.nextCursor}`, a.admin);
    expect(second.body).toEqual({ items: [expect.objectContaining({ id: ids[0] })], nextCursor: null });
    expect((await api('GET', '/v1/webhooks?cursor=nope', a.admin)).status).toBe(400);
  });

  it('outbox in the same transaction: a failed state change emits nothing', async () => {
    const partnerId = `P-wh-${randomUUID().slice(0, 8)}`;
    const period = '2025-03';
    const incentiveId = `${partnerId}-${period}`;
    const at = new Date(await env.currentTimeMs());
    await app.prisma.incentive.create({
      data: {
        id: incentiveId, partnerId, period, status: 'PENDING_VERIFICATION', generatedAt: at, verificationDeadline: new Date(at.getTime() + DAY),
        reminderAt: at, deadlineExplanation: {}, calendar: 'TEST', zone: 'Asia/Shanghai', headcount: 0, totalMinor: 0n, currency: 'CNY', lastSeq: 1, updatedAt: at,
      },
    });
    const transition = { incentiveId, seq: 2, type: 'VERIFIED' as const, fromStatus: 'PENDING_VERIFICATION' as const, toStatus: 'VERIFIED' as const, actor: 'test', at: at.toISOString() };
    // The settlement breaks a CHECK (amount ≥ 0) after the outbox row was appended: the whole transition rolls back.
    const failing = new MockActivityEnvironment({ taskQueue }).run(activities.recordIncentiveTransition, {
      ...transition,
      settlement: { partnerId, period, amountMinor: -1, currency: 'CNY' },
    });
    await expect(failing).rejects.toThrow();
    expect(await app.prisma.outbox.count({ where: { aggregateId: incentiveId } })).toBe(0);
    expect((await app.prisma.incentive.findUniqueOrThrow({ where: { id: incentiveId } })).status).toBe('PENDING_VERIFICATION');

    await new MockActivityEnvironment({ taskQueue }).run(activities.recordIncentiveTransition, { ...transition, settlement: { partnerId, period, amountMinor: 0, currency: 'CNY' } });
    const [event] = await app.prisma.outbox.findMany({ where: { aggregateId: incentiveId } });
    expect(event).toMatchObject({ topic: 'incentive.verified', payload: { partnerId, incentiveId, status: 'VERIFIED' } });
  });

  it('Idempotency-Key on registration: a retry answers the same endpoint and secret, one row; another caller gets its own', async () => {
    const a = await partner();
    const colleague = await tokenFor(['partner_admin'], a.partnerId, `${a.partnerId}-colleague`);
    const key = `create-${randomUUID()}`;
    const body = { url: 'https://example.com/hook/idempotent', events: [TOPIC] };
    const first = await keyed('/v1/webhooks', a.admin, key, body);
    expectOk(first, 201);
    const retry = await keyed('/v1/webhooks', a.admin, key, body);
    expectOk(retry, 201);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get('location')).toBe(`/v1/webhooks/${first.body.id}`);
    expect(await app.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(1);

    // Another caller with the same key: an independent registration.
    const theirs = await keyed('/v1/webhooks', colleague, key, body);
    expectOk(theirs, 201);
    expect(theirs.body.id).not.toBe(first.body.id);
    expect(theirs.body.secret).not.toBe(first.body.secret);
    expect(await app.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(2);

    // The same key with another body is refused; after a rotation the creation's secret is no longer answered.
    const reused = await keyed('/v1/webhooks', a.admin, key, { ...body, url: 'https://example.com/hook/other' });
    expect(reused.status).toBe(422);
    expect(reused.body.type).toBe('urn:partnerflow:problem:idempotency-key-reused');
    expectOk(await api('POST', `/v1/webhooks/${first.body.id}/rotate-secret`, a.admin));
    const stale = await keyed('/v1/webhooks', a.admin, key, body);
    expect(stale.status).toBe(409);
    expect(stale.body.type).toBe('urn:partnerflow:problem:secret-rotated');
    expect(stale.body).not.toHaveProperty('secret');
    expect(await app.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(2);
  });

  it('rotate-secret: a new secret once; deliveries during the grace carry both signatures; retries, isolation, deactivated', async () => {
    const a = await partner();
    const b = await partner();
    const target = hook(() => 204);
    const endpoint = await register(a.admin, target.url);
    const path = `/v1/webhooks/${endpoint.id}/rotate-secret`;

    // Another partner: 404 as if it did not exist, nothing changed; without webhook.manage: 403.
    const untouched = await app.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect((await api('POST', path, b.admin)).status).toBe(404);
    expect((await api('POST', path, a.sales)).status).toBe(403);
    expect((await api('POST', path, await vendorStaff())).status).toBe(403);
    expect(await app.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).toEqual(untouched);

    const key = `rotate-${randomUUID()}`;
    const before = Date.now();
    const rotated = await keyed(path, a.admin, key);
    expectOk(rotated);
    expect(rotated.body).toMatchObject({ id: endpoint.id, active: true, partnerId: a.partnerId });
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(endpoint.secret);
    const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + DAY - 1000); // WEBHOOK_SECRET_GRACE_HOURS' default: 24
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + DAY);
    expect((await api('GET', `/v1/webhooks/${endpoint.id}`, a.admin)).body).not.toHaveProperty('secret');
    // A retry with the same key is the same rotation: the same secret, nothing rotated again.
    const retry = await keyed(path, a.admin, key);
    expectOk(retry);
    expect(retry.body).toEqual(rotated.body);

    // Right after the rotation: `v1,<new> v1,<old>`, each verifying with its own secret.
    const r = await deliverOne(a.partnerId, a.admin, endpoint.id, target.path);
    const signatures = String(r.headers['webhook-signature']).split(' ');
    expect(signatures).toHaveLength(2);
    expect(verify(rotated.body.secret, { ...headersOf(r), signature: signatures[0]! }, r.body)).toBe(true);
    expect(verify(endpoint.secret, { ...headersOf(r), signature: signatures[1]! }, r.body)).toBe(true);
    expect(verify(rotated.body.secret, { ...headersOf(r), signature: signatures[1]! }, r.body)).toBe(false);
    expect(verify(endpoint.secret, headersOf(r), r.body)).toBe(true); // a receiver still on the old secret
    expect(verify(rotated.body.secret, headersOf(r), r.body)).toBe(true); // one already on the new

    // Rotated again: the first rotation's key no longer answers a secret; the latest one and its predecessor sign.
    const again = await api('POST', path, a.admin);
    expectOk(again);
    expect(again.body.secret).not.toBe(rotated.body.secret);
    const stale = await keyed(path, a.admin, key);
    expect(stale.status).toBe(409);
    expect(stale.body.type).toBe('urn:partnerflow:problem:secret-rotated');
    expect((await app.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).secret).toBe(again.body.secret);

    // Deactivated: the problem redelivery answers too, and the secret stays.
    expectOk(await api('DELETE', `/v1/webhooks/${endpoint.id}`, a.admin));
    const inactive = await api('POST', path, a.admin);
    expect(inactive.status).toBe(409);
    expect(inactive.body.type).toBe('urn:partnerflow:problem:endpoint-inactive');
    expect((await app.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).secret).toBe(again.body.secret);
  });

  it('after the grace period only the new secret signs', async () => {
    const a = await partner();
    const target = hook(() => 204);
    const endpoint = await register(a.admin, target.url);
    const rotated = await call(graceBase, 'POST', `/v1/webhooks/${endpoint.id}/rotate-secret`, a.admin);
    expectOk(rotated);
    const expiresAt = Date.parse(rotated.body.previousSecretExpiresAt);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(GRACE_MS);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, expiresAt - Date.now()) + 50));

    const r = await deliverOne(a.partnerId, a.admin, endpoint.id, target.path);
    expect(String(r.headers['webhook-signature']).split(' ')).toHaveLength(1);
    expect(verify(rotated.body.secret, headersOf(r), r.body)).toBe(true);
    expect(verify(endpoint.secret, headersOf(r), r.body)).toBe(false);
  });
});
