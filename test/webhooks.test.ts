/**
 * Webhooks end to end on the real API + worker + time-skipping server + PostgreSQL, delivering to a local HTTP
 * receiver this test starts: retries with the same event id until DELIVERED, Standard Webhooks signatures, DEAD after
 * the budget, redelivery (409 while it runs), partner isolation, a message due later delivered only once the clock
 * reaches it, the sweeper starting a relay whose start was lost, a message nobody could receive fanned out with no relay
 * workflow, refused registrations storing nothing, and an
 * outbox event written in the transaction of its state change (a failed change emits nothing). The app delivering to
 * the receiver on 127.0.0.1 allows private targets; a second API + worker (`strict`, task queue `webhooks-test-strict`)
 * keeps the production default: localhost and internal addresses refused at registration, and at delivery a name that
 * resolves to one DEAD after one attempt. Registration keys and secret rotation: webhooks-secrets.test.ts.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WorkflowNotFoundError } from '@temporalio/client';
import { dispatchOutbox, sweepOutbox } from '../activities/webhook.js';
import { OPPORTUNITY_EXPIRED_TOPIC } from '../domain/events.js';
import { verify } from '../domain/webhook-signature.js';
import { outboxWorkflowId, webhookDeliveryWorkflowId } from '../workflows/webhook/workflow.js';
import { expectActedAt } from './support/acted.js';
import { recordHistory } from './support/histories.js';
import { call } from './support/app.js';
import { DAY, expectOk, fields, type StartedApp } from './support/env.js';
import { completed as completedHandle, eventually } from './support/wait.js';
import type { Receiver } from './support/webhook-receiver.js';
import { headersOf, RETRY, TOPIC, useWebhookEnv } from './support/webhooks.js';

const taskQueue = 'webhooks-test';
const strictQueue = 'webhooks-test-strict';
const webhooks = useWebhookEnv(taskQueue);
const { env, hook, partner, vendorAdmin, vendorStaff, register, deliveries, settled, emit } = webhooks;
const { api } = env;
/** WEBHOOK_ALLOW_PRIVATE_TARGETS off (the default), in its API and its worker. */
let strict: StartedApp;
let receiver: Receiver;
let receiverBase: string;
let received: Receiver['received'];
let activities: ReturnType<typeof webhooks.activities>;

beforeAll(async () => {
  receiver = webhooks.receiver();
  ({ base: receiverBase, received } = receiver);
  activities = webhooks.activities();
  strict = await env.startApp({ taskQueue: strictQueue, webhookRetry: RETRY, webhookAllowedPorts: webhooks.webhookAllowedPorts() });
});
afterAll(async () => {
  // Vendor endpoints receive every partner's events: leave none active for the other test files.
  await env.prisma.webhookEndpoint.updateMany({ where: { partnerId: null, createdBy: 'webhooks-test-vendor' }, data: { active: false } });
});

/** The workflow's handle once it has completed (not handle.result(): that lets the time-skipping server skip ahead). */
const completed = async (workflowId: string) => {
  const handle = env.client.workflow.getHandle(workflowId);
  await completedHandle(handle);
  return handle;
};

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
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId } })).toBe(0);
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
    const row = await env.prisma.outbox.findUniqueOrThrow({ where: { id: message.id } });
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
    expect((await env.prisma.outbox.findUniqueOrThrow({ where: { id: message.id } })).deliveredAt).toBeNull();

    await env.sleep(dueAt + 1_000 - (await env.currentTimeMs()));
    await settled(a.admin, endpoint.id, 'DELIVERED');
    expect(received.get(target.path)).toHaveLength(1);
    // Fanned out when the relay's clock reached the due time: the empty list a minute before could have been read
    // before an early fan-out's rows were written.
    await expectActedAt(env.client.workflow.getHandle(outboxWorkflowId(String(message.id))), 'fanOutOutboxMessage', [dueAt]);
  });

  it('the sweeper starts the relay of a message whose start was lost', async () => {
    const a = await partner();
    const target = hook(() => 200);
    const endpoint = await register(a.admin, target.url);
    // Committed, never announced (a crash between the commit and the start); older than any other row.
    const lost = await env.prisma.outbox.create({
      data: {
        topic: TOPIC,
        aggregateId: `lost-${a.partnerId}`,
        dedupeKey: `webhooks-test-lost-${randomUUID()}`,
        payload: { partnerId: a.partnerId, reviewId: `lost-${a.partnerId}` },
        dueAt: new Date(await env.currentTimeMs()),
        createdAt: new Date('2000-01-01T00:00:00Z'),
      },
    });
    // Two workers' sweepers at once (two replicas): both find the row, one relay workflow runs (its id is the row's).
    const swept = await Promise.all([1, 2].map(() => sweepOutbox(env.prisma, env.client, taskQueue, { graceMs: 0, batch: 1 })));
    expect(Math.max(...swept)).toBe(1);
    expect((await settled(a.admin, endpoint.id, 'DELIVERED')).eventId).toBe(`evt_${lost.id}`);
    expect((await env.prisma.outbox.findUniqueOrThrow({ where: { id: lost.id } })).dispatchedAt).not.toBeNull();
    // Sweeping again starts nothing twice.
    await sweepOutbox(env.prisma, env.client, taskQueue, { graceMs: 0, batch: 1 });
    expect(received.get(target.path)).toHaveLength(1);
  });

  it('a message nobody could receive is fanned out at once with no relay workflow; one its partner subscribes to starts one', async () => {
    const a = await partner();
    const b = await partner();
    // A topic no vendor endpoint of this file subscribes to. A subscribes to another topic, B to this one: neither
    // may receive A's message, so nothing is started for it.
    const topic = OPPORTUNITY_EXPIRED_TOPIC;
    await register(a.admin, hook(() => 200).url, [TOPIC]);
    await register(b.admin, hook(() => 200).url, [topic]);
    const append = (partnerId: string) =>
      env.prisma.outbox.create({
        data: { topic, aggregateId: `unsubscribed-${partnerId}`, dedupeKey: `webhooks-test-unsubscribed-${randomUUID()}`, payload: { partnerId }, dueAt: new Date() },
      });
    const nobody = await append(a.partnerId);
    await dispatchOutbox(env.prisma, env.client, taskQueue, [nobody.id]);
    const fannedOut = await env.prisma.outbox.findUniqueOrThrow({ where: { id: nobody.id } });
    expect(fannedOut.deliveredAt).not.toBeNull();
    expect(fannedOut.dispatchedAt).not.toBeNull();
    expect(await env.prisma.webhookDelivery.count({ where: { outboxId: nobody.id } })).toBe(0);
    await expect(env.client.workflow.getHandle(outboxWorkflowId(String(nobody.id))).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);
    // Dispatched again (the sweeper, a retried activity): still nothing started.
    await dispatchOutbox(env.prisma, env.client, taskQueue, [nobody.id]);
    await expect(env.client.workflow.getHandle(outboxWorkflowId(String(nobody.id))).describe()).rejects.toBeInstanceOf(WorkflowNotFoundError);

    // Once A subscribes to the topic, its next message gets its relay and is delivered.
    const target = hook(() => 200);
    const endpoint = await register(a.admin, target.url, [topic]);
    const subscribed = await append(a.partnerId);
    await dispatchOutbox(env.prisma, env.client, taskQueue, [subscribed.id]);
    expect((await settled(a.admin, endpoint.id, 'DELIVERED')).eventId).toBe(`evt_${subscribed.id}`);
    await completed(outboxWorkflowId(String(subscribed.id)));
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
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId } })).toBe(0);
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
    await env.prisma.incentive.create({
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
    await expect(failing).rejects.toThrow(/violates check constraint "settlement_amount_minor_check"/);
    expect(await env.prisma.outbox.count({ where: { aggregateId: incentiveId } })).toBe(0);
    expect((await env.prisma.incentive.findUniqueOrThrow({ where: { id: incentiveId } })).status).toBe('PENDING_VERIFICATION');

    await new MockActivityEnvironment({ taskQueue }).run(activities.recordIncentiveTransition, { ...transition, settlement: { partnerId, period, amountMinor: 0, currency: 'CNY' } });
    const [event] = await env.prisma.outbox.findMany({ where: { aggregateId: incentiveId } });
    expect(event).toMatchObject({ topic: 'incentive.verified', payload: { partnerId, incentiveId, status: 'VERIFIED' } });
  });

});
