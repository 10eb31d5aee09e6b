/**
 * A project specialist application on the embedded database (PGlite, what `npm start` runs by default), through the
 * real API and worker: it answers 201 in seconds. PGlite serves one transaction at a time, so an API that holds a
 * transaction across the workflow's update — which waits for an activity writing to the same database — waits for
 * itself until its transaction times out (it answered 500 after 60 s; api/kit/quotas.ts withOpenApplicationSlot now
 * admits in a short transaction and runs the update after it commits). The test suite's other files run on
 * PostgreSQL, where the held transaction only cost a pooled connection, so none of them saw it.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { call, tokenFor } from './support/app.js';
import { type StartedApp, useTestEnv } from './support/env.js';
import { useServedPglite } from './support/pglite-server.js';

const served = useServedPglite({ maxConnections: 16 });
const env = useTestEnv({ taskQueue: 'embedded-apply' });
let app: StartedApp;
beforeAll(async () => {
  app = await env.startApp({ taskQueue: 'embedded-apply-pglite', databaseUrl: served.url() });
});

describe('on the embedded PGlite', () => {
  it('a project specialist application answers 201 within seconds, recorded once', async () => {
    const partnerId = `P-emb-${randomUUID().slice(0, 8)}`;
    const feeder = await tokenFor(['vendor_system'], undefined, 'emb-feeder');
    const admin = await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`);
    const fed = await call(app.base, 'POST', `/v1/partners/${partnerId}/account/facts`, feeder, {
      source: 'billing',
      facts: [{ kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' }, observedAt: '2026-03-01T00:00:00Z' }],
    }, { 'Idempotency-Key': randomUUID() });
    expect(fed.status, JSON.stringify(fed.body)).toBe(201);
    const member = await call(app.base, 'POST', `/v1/partners/${partnerId}/members`, admin, { sub: `m-${randomUUID().slice(0, 8)}`, displayName: 'Member', roles: ['partner_sales'], workResidence: 'Hangzhou' });
    expect(member.status, JSON.stringify(member.body)).toBe(201);

    const started = Date.now();
    const applied = await call(app.base, 'POST', '/v1/specialist-applications', admin, { memberId: member.body.id, pathId: 'SOFTWARE' }, { 'Idempotency-Key': randomUUID() });
    expect(applied.status, JSON.stringify(applied.body)).toBe(201);
    expect(applied.body).toMatchObject({ partnerId, memberId: member.body.id, status: 'SUBMITTED' });
    expect(Date.now() - started).toBeLessThan(30_000);
    const rows = await app.prisma.specialistApplication.count({ where: { partnerId } });
    expect(rows).toBe(1);
  }, 90_000);
});
