/**
 * HTTP routes of unlinks (issue 18 section 3, 解除关联): the preview and the request by either side, the other side's
 * objection, the read, and billing's refunds of a customer's consumption. Validation here; rules in
 * api/unlink/client.ts and the unlink's workflow.
 */
import { z } from 'zod';
import { moneySchema } from '../../domain/money.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { idempotencyKeyOf, partnerId, text } from '../kit/validation.js';
import type { UnlinkClient } from './client.js';
import { refundFeedSchema, unlinkPreviewSchema, unlinkSchema } from './schemas.js';

const customerId = z.string().min(1).max(64).regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, - and _ only');
const unlinkId = z.string().uuid('must be an unlink id (UUID)');
const previewHash = z.string().regex(/^[0-9a-f]{64}$/, 'must be the previewHash of GET …/unlink-preview (64 hex digits)');
const source = z.string().min(1).max(64).regex(/^[a-z][a-z0-9-]*$/, 'lowercase letters, digits and -, starting with a letter (e.g. billing)');
const instantInput = z.iso.datetime({ offset: true, error: 'must be an ISO 8601 instant with its offset' }).refine((v) => {
  const year = new Date(v).getUTCFullYear();
  return year >= 2000 && year <= 9999;
}, 'must be between the years 2000 and 9999');
const refundKey = z.string().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII only');

export const unlinkBody = z.strictObject({ previewHash });
export const objectionBody = z.strictObject({ reason: text(2000).optional() });
export const refundBody = z.strictObject({
  source,
  refunds: z
    .array(
      z.strictObject({
        key: refundKey,
        consumedAt: instantInput.describe('when the refunded consumption was made: it decides whose refund it is'),
        amount: moneySchema.refine((m) => m.minor > 0, { message: 'must be more than zero', path: ['minor'] }),
        memo: text(500).optional(),
      }),
    )
    .min(1)
    .max(100),
});

const REFUSALS =
  '422 customer-not-unlinkable with every reason (frozen, a reserved instance or a support plan still valid, a fact never reported, more than 3 requests in 3 calendar months), each with its message and remedy in the language of Accept-Language; 409 unlink-preview-changed (with the current previewHash), unlink-already-open.';

/** Declared in this order: the access matrix runs a route's allowed calls in it (the customer's objection before its own request). */
export function unlinkRoutes(unlinks: UnlinkClient): RouteDef[] {
  const idParams = z.strictObject({ id: unlinkId });
  return [
    defineRoute({
      method: 'get',
      path: '/v1/partners/:partnerId/customers/:customerId/unlink-preview',
      permission: 'customer.unlink',
      summary:
        "Exactly what unlinking the partner's associated customer would do: the association ending, per currency the unspent allocation returning to the partner (to credit, to recharge), vouchers staying usable by the customer, refunds of consumption in the associated period going to the partner; every reason it would be refused now; and the previewHash to confirm. 404 for a customer not associated with this partner.",
      params: z.strictObject({ partnerId, customerId }),
      responses: { 200: unlinkPreviewSchema },
      problems: [404],
      localized: true,
      handler: async ({ principal, params, language }) => ({ status: 200, body: await unlinks.partnerPreview(principal, params.partnerId, params.customerId, language) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/partners/:partnerId/customers/:customerId/unlinks',
      permission: 'customer.unlink',
      summary: `The partner asks to unlink its customer, confirming the preview (previewHash): the customer may object for 10 calendar days (UNLINK_OBJECTION_DAYS, the partner's zone, to the minute); silence approves and the unlink executes. ${REFUSALS}`,
      params: z.strictObject({ partnerId, customerId }),
      body: unlinkBody,
      responses: { 201: unlinkSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      localized: true,
      handler: async ({ principal, params, body, req, language }) => {
        const view = await unlinks.partnerRequest(principal, params.partnerId, params.customerId, body.previewHash, language, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/unlinks/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/unlinks/:id',
      permission: 'customer.expand',
      summary: "An unlink: who asked, its objection window (UTC and the partner's local time), its outcome (objected, unlinked with what was reclaimed, refused at execution with every reason) and history. Partner staff their own partner's; the vendor every one.",
      params: idParams,
      responses: { 200: unlinkSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await unlinks.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/unlinks/:id/objection',
      permission: 'customer.unlink',
      summary: "The partner objects to the customer's unlink request within its window: OBJECTED, the association stays. 409 own-unlink-request (the partner asked), not-in-objection-window.",
      params: idParams,
      body: objectionBody,
      responses: { 200: unlinkSchema },
      problems: [404, 409],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await unlinks.partnerObject(principal, params.id, body.reason) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customer/unlink-preview',
      permission: 'customer.respond',
      summary: "What unlinking the caller's customer account from its partner would do, every reason it would be refused now, and the previewHash to confirm. 404 when the account is associated with no partner.",
      responses: { 200: unlinkPreviewSchema },
      problems: [404],
      localized: true,
      handler: async ({ principal, language }) => ({ status: 200, body: await unlinks.customerPreview(principal, language) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/customer/unlinks/:id',
      permission: 'customer.respond',
      summary: "One of the caller's customer account's unlinks (another's: 404).",
      params: idParams,
      responses: { 200: unlinkSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await unlinks.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customer/unlinks/:id/objection',
      permission: 'customer.respond',
      summary: "The customer objects to its partner's unlink request within its window: OBJECTED, the association stays. 409 own-unlink-request, not-in-objection-window.",
      params: idParams,
      body: objectionBody,
      responses: { 200: unlinkSchema },
      problems: [404, 409],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await unlinks.customerObject(principal, params.id, body.reason) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customer/unlinks',
      permission: 'customer.respond',
      summary: `The customer asks to unlink from its partner, confirming the preview (previewHash): the partner may object for 10 calendar days; silence approves. ${REFUSALS}`,
      body: unlinkBody,
      responses: { 201: unlinkSchema },
      problems: [404, 409, 422],
      idempotencyKey: true,
      localized: true,
      handler: async ({ principal, body, req, language }) => {
        const view = await unlinks.customerRequest(principal, body.previewHash, language, idempotencyKeyOf(req));
        return { status: 201, body: view, headers: { Location: `/v1/customer/unlinks/${view.id}` } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/customers/:customerId/refunds',
      permission: 'account.feed',
      summary:
        "Billing's refunds of a customer's consumption (up to 100, all or nothing; each with its own key, the consumption's instant and amount). Consumption made while the customer was associated with a partner is refunded to THAT partner's recharge (a REFUND transfer), also after the unlink; outside any association, to the customer (recorded, no partner movement). A key fed again answers its first routing; with other content 422 refund-key-reused. Idempotency-Key required.",
      params: z.strictObject({ customerId }),
      body: refundBody,
      responses: { 201: refundFeedSchema },
      problems: [422],
      idempotencyKey: true,
      handler: async ({ principal, params, body, req }) => ({ status: 201, body: await unlinks.refunds(principal, params.customerId, body, idempotencyKeyOf(req)) }),
    }),
  ];
}
