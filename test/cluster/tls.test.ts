/**
 * TLS and mTLS against the real Temporal server (npm run test:cluster only): a second cluster of its own whose frontend
 * requires a client certificate signed by a CA made here with openssl. The API replicas and workers reach it with the
 * TEMPORAL_TLS_* settings (platform/temporal.ts) and work — an opportunity shared through an API replica is recorded by
 * a worker — while a connection without a client certificate, or trusting another CA, is refused.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../../domain/auth.js';
import { devJwtSecret } from '../../platform/config.js';
import { temporalSecurityFromFiles } from '../../platform/temporal.js';
import { type Cluster, startCluster } from '../../scripts/cluster/cluster.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'partnerflow-mtls-'));
const file = (name: string) => path.join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

/** A CA, and one certificate it signed for localhost / 127.0.0.1 (server and client alike, as the server's own services use it). */
function makeCertificates(prefix: string) {
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=${prefix} test CA`, '-keyout', file(`${prefix}-ca.key`), '-out', file(`${prefix}-ca.pem`));
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-keyout', file(`${prefix}.key`), '-out', file(`${prefix}.csr`));
  openssl(
    'x509', '-req', '-in', file(`${prefix}.csr`), '-CA', file(`${prefix}-ca.pem`), '-CAkey', file(`${prefix}-ca.key`), '-CAcreateserial', '-days', '2',
    '-extfile', file(`${prefix}.ext`), '-out', file(`${prefix}.pem`),
  );
  return { caFile: file(`${prefix}-ca.pem`), certFile: file(`${prefix}.pem`), keyFile: file(`${prefix}.key`) };
}

let cluster: Cluster;
let tls: ReturnType<typeof makeCertificates>;
let stranger: ReturnType<typeof makeCertificates>;

beforeAll(async () => {
  const ext = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n';
  for (const prefix of ['cluster', 'stranger']) execFileSync('sh', ['-c', `printf '${ext}' > ${file(`${prefix}.ext`)}`]);
  tls = makeCertificates('cluster');
  stranger = makeCertificates('stranger');
  cluster = await startCluster({ dir: file('cluster-dir'), frontendPort: 7533, apiPorts: [3200, 3201], workers: 1, tls, say: () => {} });
}, 300_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 120_000);

describe('the Temporal server with mTLS', () => {
  it('the API replicas and the worker reach it with the TEMPORAL_TLS_* settings: a share is recorded, read on the other replica', async () => {
    for (const base of cluster.apiUrls) expect(await (await fetch(`${base}/healthz`)).json()).toMatchObject({ temporal: 'ok', database: 'ok' });
    const vendor = await signToken({ sub: 'mtls-vendor', roles: ['vendor_staff'] }, devJwtSecret);
    const shared = await fetch(`${cluster.apiUrls[0]}/v1/opportunities`, {
      method: 'POST',
      headers: { authorization: `Bearer ${vendor}`, 'content-type': 'application/json', 'idempotency-key': crypto.randomUUID() },
      body: JSON.stringify({ partnerId: 'P-mtls', customerName: 'mTLS Ltd.', title: 'over mTLS' }),
    });
    expect(shared.status).toBe(201);
    const { id } = (await shared.json()) as { id: string };
    const read = await fetch(`${cluster.apiUrls[1]}/v1/opportunities/${id}`, { headers: { authorization: `Bearer ${vendor}` } });
    expect(((await read.json()) as { status: string }).status).toBe('PENDING_ACCEPTANCE');
  });

  it('a client with the certificate gets answers; without one, or trusting another CA, it is refused', async () => {
    const good = await Connection.connect({ address: cluster.temporalAddress, ...temporalSecurityFromFiles({ caPath: tls.caFile, certPath: tls.certFile, keyPath: tls.keyFile, serverName: 'localhost' }) });
    expect((await good.workflowService.getSystemInfo({})).serverVersion).toBeTruthy();
    await good.close();

    const attempt = async (security: ReturnType<typeof temporalSecurityFromFiles>) => {
      const connection = await Connection.connect({ address: cluster.temporalAddress, connectTimeout: 3000, ...security });
      try {
        await connection.workflowService.getSystemInfo({});
        return 'answered';
      } finally {
        await connection.close();
      }
    };
    // No client certificate: the frontend requires one (requireClientAuth).
    await expect(attempt(temporalSecurityFromFiles({ caPath: tls.caFile, serverName: 'localhost' }))).rejects.toThrow();
    // A client certificate of another CA: refused too.
    await expect(attempt(temporalSecurityFromFiles({ caPath: tls.caFile, certPath: stranger.certFile, keyPath: stranger.keyFile, serverName: 'localhost' }))).rejects.toThrow();
    // Trusting another CA: the client refuses the server.
    await expect(attempt(temporalSecurityFromFiles({ caPath: stranger.caFile, certPath: tls.certFile, keyPath: tls.keyFile, serverName: 'localhost' }))).rejects.toThrow();
    // Plain TCP: no answer either.
    await expect(attempt({})).rejects.toThrow();
  }, 120_000);
});
