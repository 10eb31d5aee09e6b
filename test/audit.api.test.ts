/**
 * GET /v1/admin/audit on the real API + PostgreSQL (issue 19 section 3, docs/audit.md), against rows written by real
 * requests: seven successful writes by two callers, made one after another a few milliseconds apart, whose rows are
 * listed here by hand (who, which route, which object, which status, which request id). Refused requests and reads made
 * among them must have written nothing — the exact counts below would show them. Then each filter alone and combined,
 * the period's bounds (from included, to excluded), every page boundary (limits 1 to 8 over the seven rows, and rows
 * written in the same millisecond), the refusals naming their field, and who may read it.
 *
 * The files a test worker runs share its database (support/database.ts), so older rows of other files are there too:
 * every expectation is narrowed to this file's callers, objects or period — or, where a filter alone reaches older rows,
 * says only that this file's rows come first and everything after them is older.
 */
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../api/kit/pagination.js';
import type { Role } from '../domain/auth.js';
import { tokenFor } from './support/app.js';
import { useTestEnv } from './support/env.js';

const env = useTestEnv({ taskQueue: 'audit-test', api: true });
const run = randomUUID().slice(0, 8);
const PARTNER = `P-audit-${run}`;
const ADMIN = `audit-admin-${run}`; // the partner's administrator
const FEEDER = `audit-feeder-${run}`; // the vendor's billing system
const MEMBERS = 'POST /v1/partners/:partnerId/members';
const MEMBER_CHANGE = 'PATCH /v1/partners/:partnerId/members/:memberId';
const ROLES = 'POST /v1/partners/:partnerId/roles';
const FACTS = 'POST /v1/partners/:partnerId/account/facts';

/** One row this file's requests wrote, as expected by hand; `at` and `id` as the database stamped them. */
type Row = { actor: string; partnerId: string | null; action: string; target: string; status: number; requestId: string; at: string; id: string };
let rows: Row[] = [];
let auditor: string;

const pause = () => new Promise((resolve) => setTimeout(resolve, 5));
const token = (roles: Role[], sub: string, partnerId?: string) => tokenFor(roles, partnerId, sub);
const list = (query: Record<string, string>, as = auditor) => env.api('GET', `/v1/admin/audit?${new URLSearchParams(query).toString()}`, as);
/** The rows of a list answer, as indexes into `rows` (-1: a row of this file's that none of the seven is). */
const indexes = (items: { requestId: string }[]) => items.map((item) => rows.findIndex((r) => r.requestId === item.requestId));

/** Every page of a query, following nextCursor: each page's length, and the rows in order. */
async function allPages(query: Record<string, string>): Promise<{ sizes: number[]; items: Row[] }> {
  const sizes: number[] = [];
  const items: Row[] = [];
  let cursor: string | null = null;
  do {
    const res = await list(cursor ? { ...query, cursor } : query);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    sizes.push(res.body.items.length);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor && sizes.length < 20);
  return { sizes, items };
}

beforeAll(async () => {
  auditor = await token(['vendor_auditor'], `audit-reader-${run}`);
  const admin = await token(['partner_admin'], ADMIN, PARTNER);
  const feeder = await token(['vendor_system'], FEEDER);
  let n = 0;
  /** A request with a request id of this file's; its answer's status is checked, its row (if any) expected by the caller. */
  const send = async (as: string, method: string, path: string, body: unknown, status: number, headers: Record<string, string> = {}) => {
    await pause(); // a few milliseconds between rows: each row's time is its own, so the period's bounds fall between rows
    const requestId = `audit-${run}-${n++}`;
    const res = await env.api(method, path, as, body, { 'X-Request-Id': requestId, ...headers });
    expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBe(status);
    return { requestId, body: res.body as { id: string } };
  };
  const members = `/v1/partners/${PARTNER}/members`;
  const fact = () => ({ source: 'billing', facts: [{ kind: 'POSTPAID', value: { enabled: true }, observedAt: '2026-03-01T00:00:00Z' }] });
  const feed = { 'Idempotency-Key': randomUUID() };
  const written: Omit<Row, 'at' | 'id'>[] = [];
  const wrote = (actor: string, action: string, target: string, status: number, requestId: string) =>
    written.push({ actor, partnerId: actor === ADMIN ? PARTNER : null, action, target, status, requestId });

  const m1 = await send(admin, 'POST', members, { sub: `audit-m1-${run}`, displayName: 'Audit one' }, 201);
  wrote(ADMIN, MEMBERS, m1.body.id, 201, m1.requestId); // 0
  const m2 = await send(admin, 'POST', members, { sub: `audit-m2-${run}`, displayName: 'Audit two' }, 201);
  wrote(ADMIN, MEMBERS, m2.body.id, 201, m2.requestId); // 1
  await send(admin, 'GET', members, undefined, 200); // a read: not audited
  await send(admin, 'POST', members, { sub: `audit-m3-${run}` }, 400); // refused (no displayName): not audited
  await send(feeder, 'POST', members, { sub: `audit-m4-${run}`, displayName: 'Refused' }, 403); // refused: not audited
  wrote(ADMIN, MEMBER_CHANGE, m1.body.id, 200, (await send(admin, 'PATCH', `${members}/${m1.body.id}`, { displayName: 'Audit one (renamed)' }, 200)).requestId); // 2
  wrote(FEEDER, FACTS, PARTNER, 201, (await send(feeder, 'POST', `/v1/partners/${PARTNER}/account/facts`, fact(), 201, feed)).requestId); // 3
  wrote(ADMIN, MEMBER_CHANGE, m1.body.id, 200, (await send(admin, 'PATCH', `${members}/${m1.body.id}`, { displayName: 'Audit one again' }, 200)).requestId); // 4
  const role = await send(admin, 'POST', `/v1/partners/${PARTNER}/roles`, { name: `Audit ${run}`, permissions: ['opportunity.read'] }, 201);
  wrote(ADMIN, ROLES, role.body.id, 201, role.requestId); // 5
  wrote(FEEDER, FACTS, PARTNER, 201, (await send(feeder, 'POST', `/v1/partners/${PARTNER}/account/facts`, fact(), 201, { 'Idempotency-Key': randomUUID() })).requestId); // 6

  // The time and number the database gave each row: the period's bounds below are these instants.
  const stamped = await env.prisma.auditLog.findMany({ where: { requestId: { in: written.map((w) => w.requestId) } } });
  rows = written.map((w) => {
    const s = stamped.find((r) => r.requestId === w.requestId);
    if (!s) throw new Error(`no audit row for ${w.requestId} (${w.action})`);
    return { ...w, at: s.at.toISOString(), id: s.id.toString() };
  });
  for (let i = 1; i < rows.length; i++) expect(rows[i]!.at > rows[i - 1]!.at, 'each row in a millisecond of its own').toBe(true);
});

describe('GET /v1/admin/audit: the rows real requests wrote', () => {
  it('lists one row per successful write, newest first, with what an auditor needs — no read, no refused request', async () => {
    const res = await list({ from: rows[0]!.at });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ items: [...rows].reverse(), nextCursor: null });
  });

  it('filters by each field alone', async () => {
    expect(indexes((await list({ actor: ADMIN })).body.items)).toEqual([5, 4, 2, 1, 0]);
    expect(indexes((await list({ actor: FEEDER })).body.items)).toEqual([6, 3]);
    expect(indexes((await list({ partnerId: PARTNER })).body.items)).toEqual([5, 4, 2, 1, 0]);
    expect(indexes((await list({ target: rows[0]!.target })).body.items)).toEqual([4, 2, 0]);
    expect(indexes((await list({ target: PARTNER })).body.items)).toEqual([6, 3]);
    expect(indexes((await list({ from: rows[3]!.at })).body.items)).toEqual([6, 5, 4, 3]); // from: included
    // An action, or a period open towards the past, reaches other files' older rows: this file's come first, then older only.
    const patches = (await list({ action: MEMBER_CHANGE, limit: '100' })).body.items as Row[];
    expect(indexes(patches.slice(0, 2))).toEqual([4, 2]);
    expect(patches.slice(2).every((r) => r.action === MEMBER_CHANGE && r.at < rows[0]!.at)).toBe(true);
    const before = (await list({ to: rows[3]!.at, limit: '100' })).body.items as Row[]; // to: excluded
    expect(indexes(before.slice(0, 3))).toEqual([2, 1, 0]);
    expect(before.slice(3).every((r) => r.at < rows[0]!.at)).toBe(true);
  });

  it('filters by every combination asked, all together', async () => {
    expect(indexes((await list({ actor: ADMIN, action: MEMBER_CHANGE })).body.items)).toEqual([4, 2]);
    expect(indexes((await list({ actor: ADMIN, from: rows[2]!.at, to: rows[5]!.at })).body.items)).toEqual([4, 2]);
    expect(indexes((await list({ target: rows[0]!.target, from: rows[1]!.at })).body.items)).toEqual([4, 2]);
    expect(indexes((await list({ partnerId: PARTNER, action: MEMBERS })).body.items)).toEqual([1, 0]);
    expect(indexes((await list({ actor: FEEDER, target: PARTNER, to: rows[6]!.at })).body.items)).toEqual([3]);
    expect(indexes((await list({ actor: FEEDER, action: FACTS, target: PARTNER, partnerId: PARTNER })).body.items)).toEqual([]); // the feeder has no partner
    expect(indexes((await list({ actor: FEEDER, action: MEMBER_CHANGE })).body.items)).toEqual([]);
    expect(indexes((await list({ from: rows[3]!.at, to: rows[4]!.at })).body.items)).toEqual([3]);
  });

  it('pages at every boundary: each limit over the seven rows, the same rows in the same order, the last page without a cursor', async () => {
    const expected = [6, 5, 4, 3, 2, 1, 0];
    const sizes: Record<number, number[]> = { 1: [1, 1, 1, 1, 1, 1, 1], 2: [2, 2, 2, 1], 3: [3, 3, 1], 4: [4, 3], 5: [5, 2], 6: [6, 1], 7: [7], 8: [7] };
    for (const limit of [1, 2, 3, 4, 5, 6, 7, 8]) {
      const pages = await allPages({ from: rows[0]!.at, limit: String(limit) });
      expect({ limit, sizes: pages.sizes, rows: indexes(pages.items) }).toEqual({ limit, sizes: sizes[limit], rows: expected });
    }
    // A filter kept while paging: the administrator's five rows by two.
    const admin = await allPages({ actor: ADMIN, limit: '2' });
    expect({ sizes: admin.sizes, rows: indexes(admin.items) }).toEqual({ sizes: [2, 2, 1], rows: [5, 4, 2, 1, 0] });
  });

  it('pages rows written in the same millisecond by their number, none repeated or skipped', async () => {
    // Three rows in one instant (inserted as the API writes them: INSERT is what the table allows), for one actor.
    const actor = `audit-same-ms-${run}`;
    const at = new Date('2001-02-03T04:05:06.789Z'); // long before anything this file wrote: its periods never reach it
    for (const n of [1, 2, 3]) await env.prisma.auditLog.create({ data: { at, actor, action: 'POST /v1/x', requestId: `same-ms-${run}-${n}`, status: 201 } });
    const pages = await allPages({ actor, limit: '1' });
    expect({ sizes: pages.sizes, ids: pages.items.map((r) => r.requestId) }).toEqual({ sizes: [1, 1, 1], ids: [3, 2, 1].map((n) => `same-ms-${run}-${n}`) });
  });

  it('refuses a malformed filter with 400 problem+json naming the field', async () => {
    const max = BigInt('9223372036854775807');
    const cases: [Record<string, string>, string][] = [
      [{ from: rows[4]!.at, to: rows[2]!.at }, 'query.to'], // from after to
      [{ from: rows[2]!.at, to: rows[2]!.at }, 'query.to'], // an empty period
      [{ from: 'yesterday' }, 'query.from'],
      [{ to: '2026-03-01T00:00:00' }, 'query.to'], // no offset
      [{ from: '1999-12-31T23:59:59Z' }, 'query.from'],
      [{ cursor: 'not-a-cursor' }, 'query.cursor'],
      [{ cursor: encodeCursor(new Date(rows[0]!.at), 'x1') }, 'query.cursor'],
      [{ cursor: encodeCursor(new Date(rows[0]!.at), '0') }, 'query.cursor'],
      [{ cursor: encodeCursor(new Date(rows[0]!.at), (max + 1n).toString()) }, 'query.cursor'],
      [{ cursor: encodeCursor(7, rows[0]!.id) }, 'query.cursor'],
      [{ limit: '0' }, 'query.limit'],
      [{ limit: '101' }, 'query.limit'],
      [{ action: 'GET /v1/opportunities' }, 'query.action'],
      [{ action: 'accept' }, 'query.action'],
      [{ actor: 'a\u0000b' }, 'query.actor'],
      [{ target: '' }, 'query.target'],
      [{ partnerId: 'P 1' }, 'query.partnerId'],
      [{ since: rows[0]!.at }, 'query.since'],
    ];
    for (const [query, field] of cases) {
      const res = await list(query);
      expect({ query, status: res.status, type: res.headers.get('content-type'), fields: res.body.errors?.map((e: { field: string }) => e.field) }).toEqual({
        query,
        status: 400,
        type: expect.stringMatching(/^application\/problem\+json/),
        fields: [field],
      });
    }
    // A cursor this API emitted, at the largest row number, is one.
    expect((await list({ cursor: encodeCursor(new Date(rows[0]!.at), max.toString()) })).status).toBe(200);
    // A filter given twice is not one value.
    const twice = await env.api('GET', `/v1/admin/audit?actor=${ADMIN}&actor=${FEEDER}`, auditor);
    expect([twice.status, twice.body.errors?.[0]?.field]).toEqual([400, 'query.actor']);
  });

  it('answers the vendor auditor only: 403 to the vendor admin, staff and system, to partner staff; 401 without a token', async () => {
    const refusedRoles: [Role[], string?][] = [[['vendor_admin']], [['vendor_staff']], [['vendor_system']], [['vendor_operator']], [['partner_admin'], PARTNER], [['partner_finance'], PARTNER]];
    for (const [roles, partnerId] of refusedRoles) {
      const res = await list({ actor: ADMIN }, await tokenFor(roles, partnerId));
      expect({ roles, status: res.status, type: res.body.type }).toEqual({ roles, status: 403, type: 'urn:partnerflow:problem:forbidden' });
    }
    expect((await env.api('GET', '/v1/admin/audit')).status).toBe(401);
    expect((await list({ actor: ADMIN })).status).toBe(200);
  });
});
