/**
 * A submitting activity retried while its first attempt still held the lock adopts what that attempt committed. The
 * case seen on a dev stack: the first attempt of submitSpecialistApplication ran past its timeout with its transaction
 * open, Temporal retried it, the retry found no row (it looks before taking the lock), waited for the member's lock and,
 * once the first attempt committed, judged eligibility again and saw its own application: specialist-already-applied,
 * a nonRetryable refusal of a request that had in fact been recorded.
 *
 * Each of the five submitting activities is called here twice at once with the same input, on facts that make the
 * request valid, with the real activity functions (each process's factory) on the test database — no worker, no
 * Temporal. A third connection holds the activity's own lock until both attempts wait on it (support/held-lock.ts), so
 * one commits while the other waits, every run. Both must answer the same recorded result (the one a later retry
 * reads back), and exactly one row, one history row (seq 1) and one outbox message must exist.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCustomerReportActivities } from '../activities/customer-report.js';
import { createEnrollmentActivities } from '../activities/enrollment.js';
import { localDate } from '../activities/kit/partner-calendar.js';
import { createLevelRaiseActivities } from '../activities/level-raise.js';
import { createSpecialistActivities } from '../activities/specialist.js';
import { createUnlinkActivities } from '../activities/unlink.js';
import { createAccountClient, type FactInput } from '../api/account/client.js';
import type { Principal } from '../domain/auth.js';
import { unlinkTermsOf } from '../domain/unlink.js';
import { createPrisma, type PrismaClient } from '../platform/db.js';
import { unlinkPlan } from '../platform/unlink.js';
import { fixedCalendar, testCalendar, ZONE } from './support/calendar.js';
import { enterprises, freshCreditCode, freshCustomer, freshPartner, insertCustomerFacts, reportableFacts } from './support/customer-fixtures.js';
import { testDatabaseUrl } from './support/database.js';
import { type Lock, raceAtHeldLock } from './support/held-lock.js';
import { joinPath, qualifySoftware } from './support/path-facts.js';

let prisma: PrismaClient;
beforeAll(() => {
  prisma = createPrisma(testDatabaseUrl());
});
afterAll(() => prisma?.$disconnect());

const calendarFor = fixedCalendar(() => testCalendar(Date.now()));
const feeder: Principal = { sub: 'billing-system', roles: ['vendor_system'] };
const feedFacts = (partnerId: string, facts: Omit<FactInput, 'observedAt'>[]) => {
  const observedAt = new Date(Date.now() - 60_000).toISOString();
  return createAccountClient({ prisma }).feedFacts(feeder, partnerId, { source: 'crm', facts: facts.map((f) => ({ ...f, observedAt })) }, randomUUID());
};

/**
 * Two attempts of `submit` with the same input, meeting at `lock`: both must succeed with one and the same answer —
 * a refusal fails here with its message (the retry's refusal of its own request) — which a later retry reads back.
 */
async function bothAttemptsAdopt<T>(lock: Lock, submit: () => Promise<T>): Promise<T> {
  const settled = await raceAtHeldLock(prisma, lock, [submit, submit]);
  expect(settled.map((s) => (s.status === 'fulfilled' ? 'recorded' : `refused: ${(s.reason as Error)?.message}`))).toEqual(['recorded', 'recorded']);
  const [first, second] = settled.map((s) => (s as PromiseFulfilledResult<T>).value);
  expect(second).toEqual(first);
  expect(await submit()).toEqual(first);
  return first!;
}

/**
 * What was written for request `id`: the process's rows in its scope (`scope`: a column and value, e.g. the member's
 * applications), the history's seqs of `id`, and the outbox's topics about `id`.
 */
async function writtenFor(id: string, t: { table: string; scope: [string, string]; history: string; idColumn: string }) {
  const [rows] = await prisma.$queryRawUnsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM ${t.table} WHERE ${t.scope[0]} = $1`, t.scope[1]);
  const history = await prisma.$queryRawUnsafe<{ seq: number }[]>(`SELECT seq FROM ${t.history} WHERE ${t.idColumn} = $1::uuid ORDER BY seq`, id);
  const outbox = await prisma.outbox.findMany({ where: { aggregateId: id }, select: { topic: true } });
  return { rows: rows!.n, seqs: history.map((h) => h.seq), topics: outbox.map((o) => o.topic) };
}

describe('a retry that waited for the lock while the first attempt committed adopts its write', () => {
  it('submitSpecialistApplication: the member applied once, not refused as specialist-already-applied', async () => {
    const partnerId = freshPartner('rt-sp');
    await feedFacts(partnerId, [
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'JOINED' } },
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'NOT_JOINED' } },
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'DISTRIBUTOR', value: { state: 'NOT_JOINED' } },
    ]);
    const memberId = randomUUID();
    await prisma.partnerMember.create({ data: { id: memberId, partnerId, sub: `${partnerId}-m1`, displayName: 'Specialist One', workResidence: 'Hangzhou' } });
    const activities = createSpecialistActivities({ prisma, calendarFor });
    const input = { applicationId: randomUUID(), partnerId, memberId, pathId: 'SOFTWARE', appliedBy: `${partnerId}-owner`, submittedAt: new Date().toISOString() };

    const recorded = await bothAttemptsAdopt({ sql: 'SELECT id FROM partner_member WHERE id = $1 FOR UPDATE', params: [memberId] }, () => activities.submitSpecialistApplication(input));
    expect(recorded).toMatchObject({ submittedAt: input.submittedAt, seq: 1 });
    expect(await writtenFor(input.applicationId, { table: 'specialist_application', scope: ['member_id', memberId], history: 'specialist_event', idColumn: 'application_id' })).toEqual({
      rows: 1,
      seqs: [1],
      topics: ['specialist.submitted'],
    });
  });

  it('submitLevelRaise: one raise from CERTIFIED to ADVANCED, the membership locked', async () => {
    // A partner on the path: its membership row is the lock (one not on the path yet has no row to lock).
    const partnerId = freshPartner('rt-lr');
    await joinPath(prisma, partnerId, 'SOFTWARE', 'CERTIFIED');
    await qualifySoftware(prisma, partnerId, 'ADVANCED');
    const activities = createLevelRaiseActivities({ prisma, calendarFor });
    const input = { raiseId: randomUUID(), partnerId, pathId: 'SOFTWARE', fromLevel: 'CERTIFIED', toLevel: 'ADVANCED', requestedBy: `${partnerId}-owner`, submittedAt: new Date().toISOString() };

    const lock = { sql: 'SELECT level FROM path_membership WHERE partner_id = $1 AND path_id = $2 FOR UPDATE', params: [partnerId, 'SOFTWARE'] };
    const recorded = await bothAttemptsAdopt(lock, () => activities.submitLevelRaise(input));
    expect(recorded).toMatchObject({ submittedAt: input.submittedAt, seq: 1 });
    expect(await writtenFor(input.raiseId, { table: 'level_raise', scope: ['partner_id', partnerId], history: 'level_raise_event', idColumn: 'raise_id' })).toEqual({
      rows: 1,
      seqs: [1],
      topics: ['level-raise.submitted'],
    });
  });

  it('requestEnrollment: one reseller enrollment in review', async () => {
    const partnerId = freshPartner('rt-en');
    await feedFacts(partnerId, [
      { kind: 'PROGRAM_MEMBERSHIP', subject: 'RESELLER', value: { state: 'NOT_JOINED' } },
      { kind: 'OPEN_RESOURCES', value: { count: 0 } },
      { kind: 'INVOICEABLE_AMOUNT', value: { amount: { currency: 'CNY', minor: 0 } } },
      { kind: 'POSTPAID', value: { enabled: false } },
      ...['OFFLINE_DIRECT', 'TELESALES_AUTHORISED_DISCOUNT', 'DIRECT_SPECIAL_PRICE'].map((subject) => ({ kind: 'DESIGNATED_CONTRACT' as const, subject, value: { signed: false } })),
      { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' } },
    ]);
    const activities = createEnrollmentActivities({ prisma, calendarFor });
    const input = { enrollmentId: randomUUID(), partnerId, program: 'RESELLER' as const, requestedBy: `${partnerId}-owner`, submittedAt: new Date().toISOString() };

    const lock = { sql: 'SELECT pg_advisory_xact_lock(hashtext($1))', params: [`enrollment/${partnerId}`] };
    const recorded = await bothAttemptsAdopt(lock, () => activities.requestEnrollment(input));
    expect(recorded).toMatchObject({ status: 'IN_REVIEW' });
    expect(await writtenFor(input.enrollmentId, { table: 'enrollment', scope: ['partner_id', partnerId], history: 'enrollment_event', idColumn: 'enrollment_id' })).toEqual({
      rows: 1,
      seqs: [1],
      topics: ['enrollment.requested'],
    });
  });

  it("recordCustomerReport: one protected report, not refused as the partner's own open report", async () => {
    const creditCode = freshCreditCode();
    await enterprises(creditCode);
    const now = new Date().toISOString();
    await insertCustomerFacts(freshCustomer('rt-cr'), reportableFacts(creditCode, localDate(now, ZONE), now));
    const partnerId = freshPartner('rt-cr');
    const activities = createCustomerReportActivities({ prisma, calendarFor });
    const input = { reportId: randomUUID(), partnerId, creditCode, reportedBy: `${partnerId}-sales`, manualReview: false, reportedAt: now };

    const lock = { sql: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', params: [`customer-report ${partnerId}`] };
    const recorded = await bothAttemptsAdopt(lock, () => activities.recordCustomerReport(input));
    expect(recorded).toMatchObject({ status: 'PROTECTED', reportedAt: now, seq: 1 });
    expect(await writtenFor(input.reportId, { table: 'customer_report', scope: ['partner_id', partnerId], history: 'customer_report_event', idColumn: 'report_id' })).toEqual({
      rows: 1,
      seqs: [1],
      topics: ['customer-report.protected'],
    });
  });

  it('recordUnlinkRequest: one request in its objection window, not refused as already open', async () => {
    const partnerId = freshPartner('rt-ul');
    const customerId = freshCustomer('rt-ul');
    const associationId = randomUUID();
    const since = new Date(Date.now() - 86_400_000);
    await prisma.$executeRawUnsafe(
      `INSERT INTO customer_association (id, partner_id, customer_id, credit_code, mode, associated_at, associated_by) VALUES ($1::uuid, $2, $3, '91330100799655058B', 'RESELLER', $4::timestamptz, 'test')`,
      associationId, partnerId, customerId, since,
    );
    await insertCustomerFacts(customerId, [
      { kind: 'FROZEN', value: { frozen: false }, observedAt: since.toISOString() },
      { kind: 'RESERVED_INSTANCES', value: { count: 0 }, observedAt: since.toISOString() },
      { kind: 'SUPPORT_PLANS', value: { count: 0 }, observedAt: since.toISOString() },
    ]);
    const requestedAt = new Date().toISOString();
    // The preview the partner confirmed: the same reads the activity makes again.
    const association = { id: associationId, partnerId, customerId, mode: 'RESELLER', associatedAt: since };
    const plan = await prisma.$transaction((tx) => unlinkPlan(tx, association, new Date(requestedAt), ZONE, unlinkTermsOf({})));
    expect(plan.unmet).toEqual([]);
    const activities = createUnlinkActivities({ prisma, calendarFor, unlinkTerms: unlinkTermsOf({}) });
    const input = { unlinkId: randomUUID(), partnerId, customerId, associationId, requestedSide: 'PARTNER' as const, requestedBy: `${partnerId}-admin`, previewHash: plan.hash, requestedAt };

    const lock = { sql: 'SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', params: [`unlink ${customerId}`] };
    const recorded = await bothAttemptsAdopt(lock, () => activities.recordUnlinkRequest(input));
    expect(recorded).toMatchObject({ requestedAt, seq: 1 });
    expect(await writtenFor(input.unlinkId, { table: 'customer_unlink', scope: ['customer_id', customerId], history: 'customer_unlink_event', idColumn: 'unlink_id' })).toEqual({
      rows: 1,
      seqs: [1],
      topics: ['unlink.requested'],
    });
  });
});
