/**
 * The curl walkthrough of issue 17's "Done when" (scripts/walkthrough/partner-programs.sh,
 * docs/walkthrough-partner-programs.md) run as it is written, against the real API, worker and PostgreSQL on the
 * time-skipping server: facts fed → all seven seed reasons → facts fixed → an agreement refusing the joining until
 * signed → joined; the reseller's vouchers voided exactly once; a specialist approved, cancelled, applied for again; a
 * level raise refused with its reasons, then approved once. Run twice, as a reader may on one stack. The script checks every answer itself and exits non-zero
 * at the first unexpected one; this file runs it with BASE_URL and its tokens signed with the test API's secret.
 *
 * The agreement the script publishes is in force for every partner of this test worker's database: its tables are
 * emptied when the file ends (as test/support/agreement.ts does), so no later file finds its actions gated.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, expect, it } from 'vitest';
import { useTestEnv } from './support/env.js';
import { runWalkthrough } from './support/walkthrough.js';

const env = useTestEnv({ taskQueue: 'walkthrough-partner-programs-test', api: true });
afterAll(async () => {
  await env.prisma.$executeRawUnsafe('TRUNCATE agreement_signature, agreement_event, agreement');
});

it('the partner programs walkthrough passes from end to end, leaves what it says, and passes again on the same stack', async () => {
  const partnerId = `P-walk-${randomUUID().slice(0, 8)}`;
  const run = await runWalkthrough('partner-programs', env.base, { PARTNER_ID: partnerId });
  expect(run.code, run.output).toBe(0);
  expect(run.output).toContain(`WALKTHROUGH PASSED for partner ${partnerId}`);
  expect(run.output).not.toContain('a version is in force on this stack already');

  // What the script saw in the answers, read again from the database: each instrument voided once, by the reseller
  // enrollment; one level change, by the raise; one signature; the specialist applied for twice.
  const voided = await env.prisma.$queryRaw<{ kind: string; instrument_id: string; program: string }[]>`
    SELECT v.kind, v.instrument_id, e.program FROM voided_instrument v JOIN enrollment e ON e.id = v.enrollment_id
    WHERE v.partner_id = ${partnerId} ORDER BY v.kind, v.instrument_id`;
  expect(voided).toEqual([
    { kind: 'COUPON', instrument_id: 'C-1', program: 'RESELLER' },
    { kind: 'STORED_VALUE_CARD', instrument_id: 'S-1', program: 'RESELLER' },
    { kind: 'VOUCHER', instrument_id: 'V-1', program: 'RESELLER' },
  ]);
  const changes = await env.prisma.pathMembershipChange.findMany({ where: { partnerId } });
  expect(changes.map((c) => [c.fromLevel, c.toLevel, c.reason])).toEqual([[null, 'CERTIFIED', 'LEVEL_RAISED']]);
  expect(await env.prisma.agreementSignature.count({ where: { partnerId } })).toBe(1);
  expect(await env.prisma.specialistApplication.count({ where: { partnerId } })).toBe(2);

  // A second run on the same stack (a reader trying it again): the first run's agreement is in force and gates the new
  // partner just the same; the walkthrough uses it rather than publish another version the same day.
  // Agreements are global: other test files sharing this database may have published some; the second run adds none.
  const agreementsAfterFirst = await env.prisma.agreement.count();
  const again = `P-walk-${randomUUID().slice(0, 8)}`;
  const second = await runWalkthrough('partner-programs', env.base, { PARTNER_ID: again });
  expect(second.code, second.output).toBe(0);
  expect(second.output).toContain('a version is in force on this stack already');
  expect(second.output).toContain(`WALKTHROUGH PASSED for partner ${again}`);
  expect(await env.prisma.agreement.count()).toBe(agreementsAfterFirst);
  expect(await env.prisma.agreementSignature.count({ where: { partnerId: again } })).toBe(1);
}, 90_000);
