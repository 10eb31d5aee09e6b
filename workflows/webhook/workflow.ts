/**
 * Webhook relay (activities/webhook.ts does the I/O). One `outboxWorkflow` per outbox message, id `outbox-<id>`,
 * started by the activity that appended the message (or the worker's sweeper when that start was lost): it sleeps
 * until the message is due, fans it out into one delivery per subscribed endpoint allowed to see it, and POSTs each
 * with retries and exponential backoff; a delivery out of its budget, or refused without retry (a 4xx answer, a target
 * not allowed: the activity's non-retryable failure), is DEAD — and markDeliveryDead may disable an endpoint that keeps
 * failing (activities/webhook.ts; no workflow code path changed for it). `webhookDeliveryWorkflow`, id
 * `webhook-delivery-<deliveryId>`, runs one delivery again (redeliver). No polling in workflow time: one timer per
 * message, so a 30-day clock advance on the time-skipping server costs one wake-up, not thousands.
 */
import { ActivityFailure, proxyActivities, sleep } from '@temporalio/workflow';
import type { createWebhookActivities } from '../../activities/webhook.js';
import { persistenceActivityOptions } from '../kit/shared.js';

export * from './contract.js';
import type { DeliveryRetry } from './contract.js';

type Activities = ReturnType<typeof createWebhookActivities>;
const store = proxyActivities<Activities>(persistenceActivityOptions);

/** POSTs one delivery until it succeeds or the budget is spent (then DEAD). */
async function deliver(deliveryId: string, retry: DeliveryRetry): Promise<void> {
  const { postWebhook } = proxyActivities<Activities>({
    // The POST's own timeout (AbortSignal) comes first; this only catches a lost worker.
    startToCloseTimeout: retry.timeoutMs + 5_000,
    retry: {
      initialInterval: '1 second',
      backoffCoefficient: 2,
      maximumInterval: retry.maximumIntervalMs,
      maximumAttempts: retry.maximumAttempts,
      nonRetryableErrorTypes: ['EndpointDeactivated'],
    },
  });
  try {
    await postWebhook({ deliveryId });
  } catch (error) {
    if (!(error instanceof ActivityFailure)) throw error;
    await store.markDeliveryDead({ deliveryId });
  }
}

export async function outboxWorkflow({ outboxId }: { outboxId: string }): Promise<{ deliveries: number }> {
  const message = await store.loadOutboxMessage({ outboxId });
  if (!message) return { deliveries: 0 };
  const wait = Date.parse(message.dueAt) - Date.now();
  if (wait > 0) await sleep(wait);
  const { deliveryIds, retry } = await store.fanOutOutboxMessage({ outboxId });
  await Promise.all(deliveryIds.map((id) => deliver(id, retry)));
  return { deliveries: deliveryIds.length };
}

export async function webhookDeliveryWorkflow({ deliveryId }: { deliveryId: string }): Promise<void> {
  const { retry } = await store.beginRedelivery({ deliveryId });
  await deliver(deliveryId, retry);
}
