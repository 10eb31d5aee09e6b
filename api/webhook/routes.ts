/** HTTP routes of webhook endpoints and their deliveries. Rules in api/webhook/client.ts; delivery in workflows/webhook/workflow.ts. */
import { z } from 'zod';
import { EVENT_TOPICS, EVENTS } from '../../domain/events.js';
import type { WebhooksClient } from './client.js';
import { defineRoute, type RouteDef } from '../kit/http.js';
import { createdWebhookEndpointSchema, rotatedWebhookSecretSchema, webhookDeliveryPageSchema, webhookDeliverySchema, webhookEndpointPageSchema, webhookEndpointSchema } from './schemas.js';
import { idempotencyKeyOf } from '../kit/validation.js';

/** An absolute http(s) URL in printable ASCII (an international host in its xn-- form), no credentials in it. */
const url = z
  .string()
  .max(2000)
  .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces')
  .refine((v) => {
    if (!URL.canParse(v)) return false;
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '' && !u.username && !u.password;
  }, 'must be an absolute http:// or https:// URL without credentials');

const event = z.enum(EVENT_TOPICS, { error: `unknown event; known events: ${EVENT_TOPICS.join(', ')}` });

export const newEndpointBody = z.strictObject({
  url,
  events: z
    .array(event)
    .min(1, 'name at least one event')
    .max(EVENT_TOPICS.length)
    .superRefine((items, ctx) =>
      items.forEach((item, i) => items.indexOf(item) !== i && ctx.addIssue({ code: 'custom', path: [i], message: 'this event is named twice' })),
    ),
});

const pageQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(500).optional(),
});

export const endpointPatchBody = z.strictObject({
  active: z.boolean({ error: 'must be true (re-enable) or false (deactivate)' }),
});

const endpointId = z.uuid('must be a webhook endpoint id (UUID)');
const idParams = z.strictObject({ id: endpointId });
const deliveryParams = z.strictObject({ id: endpointId, deliveryId: z.uuid('must be a delivery id (UUID)') });

export function webhookRoutes(webhooks: WebhooksClient): RouteDef[] {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/webhooks',
      permission: 'webhook.manage',
      summary:
        "Register an endpoint for events (a partner's: its own events; the vendor's: every partner's). Answers the signing secret, once. " +
        'A URL on localhost or a non-public IP address (loopback, private, link-local…) is refused (422) unless WEBHOOK_ALLOW_PRIVATE_TARGETS is on; ' +
        'so is a port outside WEBHOOK_ALLOWED_PORTS (default 80, 443; 422 webhook-port-not-allowed). A partner has at most QUOTA_WEBHOOK_ENDPOINTS ' +
        'active endpoints (422 quota-exceeded with quota, limit, used). Deliveries answered with a 4xx other than 408, 409, 425, 429 are not retried; ' +
        'an endpoint whose deliveries end DEAD WEBHOOK_DISABLE_AFTER_DEAD times in a row is disabled (deactivatedReason says why) and the ' +
        "partner's endpoints subscribed to webhook.endpoint-disabled are told. " +
        'With an Idempotency-Key a retry by the same caller answers the same endpoint and secret (409 secret-rotated once it was rotated). ' +
        `Events: ${EVENT_TOPICS.map((t) => `${t} — ${EVENTS[t]}`).join(' ')}`,
      body: newEndpointBody,
      responses: { 201: createdWebhookEndpointSchema },
      problems: [409, 422],
      idempotencyKey: true,
      handler: async ({ principal, body, req }) => {
        const endpoint = await webhooks.create(principal, body, idempotencyKeyOf(req));
        return { status: 201, body: endpoint, headers: { Location: `/v1/webhooks/${endpoint.id}` } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhooks',
      permission: 'webhook.read',
      summary: 'The endpoints (partners: their own; vendor staff: all), newest first, keyset pages.',
      query: pageQuery,
      responses: { 200: webhookEndpointPageSchema },
      handler: async ({ principal, query }) => ({ status: 200, body: await webhooks.list(principal, query) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhooks/:id',
      permission: 'webhook.read',
      summary: 'One endpoint (never its secret).',
      params: idParams,
      responses: { 200: webhookEndpointSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await webhooks.get(principal, params.id) }),
    }),
    defineRoute({
      method: 'delete',
      path: '/v1/webhooks/:id',
      permission: 'webhook.manage',
      summary: 'Deactivate an endpoint: nothing more is delivered to it; its deliveries stay readable.',
      params: idParams,
      responses: { 200: webhookEndpointSchema },
      problems: [404],
      handler: async ({ principal, params }) => ({ status: 200, body: await webhooks.deactivate(principal, params.id) }),
    }),
    defineRoute({
      method: 'patch',
      path: '/v1/webhooks/:id',
      permission: 'webhook.manage',
      summary:
        '`{ "active": true }` re-enables a deactivated endpoint (disabled by the relay or by DELETE): its URL is checked as at registration, ' +
        'it counts against QUOTA_WEBHOOK_ENDPOINTS again (422 quota-exceeded), its DEAD streak and deactivatedReason are cleared. ' +
        '`{ "active": false }` deactivates, as DELETE. The state it already has: unchanged.',
      params: idParams,
      body: endpointPatchBody,
      responses: { 200: webhookEndpointSchema },
      problems: [404, 422],
      handler: async ({ principal, params, body }) => ({ status: 200, body: await webhooks.setActive(principal, params.id, body.active) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/webhooks/:id/rotate-secret',
      permission: 'webhook.manage',
      summary:
        'A new signing secret, answered once. The replaced secret keeps signing beside it until previousSecretExpiresAt ' +
        '(WEBHOOK_SECRET_GRACE_HOURS): deliveries then carry two signatures (`v1,<new> v1,<old>`), a receiver accepts either. ' +
        'With an Idempotency-Key a retry answers the same rotation while it is the latest (409 secret-rotated after another). 409 endpoint-inactive after DELETE.',
      params: idParams,
      responses: { 200: rotatedWebhookSecretSchema },
      problems: [404, 409],
      idempotencyKey: true,
      handler: async ({ principal, params, req }) => ({ status: 200, body: await webhooks.rotateSecret(principal, params.id, idempotencyKeyOf(req)) }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/webhooks/:id/deliveries',
      permission: 'webhook.read',
      summary: "An endpoint's deliveries, newest first, keyset pages: status (PENDING, DELIVERED, DEAD), attempts, last response code or error.",
      params: idParams,
      query: pageQuery,
      responses: { 200: webhookDeliveryPageSchema },
      problems: [404],
      handler: async ({ principal, params, query }) => ({ status: 200, body: await webhooks.deliveries(principal, params.id, query) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/webhooks/:id/deliveries/:deliveryId/redeliver',
      permission: 'webhook.manage',
      summary: 'Deliver again with a fresh retry budget (same event id). 409 while the delivery is still being attempted or the endpoint is deactivated.',
      params: deliveryParams,
      responses: { 202: webhookDeliverySchema },
      problems: [404, 409],
      handler: async ({ principal, params }) => ({ status: 202, body: await webhooks.redeliver(principal, params.id, params.deliveryId) }),
    }),
  ];
}
