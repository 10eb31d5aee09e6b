/**
 * The access-matrix entries of enrollments (issue 17 section 3). OWN is already a fed RESELLER member (the specialist
 * entries make it one), so it can ask for SOLUTION_PROVIDER only, and one open enrollment per partner and program
 * leaves it one SOLUTION_PROVIDER slot — which four partner actions need, each consuming its object: the request
 * (POST), the withdrawal, the acceptance of an invitation and the confirmation. They take the slot in turn:
 *
 * - Refused writes run first, one at a time (test/access-matrix.test.ts), and are refused before any state is looked
 *   at (the route's permission, another partner's 404): their requests name OWN's one closed enrollment (an invitation
 *   into RESELLER declined at setup), which they must leave as it was.
 * - The successes run afterwards beside the reads. The reads' requests are made first in route order (the list is this
 *   process's first route), so the first one marks that the refused writes are over; from then on each partner action
 *   is given its own object, waiting for the action before it to have happened: the request (POST) asks for
 *   SOLUTION_PROVIDER; the withdrawal takes that enrollment; the acceptance is of an invitation into SOLUTION_PROVIDER
 *   made once it is withdrawn; the decline is of an invitation into RESELLER; the confirmation joins the accepted
 *   invitation once the decline has happened (the joining would otherwise fail the RESELLER invitation). A wait for an
 *   action of the enrollment's own workflow asks the workflow (a query), not the row: its first activity writes the row
 *   before the workflow has taken the result in, and until then the workflow refuses every action ("still being
 *   requested; try again") — on a loaded machine the withdrawal came in that gap.
 *
 * The vendor's actions act on partners of their own, fresh per request: invitations name a fresh partner, decisions a
 * fresh reseller-ready partner's request (no partner role may invite or decide, so whose it is never decides an answer).
 */
import { randomUUID } from 'node:crypto';
import { call, tokenFor } from './app.js';
import type { MatrixTable } from './access-matrix.js';
import { LIST_QUERY, OWN, own, unique } from './access-matrix-table.js';
import type { PrismaClient } from '../../platform/db.js';
import type { Client } from '@temporalio/client';
import { enrollmentWorkflowId, type EnrollmentSnapshot, getState } from '../../workflows/enrollment/contract.js';

/** The sub of the matrix's partner_admin@own caller (support/access-matrix.ts callersFor): the one who succeeds. */
const OWN_ADMIN = 'matrix-partner_admin-own';
const observedAt = '2026-03-01T00:00:00Z';

export function enrollmentEntries(base: () => string, prisma: () => PrismaClient, client: () => Client): MatrixTable {
  const send = async (token: string, path: string, body: unknown) => {
    const res = await call(base(), 'POST', path, token, body, { 'Idempotency-Key': randomUUID() });
    if (res.status >= 300) throw new Error(`setup: POST ${path} answered ${res.status} ${JSON.stringify(res.body)}`);
    return res.body as { id: string; instrumentsHash?: string };
  };
  const vendor = () => tokenFor(['vendor_admin'], undefined, 'matrix-setup-enrollment');
  const ownAdmin = () => tokenFor(['partner_admin'], OWN, 'matrix-setup-partner');
  const feed = async (partnerId: string, facts: unknown[]) => send(await tokenFor(['vendor_system'], undefined, 'matrix-feeder'), `/v1/partners/${partnerId}/account/facts`, { source: 'matrix', facts });

  /** Until `ready` answers (the action before this one happened), at most a minute. */
  const until = async <T>(what: string, ready: () => Promise<T | undefined>): Promise<T> => {
    for (const started = Date.now(); Date.now() - started < 60_000; await new Promise((r) => setTimeout(r, 100))) {
      const value = await ready();
      if (value !== undefined) return value;
    }
    throw new Error(`setup: waited a minute for ${what}`);
  };
  const enrollmentsOfOwn = (program: string) =>
    prisma().$queryRaw<{ id: string; status: string; origin: string; requested_by: string }[]>`
      SELECT id::text, status, origin, requested_by FROM enrollment WHERE partner_id = ${OWN} AND program = ${program} ORDER BY requested_at`;

  /**
   * The enrollment as its workflow holds it. The row is written by the workflow's first activity, before the workflow
   * has taken the result in: until then it refuses every action (ENROLLMENT_NOT_REQUESTED, "try again") — so a wait for
   * an action before this one asks the workflow, never the row.
   */
  const workflowState = (id: string) => client().workflow.getHandle(enrollmentWorkflowId(id)).query(getState);
  /** The enrollment `id` once its workflow says `ready` of it (the action before this one has been taken in). */
  const untilWorkflow = (what: string, id: string, ready: (s: EnrollmentSnapshot) => boolean) =>
    until(what, async () => (ready(await workflowState(id)) ? id : undefined));

  let prepared: Promise<{ id: string }> | undefined;
  /** OWN may ask for SOLUTION_PROVIDER; its one closed enrollment (a RESELLER invitation declined) for the refusals. */
  const closed = () =>
    (prepared ??= (async () => {
      await feed(OWN, [
        { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'NOT_JOINED' }, observedAt },
        { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
        { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
        { kind: 'FROZEN', value: { frozen: false }, observedAt },
        { kind: 'ENTERPRISE_ROLE', value: { role: 'NONE' }, observedAt },
      ]);
      const invited = await send(await vendor(), '/v1/enrollment-invitations', { partnerId: OWN, program: 'RESELLER' });
      await send(await ownAdmin(), `/v1/enrollments/${invited.id}/decline`, { reason: 'access matrix' });
      return invited;
    })());

  /** Set by the first read's request: the refused writes are over, the next write request is the success's. */
  let successes = false;
  const reading = async () => {
    successes = true;
    return closed();
  };
  /** A write's object: the closed one for the refusals, else the success's own (`success`). */
  const objectOf = async (success: () => Promise<string>) => (successes ? success() : (await closed()).id);

  /** OWN's SOLUTION_PROVIDER request made by the matrix's POST success, once its workflow has recorded it (seq 1). */
  const asked = async () => {
    const row = await until('the POST success', async () => (await enrollmentsOfOwn('SOLUTION_PROVIDER')).find((e) => e.origin === 'REQUEST' && e.requested_by === OWN_ADMIN));
    await untilWorkflow('the POST success recorded by its workflow', row.id, (s) => s.seq > 0);
    return row;
  };
  let acceptable: Promise<string> | undefined;
  /** An invitation into SOLUTION_PROVIDER, made once the POST's enrollment is withdrawn. */
  const invitation = () =>
    (acceptable ??= (async () => {
      const withdrawn = await asked();
      await until('the withdrawal success', async () => ((await enrollmentsOfOwn('SOLUTION_PROVIDER')).find((e) => e.id === withdrawn.id)?.status === 'WITHDRAWN' ? true : undefined));
      return (await send(await vendor(), '/v1/enrollment-invitations', { partnerId: OWN, program: 'SOLUTION_PROVIDER' })).id;
    })());
  let declinable: Promise<string> | undefined;
  const resellerInvitation = () => (declinable ??= (async () => (await send(await vendor(), '/v1/enrollment-invitations', { partnerId: OWN, program: 'RESELLER' })).id)());

  /** A reseller-ready partner of its own asking for RESELLER: IN_REVIEW, for the vendor's decision. */
  const othersRequest = async () => {
    const partnerId = unique('P-mx-en');
    await feed(partnerId, [
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' }, observedAt },
      { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
      { kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 0 } }, observedAt },
      { kind: 'POSTPAID', value: { enabled: false }, observedAt },
      ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT', subject, value: { signed: false }, observedAt })),
      { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
    ]);
    return send(await tokenFor(['partner_admin'], partnerId, `${partnerId}-owner`), `/v1/partners/${partnerId}/enrollments`, { program: 'RESELLER' });
  };

  const byOwnId = { success: 200, partnerOwned: true, partnerInPath: true } as const;
  return {
    'GET /v1/partners/:partnerId/enrollments': { success: 200, partnerOwned: true, partnerInPath: true, request: async (_, fx) => (await reading(), { params: own(fx), query: LIST_QUERY }) },
    'POST /v1/partners/:partnerId/enrollments': {
      success: 201,
      partnerOwned: true,
      partnerInPath: true,
      request: async (_, fx) => (await closed(), { params: own(fx), body: { program: 'SOLUTION_PROVIDER' }, headers: { 'Idempotency-Key': randomUUID() } }),
    },
    'POST /v1/enrollment-invitations': {
      success: 201,
      partnerOwned: false,
      request: () => ({ body: { partnerId: unique('P-mx-inv'), program: 'RESELLER', note: 'access matrix' }, headers: { 'Idempotency-Key': randomUUID() } }),
    },
    'GET /v1/enrollments/:id': { ...byOwnId, request: async () => ({ params: { id: (await reading()).id } }) },
    'GET /v1/enrollments/:id/voided-instruments-preview': { ...byOwnId, request: async () => ({ params: { id: (await reading()).id } }) },
    'POST /v1/enrollments/:id/review': { success: 200, partnerOwned: false, request: async () => ({ params: { id: (await othersRequest()).id }, body: { decision: 'REJECT', note: 'access matrix' } }) },
    'POST /v1/enrollments/:id/withdraw': { ...byOwnId, request: async () => ({ params: { id: await objectOf(async () => (await asked()).id) }, body: { reason: 'access matrix' } }) },
    'POST /v1/enrollments/:id/accept': { ...byOwnId, request: async () => ({ params: { id: await objectOf(invitation) }, body: {} }) },
    'POST /v1/enrollments/:id/decline': { ...byOwnId, request: async () => ({ params: { id: await objectOf(resellerInvitation) }, body: { reason: 'access matrix' } }) },
    'POST /v1/enrollments/:id/confirm': {
      ...byOwnId,
      request: async () => {
        if (!successes) return { params: { id: (await closed()).id }, body: { instrumentsHash: '0'.repeat(64) } };
        const id = await invitation();
        await untilWorkflow('the acceptance success', id, (s) => s.status === 'AWAITING_CONFIRMATION');
        const declined = await resellerInvitation();
        await until('the decline success', async () => ((await enrollmentsOfOwn('RESELLER')).find((e) => e.id === declined)?.status === 'DECLINED' ? true : undefined));
        const preview = await call(base(), 'GET', `/v1/enrollments/${id}/voided-instruments-preview`, await ownAdmin());
        return { params: { id }, body: { instrumentsHash: (preview.body as { instrumentsHash: string }).instrumentsHash } };
      },
    },
  };
}
