/**
 * Webhook relay I/O (workflows/webhook/workflow.ts): loading and fanning out outbox messages, POSTing one delivery, and
 * starting the per-message workflow (`announceOutbox` after an outbox append commits, `sweepOutbox` for starts that
 * were lost). Attempt times are real time, not workflow time: they are transport facts, and the signature's
 * timestamp must be close to the receiver's clock. POSTs go only to public addresses and allowed ports
 * (domain/webhook-target.ts, the address checked when the connection resolves the host): a refused target is DEAD at
 * once, not retried; so is a 4xx answer other than 408, 409, 425, 429 (5xx, those four, timeouts and connection errors
 * keep the retry budget; a Retry-After on 429/503 sets the next pause, at most the longest pause). lastError says why
 * in words, never an address a name resolved to (the worker log has the detail). An endpoint whose deliveries end
 * DEAD WEBHOOK_DISABLE_AFTER_DEAD times in a row is disabled, and its partner's endpoints subscribed to
 * webhook.endpoint-disabled are told (markDeliveryDead); a DELIVERED one resets the count. During a secret rotation's
 * grace period every POST is signed with both secrets. Secrets are stored sealed (platform/webhook-secrets.ts) and
 * opened here, for the signature only; one that cannot be opened (its key left WEBHOOK_SECRET_KEYS) fails the delivery
 * at once, not retried (`WebhookSecretUnreadable`), naming the key in lastError and the endpoint in the worker log.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { fetch } from 'undici';
import { ENDPOINT_DISABLED_TOPIC, eventIdOf, type OutboxPayload } from '../domain/events.js';
import { signatureHeaders } from '../domain/webhook-signature.js';
import { connectionFailure, isRetriedStatus, refusedLiteral, refusedPort, retryAfterMs, TargetRefused, webhookDispatcher } from '../domain/webhook-target.js';
import { configDefaults } from '../platform/config.js';
import type { PrismaClient } from '../platform/db.js';
import { dispatchOutbox } from '../platform/outbox-dispatch.js';
import { type Keyring, openSigningSecrets, WebhookSecretUnreadable, webhookSecretKeyring } from '../platform/webhook-secrets.js';
import type { DeliveryRetry } from '../workflows/webhook/contract.js';

export { dispatchOutbox } from '../platform/outbox-dispatch.js';

export const DEFAULT_DELIVERY_RETRY: DeliveryRetry = { maximumAttempts: 12, maximumIntervalMs: 3_600_000, timeoutMs: 10_000 };

export type WebhookActivityDeps = {
  prisma: PrismaClient;
  /** Starts outbox workflows after an append commits; without it the sweeper starts them. */
  temporal?: Client;
  webhookRetry?: DeliveryRetry;
  /** POST to loopback, private, link-local… addresses too (WEBHOOK_ALLOW_PRIVATE_TARGETS); default false. */
  webhookAllowPrivateTargets?: boolean;
  /** The ports a webhook URL may name (WEBHOOK_ALLOWED_PORTS); default 80 and 443. */
  webhookAllowedPorts?: readonly number[];
  /** Deliveries ended DEAD in a row that disable their endpoint (WEBHOOK_DISABLE_AFTER_DEAD); default 5. */
  webhookDisableAfterDead?: number;
  /** Opens the stored secrets to sign (WEBHOOK_SECRET_KEYS; default: read from the environment). */
  webhookSecretKeys?: Keyring;
};

/** The notice a partner's endpoints get when one of theirs is disabled (domain/events.ts). */

/** What every POST carries (Standard Webhooks' recommended shape, plus the id). */
export type WebhookEnvelope = { id: string; type: string; timestamp: string; data: OutboxPayload };

const MAX_ERROR_LENGTH = 500;

/**
 * After an activity's outbox append has committed: starts the messages' workflows. A failure is only logged — the
 * row is committed and the sweeper starts it — so a Temporal hiccup never fails the process that wrote it.
 */
export async function announceOutbox(deps: { prisma: PrismaClient; temporal?: Client | undefined }, dedupeKeys: readonly string[]): Promise<void> {
  if (!deps.temporal || dedupeKeys.length === 0) return;
  try {
    const rows = await deps.prisma.outbox.findMany({ where: { dedupeKey: { in: [...dedupeKeys] }, dispatchedAt: null }, select: { id: true } });
    await dispatchOutbox(deps.prisma, deps.temporal, Context.current().info.taskQueue, rows.map((r) => r.id));
  } catch (error) {
    log.warn('outbox workflow not started; the sweeper will start it', { dedupeKeys, error: String(error) });
  }
}

/** The worker's sweeper: starts workflows of messages appended more than `graceMs` ago and never dispatched. */
export async function sweepOutbox(prisma: PrismaClient, temporal: Client, taskQueue: string, { graceMs = 30_000, batch = 100 } = {}): Promise<number> {
  const rows = await prisma.outbox.findMany({
    where: { dispatchedAt: null, createdAt: { lt: new Date(Date.now() - graceMs) } },
    orderBy: { createdAt: 'asc' },
    take: batch,
    select: { id: true },
  });
  await dispatchOutbox(prisma, temporal, taskQueue, rows.map((r) => r.id));
  return rows.length;
}

export function createWebhookActivities(deps: WebhookActivityDeps) {
  const {
    prisma,
    webhookRetry = DEFAULT_DELIVERY_RETRY,
    webhookAllowPrivateTargets = false,
    webhookAllowedPorts = configDefaults.WEBHOOK_ALLOWED_PORTS,
    webhookDisableAfterDead = configDefaults.WEBHOOK_DISABLE_AFTER_DEAD,
    webhookSecretKeys = webhookSecretKeyring(),
  } = deps;
  const dispatcher = webhookDispatcher(webhookAllowPrivateTargets);
  return {
    async loadOutboxMessage({ outboxId }: { outboxId: string }): Promise<{ dueAt: string } | null> {
      const row = await prisma.outbox.findUnique({ where: { id: BigInt(outboxId) }, select: { dueAt: true } });
      return row ? { dueAt: row.dueAt.toISOString() } : null;
    },

    /**
     * One delivery per active endpoint subscribed to the topic and allowed to see it (the partner the payload names,
     * or a vendor endpoint), and delivered_at on the message — in one transaction. Returns the deliveries still
     * PENDING (a retry returns the same ones) and the retry budget they get.
     */
    async fanOutOutboxMessage({ outboxId }: { outboxId: string }): Promise<{ deliveryIds: string[]; retry: DeliveryRetry }> {
      const id = BigInt(outboxId);
      await prisma.$transaction(async (tx) => {
        const message = await tx.outbox.findUniqueOrThrow({ where: { id } });
        if (message.deliveredAt) return;
        const partnerId = (message.payload as Partial<OutboxPayload> | null)?.partnerId;
        const endpoints = await tx.webhookEndpoint.findMany({
          where: { active: true, events: { has: message.topic }, OR: [{ partnerId: null }, ...(typeof partnerId === 'string' ? [{ partnerId }] : [])] },
          select: { id: true },
        });
        const now = new Date();
        await tx.webhookDelivery.createMany({
          data: endpoints.map((e) => ({ id: randomUUID(), endpointId: e.id, outboxId: id, status: 'PENDING', createdAt: now })),
          skipDuplicates: true,
        });
        await tx.outbox.update({ where: { id }, data: { deliveredAt: now } });
      });
      const pending = await prisma.webhookDelivery.findMany({ where: { outboxId: id, status: 'PENDING' }, orderBy: { id: 'asc' }, select: { id: true } });
      return { deliveryIds: pending.map((d) => d.id), retry: webhookRetry };
    },

    /**
     * One attempt: a signed POST; 2xx → DELIVERED (and the endpoint's DEAD streak ends); 5xx, 408, 409, 425, 429, no
     * answer in time or no connection → recorded, then retried; any other 4xx, a port not allowed or a target on a
     * non-public address (the URL's or the one its name resolves to) → recorded, not retried (DEAD).
     */
    async postWebhook({ deliveryId }: { deliveryId: string }): Promise<void> {
      const delivery = await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId }, include: { endpoint: true, outbox: true } });
      if (delivery.status !== 'PENDING') return; // a retry after the attempt that delivered it
      const attempt = Context.current().info.attempt;
      const record = (data: { lastResponseStatus?: number | null; lastError?: string | null; status?: 'DELIVERED'; deliveredAt?: Date }, db: Pick<PrismaClient, 'webhookDelivery'> = prisma) =>
        db.webhookDelivery.updateMany({
          where: { id: deliveryId, status: 'PENDING' },
          data: { attempts: attempt, lastAttemptAt: new Date(), lastResponseStatus: null, lastError: null, ...data },
        });
      if (!delivery.endpoint.active) {
        await record({ lastError: 'endpoint deactivated' });
        throw ApplicationFailure.nonRetryable('The endpoint was deactivated.', 'EndpointDeactivated');
      }
      const { outbox: message, endpoint } = delivery;
      const envelope: WebhookEnvelope = { id: eventIdOf(message.id), type: message.topic, timestamp: message.dueAt.toISOString(), data: message.payload as OutboxPayload };
      const body = JSON.stringify(envelope);
      const refuse = async (reason: string, detail: string) => {
        log.warn('webhook target refused', { deliveryId, endpointId: endpoint.id, detail });
        await record({ lastError: reason });
        return ApplicationFailure.nonRetryable(reason, 'WebhookTargetRefused');
      };
      const refuseTarget = (refused: TargetRefused) => refuse(refused.publicReason, refused.message);
      const literal = webhookAllowPrivateTargets ? undefined : refusedLiteral(endpoint.url);
      if (literal) throw await refuseTarget(literal);
      const port = refusedPort(endpoint.url, webhookAllowedPorts);
      if (port) throw await refuse(port, port);
      // Opened at the moment of signing (the grace of a replaced secret is judged by the real clock, like the timestamp).
      let secrets: string[];
      try {
        secrets = openSigningSecrets(webhookSecretKeys, endpoint, new Date());
      } catch (error) {
        if (!(error instanceof WebhookSecretUnreadable)) throw error;
        log.error('webhook secret cannot be opened', { deliveryId, endpointId: endpoint.id, column: error.column, keyId: error.keyId, detail: error.message });
        await record({ lastError: error.publicReason });
        throw ApplicationFailure.nonRetryable(error.message, 'WebhookSecretUnreadable');
      }
      let status: number;
      let retryAfter: string | null;
      try {
        const res = await fetch(endpoint.url, {
          dispatcher,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'partnerflow-webhooks',
            ...signatureHeaders(secrets, envelope.id, Math.floor(Date.now() / 1000), body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(webhookRetry.timeoutMs),
        });
        status = res.status;
        retryAfter = res.headers.get('retry-after');
        await res.body?.cancel();
      } catch (error) {
        if ((error as { cause?: unknown }).cause instanceof TargetRefused) throw await refuseTarget((error as { cause: TargetRefused }).cause);
        const cause = (error as { cause?: { message?: string } }).cause?.message;
        log.warn('webhook POST failed', { deliveryId, endpointId: endpoint.id, error: `${String(error)}${cause ? ` (${cause})` : ''}` });
        const message = connectionFailure(error, webhookRetry.timeoutMs).slice(0, MAX_ERROR_LENGTH);
        await record({ lastError: message });
        throw ApplicationFailure.retryable(message, 'WebhookDeliveryFailed');
      }
      if (status >= 200 && status < 300) {
        // Delivered, and the endpoint's DEAD streak ends — together.
        await prisma.$transaction(async (tx) => {
          const { count } = await record({ lastResponseStatus: status, status: 'DELIVERED', deliveredAt: new Date() }, tx);
          if (count > 0) await tx.webhookEndpoint.updateMany({ where: { id: endpoint.id, consecutiveDead: { gt: 0 } }, data: { consecutiveDead: 0 } });
        });
        return;
      }
      if (!isRetriedStatus(status)) {
        const reason = `the endpoint answered ${status} (not retried)`;
        await record({ lastResponseStatus: status, lastError: reason });
        throw ApplicationFailure.nonRetryable(reason, 'WebhookDeliveryRefused');
      }
      await record({ lastResponseStatus: status, lastError: `the endpoint answered ${status}` });
      const wait = status === 429 || status === 503 ? retryAfterMs(retryAfter, Date.now()) : undefined;
      throw ApplicationFailure.create({
        message: `the endpoint answered ${status}`,
        type: 'WebhookDeliveryFailed',
        ...(wait !== undefined ? { nextRetryDelay: Math.min(Math.max(wait, 1000), webhookRetry.maximumIntervalMs) } : {}),
      });
    },

    /**
     * The budget is spent (or the attempt was refused): DEAD (visible in GET /v1/webhooks/:id/deliveries,
     * redeliverable), one more in the endpoint's DEAD streak. The streak reaching WEBHOOK_DISABLE_AFTER_DEAD disables
     * the endpoint, with its reason, and appends the webhook.endpoint-disabled notice — in the same transaction; the
     * notice's relay starts once it commits. A retry of this activity finds the delivery DEAD already: no-op.
     */
    async markDeliveryDead({ deliveryId }: { deliveryId: string }): Promise<void> {
      const notice = await prisma.$transaction(async (tx) => {
        const { count } = await tx.webhookDelivery.updateMany({ where: { id: deliveryId, status: 'PENDING' }, data: { status: 'DEAD' } });
        if (count === 0) return undefined;
        const delivery = await tx.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId }, select: { endpointId: true, lastError: true } });
        // The row lock taken here orders concurrent DEADs of one endpoint: only one of them disables it.
        const endpoint = await tx.webhookEndpoint.update({ where: { id: delivery.endpointId }, data: { consecutiveDead: { increment: 1 } } });
        if (!endpoint.active || endpoint.consecutiveDead < webhookDisableAfterDead) return undefined;
        const at = new Date();
        const reason = `${endpoint.consecutiveDead} deliveries in a row ended DEAD; the last: ${delivery.lastError ?? 'no answer'}`.slice(0, MAX_ERROR_LENGTH);
        await tx.webhookEndpoint.update({ where: { id: endpoint.id }, data: { active: false, deactivatedAt: at, deactivatedReason: reason } });
        const dedupeKey = `${ENDPOINT_DISABLED_TOPIC}-${endpoint.id}-${at.getTime()}`;
        const payload = { partnerId: endpoint.partnerId, endpointId: endpoint.id, url: endpoint.url, reason, disabledAt: at.toISOString() };
        await tx.outbox.create({ data: { topic: ENDPOINT_DISABLED_TOPIC, aggregateId: endpoint.id, dedupeKey, payload, dueAt: at } });
        log.warn('webhook endpoint disabled', { endpointId: endpoint.id, partnerId: endpoint.partnerId, reason });
        return dedupeKey;
      });
      if (notice) await announceOutbox(deps, [notice]);
    },

    /** A redelivery's run starts: PENDING again, attempts from 1, one more run. A retry finds it PENDING: no-op. */
    async beginRedelivery({ deliveryId }: { deliveryId: string }): Promise<{ retry: DeliveryRetry }> {
      await prisma.webhookDelivery.updateMany({
        where: { id: deliveryId, status: { not: 'PENDING' } },
        data: { status: 'PENDING', attempts: 0, runs: { increment: 1 }, lastError: null, lastResponseStatus: null, deliveredAt: null },
      });
      return { retry: webhookRetry };
    },
  };
}
