/**
 * The only door into the webhook tables (webhook_endpoint, webhook_delivery) and the redelivery workflow.
 *
 * Rules: a partner's staff see and manage only their own partner's endpoints and their deliveries (another partner's,
 * and vendor endpoints, answer 404 like a missing one); vendor staff read every endpoint (webhook.read) and
 * vendor_admin manages any (webhook.manage). An endpoint created by vendor staff is a vendor endpoint (partnerId
 * null): it receives every partner's events. The secret is generated here and answered once, at creation. A URL whose
 * host is localhost or a non-public IP literal is refused (422) unless private targets are allowed
 * (domain/webhook-target.ts; delivery checks the resolved address again).
 */
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Principal } from '../../domain/auth.js';
import { type EventTopic, eventIdOf } from '../../domain/events.js';
import { problems } from '../../domain/problems.js';
import { newWebhookSecret } from '../../domain/webhook-signature.js';
import { refusedHost } from '../../domain/webhook-target.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { webhookDeliveryWorkflowId, type webhookDeliveryWorkflow } from '../../workflows/webhook.js';
import { dateKey, keyset } from '../pagination.js';
import type { WebhookDeliveryView, WebhookEndpointView } from '../schemas.js';

type EndpointRow = Prisma.WebhookEndpointGetPayload<object>;
type DeliveryRow = Prisma.WebhookDeliveryGetPayload<{ include: { outbox: { select: { id: true; topic: true } } } }>;
export type Page = { limit: number; cursor?: string | undefined };

const toEndpoint = (r: EndpointRow): WebhookEndpointView => ({
  id: r.id,
  partnerId: r.partnerId,
  url: r.url,
  events: r.events as EventTopic[],
  active: r.active,
  createdBy: r.createdBy,
  createdAt: r.createdAt.toISOString(),
  deactivatedAt: r.deactivatedAt?.toISOString() ?? null,
});

const toDelivery = (r: DeliveryRow): WebhookDeliveryView => ({
  id: r.id,
  endpointId: r.endpointId,
  eventId: eventIdOf(r.outbox.id),
  eventType: r.outbox.topic as EventTopic,
  status: r.status as WebhookDeliveryView['status'],
  attempts: r.attempts,
  runs: r.runs,
  lastAttemptAt: r.lastAttemptAt?.toISOString() ?? null,
  lastResponseStatus: r.lastResponseStatus,
  lastError: r.lastError,
  deliveredAt: r.deliveredAt?.toISOString() ?? null,
  createdAt: r.createdAt.toISOString(),
});

/** Endpoints and deliveries alike, newest first; their ids are the UUIDs created here (lowercase). */
const NEWEST_FIRST = keyset('createdAt', { key: dateKey, isId: (id) => /^[0-9a-f-]{36}$/.test(id) });

/** Partner staff: their own partner's endpoints only; vendor staff: all. */
const scopeOf = (principal: Principal) => (principal.partnerId ? { partnerId: principal.partnerId } : {});

export function createWebhooksClient({
  prisma,
  temporal,
  taskQueue,
  webhookAllowPrivateTargets = false,
}: {
  prisma: PrismaClient;
  temporal: Client;
  taskQueue: string;
  webhookAllowPrivateTargets?: boolean;
}) {
  async function findEndpoint(principal: Principal, id: string): Promise<EndpointRow> {
    const row = await prisma.webhookEndpoint.findFirst({ where: { id, ...scopeOf(principal) } });
    if (!row) throw problems.notFound(`Webhook endpoint ${id}`);
    return row;
  }

  return {
    async create(principal: Principal, body: { url: string; events: EventTopic[] }): Promise<WebhookEndpointView & { secret: string }> {
      const refused = webhookAllowPrivateTargets ? undefined : refusedHost(body.url);
      if (refused) throw problems.unprocessable('webhook-target-not-allowed', `${refused.message}: webhooks are delivered only to public addresses.`, 'url');
      const row = await prisma.webhookEndpoint.create({
        data: {
          id: randomUUID(),
          partnerId: principal.partnerId ?? null,
          url: body.url,
          events: body.events,
          secret: newWebhookSecret(),
          createdBy: principal.sub,
          createdAt: new Date(),
        },
      });
      return { ...toEndpoint(row), secret: row.secret };
    },

    async list(principal: Principal, page: Page): Promise<{ items: WebhookEndpointView[]; nextCursor: string | null }> {
      const rows = await prisma.webhookEndpoint.findMany({
        where: { ...scopeOf(principal), ...NEWEST_FIRST.after(page.cursor) },
        orderBy: NEWEST_FIRST.orderBy,
        take: page.limit + 1,
      });
      const { items, nextCursor } = NEWEST_FIRST.page(rows, page.limit);
      return { items: items.map(toEndpoint), nextCursor };
    },

    get: async (principal: Principal, id: string) => toEndpoint(await findEndpoint(principal, id)),

    /** Deactivates (deliveries stay readable; pending retries end DEAD). Deactivating twice changes nothing. */
    async deactivate(principal: Principal, id: string): Promise<WebhookEndpointView> {
      await findEndpoint(principal, id);
      await prisma.webhookEndpoint.updateMany({ where: { id, active: true }, data: { active: false, deactivatedAt: new Date() } });
      return toEndpoint(await findEndpoint(principal, id));
    },

    async deliveries(principal: Principal, id: string, page: Page): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
      await findEndpoint(principal, id);
      const rows = await prisma.webhookDelivery.findMany({
        where: { endpointId: id, ...NEWEST_FIRST.after(page.cursor) },
        include: { outbox: { select: { id: true, topic: true } } },
        orderBy: NEWEST_FIRST.orderBy,
        take: page.limit + 1,
      });
      const { items, nextCursor } = NEWEST_FIRST.page(rows, page.limit);
      return { items: items.map(toDelivery), nextCursor };
    },

    /** Runs a delivery again (a new workflow run, a fresh retry budget). 409 while it is still being delivered. */
    async redeliver(principal: Principal, id: string, deliveryId: string): Promise<WebhookDeliveryView> {
      const endpoint = await findEndpoint(principal, id);
      const delivery = await prisma.webhookDelivery.findFirst({ where: { id: deliveryId, endpointId: id }, include: { outbox: { select: { id: true, topic: true } } } });
      if (!delivery) throw problems.notFound(`Delivery ${deliveryId}`);
      if (!endpoint.active) throw problems.conflict('endpoint-inactive', 'The endpoint is deactivated: nothing can be delivered to it.');
      const inProgress = () => problems.conflict('delivery-in-progress', 'This delivery is still being attempted; redeliver it once it is DELIVERED or DEAD.', { currentStatus: 'PENDING' });
      if (delivery.status === 'PENDING') throw inProgress();
      try {
        await temporal.workflow.start<typeof webhookDeliveryWorkflow>('webhookDeliveryWorkflow', {
          workflowId: webhookDeliveryWorkflowId(deliveryId),
          taskQueue,
          args: [{ deliveryId }],
          workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
        });
      } catch (error) {
        if (error instanceof WorkflowExecutionAlreadyStartedError) throw inProgress();
        throw error;
      }
      // What the new run's first step (beginRedelivery) sets.
      return { ...toDelivery(delivery), status: 'PENDING', attempts: 0, runs: delivery.runs + 1, lastResponseStatus: null, lastError: null, deliveredAt: null };
    },
  };
}

export type WebhooksClient = ReturnType<typeof createWebhooksClient>;
