/**
 * The incentive's verification deadline at its boundary (issue 15, point 2): the deadline from a hand-computed
 * reference; verify, object and resolve a second before it go through; decided at it to the millisecond, or after it,
 * each is refused with VERIFICATION_DEADLINE_PASSED; the expiry — also of an incentive with an objection open — happens
 * at it, not a second earlier. Tolerances, and why: test/support/boundary.ts.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { PrismaClient } from '../platform/db.js';
import {
  getIncentive,
  type IncentiveSnapshot,
  incentiveWorkflow,
  incentiveWorkflowId,
  object,
  resolveObjection,
  verify,
} from '../workflows/incentive/workflow.js';
import { ZONE } from './support/calendar.js';
import { attestExpert, insertExpert } from './support/experts.js';
import { answerOf, DAY, DONE, eachKindAnswered, expectTimerAtDeadline, ownServer, SECOND, type Server, sweepDeadline, toFriday, type Trial } from './support/boundary.js';
import { advanceClockTo, eventually } from './support/wait.js';

const vendor = { sub: 'vendor-1' };
const materials = [{ fileName: 'roster.pdf', sha256: 'a'.repeat(64), size: 1234, contentType: 'application/pdf' }];

/**
 * By hand, for an incentive generated on a Friday afternoon in the plain test calendar (Asia/Shanghai, no DST;
 * Saturday and Sunday rest days): 14 working days from a working day at time t end at t on the 14th following working
 * day — Mon–Fri (1–5), Mon–Fri (6–10), Mon–Thu (11–14) — the Thursday of the third week, 20 × 24 h after generation.
 */
const verificationDeadlineOf = (generatedAt: string) => Date.parse(generatedAt) + 20 * DAY;

/** Starts one partner's incentive for last month; `withLine`: one qualifying expert, so that there is a line to object to. */
async function generate({ env, taskQueue, prisma }: Server, withLine = false) {
  const partnerId = `P-${randomUUID().slice(0, 8)}`;
  const period = DateTime.fromMillis(await env.currentTimeMs(), { zone: ZONE }).minus({ months: 1 }).toFormat('yyyy-MM');
  if (withLine) await attestExpert(prisma, partnerId, await insertExpert(prisma, partnerId, { employeeId: 'E1', certification: 'CLOUD_PROFESSIONAL' }));
  const handle = await env.client.workflow.start(incentiveWorkflow, { workflowId: incentiveWorkflowId(partnerId, period), taskQueue, args: [{ partnerId, period }] });
  const snapshot: IncentiveSnapshot = await eventually(async () => {
    const s = await handle.query(getIncentive);
    return s.generatedAt ? s : undefined;
  });
  const deadline = verificationDeadlineOf(snapshot.generatedAt!);
  expect(snapshot.verificationDeadline).toBe(new Date(deadline).toISOString());
  const actor = { sub: 'partner-user', partnerId };
  return { partnerId, incentiveId: snapshot.incentiveId, handle, snapshot, deadline, actor };
}
type Generated = Awaited<ReturnType<typeof generate>>;


const objectTo = (i: Generated) => i.handle.executeUpdate(object, { args: [{ actor: i.actor, lines: [{ expertId: i.snapshot.lines[0]!.expertId, reason: 'left in March' }] }] });
const transitions = (prisma: PrismaClient, incentiveId: string) => prisma.incentiveEvent.findMany({ where: { incentiveId }, orderBy: { seq: 'asc' } });

describe('the verification deadline at its boundary', () => {
  it('verify, object and resolve a second before it go through; the expiry comes at it, not a second earlier — objection open or not', async () => {
    const server = await ownServer(onTestFinished);
    const { env, prisma } = server;
    await toFriday(server);
    const verifying = await generate(server);
    const objecting = await generate(server, true);
    const resolving = await generate(server, true);
    const lapsing = await generate(server);
    const lapsingObjected = await generate(server, true);
    await objectTo(resolving);
    await objectTo(lapsingObjected);

    // A second before: through, decided by workflow time before the deadline (the clock ran a few ms on meanwhile).
    const actions: [Generated, () => Promise<unknown>, string][] = [
      [verifying, () => verifying.handle.executeUpdate(verify, { args: [{ actor: verifying.actor, headcount: 0, totalMinor: 0, materials }] }), 'VERIFIED'],
      [objecting, () => objectTo(objecting), 'OBJECTED'],
      [resolving, () => resolving.handle.executeUpdate(resolveObjection, { args: [{ actor: vendor, rejectObjection: true, note: 'rate is per rules' }] }), 'OBJECTION_REJECTED'],
    ];
    for (const [incentive, act, type] of actions) {
      await advanceClockTo(env, incentive.deadline - SECOND);
      expect(await answerOf(act()), type).toBe(DONE);
      const decided = (await transitions(prisma, incentive.incentiveId)).find((e) => e.type === type)!;
      expect(incentive.deadline - decided.at.getTime()).toBeGreaterThan(0);
      expect(incentive.deadline - decided.at.getTime()).toBeLessThanOrEqual(SECOND);
    }

    // The timer: open a second before the deadline, expired at it — with an objection open too (the documented choice).
    for (const [incentive, status] of [[lapsing, 'PENDING_VERIFICATION'], [lapsingObjected, 'OBJECTED']] as const) {
      await advanceClockTo(env, incentive.deadline - SECOND);
      expect((await incentive.handle.query(getIncentive)).status).toBe(status);
      expect((await prisma.incentive.findUniqueOrThrow({ where: { id: incentive.incentiveId } })).status).toBe(status);
    }
    await advanceClockTo(env, Math.max(lapsing.deadline, lapsingObjected.deadline) + SECOND);
    for (const incentive of [lapsing, lapsingObjected]) {
      const expired = await eventually(async () => (await transitions(prisma, incentive.incentiveId)).find((e) => e.type === 'EXPIRED'));
      expect(expired.at.getTime() - incentive.deadline).toBeGreaterThanOrEqual(0);
      expect(expired.at.getTime() - incentive.deadline).toBeLessThan(SECOND);
      expect(expired).toMatchObject({ actor: 'system', reasonCode: 'VERIFICATION_DEADLINE_PASSED' });
      await expectTimerAtDeadline(incentive.handle, incentive.deadline);
    }
  });

  /**
   * Probes that change nothing: before the deadline each is refused for what comes after the deadline check (a list
   * that does not match, no line named, no note), at it and after it for the deadline. A dozen incentives a round, at
   * least one decided exactly at its deadline (a validator comparing with `>` would let it through to the next check).
   */
  it('verify, object and resolve decided at the deadline to the millisecond, or after it, are refused with VERIFICATION_DEADLINE_PASSED', { timeout: 240_000 }, async () => {
    const kinds = [
      { name: 'verify', withLine: false, answers: { before: 'LIST_MISMATCH', atOrAfter: 'VERIFICATION_DEADLINE_PASSED', closed: 'NOT_PENDING_VERIFICATION' } },
      { name: 'object', withLine: false, answers: { before: 'INVALID_REQUEST', atOrAfter: 'VERIFICATION_DEADLINE_PASSED', closed: 'NOT_PENDING_VERIFICATION' } },
      { name: 'resolve', withLine: true, answers: { before: 'INVALID_REQUEST', atOrAfter: 'VERIFICATION_DEADLINE_PASSED', closed: 'NOT_OBJECTED' } },
    ] as const;
    const probe = (name: (typeof kinds)[number]['name'], i: Generated) =>
      name === 'verify'
        ? i.handle.executeUpdate(verify, { args: [{ actor: i.actor, headcount: 7, totalMinor: 0, materials }] })
        : name === 'object'
          ? i.handle.executeUpdate(object, { args: [{ actor: i.actor, lines: [] }] })
          : i.handle.executeUpdate(resolveObjection, { args: [{ actor: vendor, rejectObjection: true, note: '' }] });
    const samples = await sweepDeadline(onTestFinished, async (server) => {
      await toFriday(server);
      const trials: Trial[] = [];
      for (let n = 0; n < 12; n++) {
        const kind = kinds[n % kinds.length]!;
        const incentive = await generate(server, kind.withLine);
        if (kind.name === 'resolve') await objectTo(incentive);
        trials.push({ label: `${kind.name} on ${incentive.incentiveId}`, handle: incentive.handle, deadline: incentive.deadline, act: () => probe(kind.name, incentive), answers: kind.answers });
      }
      return trials;
    }, { until: eachKindAnswered(kinds.map((k) => k.name), 'VERIFICATION_DEADLINE_PASSED') });
    // Every probe refused after the deadline check: each kind was seen refused for the deadline.
    for (const { name } of kinds) expect(samples.some((s) => s.label.startsWith(name) && s.answer === 'VERIFICATION_DEADLINE_PASSED'), name).toBe(true);
  });
});
