/**
 * Rate limits: per client address before authentication (a fresh fake token per request does not get a fresh
 * bucket), per authenticated caller (`sub`) after it, and TRUST_PROXY deciding whether X-Forwarded-For names the
 * client. The real app on the test database; Temporal is not needed by the route used (a list read).
 */
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testDatabaseUrl } from './support/database.js';
import { type AppDeps, createApp } from '../api/app.js';
import { signToken } from '../domain/auth.js';
import { createPrisma } from '../platform/db.js';
import { JWT_SECRET } from './support/app.js';

const prisma = createPrisma(testDatabaseUrl());
const temporal = new Client({ connection: Connection.lazy({ address: '127.0.0.1:1' }) });
const servers: Server[] = [];

async function serve(options: Partial<AppDeps>): Promise<string> {
  const app = createApp({ temporal, prisma, taskQueue: 'rate-limit', jwtSecret: JWT_SECRET, logger: pino({ level: 'silent' }), ...options });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  servers.push(server);
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

const list = (base: string, token: string, headers: Record<string, string> = {}) =>
  fetch(`${base}/v1/opportunities`, { headers: { authorization: `Bearer ${token}`, ...headers } });
const vendorToken = (sub: string) => signToken({ sub, roles: ['vendor_staff'] }, JWT_SECRET);

beforeAll(async () => {
  await prisma.$queryRaw`SELECT 1`;
});
afterAll(async () => {
  for (const server of servers) server.close();
  await prisma.$disconnect();
});

describe('rate limits', () => {
  it('per address before authentication: a different fake token each time still counts against the address', async () => {
    const base = await serve({ rateLimitPerAddressPerMinute: 5, rateLimitPerMinute: 1000 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await list(base, `fake.token.${i}`)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429]);
    const limited = await list(base, 'fake.token.again');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await limited.json()).toMatchObject({ type: 'urn:partnerflow:problem:rate-limited', status: 429 });
    // A valid token from the same address is limited too: the address bucket comes first.
    expect((await list(base, await vendorToken('alice'))).status).toBe(429);
  });

  it('per caller after authentication: one sub is limited, another sub from the same address is not', async () => {
    const base = await serve({ rateLimitPerAddressPerMinute: 1000, rateLimitPerMinute: 3 });
    const alice = await vendorToken('alice');
    // A second token of the same sub (re-issued) shares the bucket: the key is the sub, not the token.
    const aliceAgain = await signToken({ sub: 'alice', roles: ['vendor_staff'] }, JWT_SECRET, '2h');
    const statuses = [];
    for (const token of [alice, alice, aliceAgain, alice]) statuses.push((await list(base, token)).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    expect((await list(base, await vendorToken('bob'))).status).toBe(200);
  });

  it('X-Forwarded-For counts only behind a trusted proxy (TRUST_PROXY)', async () => {
    const untrusted = await serve({ rateLimitPerAddressPerMinute: 2, rateLimitPerMinute: 1000 });
    const spoofed = [];
    for (let i = 0; i < 3; i++) spoofed.push((await list(untrusted, 'fake', { 'x-forwarded-for': `203.0.113.${i}` })).status);
    expect(spoofed).toEqual([401, 401, 429]);

    const behindProxy = await serve({ rateLimitPerAddressPerMinute: 2, rateLimitPerMinute: 1000, trustProxy: 'loopback' });
    const forwarded = [];
    for (let i = 0; i < 3; i++) forwarded.push((await list(behindProxy, 'fake', { 'x-forwarded-for': `203.0.113.${i}` })).status);
    expect(forwarded).toEqual([401, 401, 401]);
    const sameClient = [];
    for (let i = 0; i < 3; i++) sameClient.push((await list(behindProxy, 'fake', { 'x-forwarded-for': '198.51.100.7' })).status);
    expect(sameClient).toEqual([401, 401, 429]);
  });
});
