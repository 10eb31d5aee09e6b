/**
 * The API process as an operator starts it (`node --import tsx api/main.ts`), with nothing else running: it binds
 * loopback unless HOST says otherwise, refuses — one sentence, exit 1, before listening — a configuration that would
 * verify tokens with the development secret published in this repository where others can reach it, and with its
 * database and Temporal both unreachable it still starts and answers 503 naming them (never 500).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { signToken } from '../domain/auth.js';
import { devJwtSecret } from '../platform/config.js';
import { projectRoot } from '../scripts/temporal-binaries.js';

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

type Run = { code: Promise<number | null>; output: () => string; stop: () => Promise<number | null> };

/** Nothing listens on port 1: the database and Temporal are unreachable (connection refused). */
function startApi(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'api/main.ts')], {
    cwd: projectRoot,
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      TEMPORAL_ADDRESS: '127.0.0.1:1',
      LOG_LEVEL: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  return {
    code,
    output: () => output,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return code;
    },
  };
}

/** The local addresses LISTENing on this TCP port, from the kernel's own table (hex, as /proc/net/tcp{,6} write them). */
function listeningAddresses(port: number): string[] {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  return ['/proc/net/tcp', '/proc/net/tcp6'].flatMap((file) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1]?.endsWith(`:${hexPort}`) && cols[3] === '0A')
      .map((cols) => cols[1]!.split(':')[0]!),
  );
}

async function waitForListen(port: number, run: Run, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (listeningAddresses(port).length === 0) {
    if (Date.now() > deadline) throw new Error(`API did not listen on ${port}: ${run.output()}`);
    const exited = await Promise.race([run.code.then(() => true), new Promise((r) => setTimeout(() => r(false), 100))]);
    if (exited) throw new Error(`API exited before listening: ${run.output()}`);
  }
}

const REFUSAL = /^Refusing to start: the API would verify tokens with the built-in development secret/m;

describe('API start-up: safe defaults', () => {
  it('binds 127.0.0.1 by default; with the database and Temporal down it answers 503 naming them, never 500', async () => {
    const port = await freePort();
    const run = startApi({ PORT: String(port) });
    try {
      await waitForListen(port, run);
      expect(listeningAddresses(port)).toEqual(['0100007F']); // 127.0.0.1 only, no IPv6 wildcard, no 0.0.0.0

      const health = await fetch(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(503);
      expect(health.headers.get('retry-after')).toBe('5');
      expect(await health.json()).toEqual({ status: 'degraded', temporal: 'unavailable', database: 'unavailable' });

      const token = await signToken({ sub: 'vendor-user', roles: ['vendor_staff'] }, devJwtSecret);
      const list = await fetch(`http://127.0.0.1:${port}/v1/opportunities`, { headers: { authorization: `Bearer ${token}` } });
      expect(list.status).toBe(503);
      expect(list.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(list.headers.get('retry-after')).toBe('5');
      expect(await list.json()).toMatchObject({ status: 503, type: 'urn:partnerflow:problem:dependency-unavailable', dependency: 'database' });

      const forged = await fetch(`http://127.0.0.1:${port}/v1/opportunities`, { headers: { authorization: `Bearer ${token}x` } });
      expect(forged.status).toBe(401);
      expect(((await forged.json()) as { detail: string }).detail).toBe('The bearer token is not valid.');
    } finally {
      await run.stop();
    }
  });

  it('refuses to start beyond loopback with the development secret: one sentence, exit 1, nothing listening', async () => {
    const port = await freePort();
    const run = startApi({ PORT: String(port), HOST: '0.0.0.0' });
    expect(await run.code).toBe(1);
    expect(run.output()).toMatch(REFUSAL);
    expect(run.output()).toContain('while listening on 0.0.0.0');
    expect(run.output().trim().split('\n')).toHaveLength(1);
    expect(listeningAddresses(port)).toEqual([]);
  });

  it('refuses with NODE_ENV=production even on loopback, and JWKS without issuer and audience', async () => {
    const production = startApi({ PORT: String(await freePort()), NODE_ENV: 'production' });
    expect(await production.code).toBe(1);
    expect(production.output()).toMatch(REFUSAL);
    expect(production.output()).toContain('with NODE_ENV=production');

    const jwks = startApi({ PORT: String(await freePort()), AUTH_JWKS_URL: 'https://idp.example/jwks.json', AUTH_ISSUER: 'https://idp.example' });
    expect(await jwks.code).toBe(1);
    expect(jwks.output()).toMatch(/^Refusing to start: AUTH_JWKS_URL is set without AUTH_AUDIENCE/m);
  });

  it('refuses the development webhook key beyond loopback once the token secret is its own', async () => {
    const run = startApi({ PORT: String(await freePort()), HOST: '0.0.0.0', AUTH_JWT_SECRET: 'an-operator-secret-0123456789abcdefghij' });
    expect(await run.code).toBe(1);
    expect(run.output()).toMatch(/^Refusing to start: webhook secrets would be encrypted with the built-in development key .* while listening on 0\.0\.0\.0/m);
  });

  it('starts on 0.0.0.0 once a secret and a webhook key of its own are set', async () => {
    const port = await freePort();
    const run = startApi({ PORT: String(port), HOST: '0.0.0.0', AUTH_JWT_SECRET: 'an-operator-secret-0123456789abcdefghij', WEBHOOK_SECRET_KEYS: `k1:${Buffer.alloc(32, 7).toString('base64')}` });
    try {
      await waitForListen(port, run);
      expect(listeningAddresses(port)).toEqual(['00000000']);
    } finally {
      await run.stop();
    }
  });
});
