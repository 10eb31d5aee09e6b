/**
 * The webhook tests' environment: a local receiver (support/webhook-receiver.ts), the real API + worker on the
 * time-skipping server with private targets allowed and the receiver's port allowed (support/env.ts), a small
 * retry budget, an emitter of outbox messages through the real writer activity, and the steps the tests share.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll } from 'vitest';
import { createActivities } from '../../activities/index.js';
import type { DeliveryRetry } from '../../workflows/webhook/workflow.js';
import { tokenFor } from './app.js';
import { expectOk, useTestEnv } from './env.js';
import { eventually } from './wait.js';
import { type Received, type Receiver, startReceiver, windowReminderEmitter } from './webhook-receiver.js';

export const TOPIC = 'path-review.window-reminder';
/** A small budget, so DEAD comes after 1 s + 2 s of backoff. */
export const RETRY: DeliveryRetry = { maximumAttempts: 3, maximumIntervalMs: 2_000, timeoutMs: 5_000 };

/** Signature headers of a delivery as the receiver got them. */
export const headersOf = (r: Received) => ({ id: String(r.headers['webhook-id']), timestamp: String(r.headers['webhook-timestamp']), signature: String(r.headers['webhook-signature']) });

/** Starts the receiver, then the environment, for this file (hooks registered here, stopped in reverse). */
export function useWebhookEnv(taskQueue: string) {
  let receiver!: Receiver;
  beforeAll(async () => {
    receiver = await startReceiver();
  });
  afterAll(async () => {
    await receiver?.close();
  });
  // The receiver's port is allowed beside 80 and 443 (WEBHOOK_ALLOWED_PORTS), in every app: the address rule is what
  // the strict app tests.
  const webhookAllowedPorts = () => [80, 443, receiver.port];
  const env = useTestEnv({ taskQueue, api: () => ({ webhookRetry: RETRY, webhookAllowPrivateTargets: true, webhookAllowedPorts: webhookAllowedPorts() }) });
  let activities!: ReturnType<typeof createActivities>;
  let emitter!: ReturnType<typeof windowReminderEmitter>;
  beforeAll(() => {
    activities = createActivities({ prisma: env.prisma, temporal: env.client, webhookRetry: RETRY, calendarFor: env.calendarFor });
    emitter = windowReminderEmitter({ activities, env, prisma: env.prisma, taskQueue });
  });

  const { api } = env;
  /** A new partner with its admin and a sales token. */
  async function partner() {
    const partnerId = `P-wh-${randomUUID().slice(0, 8)}`;
    return { partnerId, admin: await tokenFor(['partner_admin'], partnerId, `${partnerId}-admin`), sales: await tokenFor(['partner_sales'], partnerId) };
  }
  async function register(token: string, url: string, events: string[] = [TOPIC]) {
    const res = await api('POST', '/v1/webhooks', token, { url, events });
    expectOk(res, 201);
    return res.body as { id: string; secret: string; partnerId: string | null };
  }
  const deliveries = async (token: string, endpointId: string) => {
    const res = await api('GET', `/v1/webhooks/${endpointId}/deliveries`, token);
    expectOk(res);
    return res.body.items as { id: string; status: string; attempts: number; runs: number; eventId: string; lastResponseStatus: number | null; lastError: string | null }[];
  };
  const settled = (token: string, endpointId: string, status: string) =>
    eventually(async () => {
      const [d] = await deliveries(token, endpointId);
      return d?.status === status ? d : undefined;
    });
  /** What a process appends: a window reminder of this partner (support/webhook-receiver.ts), to `queue`'s worker. */
  const emit = (partnerId: string, due?: Date, queue?: string) => emitter(partnerId, due, queue);
  /** The one delivery of a fresh message to this endpoint, as the receiver got it. */
  async function deliverOne(partnerId: string, admin: string, endpointId: string, path: string): Promise<Received> {
    const before = receiver.received.get(path)?.length ?? 0;
    await emit(partnerId);
    await eventually(async () => ((await deliveries(admin, endpointId)).some((d) => d.status === 'DELIVERED' && d.attempts === 1) && (receiver.received.get(path)?.length ?? 0) > before ? true : undefined));
    return receiver.received.get(path)!.at(-1)!;
  }

  return {
    env,
    /** The receiver (started in beforeAll): `base`, `received` per path, `hook()` a path with a behaviour. */
    receiver: () => receiver,
    hook: ((behaviour) => receiver.hook(behaviour)) as Receiver['hook'],
    webhookAllowedPorts,
    activities: () => activities,
    partner,
    vendorAdmin: () => tokenFor(['vendor_admin'], undefined, 'webhooks-test-vendor'),
    vendorStaff: () => tokenFor(['vendor_staff'], undefined, 'webhooks-test-staff'),
    register,
    deliveries,
    settled,
    emit,
    deliverOne,
  };
}
