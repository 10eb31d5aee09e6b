/**
 * The payload codec end to end, on a real dev server: the API's client and the worker (and the client its activities
 * start workflows with) encrypt with PAYLOAD_CODEC_KEYS. A customer name, a note and a file name sent in through the API
 * appear nowhere in the raw history the workflow service gives (search attributes included), the processes still run
 * and complete and the API reads them; the codec endpoint decodes that history's payloads to the plaintext for
 * vendor_operator and refuses everyone else; a client whose codec lacks the sealing key fails naming the key; the
 * browser's preflight is answered for the allowed origin only.
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import protos from '@temporalio/proto';
import express from 'express';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codecCors } from '../api/codec/cors.js';
import { createApp } from '../api/app.js';
import { createPrisma, type PrismaClient } from '../platform/db.js';
import { dataConverterOf, payloadCodecOf } from '../platform/payload-codec.js';
import { createWorker } from '../worker/worker.js';
import { call, JWT_SECRET, tokenFor } from './support/app.js';
import { fixedCalendar, testCalendar } from './support/calendar.js';
import { testDatabaseUrl } from './support/database.js';
import { expectOk, PDF } from './support/env.js';
import { devServerEnv, workflowBundle } from './support/temporal.js';

const KEYS = `pf1:${Buffer.alloc(32, 41).toString('base64')}`;
const OTHER_KEYS = `pf2:${Buffer.alloc(32, 42).toString('base64')}`;
const UI_ORIGIN = 'https://temporal-ui.example.com';
const taskQueue = 'payload-codec-test';
const unique = randomUUID().slice(0, 6);
const CUSTOMER = `Zhang San Holdings ${unique} 张三`;
const NOTE = `CFO prefers Fridays, mobile 138-${unique}`;
const FILE_NAME = `contract-zhang-${unique}.pdf`;

let env: TestWorkflowEnvironment;
let prisma: PrismaClient;
let worker: Worker;
let running: Promise<void>;
let server: Server;
let base = '';
let codecClient: Client;

beforeAll(async () => {
  env = await devServerEnv();
  prisma = createPrisma(testDatabaseUrl());
  const dataConverter = dataConverterOf(payloadCodecOf(KEYS))!;
  const calendarFor = fixedCalendar(() => testCalendar(Date.now()));
  worker = await createWorker({ connection: env.nativeConnection, namespace: 'default', taskQueue, prisma, calendarFor, dataConverter, workflowBundle: await workflowBundle() });
  running = worker.run();
  codecClient = new Client({ connection: env.connection, namespace: 'default', dataConverter });
  // The API as api/main.ts builds it with PAYLOAD_CODEC_KEYS and CODEC_ALLOWED_ORIGINS set.
  const outer = express();
  outer.use(codecCors([UI_ORIGIN]));
  outer.use(createApp({ temporal: codecClient, prisma, taskQueue, jwtSecret: JWT_SECRET, logger: pino({ level: 'silent' }), calendarFor }));
  server = await new Promise((resolve) => {
    const s = outer.listen(0, '127.0.0.1', () => resolve(s));
  });
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}, 120_000);

afterAll(async () => {
  server?.close();
  worker?.shutdown();
  await running;
  await prisma?.$disconnect();
  await env?.teardown();
});

const api = (method: string, path: string, token?: string, body?: unknown, headers?: Record<string, string>) => call(base, method, path, token, body, headers);

/** The raw history as the cluster stores it: the workflow service's answer, not decoded by any codec. */
async function rawHistory(workflowId: string) {
  const { history } = await env.connection.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId } });
  return history!;
}
const historyBytes = async (workflowId: string) => Buffer.from(protos.temporal.api.history.v1.History.encode(await rawHistory(workflowId)).finish());

/** Every payload anywhere in a history (inputs, results, update arguments, activity inputs, markers…), in wire form. */
function payloadsIn(node: unknown, found: { metadata: Record<string, string>; data?: string }[] = []) {
  if (!node || typeof node !== 'object') return found;
  const payloads = (node as { payloads?: unknown }).payloads;
  if (Array.isArray(payloads)) {
    for (const p of payloads as protos.temporal.api.common.v1.IPayload[]) {
      found.push({
        metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
        ...(p.data?.length ? { data: Buffer.from(p.data).toString('base64') } : {}),
      });
    }
  }
  for (const value of Object.values(node)) if (value && typeof value === 'object' && !ArrayBuffer.isView(value)) payloadsIn(value, found);
  return found;
}

const PARTNER = `P-codec-${randomUUID().slice(0, 8)}`;
let opportunityId = '';
let certificationId = '';

describe('payload codec through the real API, worker and dev server', () => {
  it('the processes run with the codec on: share, accept, an update with a note, close; a certification draft with a file', async () => {
    const vendor = await tokenFor(['vendor_staff']);
    const partner = await tokenFor(['partner_admin'], PARTNER, `${PARTNER}-admin`);
    const shared = await api('POST', '/v1/opportunities', vendor, { partnerId: PARTNER, customerName: CUSTOMER, title: 'Cloud migration' });
    expectOk(shared, 201);
    opportunityId = shared.body.id;
    expectOk(await api('POST', `/v1/opportunities/${opportunityId}/accept`, partner));
    expectOk(await api('POST', `/v1/opportunities/${opportunityId}/updates`, partner, { stage: 'PROPOSAL', note: NOTE }));
    expectOk(await api('POST', `/v1/opportunities/${opportunityId}/close`, partner, { outcome: 'WON' }));
    const read = await api('GET', `/v1/opportunities/${opportunityId}`, vendor);
    expectOk(read);
    expect(read.body).toMatchObject({ customerName: CUSTOMER, status: 'WON' });
    // The workflow completed, and its result reads back through the codec.
    const result = await codecClient.workflow.getHandle(`opportunity-${opportunityId}`).result();
    expect(JSON.stringify(result)).toContain('WON');

    const draft = await api('POST', '/v1/certifications', partner, { type: 'ROLE_CONSULTING' });
    expectOk(draft, 201);
    certificationId = draft.body.id;
    const file = await api('POST', `/v1/certifications/${certificationId}/files`, partner, PDF, { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${FILE_NAME}"` });
    expectOk(file, 201);
    const set = await api('PUT', `/v1/certifications/${certificationId}/materials`, partner, { materials: [{ kind: 'CASE_STUDIES', materialId: file.body.id }] });
    expectOk(set);
    expect(JSON.stringify(set.body)).toContain(FILE_NAME);
  }, 60_000);

  it('the raw histories hold none of the customer name, the note or the file name — search attributes included', async () => {
    const opportunity = await historyBytes(`opportunity-${opportunityId}`);
    const certification = await historyBytes(`certification-${certificationId}`);
    expect(payloadsIn(await rawHistory(`opportunity-${opportunityId}`)).length).toBeGreaterThan(5);
    for (const [history, secret] of [
      [opportunity, CUSTOMER],
      [opportunity, NOTE],
      [certification, FILE_NAME],
    ] as const) {
      expect(history.includes(Buffer.from(secret)), secret).toBe(false);
      expect(history.includes(Buffer.from(unique)), `${secret} (its unique part)`).toBe(false);
    }
    // The search attributes the Web UI lists by stay plain.
    expect(opportunity.includes(Buffer.from(PARTNER))).toBe(true);
    // Every payload of these histories is encrypted, but the SDK's own bookkeeping in markers (a patch's id, a local
    // activity's sequence number), which the SDK writes without the data converter; a local activity's result is ours.
    const ours = (await rawHistory(`opportunity-${opportunityId}`)).events!.flatMap((event) =>
      event.markerRecordedEventAttributes ? payloadsIn(event.markerRecordedEventAttributes.details?.result) : payloadsIn(event),
    );
    expect(ours.length).toBeGreaterThan(5);
    for (const p of ours.filter((p) => p.data)) {
      expect(Buffer.from(p.metadata.encoding!, 'base64').toString(), Buffer.from(p.data!, 'base64').toString()).toBe('binary/encrypted');
    }
  });

  it('the codec endpoint decodes those payloads to the plaintext for vendor_operator, and refuses everyone else', async () => {
    const payloads = [...payloadsIn(await rawHistory(`opportunity-${opportunityId}`)), ...payloadsIn(await rawHistory(`certification-${certificationId}`))];
    const operator = await tokenFor(['vendor_operator'], undefined, 'ops-1');
    const decoded = await api('POST', '/v1/codec/decode', operator, { payloads }, { 'X-Namespace': 'default', Origin: UI_ORIGIN });
    expectOk(decoded);
    expect(decoded.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    const plaintext = (decoded.body.payloads as { data?: string }[]).map((p) => Buffer.from(p.data ?? '', 'base64').toString('utf8')).join('\n');
    for (const secret of [CUSTOMER, NOTE, FILE_NAME]) expect(plaintext).toContain(secret);
    for (const p of decoded.body.payloads as { metadata: Record<string, string> }[]) {
      expect(Buffer.from(p.metadata.encoding!, 'base64').toString()).not.toBe('binary/encrypted');
    }
    // Encode is the way back: what it answers decodes to what was sent.
    const again = await api('POST', '/v1/codec/encode', operator, { payloads: decoded.body.payloads.slice(0, 1) });
    expectOk(again);
    expect((await api('POST', '/v1/codec/decode', operator, again.body)).body.payloads).toEqual(decoded.body.payloads.slice(0, 1));
    // The call is in the audit log, under the operator's name.
    expect(await prisma.auditLog.count({ where: { actor: 'ops-1', action: 'POST /v1/codec/decode' } })).toBeGreaterThan(0);

    for (const roles of [['vendor_admin'], ['vendor_staff'], ['vendor_auditor'], ['partner_admin']] as const) {
      const refused = await api('POST', '/v1/codec/decode', await tokenFor([...roles], roles[0] === 'partner_admin' ? PARTNER : undefined), { payloads });
      expect(refused.status, roles[0]).toBe(403);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
    expect((await api('POST', '/v1/codec/decode', undefined, { payloads })).status).toBe(401);
    const malformed = await api('POST', '/v1/codec/decode', operator, { payloads: [{ metadata: { encoding: 'not base64!' } }] });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].field).toBe('payloads.0.metadata.encoding');
  });

  it('a codec without the key that sealed fails clearly: the endpoint names the key, a client with other keys too', async () => {
    const sealedElsewhere = await payloadCodecOf(OTHER_KEYS)!.encode([{ metadata: { encoding: Buffer.from('json/plain') }, data: Buffer.from('"x"') }]);
    const wire = sealedElsewhere.map((p) => ({ metadata: { encoding: Buffer.from(p.metadata!.encoding!).toString('base64'), 'encryption-key-id': Buffer.from(p.metadata!['encryption-key-id']!).toString('base64') }, data: Buffer.from(p.data!).toString('base64') }));
    const refused = await api('POST', '/v1/codec/decode', await tokenFor(['vendor_operator']), { payloads: wire });
    expect(refused.status).toBe(422);
    expect(refused.body).toMatchObject({ type: 'urn:partnerflow:problem:payload-undecodable', errors: [{ field: 'payloads' }] });
    expect(refused.body.detail).toMatch(/key pf2, which the keyring does not hold/);

    const stranger = new Client({ connection: env.connection, namespace: 'default', dataConverter: dataConverterOf(payloadCodecOf(OTHER_KEYS))! });
    await expect(stranger.workflow.getHandle(`opportunity-${opportunityId}`).result()).rejects.toThrow(/key pf1, which the keyring does not hold/);
  });

  it("the browser's preflight: answered for the allowed origin, refused for another, no CORS on other routes", async () => {
    const preflight = (origin: string, path = '/v1/codec/decode') =>
      fetch(base + path, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization,content-type,x-namespace' } });
    const ok = await preflight(UI_ORIGIN);
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe(UI_ORIGIN);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/X-Namespace/);
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const other = await preflight('https://evil.example.com');
    expect(other.status).toBe(403);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    expect(other.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect((await preflight(UI_ORIGIN, '/v1/opportunities')).headers.get('access-control-allow-origin')).toBeNull();
  });
});
