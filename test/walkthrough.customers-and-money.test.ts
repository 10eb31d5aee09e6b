/**
 * The curl walkthrough of issue 18's "Done when" (scripts/walkthrough/customers-and-money.sh,
 * docs/walkthrough-customers-and-money.md) run as it is written, against the real API, worker and PostgreSQL on the
 * time-skipping server with the clock route mounted, as `npm start -- --time-skipping` runs them: enterprises imported
 * → a Chinese name found despite a typo → reported → a second partner refused → the protection expired by a clock
 * advance → reported again → the customer accepts the invitation → funds recharged, allocated, spent → the unlink and
 * the refund on the partner → an order's price adjusted within its bounds and refused outside them.
 *
 * The script checks every answer itself and exits non-zero at the first unexpected one; this file runs it with its own
 * run id (fresh partners, customer, enterprise and order, so it never meets another file's rows) and BASE_URL, tokens
 * signed with the test API's secret, then reads the outcomes again from the database, and runs it once more on the same
 * stack, its clock four weeks ahead by then. The script moves the clock only through the route, and polls the reads that
 * follow a move: nothing here awaits a workflow's result (which would let the time-skipping server jump ahead on its own).
 */
import { randomUUID } from 'node:crypto';
import { expect, it } from 'vitest';
import { tokenFor } from './support/app.js';
import { agreementSteps, shanghaiDate } from './support/agreement.js';
import { useTestEnv } from './support/env.js';
import { runWalkthrough } from './support/walkthrough.js';

// As `npm start -- --time-skipping` runs them: the clock route mounted, partners' calendars read from the database.
const env = useTestEnv({ taskQueue: 'walkthrough-customers-and-money-test', api: { clockRoutes: true }, calendarFor: 'database' });
// The second run meets an agreement in force, as a reader's stack has after the partner programs walkthrough; its tables
// are emptied when the file ends, so no later file of this test worker finds its actions gated.
let manager = '';
const agreements = agreementSteps(env, () => manager);

it('the customers and money walkthrough passes from end to end, leaves in the database what it says, and passes again on the same stack', async () => {
  const run = randomUUID().slice(0, 8);
  const [partnerId, otherPartnerId, customerId, orderId] = [`P-cm-${run}-a`, `P-cm-${run}-b`, `C-cm-${run}`, `MO-cm-${run}`];
  const walk = await runWalkthrough('customers-and-money', env.base, { RUN_ID: run });
  expect(walk.code, walk.output).toBe(0);
  expect(walk.output).toContain(`WALKTHROUGH PASSED for run ${run}`);

  // The reports: the first expired by its timer, the second associated; the other partner never recorded one.
  const reports = await env.prisma.customerReport.findMany({ where: { partnerId }, orderBy: { reportedAt: 'asc' } });
  expect(reports.map((r) => r.status)).toEqual(['EXPIRED', 'ASSOCIATED']);
  expect(await env.prisma.customerReport.count({ where: { partnerId: otherPartnerId } })).toBe(0);
  const creditCode = reports[0]!.creditCode;
  expect(reports[1]!.creditCode).toBe(creditCode);
  expect((await env.prisma.enterprise.findUniqueOrThrow({ where: { creditCode } })).name).toMatch(/^杭州.{3}云桥网络科技有限公司$/);

  // One association, of the second report, in RESELLER mode, ended by the unlink.
  const associations = await env.prisma.customerAssociation.findMany({ where: { customerId } });
  expect(associations).toHaveLength(1);
  const association = associations[0]!;
  expect(association).toMatchObject({ partnerId, creditCode, mode: 'RESELLER', reportId: reports[1]!.id });
  expect(association.unlinkedAt).not.toBeNull();

  // The customer's movements on the ledger, each with its postings: the allocation of 12 000 fen (10 000 from the
  // recharge, 2 000 from credit), the spend of 4 000 (the partner's accounts untouched), the unlink's reclaim of the
  // 8 000 unspent (2 000 back to credit, 6 000 to the recharge), and the refund of 1 500 onto the partner's recharge —
  // one of each.
  const postings = await env.prisma.$queryRaw<{ id: string; kind: string; account: string; amount: bigint }[]>`
    SELECT t.id, t.kind, a.kind AS account, p.amount FROM ledger_transfer t
    JOIN ledger_posting p ON p.transfer_id = t.id JOIN ledger_account a ON a.id = p.account_id
    WHERE t.partner_id = ${partnerId} AND t.customer_id = ${customerId} ORDER BY t.kind, a.kind`;
  expect(postings.map((p) => [p.kind, p.account, Number(p.amount)])).toEqual([
    ['ALLOCATION', 'CUSTOMER_ALLOCATION', -12000],
    ['ALLOCATION', 'PARTNER_CREDIT_LINE', 2000],
    ['ALLOCATION', 'PARTNER_RECHARGE', 10000],
    ['CUSTOMER_SPEND', 'CUSTOMER_ALLOCATION', 4000],
    ['CUSTOMER_SPEND', 'VENDOR_REVENUE', -4000],
    ['RECLAIM', 'CUSTOMER_ALLOCATION', 8000],
    ['RECLAIM', 'PARTNER_CREDIT_LINE', -2000],
    ['RECLAIM', 'PARTNER_RECHARGE', -6000],
    ['REFUND', 'PARTNER_RECHARGE', -1500],
    ['REFUND', 'VENDOR_REVENUE', 1500],
  ]);

  // The refund of consumption in the associated period: routed to the partner of that association, by that transfer.
  const refunds = await env.prisma.$queryRaw<{ routed_to: string; partner_id: string | null; association_id: string | null; minor: bigint; transfer_id: string | null }[]>`
    SELECT routed_to, partner_id, association_id::text, minor, transfer_id FROM customer_refund WHERE customer_id = ${customerId}`;
  const refundTransfer = postings.find((p) => p.kind === 'REFUND')!.id;
  expect(refunds.map((r) => [r.routed_to, r.partner_id, r.association_id, Number(r.minor), r.transfer_id])).toEqual([
    ['PARTNER', partnerId, association.id, 1500, refundTransfer],
  ]);

  // The order: one adjustment, to 90.00 a unit; the refusals wrote nothing.
  const order = await env.prisma.marketplaceOrder.findUniqueOrThrow({ where: { id: orderId } });
  expect([Number(order.unitPrice), order.version, order.partnerId]).toEqual([9000, 2, partnerId]);
  expect(await env.prisma.marketplaceOrderEvent.count({ where: { orderId, type: 'PRICE_ADJUSTED' } })).toBe(1);

  // A second run on the same stack (a reader trying it again): the workflows' clock is four weeks ahead of the API's now,
  // the first run's enterprise, customer and order are there, and now an agreement in force gates reporting, allocating
  // and adjusting prices. The second run makes its own, both its partners sign the agreement, and it passes just the same.
  expect(walk.output).toContain('no agreement in force on this stack: nothing to sign');
  manager = await tokenFor(['vendor_ecosystem_manager'], undefined, 'manager-cm');
  const agreement = await agreements.publish({ effectiveDate: shanghaiDate(0), signByDate: shanghaiDate(14) });
  const rerun = randomUUID().slice(0, 8);
  const again = await runWalkthrough('customers-and-money', env.base, { RUN_ID: rerun });
  expect(again.code, again.output).toBe(0);
  expect(again.output).toContain(`WALKTHROUGH PASSED for run ${rerun}`);
  for (const partner of [`P-cm-${rerun}-a`, `P-cm-${rerun}-b`]) {
    expect(again.output).toContain(`${partner} signed the agreement in force (${agreement.id})`);
    expect(await env.prisma.agreementSignature.count({ where: { partnerId: partner, agreementId: agreement.id } })).toBe(1);
  }
  expect(await env.prisma.customerAssociation.count({ where: { customerId: `C-cm-${rerun}`, unlinkedAt: { not: null } } })).toBe(1);
}, 60_000);
