/**
 * HTTP routes of customers (issue 18 sections 0 and 2): the customer facts feed and read, customer reports (报备) with
 * their manual review, invitation links and the customer's acceptance, and the partner's associated customers.
 * Validation here; rules in api/customers/*-client.ts and the report's workflow.
 */
import { z } from 'zod';
import { CREDIT_CODE, CUSTOMER_FACT_KINDS, CUSTOMER_FACT_VALUES, type CustomerFactKind } from '../../domain/customer.js';
import { ASSOCIATION_MODES, CUSTOMER_REPORT_DECISIONS, CUSTOMER_REPORT_STATUSES } from '../../workflows/customer-report/contract.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { noteRequiredUnless, optionalNote } from '../kit/reviewed-application-routes.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import type { CustomerFactInput, CustomerFactsClient } from './facts-client.js';
import type { CustomerReportClient } from './reports-client.js';
import {
  customerAssociationSchema,
  customerFactFeedSchema,
  customerInvitationIssuedSchema,
  customerInvitationSchema,
  customerPageSchema,
  customerReportPageSchema,
  customerReportSchema,
  customerSchema,
} from './schemas.js';

const customerId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');
const creditCode = z.string().regex(CREDIT_CODE, 'must be a unified social credit code (18 characters, digits and capital letters but I, O, S, V, Z)');
const reportId = z.string().uuid('must be a customer report id (UUID)');
const token = z.string().min(1).max(100).regex(/^[A-Za-z0-9_-]+$/, 'must be an invitation token');
const source = z.string().min(1).max(64).regex(/^[a-z][a-z0-9-]*$/, 'lowercase letters, digits and -, starting with a letter (e.g. billing, iam, contracts)');
const observedAt = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 2000 && year <= 9999;
}, 'must be between the years 2000 and 9999');

const factOf = (kind: CustomerFactKind) => z.strictObject({ kind: z.literal(kind), value: CUSTOMER_FACT_VALUES[kind], observedAt });
const fact = z.discriminatedUnion('kind', CUSTOMER_FACT_KINDS.map(factOf) as unknown as [ReturnType<typeof factOf>, ...ReturnType<typeof factOf>[]], {
  error: `kind must be one of ${CUSTOMER_FACT_KINDS.join(', ')}`,
});

export const customerFactFeedBody = z.strictObject({ source, facts: z.array(fact).min(1).max(100) });
export const reportBody = z
  .strictObject({ creditCode, manualReview: z.boolean().optional(), justification: text(2000).optional() })
  .superRefine((b, ctx) => {
    if (b.manualReview === true && !b.justification) ctx.addIssue({ code: 'custom', path: ['justification'], message: 'required with manualReview: why the vendor should accept the report' });
    if (b.manualReview !== true && b.justification !== undefined) ctx.addIssue({ code: 'custom', path: ['justification'], message: 'only with manualReview: true' });
  });
export const reportListQuery = z.strictObject({
  status: z.enum(CUSTOMER_REPORT_STATUSES).optional(),
  creditCode: creditCode.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});
export const customerListQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(100).default(20), cursor: z.string().max(500).optional() });
export const reviewBody = z.strictObject({ decision: z.enum(CUSTOMER_REPORT_DECISIONS), note: optionalNote }).superRefine(noteRequiredUnless('APPROVE'));
export const invitationBody = z.strictObject({ mode: z.enum(ASSOCIATION_MODES) });
export const withdrawBody = z.strictObject({ reason: text(2000).optional() });

export function customerRoutes(facts: CustomerFactsClient, reports: CustomerReportClient): RouteDef[] {
  const idParams = z.strictObject({ id: reportId });
  const tokenParams = z.strictObject({ token });
  return [
    defineRoute({
      method: 'post',
      path: '/v1/customers/:customerId/facts',
      permission: 'account.feed',
      summary:
        "Feed facts of a customer's account (the cloud's billing, IAM and contract systems; up to 100, all or nothing): its enterprise (verified credit code), registration date, frozen, reserved instances and support plans still valid, a direct contract with the vendor, cash spend followed by direct sales. Every observation is kept; a kind's current value is its latest by observedAt. Idempotency-Key required.",
      params: z.strictObject({ customerId }),
      body: customerFactFeedBody,
      responses: { 201: customerFactFeedSchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => ({
        status: 201,
        body: await facts.feedFacts(principal, params.customerId, { source: body.source, facts: body.facts as CustomerFactInput[] }, idempotencyKeyOf(req)),
      }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customers/:customerId',
      permission: 'account.readAll',
      summary: "A customer account: the current value of each fed fact (null: never reported) and its open association with a partner.",
      params: z.strictObject({ customerId }),
      responses: { 200: customerSchema },
      problems: [404],
      handler: async ({ params }) => ({ status: 200, body: await facts.getCustomer(params.customerId) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/customer-reports',
      permission: 'customer.expand',
      summary:
        "Report an enterprise (by credit code) as the partner's prospective customer: PROTECTED for 15 calendar days (CUSTOMER_REPORT_PROTECTION_DAYS) in the partner's zone. Another partner protected for it → 409 customer-already-reported (never who); the partner's open reports at the cap → 422 customer-report-cap-reached; an enterprise not in the records → 422 unknown-enterprise; one the rules refuse → 422 customer-not-reportable with every reason, message and remedy in the language of Accept-Language — or, with manualReview: true and a justification, IN_MANUAL_REVIEW for the vendor to decide within its SLA.",
      params: z.strictObject({ partnerId }),
      body: reportBody,
      responses: { 201: customerReportSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      localized: true,
      handler: async ({ principal, params, body, req, language }) => {
        const view = await reports.report(principal, params.partnerId, body, language, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/customer-reports/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/customer-reports',
      permission: 'customer.expand',
      summary: "The partner's customer reports, newest first; another partner's staff are answered 404, as if the partner did not exist.",
      params: z.strictObject({ partnerId }),
      query: reportListQuery,
      responses: { 200: customerReportPageSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({ status: 200, body: await reports.list(principal, params.partnerId, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customer-reports/:id',
      permission: 'customer.expand',
      summary: 'A customer report: status, protection (UTC and local), manual review and its due date, invitation (without its token), association, history.',
      params: idParams,
      responses: { 200: customerReportSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await reports.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customer-reports/:id/review',
      permission: 'customerReport.review',
      summary: 'Decide a report IN_MANUAL_REVIEW: APPROVE (PROTECTED from now for its protection days; 409 customer-already-reported if another partner was protected meanwhile) or REJECT (with the reason as note).',
      params: idParams,
      body: reviewBody,
      responses: { 200: customerReportSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await reports.review(principal, params.id, body) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customer-reports/:id/invitation',
      permission: 'customer.expand',
      summary:
        'Issue an invitation link for the customer to associate with the partner (mode RESELLER or CONSULTATIVE), valid 7 calendar days (CUSTOMER_INVITATION_DAYS; it ends with the report protection, if that comes first): the report becomes INVITED; its token is answered this once. Issued again, it replaces the earlier link.',
      params: idParams,
      body: invitationBody,
      responses: { 201: customerInvitationIssuedSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 201, body: await reports.invite(principal, params.id, body.mode) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customer-reports/:id/withdraw',
      permission: 'customer.expand',
      summary: 'Withdraw an open report (in manual review, protected or invited), with an optional reason: the enterprise is free for others.',
      params: idParams,
      body: withdrawBody,
      responses: { 200: customerReportSchema },
      problems: [404, 409, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await reports.withdraw(principal, params.id, body.reason) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customer-invitations/:token',
      permission: 'customer.respond',
      summary: "What the customer would accept: the inviting partner, the enterprise and the mode. 404 for an unknown link; 403 when the caller's verified enterprise is not the invited one; 409 invitation-not-valid once expired, replaced or used.",
      params: tokenParams,
      responses: { 200: customerInvitationSchema },
      problems: [403, 404, 409],
      handler: async ({ principal, params }) => ({ status: 200, body: await reports.invitation(principal, params.token) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customer-invitations/:token/accept',
      permission: 'customer.respond',
      summary:
        "Accept the invitation: the caller's customer account is associated with the partner in the invitation's mode (201), written with the report's ASSOCIATED in one transaction; accepted again by the same customer, the same association (200). 403 for a customer of another enterprise; 409 customer-already-associated, invitation-not-valid or invitation-expired.",
      params: tokenParams,
      responses: { 200: customerAssociationSchema, 201: customerAssociationSchema },
      problems: [403, 404, 409],
      handler: async ({ principal, params }) => reports.accept(principal, params.token),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/customers',
      permission: 'customer.expand',
      summary: "The partner's associated customers (open associations), newest first; another partner's staff are answered 404.",
      params: z.strictObject({ partnerId }),
      query: customerListQuery,
      responses: { 200: customerPageSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({ status: 200, body: await facts.listPartnerCustomers(principal, params.partnerId, query) }),
    }),
  ];
}
