/**
 * Webhook registration keys and secrets, end to end on the real API + worker + time-skipping server + PostgreSQL with
 * a local receiver: Idempotency-Key on registration (per caller; another body 422; after a rotation 409); secret
 * rotation — a new secret once, deliveries during the grace period signed by both secrets, retries, isolation, a
 * deactivated endpoint —; and a second API on the same database and worker (`graceApi`) with a 500 ms grace, so the
 * test sees the grace end without waiting a day: then only the new secret signs.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../api/app.js';
import { verify } from '../domain/webhook-signature.js';
import { call, tokenFor } from './support/app.js';
import { DAY, expectOk } from './support/env.js';
import { headersOf, TOPIC, useWebhookEnv } from './support/webhooks.js';
import { openEndpointSecret, webhookSecretKeyring } from '../platform/webhook-secrets.js';

const webhooks = useWebhookEnv('webhooks-secrets-test');
const { env, hook, partner, vendorStaff, register, deliverOne } = webhooks;
const { api } = env;
/** `env`'s API with a replaced secret's grace of GRACE_MS instead of 24 h (same database, same worker). */
const GRACE_MS = 500;
let graceApi: Server;
let graceBase: string;

beforeAll(async () => {
  const graceApp = createApp({ ...env.deps(), webhookAllowPrivateTargets: true, webhookSecretGraceMs: GRACE_MS });
  graceApi = await new Promise<Server>((resolve) => {
    const s = graceApp.listen(0, '127.0.0.1', () => resolve(s));
  });
  graceBase = `http://127.0.0.1:${(graceApi.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => graceApi?.close(resolve));
});

/** A POST with an Idempotency-Key. */
const keyed = (path: string, token: string, key: string, body?: unknown, base = env.base) => call(base, 'POST', path, token, body, { 'Idempotency-Key': key });

describe('webhooks', () => {
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
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(1);

    // Another caller with the same key: an independent registration.
    const theirs = await keyed('/v1/webhooks', colleague, key, body);
    expectOk(theirs, 201);
    expect(theirs.body.id).not.toBe(first.body.id);
    expect(theirs.body.secret).not.toBe(first.body.secret);
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(2);

    // The same key with another body is refused; after a rotation the creation's secret is no longer answered.
    const reused = await keyed('/v1/webhooks', a.admin, key, { ...body, url: 'https://example.com/hook/other' });
    expect(reused.status).toBe(422);
    expect(reused.body.type).toBe('urn:partnerflow:problem:idempotency-key-reused');
    expectOk(await api('POST', `/v1/webhooks/${first.body.id}/rotate-secret`, a.admin));
    const stale = await keyed('/v1/webhooks', a.admin, key, body);
    expect(stale.status).toBe(409);
    expect(stale.body.type).toBe('urn:partnerflow:problem:secret-rotated');
    expect(stale.body).not.toHaveProperty('secret');
    expect(await env.prisma.webhookEndpoint.count({ where: { partnerId: a.partnerId } })).toBe(2);
  });

  it('rotate-secret: a new secret once; deliveries during the grace carry both signatures; retries, isolation, deactivated', async () => {
    const a = await partner();
    const b = await partner();
    const target = hook(() => 204);
    const endpoint = await register(a.admin, target.url);
    const path = `/v1/webhooks/${endpoint.id}/rotate-secret`;

    // Another partner: 404 as if it did not exist, nothing changed; without webhook.manage: 403.
    const untouched = await env.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } });
    expect((await api('POST', path, b.admin)).status).toBe(404);
    expect((await api('POST', path, a.sales)).status).toBe(403);
    expect((await api('POST', path, await vendorStaff())).status).toBe(403);
    expect(await env.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).toEqual(untouched);

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
    expect(openEndpointSecret(webhookSecretKeyring(), endpoint.id, 'secret', (await env.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).secret)).toBe(again.body.secret);

    // Deactivated: the problem redelivery answers too, and the secret stays.
    expectOk(await api('DELETE', `/v1/webhooks/${endpoint.id}`, a.admin));
    const inactive = await api('POST', path, a.admin);
    expect(inactive.status).toBe(409);
    expect(inactive.body.type).toBe('urn:partnerflow:problem:endpoint-inactive');
    expect(openEndpointSecret(webhookSecretKeyring(), endpoint.id, 'secret', (await env.prisma.webhookEndpoint.findUniqueOrThrow({ where: { id: endpoint.id } })).secret)).toBe(again.body.secret);
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
