/**
 * Reaching Temporal securely (platform/temporal.ts): the configuration turned into the SDK's connection options — TLS
 * with system roots or a CA read from its file, a client certificate and key for mTLS (both or neither), the server
 * name, an API key implying TLS — and how the API key is really SENT: a local HTTP/2 server stands in for the Temporal
 * frontend, the SDK's own Connection (the client's) and NativeConnection (the worker's) make a call to it, and the
 * request must carry `authorization: Bearer <key>`. (TLS and mTLS against a real server are tested on the cluster.)
 */
import http2 from 'node:http2';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../platform/config.js';
import { apiConnectionOptions, temporalSecurity, temporalSecurityFromEnv, temporalSecurityFromFiles } from '../platform/temporal.js';

const dir = mkdtempSync(path.join(tmpdir(), 'temporal-tls-'));
const file = (name: string, text: string) => {
  const where = path.join(dir, name);
  writeFileSync(where, text);
  return where;
};
const ca = file('ca.pem', '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n');
const cert = file('client.pem', '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n');
const key = file('client.key', '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n');
const env = (vars: Record<string, string>) => loadConfig({ DATABASE_URL: 'postgres://x@localhost/x', ...vars });

describe('connection options from the configuration', () => {
  it('plain TCP when nothing asks for TLS (the dev server)', () => {
    expect(temporalSecurity(env({}))).toEqual({});
    expect(temporalSecurity(env({ TEMPORAL_TLS: '0' }))).toEqual({});
  });

  it('TLS with the system roots when TEMPORAL_TLS is set and no CA is named', () => {
    expect(temporalSecurity(env({ TEMPORAL_TLS: '1' }))).toEqual({ tls: {} });
  });

  it('TLS with the CA read from its file, and the server name override', () => {
    const security = temporalSecurity(env({ TEMPORAL_TLS: 'true', TEMPORAL_TLS_CA_PATH: ca, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal' }));
    expect(Buffer.from(security.tls!.serverRootCACertificate!).toString()).toContain('ca');
    expect(security.tls!.serverNameOverride).toBe('temporal.internal');
    expect(security.tls!.clientCertPair).toBeUndefined();
  });

  it('mTLS: the client certificate and key read from their files; a CA or a certificate implies TLS', () => {
    const security = temporalSecurity(env({ TEMPORAL_TLS_CA_PATH: ca, TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: key }));
    expect(Buffer.from(security.tls!.clientCertPair!.crt).toString()).toContain('client');
    expect(Buffer.from(security.tls!.clientCertPair!.key).toString()).toContain('PRIVATE KEY');
    expect(temporalSecurityFromFiles({ caPath: ca, certPath: cert, keyPath: key })).toEqual(security);
  });

  it('a certificate without its key, or a key without its certificate, stops the start naming both variables', () => {
    expect(() => temporalSecurity(env({ TEMPORAL_TLS_CERT_PATH: cert }))).toThrow(/TEMPORAL_TLS_CERT_PATH is set without TEMPORAL_TLS_KEY_PATH/);
    expect(() => temporalSecurity(env({ TEMPORAL_TLS: '1', TEMPORAL_TLS_KEY_PATH: key }))).toThrow(/TEMPORAL_TLS_KEY_PATH is set without TEMPORAL_TLS_CERT_PATH/);
  });

  it('a file that cannot be read stops the start naming its variable and path', () => {
    const missing = path.join(dir, 'nowhere.pem');
    expect(() => temporalSecurity(env({ TEMPORAL_TLS_CA_PATH: missing }))).toThrow(new RegExp(`TEMPORAL_TLS_CA_PATH: cannot read ${missing}`));
  });

  it('the tools that read the environment directly get the same options as the API and the worker', () => {
    const vars = { TEMPORAL_TLS_CA_PATH: ca, TEMPORAL_TLS_CERT_PATH: cert, TEMPORAL_TLS_KEY_PATH: key, TEMPORAL_TLS_SERVER_NAME: 'temporal.internal', TEMPORAL_API_KEY: 'k' };
    expect(temporalSecurityFromEnv(vars)).toEqual(temporalSecurity(env(vars)));
    expect(temporalSecurityFromEnv({ TEMPORAL_TLS: 'true' })).toEqual({ tls: {} });
    expect(temporalSecurityFromEnv({ TEMPORAL_TLS: '0' })).toEqual({});
  });

  it('an API key implies TLS (it must not travel in clear) and reaches the API connection options', () => {
    const security = temporalSecurity(env({ TEMPORAL_API_KEY: 'cloud-key' }));
    expect(security).toEqual({ tls: {}, apiKey: 'cloud-key' });
    expect(apiConnectionOptions('x:7233', security)).toMatchObject({ address: 'x:7233', tls: {}, apiKey: 'cloud-key' });
  });
});

/**
 * A stand-in Temporal frontend: every gRPC call is answered with an empty message (each response type's defaults) and
 * status OK, and the headers of every request are kept.
 */
function fakeFrontend() {
  const requests: http2.IncomingHttpHeaders[] = [];
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    requests.push(headers);
    stream.on('data', () => {});
    stream.on('end', () => {
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
      stream.end(Buffer.from([0, 0, 0, 0, 0])); // an uncompressed message of length 0
    });
  });
  return { server, requests };
}

describe('the API key as the SDK sends it', () => {
  const frontend = fakeFrontend();
  let address = '';
  beforeAll(async () => {
    await new Promise<void>((resolve) => frontend.server.listen(0, '127.0.0.1', resolve));
    address = `127.0.0.1:${(frontend.server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => frontend.server.close(() => resolve())));

  // TLS is switched off explicitly for the stand-in (the SDK honours an explicit `tls: false` beside an API key); the
  // key itself comes from the configuration through the functions the API and the worker use.
  const security = () => temporalSecurity(env({ TEMPORAL_API_KEY: 'pf-test-key-123' }));

  it("the client's Connection (the API's options) sends authorization: Bearer <key> on a call", async () => {
    const connection = await Connection.connect({ ...apiConnectionOptions(address, security()), tls: false });
    try {
      frontend.requests.length = 0;
      await connection.workflowService.getSystemInfo({});
      const call = frontend.requests.find((h) => h[':path'] === '/temporal.api.workflowservice.v1.WorkflowService/GetSystemInfo');
      expect(call, JSON.stringify(frontend.requests.map((h) => h[':path']))).toBeDefined();
      expect(call!.authorization).toBe('Bearer pf-test-key-123');
    } finally {
      await connection.close();
    }
  });

  it("the worker's NativeConnection sends it too", async () => {
    frontend.requests.length = 0;
    const connection = await NativeConnection.connect({ address, ...security(), tls: false });
    try {
      expect(frontend.requests.length).toBeGreaterThan(0);
      for (const headers of frontend.requests) expect(headers.authorization, String(headers[':path'])).toBe('Bearer pf-test-key-123');
    } finally {
      await connection.close();
    }
  });
});
