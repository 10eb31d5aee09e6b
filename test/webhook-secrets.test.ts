/**
 * Webhook secrets at rest (platform/webhook-secrets.ts), on the real API + worker + time-skipping server + PostgreSQL
 * with a local receiver: a registered endpoint's row holds its secret sealed (`enc:v1:`), never the secret the API
 * answered, and deliveries still verify with that secret; a rotation seals both columns; a row stored in plain text
 * (before sealing existed) still signs, is sealed by the worker's start-up pass and signs after it; two passes at once
 * (two replicas) seal each row once and never undo a rotation made meanwhile; WEBHOOK_SECRET_KEYS rotated (a new key
 * first, the old one second) — rows under the old key still sign, the pass re-seals them, then the old key can go; a
 * row sealed with a key no longer in the ring fails its delivery at once naming the key, the pass lists it, and a
 * rotation of the endpoint's secret gives it a working one again; the worker's start-up call logs its counts and, with
 * NODE_ENV=production, refuses the published development key; a malformed keyring stops the API and the worker.
 *
 * Two more workers on this file's server, with keyrings of their own: `rotated` (next, then the env's key) and
 * `nextOnly` (the env's key removed). The env's API and worker read WEBHOOK_SECRET_KEYS (unset: the development key).
 */
import { randomUUID } from 'node:crypto';
import type { Worker } from '@temporalio/worker';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookActivities } from '../activities/webhook.js';
import { createWebhooksClient } from '../api/webhook/client.js';
import type { EventTopic } from '../domain/events.js';
import { newWebhookSecret, verify } from '../domain/webhook-signature.js';
import { configDefaults } from '../platform/config.js';
import { keyIdOfSealedText, parseKeyring } from '../platform/keyring.js';
import {
  type Keyring,
  openEndpointSecret,
  resealRow,
  type SealableRow,
  type SealCounts,
  sealWebhookSecrets,
  sealWebhookSecretsAtStart,
  WebhookSecretUnreadable,
  webhookSecretKeyring,
} from '../platform/webhook-secrets.js';
import { createWorker } from '../worker/worker.js';
import { expectOk } from './support/env.js';
import { workflowBundle } from './support/temporal.js';
import { eventually } from './support/wait.js';
import type { Received } from './support/webhook-receiver.js';
import { headersOf, RETRY, TOPIC, useWebhookEnv } from './support/webhooks.js';

const taskQueue = 'webhook-secrets-test';
const webhooks = useWebhookEnv(taskQueue);
const { env, hook, partner, register, deliveries, emit } = webhooks;
const { api } = env;

/** What the env's API and worker seal and open with. */
const envKeys = process.env.WEBHOOK_SECRET_KEYS ?? configDefaults.WEBHOOK_SECRET_KEYS;
const envRing = webhookSecretKeyring(envKeys);
const NEXT = `next:${Buffer.alloc(32, 9).toString('base64')}`;
/** The rotation's first step: the new key first (it seals), the old one second (it still opens). */
const rotatedRing = parseKeyring(`${NEXT},${envKeys}`, 'WEBHOOK_SECRET_KEYS');
/** The rotation's last step: the old key removed. */
const nextOnlyRing = parseKeyring(NEXT, 'WEBHOOK_SECRET_KEYS');

type Row = SealableRow;
const rowOf = async (id: string): Promise<Row> =>
  (await env.prisma.$queryRaw<Row[]>`SELECT id, secret, previous_secret, previous_secret_expires_at FROM webhook_endpoint WHERE id = ${id}`)[0]!;
const noCounts = (): SealCounts => ({ examined: 0, sealed: 0, resealed: 0, changedMeanwhile: 0, unreadable: [] });

/** A worker of this file's server on its own task queue, opening secrets with `ring`. */
const workers: { worker: Worker; running: Promise<void> }[] = [];
async function startWorker(queue: string, ring: Keyring) {
  const worker = await createWorker({
    connection: env.nativeConnection,
    namespace: 'default',
    taskQueue: queue,
    prisma: env.prisma,
    calendarFor: env.calendarFor,
    webhookRetry: RETRY,
    webhookAllowPrivateTargets: true,
    webhookAllowedPorts: webhooks.webhookAllowedPorts(),
    webhookSecretKeys: ring,
    workflowBundle: await workflowBundle(),
  });
  workers.push({ worker, running: worker.run() });
}
const ROTATED = `${taskQueue}-rotated`;
const NEXT_ONLY = `${taskQueue}-next-only`;

beforeAll(async () => {
  await startWorker(ROTATED, rotatedRing);
  await startWorker(NEXT_ONLY, nextOnlyRing);
});
afterAll(async () => {
  for (const { worker } of workers) worker.shutdown();
  await Promise.all(workers.map((w) => w.running));
  // Every row back under the env's key, for the files after this one on this database (their workers hold only it).
  await sealWebhookSecrets(env.prisma, parseKeyring(`${envKeys},${NEXT}`, 'WEBHOOK_SECRET_KEYS'));
});

/** A fresh message of the partner relayed by `queue`'s worker; the endpoint's new delivery once it is `status`. */
async function deliverVia(queue: string, partnerId: string, admin: string, endpointId: string, path: string, status = 'DELIVERED') {
  const known = (await deliveries(admin, endpointId)).length;
  const before = webhooks.receiver().requests(path).length;
  await emit(partnerId, undefined, queue);
  const delivery = await eventually(async () => {
    const list = await deliveries(admin, endpointId);
    return list.length > known && list[0]!.status === status ? list[0]! : undefined;
  });
  return { delivery, received: webhooks.receiver().requests(path).slice(before) };
}
/** The one POST a delivery made, and the secrets its signature header verifies with, each on its own. */
const verifiesWith = (r: Received, ...secrets: string[]) => {
  const signatures = String(r.headers['webhook-signature']).split(' ');
  expect(signatures).toHaveLength(secrets.length);
  secrets.forEach((secret, i) => expect(verify(secret, { ...headersOf(r), signature: signatures[i]! }, r.body), `signature ${i + 1}`).toBe(true));
};
/** The row in every form a secret could leak in: the whole `whsec_…` and its base64 key alone. */
const expectNoPlaintext = (row: Row, ...secrets: string[]) => {
  const stored = JSON.stringify(row);
  for (const secret of secrets) {
    expect(stored).not.toContain(secret);
    expect(stored).not.toContain(secret.replace(/^whsec_/, ''));
  }
};

/** A row written as before sealing existed (or by an API not yet upgraded): secrets in plain text, by SQL. */
async function plaintextRow(partnerId: string, url: string, previous?: string) {
  const id = randomUUID();
  const secret = newWebhookSecret();
  const expires = previous ? new Date(Date.now() + 3_600_000) : null;
  await env.prisma.$executeRaw`
    INSERT INTO webhook_endpoint (id, partner_id, url, events, secret, previous_secret, previous_secret_expires_at, created_by, created_at)
    VALUES (${id}, ${partnerId}, ${url}, ${[TOPIC]}::text[], ${secret}, ${previous ?? null}, ${expires}, 'webhook-secrets-test', now())`;
  return { id, secret };
}

describe('webhook secrets at rest', () => {
  it('a registered endpoint stores its secret sealed, never in plain text; deliveries verify with the answered secret; a rotation seals both', async () => {
    const a = await partner();
    const target = hook(() => 204);
    const endpoint = await register(a.admin, target.url);
    const row = await rowOf(endpoint.id);
    expect(row.secret).toMatch(new RegExp(`^enc:v1:${envRing.currentId}:`));
    expectNoPlaintext(row, endpoint.secret);
    expect(openEndpointSecret(envRing, endpoint.id, 'secret', row.secret)).toBe(endpoint.secret);
    // Bound to its row and column: copied elsewhere it does not open.
    for (const [id, column] of [[randomUUID(), 'secret'], [endpoint.id, 'previous_secret']] as const) {
      expect(() => openEndpointSecret(envRing, id, column, row.secret)).toThrow(WebhookSecretUnreadable);
    }
    const first = await deliverVia(taskQueue, a.partnerId, a.admin, endpoint.id, target.path);
    verifiesWith(first.received[0]!, endpoint.secret);

    const rotated = await api('POST', `/v1/webhooks/${endpoint.id}/rotate-secret`, a.admin);
    expectOk(rotated);
    const after = await rowOf(endpoint.id);
    expect(after.secret).toMatch(/^enc:v1:/);
    expect(after.previous_secret).toMatch(/^enc:v1:/);
    expectNoPlaintext(after, endpoint.secret, rotated.body.secret);
    expect(openEndpointSecret(envRing, endpoint.id, 'secret', after.secret)).toBe(rotated.body.secret);
    expect(openEndpointSecret(envRing, endpoint.id, 'previous_secret', after.previous_secret!)).toBe(endpoint.secret);
    const during = await deliverVia(taskQueue, a.partnerId, a.admin, endpoint.id, target.path);
    verifiesWith(during.received[0]!, rotated.body.secret, endpoint.secret);
  });

  it('a row in plain text still signs, is sealed by the start-up pass, and signs after it; a second pass changes nothing', async () => {
    const a = await partner();
    const target = hook(() => 204);
    const previous = newWebhookSecret();
    const legacy = await plaintextRow(a.partnerId, target.url, previous);
    const before = await deliverVia(taskQueue, a.partnerId, a.admin, legacy.id, target.path);
    verifiesWith(before.received[0]!, legacy.secret, previous);

    const counts = await sealWebhookSecrets(env.prisma, envRing, { batch: 2 });
    expect(counts.sealed).toBeGreaterThanOrEqual(2);
    const row = await rowOf(legacy.id);
    expect(keyIdOfSealedText(row.secret)).toBe(envRing.currentId);
    expect(keyIdOfSealedText(row.previous_secret!)).toBe(envRing.currentId);
    expectNoPlaintext(row, legacy.secret, previous);
    const after = await deliverVia(taskQueue, a.partnerId, a.admin, legacy.id, target.path);
    verifiesWith(after.received[0]!, legacy.secret, previous);

    const again = await sealWebhookSecrets(env.prisma, envRing);
    expect(again).toMatchObject({ sealed: 0, resealed: 0, changedMeanwhile: 0 });
    expect(await rowOf(legacy.id)).toEqual(row);
  });

  it('two passes at once seal every row once, and a pass never undoes a rotation made after it read the row', async () => {
    const a = await partner();
    await sealWebhookSecrets(env.prisma, envRing); // nothing else in plain text: the counts below are these rows'
    const rows = await Promise.all([1, 2, 3, 4, 5].map(() => plaintextRow(a.partnerId, 'https://example.com/hook')));
    const [one, two] = await Promise.all([sealWebhookSecrets(env.prisma, envRing, { batch: 2 }), sealWebhookSecrets(env.prisma, envRing, { batch: 2 })]);
    expect(one.sealed + two.sealed).toBe(rows.length);
    for (const { id, secret } of rows) expect(openEndpointSecret(envRing, id, 'secret', (await rowOf(id)).secret)).toBe(secret);

    // A pass read the row (still in plain text), then the partner rotated its secret: the pass's write must not land.
    const { id, secret } = await plaintextRow(a.partnerId, 'https://example.com/hook');
    const read = await rowOf(id);
    const rotated = await api('POST', `/v1/webhooks/${id}/rotate-secret`, a.admin);
    expectOk(rotated);
    const counts = noCounts();
    expect(await resealRow(env.prisma, envRing, read, counts)).toBe('changed-meanwhile');
    expect(counts).toMatchObject({ sealed: 0, changedMeanwhile: 1 });
    const now = await rowOf(id);
    expect(openEndpointSecret(envRing, id, 'secret', now.secret)).toBe(rotated.body.secret);
    expect(openEndpointSecret(envRing, id, 'previous_secret', now.previous_secret!)).toBe(secret);
  });

  it('WEBHOOK_SECRET_KEYS rotated: rows under the old key still sign, the pass re-seals them, then the old key can go', async () => {
    const a = await partner();
    const target = hook(() => 204);
    const endpoint = await register(a.admin, target.url);
    expect(keyIdOfSealedText((await rowOf(endpoint.id)).secret)).toBe(envRing.currentId);
    // A new key first, the old one second: the row is still under the old key, and signs.
    const before = await deliverVia(ROTATED, a.partnerId, a.admin, endpoint.id, target.path);
    verifiesWith(before.received[0]!, endpoint.secret);

    const counts = await sealWebhookSecrets(env.prisma, rotatedRing);
    expect(counts.resealed).toBeGreaterThanOrEqual(1);
    expect(counts.unreadable).toEqual([]);
    const row = await rowOf(endpoint.id);
    expect(keyIdOfSealedText(row.secret)).toBe('next');
    expect(openEndpointSecret(nextOnlyRing, endpoint.id, 'secret', row.secret)).toBe(endpoint.secret);
    // Nothing is left under the old key, so the worker without it signs.
    expect(await env.prisma.webhookEndpoint.count({ where: { NOT: { secret: { startsWith: 'enc:v1:next:' } } } })).toBe(0);
    const after = await deliverVia(NEXT_ONLY, a.partnerId, a.admin, endpoint.id, target.path);
    verifiesWith(after.received[0]!, endpoint.secret);

    // The API seals new secrets with the first key of its ring.
    const client = createWebhooksClient({ prisma: env.prisma, temporal: env.client, taskQueue, webhookAllowPrivateTargets: true, webhookSecretKeys: rotatedRing });
    const created = await client.create({ sub: `${a.partnerId}-admin`, roles: ['partner_admin'], partnerId: a.partnerId }, { url: 'https://example.com/hook', events: [TOPIC] });
    expect(keyIdOfSealedText((await rowOf(created.id)).secret)).toBe('next');
    expect(openEndpointSecret(nextOnlyRing, created.id, 'secret', (await rowOf(created.id)).secret)).toBe(created.secret);
  });

  it('a secret sealed with a key no longer in the ring: the delivery fails at once naming the key, the pass lists it, a rotation recovers', async () => {
    const a = await partner();
    const target = hook(() => 204);
    const endpoint = await register(a.admin, target.url); // sealed with the env's key, which nextOnly lacks
    const stored = await rowOf(endpoint.id);
    const { delivery, received } = await deliverVia(NEXT_ONLY, a.partnerId, a.admin, endpoint.id, target.path, 'DEAD');
    expect(delivery).toMatchObject({ attempts: 1, lastResponseStatus: null });
    expect(delivery.lastError).toContain(`sealed with key ${envRing.currentId}, which the service no longer holds`);
    expect(received).toEqual([]);

    const counts = await sealWebhookSecrets(env.prisma, nextOnlyRing);
    expect(counts.unreadable).toContainEqual({ endpointId: endpoint.id, column: 'secret', keyId: envRing.currentId, keyMissing: true, signs: true });
    expect(await rowOf(endpoint.id)).toEqual(stored);

    // A retry of a creation whose secret cannot be opened: 503 (the caller cannot fix it; the operator can).
    const principal = { sub: `${a.partnerId}-admin`, roles: ['partner_admin' as const], partnerId: a.partnerId };
    const client = createWebhooksClient({ prisma: env.prisma, temporal: env.client, taskQueue, webhookSecretKeys: nextOnlyRing });
    const body = { url: 'https://example.com/hook', events: [TOPIC as EventTopic] };
    const key = `create-${randomUUID()}`;
    await createWebhooksClient({ prisma: env.prisma, temporal: env.client, taskQueue, webhookSecretKeys: envRing }).create(principal, body, key);
    await expect(client.create(principal, body, key)).rejects.toMatchObject({ status: 503, code: 'unavailable' });

    // The partner rotates: a new secret under the ring's key, no grace for the one that could not sign anyway.
    const rotated = await client.rotateSecret(principal, endpoint.id);
    expect(rotated.previousSecretExpiresAt).toBeNull();
    const recovered = await deliverVia(NEXT_ONLY, a.partnerId, a.admin, endpoint.id, target.path);
    verifiesWith(recovered.received[0]!, rotated.secret);
  });

  it("the worker's start-up call logs its counts, and with NODE_ENV=production does not seal with the published development key", async () => {
    const a = await partner();
    const lines: { level: number; msg: string; sealed?: number }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const legacy = await plaintextRow(a.partnerId, 'https://example.com/hook');
    const nodeEnv = process.env.NODE_ENV;
    process.env.NODE_ENV = 'production';
    try {
      await sealWebhookSecretsAtStart(env.prisma, log, webhookSecretKeyring(configDefaults.WEBHOOK_SECRET_KEYS));
      expect(lines).toEqual([expect.objectContaining({ level: 50, msg: expect.stringContaining('webhook secrets not sealed') })]);
      expect((await rowOf(legacy.id)).secret).toBe(legacy.secret);
      await sealWebhookSecretsAtStart(env.prisma, log, rotatedRing);
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
    expect(lines[1]).toMatchObject({ level: 30, msg: 'webhook secrets sealed with the first key of WEBHOOK_SECRET_KEYS', sealed: 1 });
    expect(keyIdOfSealedText((await rowOf(legacy.id)).secret)).toBe('next');
  });

  it('a malformed WEBHOOK_SECRET_KEYS stops the API and the worker where they are built, naming the variable', () => {
    const saved = process.env.WEBHOOK_SECRET_KEYS;
    process.env.WEBHOOK_SECRET_KEYS = `k1:${Buffer.from('short').toString('base64')}`;
    try {
      const refusal = 'WEBHOOK_SECRET_KEYS: key k1 is 5 bytes, not 32';
      expect(() => createWebhooksClient({ prisma: env.prisma, temporal: env.client, taskQueue })).toThrow(refusal);
      expect(() => createWebhookActivities({ prisma: env.prisma })).toThrow(refusal);
    } finally {
      if (saved === undefined) delete process.env.WEBHOOK_SECRET_KEYS;
      else process.env.WEBHOOK_SECRET_KEYS = saved;
    }
  });
});
