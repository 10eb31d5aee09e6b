// Response schemas of webhook (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { EVENT_TOPICS } from '../../domain/events.js';
import { instant } from '../kit/schemas.js';

// Webhooks (api/webhook/client.ts): endpoints, and deliveries of outbox events to them.

export const WEBHOOK_DELIVERY_STATUSES = ['PENDING', 'DELIVERED', 'DEAD'] as const;

export const webhookEndpointSchema = z
  .strictObject({
    id: z.string(),
    partnerId: z.string().nullable().describe("the partner whose events it receives; null: a vendor endpoint (every partner's)"),
    url: z.string(),
    events: z.array(z.enum(EVENT_TOPICS)),
    active: z.boolean(),
    createdBy: z.string(),
    createdAt: instant,
    deactivatedAt: instant.nullable(),
    deactivatedReason: z
      .string()
      .nullable()
      .describe('why the relay disabled it (WEBHOOK_DISABLE_AFTER_DEAD deliveries in a row ended DEAD); null while active or after a DELETE'),
  })
  .meta({ id: 'WebhookEndpoint' });
export type WebhookEndpointView = z.infer<typeof webhookEndpointSchema>;

export const createdWebhookEndpointSchema = webhookEndpointSchema
  .extend({ secret: z.string().describe('whsec_<base64 key>: signs every delivery (Standard Webhooks); shown only here, once') })
  .meta({ id: 'CreatedWebhookEndpoint' });

export const rotatedWebhookSecretSchema = createdWebhookEndpointSchema
  .extend({
    secret: z.string().describe('the new whsec_<base64 key>: signs every delivery from now on; shown only here, once'),
    previousSecretExpiresAt: instant
      .nullable()
      .describe('until then deliveries carry a second signature, with the replaced secret (WEBHOOK_SECRET_GRACE_HOURS after the rotation); null: no grace'),
  })
  .meta({ id: 'RotatedWebhookSecret' });
export type RotatedWebhookSecretView = z.infer<typeof rotatedWebhookSecretSchema>;

export const webhookEndpointPageSchema = z
  .strictObject({ items: z.array(webhookEndpointSchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookEndpointPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });

export const webhookDeliverySchema = z
  .strictObject({
    id: z.string(),
    endpointId: z.string(),
    eventId: z.string().describe('the webhook-id header: the same on every attempt (receivers dedupe on it)'),
    eventType: z.enum(EVENT_TOPICS),
    status: z.enum(WEBHOOK_DELIVERY_STATUSES),
    attempts: z.number().int().min(0).describe('POSTs of the latest run'),
    runs: z.number().int().min(1).describe('1 + redeliveries'),
    lastAttemptAt: instant.nullable(),
    lastResponseStatus: z.number().int().nullable(),
    lastError: z.string().nullable().describe("why the latest attempt failed, in words: never the address a name resolved to"),
    deliveredAt: instant.nullable(),
    createdAt: instant,
  })
  .meta({ id: 'WebhookDelivery' });
export type WebhookDeliveryView = z.infer<typeof webhookDeliverySchema>;

export const webhookDeliveryPageSchema = z
  .strictObject({ items: z.array(webhookDeliverySchema), nextCursor: z.string().nullable() })
  .meta({ id: 'WebhookDeliveryPage', description: 'One page, newest first; pass nextCursor as `cursor` for the next.' });
