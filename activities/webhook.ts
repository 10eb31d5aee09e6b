/**
 * Webhook relay I/O (workflows/webhook.ts): loading and fanning out outbox messages, POSTing one delivery, and
 * starting the per-message workflow (`announceOutbox` after an outbox append commits, `sweepOutbox` for starts that
 * were lost). Attempt times are real time, not workflow time: they are transport facts, and the signature's
 * timestamp must be close to the receiver's clock. POSTs go only to public addresses (domain/webhook-target.ts, checked
 * when the connection resolves the host): a refused target is DEAD at once, not retried. During a secret rotation's grace
 * period every POST is signed with both secrets.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdReusePolicy } from '@temporalio/common';
import { fetch } from 'undici';
import { eventIdOf, type OutboxPayload } from '../domain/events.js';
import { signatureHeaders } from '../domain/webhook-signature.js';
import { refusedLiteral, TargetRefused, webhookDispatcher } from '../domain/webhook-target.js';
import type { PrismaClient } from '../platform/db.js';
import { type DeliveryRetry, outboxWorkflowId, type outboxWorkflow } from '../workflows/webhook.js';

export const DEFAULT_DELIVERY_RETRY: DeliveryRetry = { maximumAttempts: 12, maximumIntervalMs: 3_600_000, timeoutMs: 10_000 };

export type WebhookActivityDeps = {
  prisma: PrismaClient;
  /** Starts outbox workflows after an append commits; without it the sweeper starts them. */
  temporal?: Client;
  webhookRetry?: DeliveryRetry;
  /** POST to loopback, private, link-local… addresses too (WEBHOOK_ALLOW_PRIVATE_TARGETS); default false. */
  webhookAllowPrivateTargets?: boolean;
};

/** What every POST carries (Standard Webhooks' recommended shape, plus the id). */
export type WebhookEnvelope = { id: string; type: string; timestamp: string; data: OutboxPayload };

const MAX_ERROR_LENGTH = 500;

/**
 * The secrets that sign a POST sent at `now`: the endpoint's, and after a rotation the one it replaced until its grace
 * period ends (real time, like the signature's timestamp: the receiver compares it with its own clock).
 */
export function signingSecrets(endpoint: { secret: string; previousSecret: string | null; previousSecretExpiresAt: Date | null }, now: Date): string[] {
  const { secret, previousSecret, previousSecretExpiresAt } = endpoint;
  return previousSecret && previousSecretExpiresAt && previousSecretExpiresAt > now ? [secret, previousSecret] : [secret];
}

/**
 * Starts `outbox-<id>` for these messages (REJECT_DUPLICATE: an id already started — running or done — is fine) and
 * stamps dispatched_at. Idempotent.
 */
export async function dispatchOutbox(prisma: PrismaClient, temporal: Client, taskQueue: string, ids: readonly bigint[]): Promise<void> {
  for (const id of ids) {
    try {
      await temporal.workflow.start<typeof outboxWorkflow>('outboxWorkflow', {
        workflowId: outboxWorkflowId(String(id)),
        taskQueue,
        args: [{ outboxId: String(id) }],
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      });
    } catch (error) {
      if (!(error instanceof WorkflowExecutionAlreadyStartedError)) throw error;
    }
    await prisma.outbox.update({ where: { id }, data: { dispatchedAt: new Date() } });
  }
}

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

export function createWebhookActivities({ prisma, webhookRetry = DEFAULT_DELIVERY_RETRY, webhookAllowPrivateTargets = false }: WebhookActivityDeps) {
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
     * One attempt: a signed POST; 2xx → DELIVERED, anything else (or no answer in time) → recorded, then retried. A
     * target on a non-public address (the URL's or the one its name resolves to) → recorded, not retried (DEAD).
     */
    async postWebhook({ deliveryId }: { deliveryId: string }): Promise<void> {
      const delivery = await prisma.webhookDelivery.findUniqueOrThrow({ where: { id: deliveryId }, include: { endpoint: true, outbox: true } });
      if (delivery.status !== 'PENDING') return; // a retry after the attempt that delivered it
      const attempt = Context.current().info.attempt;
      const record = (data: { lastResponseStatus?: number | null; lastError?: string | null; status?: 'DELIVERED'; deliveredAt?: Date }) =>
        prisma.webhookDelivery.updateMany({
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
      const refuseTarget = async (refused: TargetRefused) => {
        await record({ lastError: refused.message });
        return ApplicationFailure.nonRetryable(refused.message, 'WebhookTargetRefused');
      };
      const literal = webhookAllowPrivateTargets ? undefined : refusedLiteral(endpoint.url);
      if (literal) throw await refuseTarget(literal);
      let status: number;
      try {
        const res = await fetch(endpoint.url, {
          dispatcher,
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'user-agent': 'partnerflow-webhooks',
            ...signatureHeaders(signingSecrets(endpoint, new Date()), envelope.id, Math.floor(Date.now() / 1000), body),
          },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(webhookRetry.timeoutMs),
        });
        status = res.status;
        await res.body?.cancel();
      } catch (error) {
        if ((error as { cause?: unknown }).cause instanceof TargetRefused) throw await refuseTarget((error as { cause: TargetRefused }).cause);
        const cause = (error as { cause?: { code?: string } }).cause?.code;
        const message = `${(error as Error).name}: ${(error as Error).message}${cause ? ` (${cause})` : ''}`.slice(0, MAX_ERROR_LENGTH);
        await record({ lastError: message });
        throw ApplicationFailure.retryable(message, 'WebhookDeliveryFailed');
      }
      if (status >= 200 && status < 300) {
        await record({ lastResponseStatus: status, status: 'DELIVERED', deliveredAt: new Date() });
        return;
      }
      await record({ lastResponseStatus: status, lastError: `the endpoint answered ${status}` });
      throw ApplicationFailure.retryable(`the endpoint answered ${status}`, 'WebhookDeliveryFailed');
    },

    /** The budget is spent: DEAD (visible in GET /v1/webhooks/:id/deliveries, redeliverable). */
    async markDeliveryDead({ deliveryId }: { deliveryId: string }): Promise<void> {
      await prisma.webhookDelivery.updateMany({ where: { id: deliveryId, status: 'PENDING' }, data: { status: 'DEAD' } });
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
