/**
 * HTTP routes of the funds allocated to customers (issue 18 section 4, docs/funds.md): allocate, reclaim, the
 * customer's funds, the customer's spending fed by billing, and the partner's statement (JSON or CSV). Rules in
 * api/funds/client.ts and platform/funds.ts; pure rules in domain/funds.ts.
 */
import { z } from 'zod';
import { problems } from '../../domain/problems.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { idempotencyKeyOf, partnerId } from '../kit/validation.js';
import type { FundsClient } from './client.js';
import { allocationBody, customerFundsSchema, customerId, fundsTransferSchema, reclaimBody, spendBody, statementSchema } from './schemas.js';

const customerParams = z.strictObject({ partnerId, customerId });
const instantParam = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 2000 && year <= 9999;
}, 'must be between the years 2000 and 9999');
const statementQuery = z
  .strictObject({
    from: instantParam.optional().describe('the period starts at this instant (included); default: the ledger’s beginning'),
    to: instantParam.optional().describe('the period ends at this instant (excluded); default: now'),
    format: z.enum(['json', 'csv']).optional().describe('csv: the statement as text/csv (as Accept: text/csv does)'),
  })
  .refine((q) => q.from === undefined || q.to === undefined || new Date(q.from) < new Date(q.to), { path: ['to'], message: 'must be after from' });

/** The beginning of any ledger: no entry occurs before the year 2000 (domain/ledger.ts). */
const LEDGER_BEGINNING = new Date('2000-01-01T00:00:00Z');

export function fundsRoutes(funds: FundsClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/customers/:customerId/allocations',
      permission: 'funds.allocate',
      summary:
        "Allocate funds to an associated customer in RESELLER mode, from the partner's balance (recharge first, then credit). 404 when the customer is not associated with this partner; 422 customer-consultative, funds-insufficient; 403 agreement-signature-required. Idempotency-Key required: a retry answers the first result, another body with it 422.",
      params: customerParams,
      body: allocationBody,
      responses: { 201: fundsTransferSchema },
      problems: [404, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => ({
        status: 201,
        body: await funds.allocate(principal, params.partnerId, params.customerId, body, idempotencyKeyOf(req)),
      }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/customers/:customerId/reclaims',
      permission: 'funds.allocate',
      summary:
        "Reclaim a customer's unspent funds (all, or `minor` up to what is unspent) back to the partner: credit first, as far as the allocations drew on it, then the recharge. 404 when the partner never allocated to the customer; 422 funds-unspent-exceeded, nothing-to-reclaim. Idempotency-Key required.",
      params: customerParams,
      body: reclaimBody,
      responses: { 201: fundsTransferSchema },
      problems: [404, 422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => ({
        status: 201,
        body: await funds.reclaim(principal, params.partnerId, params.customerId, body, idempotencyKeyOf(req)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/customers/:customerId/funds',
      permission: 'account.read',
      summary: "A customer's funds from the partner, per currency: allocated, reclaimed, spent, unspent, and what the allocations drew on credit; with its open association's mode.",
      params: customerParams,
      responses: { 200: customerFundsSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await funds.customerFunds(principal, params.partnerId, params.customerId) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customers/:customerId/spend',
      permission: 'account.feed',
      summary:
        "Feed a customer's spending of its allocation (billing): it reduces the allocation from the partner the customer is associated with, never the partner's balance. The key is one transfer per source. 422 customer-not-associated, allocation-exceeded, ledger-key-reused. Idempotency-Key required.",
      params: z.strictObject({ customerId }),
      body: spendBody,
      responses: { 201: fundsTransferSchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => ({ status: 201, body: await funds.spend(principal, params.customerId, body, idempotencyKeyOf(req)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/statement',
      permission: 'account.read',
      summary:
        "The partner's statement for [from, to): per currency, the opening balance (recharge + credit), each movement with its running balance, the closing balance. As text/csv with format=csv or Accept: text/csv (the same lines: OPENING, MOVEMENT…, CLOSING per currency).",
      params: z.strictObject({ partnerId }),
      query: statementQuery,
      responses: { 200: { json: statementSchema, binary: ['text/csv'] } },
      problems: [404, 422],
      handler: async ({ principal, params, query, req }) => {
        const period = { from: query.from ? new Date(query.from) : LEDGER_BEGINNING, to: query.to ? new Date(query.to) : new Date() };
        if (period.from >= period.to) throw problems.validation([{ field: query.to ? 'query.to' : 'query.from', message: 'the period must end after it starts' }]);
        const { view, csv } = await funds.statement(principal, params.partnerId, period);
        const wantsCsv = query.format === 'csv' || (query.format === undefined && req.accepts(['application/json', 'text/csv']) === 'text/csv');
        if (!wantsCsv) return { status: 200, body: view };
        const name = `statement-${params.partnerId}-${view.from.slice(0, 10)}-${view.to.slice(0, 10)}.csv`;
        return { status: 200, body: Buffer.from(csv(), 'utf8'), headers: { 'Content-Type': 'text/csv; charset=utf-8', 'Content-Disposition': `attachment; filename="${name}"` } };
      },
    }),
  ];
}
