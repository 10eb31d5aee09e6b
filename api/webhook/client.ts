/**
 * The only door into the webhook tables (webhook_endpoint, webhook_delivery) and the redelivery workflow.
 *
 * Rules: a partner's staff see and manage only their own partner's endpoints and their deliveries (another partner's,
 * and vendor endpoints, answer 404 like a missing one); vendor staff read every endpoint (webhook.read) and
 * vendor_admin manages any (webhook.manage). An endpoint created by vendor staff is a vendor endpoint (partnerId
 * null): it receives every partner's events. The secret is generated here and answered once, at creation — and to a
 * retry of that creation (same caller, same Idempotency-Key) until the secret is rotated. A rotation answers its new
 * secret once (and to its own retries); the replaced secret keeps signing beside it for the grace period
 * (WEBHOOK_SECRET_GRACE_HOURS). A URL whose host is localhost or a non-public IP literal is refused (422) unless private
 * targets are allowed, and so is a URL naming a port outside WEBHOOK_ALLOWED_PORTS (domain/webhook-target.ts; delivery
 * checks both again, and the resolved address). A partner has at most QUOTA_WEBHOOK_ENDPOINTS active endpoints (422
 * `quota-exceeded`, counted under a per-partner lock in the creating transaction; vendor endpoints are not counted).
 * An endpoint the relay disabled (deliveries DEAD in a row, activities/webhook.ts) says why in `deactivatedReason`;
 * PATCH `{ active: true }` re-enables it (or one deactivated by DELETE) under the same rules as a registration.
 * Secrets are stored sealed (platform/webhook-secrets.ts, WEBHOOK_SECRET_KEYS) and opened here only to answer them.
 */
import { randomUUID } from 'node:crypto';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import type { Principal } from '../../domain/auth.js';
import { type EventTopic, eventIdOf } from '../../domain/events.js';
import { problems } from '../../domain/problems.js';
import { newWebhookSecret } from '../../domain/webhook-signature.js';
import { refusedHost, refusedPort } from '../../domain/webhook-target.js';
import { configDefaults, defaultQuotas, type Quotas } from '../../platform/config.js';
import { type Keyring, openEndpointSecret, sealEndpointSecret, WebhookSecretUnreadable, webhookSecretKeyring } from '../../platform/webhook-secrets.js';
import type { Prisma, PrismaClient } from '../../prisma/generated/client.js';
import { WEBHOOK_DELIVERY_WORKFLOW, webhookDeliveryWorkflowId } from '../../workflows/webhook/contract.js';
import type { webhookDeliveryWorkflow } from '../../workflows/webhook/workflow.js';
import { dateKey, keyset } from '../kit/pagination.js';
import type { RotatedWebhookSecretView, WebhookDeliveryView, WebhookEndpointView } from './schemas.js';
import { reserveIdempotency, reserveIdempotentId } from '../kit/idempotency.js';
import { lockQuota, quotaExceeded } from '../kit/quotas.js';

type EndpointRow = Prisma.WebhookEndpointGetPayload<object>;
type Tx = Prisma.TransactionClient;
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
  deactivatedReason: r.deactivatedReason,
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

/** The default grace period of a replaced secret (WEBHOOK_SECRET_GRACE_HOURS). */
export const DEFAULT_WEBHOOK_SECRET_GRACE_MS = 24 * 3_600_000;

const inactive = () => problems.conflict('endpoint-inactive', 'The endpoint is deactivated: nothing can be delivered to it.');

/** Partner staff: their own partner's endpoints only; vendor staff: all. */
const scopeOf = (principal: Principal) => (principal.partnerId ? { partnerId: principal.partnerId } : {});

export function createWebhooksClient({
  prisma,
  temporal,
  taskQueue,
  webhookAllowPrivateTargets = false,
  webhookAllowedPorts = configDefaults.WEBHOOK_ALLOWED_PORTS,
  webhookSecretGraceMs = DEFAULT_WEBHOOK_SECRET_GRACE_MS,
  quotas,
  webhookSecretKeys = webhookSecretKeyring(),
}: {
  prisma: PrismaClient;
  temporal: Client;
  taskQueue: string;
  webhookAllowPrivateTargets?: boolean;
  /** The ports a URL may name (WEBHOOK_ALLOWED_PORTS). */
  webhookAllowedPorts?: readonly number[] | undefined;
  /** How long a rotated-out secret still signs beside the new one (WEBHOOK_SECRET_GRACE_HOURS); 0: not at all. */
  webhookSecretGraceMs?: number;
  quotas?: Quotas | undefined;
  /** Seals the secrets stored (WEBHOOK_SECRET_KEYS; default: read from the environment). */
  webhookSecretKeys?: Keyring;
}) {
  const quota = quotas?.webhookEndpoints ?? defaultQuotas.webhookEndpoints;
  const ring = webhookSecretKeys;
  /** The endpoint's signing secret, opened; undefined when it cannot be (its key left the ring: the worker log names it). */
  const openedSecretOf = (r: EndpointRow) => {
    try {
      return openEndpointSecret(ring, r.id, 'secret', r.secret);
    } catch (error) {
      if (error instanceof WebhookSecretUnreadable) return undefined;
      throw error;
    }
  };
  /** The secret to answer (a retry of its creation or rotation): one that cannot be opened is 503 until the key is back. */
  const secretOf = (r: EndpointRow) => {
    const secret = openedSecretOf(r);
    if (secret === undefined) throw problems.unavailable("The endpoint's secret cannot be read at the moment; try again later.");
    return secret;
  };
  /** The endpoint with its signing secret, and how long the one a rotation replaced still signs. */
  const withSecret = (r: EndpointRow): RotatedWebhookSecretView => ({ ...toEndpoint(r), secret: secretOf(r), previousSecretExpiresAt: r.previousSecretExpiresAt?.toISOString() ?? null });

  async function findEndpoint(principal: Principal, id: string): Promise<EndpointRow> {
    const row = await prisma.webhookEndpoint.findFirst({ where: { id, ...scopeOf(principal) } });
    if (!row) throw problems.notFound(`Webhook endpoint ${id}`);
    return row;
  }

  /** Deactivates (deliveries stay readable; pending retries end DEAD). Deactivating twice changes nothing. */
  async function deactivate(principal: Principal, id: string): Promise<WebhookEndpointView> {
    await findEndpoint(principal, id);
    await prisma.webhookEndpoint.updateMany({ where: { id, active: true }, data: { active: false, deactivatedAt: new Date() } });
    return toEndpoint(await findEndpoint(principal, id));
  }

  /** 422 naming `url` when deliveries to it are refused: a non-public host (unless allowed), a port not allowed. */
  function checkTarget(url: string): void {
    const refused = webhookAllowPrivateTargets ? undefined : refusedHost(url);
    if (refused) throw problems.unprocessable('webhook-target-not-allowed', `${refused.message}: webhooks are delivered only to public addresses.`, 'url');
    const port = refusedPort(url, webhookAllowedPorts);
    if (port) throw problems.unprocessable('webhook-port-not-allowed', `${port} (WEBHOOK_ALLOWED_PORTS).`, 'url');
  }

  /**
   * 422 `quota-exceeded` when one more active endpoint would pass the partner's quota (api/kit/quotas.ts). The lock
   * (per partner, until the transaction ends) serializes the count-then-insert of concurrent registrations and
   * re-enables: two cannot both see the last free place. Vendor endpoints (partnerId null) are not limited.
   */
  async function reservePlace(tx: Tx, partnerId: string | null): Promise<void> {
    if (partnerId === null) return;
    await lockQuota(tx, 'webhookEndpoints', partnerId);
    const used = await tx.webhookEndpoint.count({ where: { partnerId, active: true } });
    if (used >= quota) {
      throw quotaExceeded(
        'webhookEndpoints',
        quota,
        used,
        'url',
        `Partner ${partnerId} has ${used} active webhook endpoints; the quota (QUOTA_WEBHOOK_ENDPOINTS) is ${quota}. Deactivate one (DELETE /v1/webhooks/:id) first.`,
      );
    }
  }

  return {
    /**
     * Registers an endpoint. With an Idempotency-Key (per caller: subject and partner) a retry answers the endpoint the
     * first request created, secret included — the client that lost the first answer needs it — unless the secret was
     * rotated since (409 `secret-rotated`: the creation's secret no longer exists).
     */
    async create(principal: Principal, body: { url: string; events: EventTopic[] }, idempotencyKey?: string): Promise<WebhookEndpointView & { secret: string }> {
      checkTarget(body.url);
      const partnerId = principal.partnerId ?? null;
      return prisma.$transaction(async (tx) => {
        const id = idempotencyKey ? await reserveIdempotentId(tx, `${principal.sub} ${partnerId ?? 'vendor'} POST /v1/webhooks`, idempotencyKey, body) : randomUUID();
        const existing = await tx.webhookEndpoint.findUnique({ where: { id } });
        if (existing?.secretRotationId) {
          throw problems.conflict('secret-rotated', "This endpoint's secret was rotated after its creation: the creation's secret is no longer answered.");
        }
        if (existing) return { ...toEndpoint(existing), secret: secretOf(existing) }; // a retry: the first result stands
        await reservePlace(tx, partnerId);
        const secret = newWebhookSecret();
        const row = await tx.webhookEndpoint.create({
          data: { id, partnerId, url: body.url, events: body.events, secret: sealEndpointSecret(ring, id, 'secret', secret), createdBy: principal.sub, createdAt: new Date() },
        });
        return { ...toEndpoint(row), secret };
      });
    },

    /**
     * A new secret, answered once; the replaced one keeps signing beside it until the grace period ends (a rotation
     * within an earlier one's grace ends the older secret at once: at most two sign). With an Idempotency-Key a retry
     * answers the same rotation while it is the latest (409 `secret-rotated` once another followed). 409
     * `endpoint-inactive` after DELETE.
     */
    async rotateSecret(principal: Principal, id: string, idempotencyKey?: string): Promise<RotatedWebhookSecretView> {
      if (!(await findEndpoint(principal, id)).active) throw inactive();
      return prisma.$transaction(async (tx) => {
        const rotation = idempotencyKey
          ? await reserveIdempotency(tx, `${principal.sub} POST /v1/webhooks/${id}/rotate-secret`, idempotencyKey, {})
          : { id: randomUUID(), replay: false };
        const current = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
        if (rotation.replay && current.secretRotationId === rotation.id) return withSecret(current);
        if (rotation.replay) throw problems.conflict('secret-rotated', 'The secret was rotated again after the rotation this Idempotency-Key made.');
        const now = new Date();
        // The replaced secret moves to previous_secret sealed anew (a sealed value is bound to its column). One that
        // cannot be opened (its key left the ring) gets no grace: it could not sign, and the rotation is how the
        // endpoint gets a working secret again.
        const replaced = webhookSecretGraceMs > 0 ? openedSecretOf(current) : undefined;
        const grace =
          replaced !== undefined
            ? { previousSecret: sealEndpointSecret(ring, id, 'previous_secret', replaced), previousSecretExpiresAt: new Date(now.getTime() + webhookSecretGraceMs) }
            : { previousSecret: null, previousSecretExpiresAt: null };
        // Only from the secret read above, only while active: a concurrent rotation or DELETE wins, this one changes nothing.
        const { count } = await tx.webhookEndpoint.updateMany({
          where: { id, active: true, secret: current.secret },
          data: { secret: sealEndpointSecret(ring, id, 'secret', newWebhookSecret()), ...grace, secretRotationId: rotation.id },
        });
        if (count === 0) {
          const after = await tx.webhookEndpoint.findUniqueOrThrow({ where: { id } });
          throw after.active ? problems.conflict('concurrent-change', 'The secret was rotated at the same time; retry.') : inactive();
        }
        return withSecret(await tx.webhookEndpoint.findUniqueOrThrow({ where: { id } }));
      });
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

    deactivate,

    /**
     * PATCH `{ active }`: false deactivates (as DELETE); true re-enables a deactivated endpoint — its URL checked as at
     * registration (the rules may have changed since), within the quota, its DEAD streak and reason cleared. Setting
     * the state it already has changes nothing.
     */
    async setActive(principal: Principal, id: string, active: boolean): Promise<WebhookEndpointView> {
      const endpoint = await findEndpoint(principal, id);
      if (!active) return deactivate(principal, id);
      if (endpoint.active) return toEndpoint(endpoint);
      checkTarget(endpoint.url);
      return prisma.$transaction(async (tx) => {
        await reservePlace(tx, endpoint.partnerId);
        await tx.webhookEndpoint.updateMany({ where: { id, active: false }, data: { active: true, deactivatedAt: null, deactivatedReason: null, consecutiveDead: 0 } });
        return toEndpoint(await tx.webhookEndpoint.findUniqueOrThrow({ where: { id } }));
      });
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
      if (!endpoint.active) throw inactive();
      const inProgress = () => problems.conflict('delivery-in-progress', 'This delivery is still being attempted; redeliver it once it is DELIVERED or DEAD.', { currentStatus: 'PENDING' });
      if (delivery.status === 'PENDING') throw inProgress();
      try {
        await temporal.workflow.start<typeof webhookDeliveryWorkflow>(WEBHOOK_DELIVERY_WORKFLOW, {
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
