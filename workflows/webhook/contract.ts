// The webhook relay's contract: its workflow types and ids and the retry budget passed to it — imported by the relay workflows
// (workflows/webhook/workflow.ts), the activities that start them and the API's webhook client.

/** The retry budget of one delivery, from platform/config.ts (passed as data: workflow code reads no config). */
export type DeliveryRetry = { maximumAttempts: number; maximumIntervalMs: number; timeoutMs: number };

/** The workflow types the worker registers (the functions' names in workflows/index.ts). */
export const OUTBOX_WORKFLOW = 'outboxWorkflow';
export const WEBHOOK_DELIVERY_WORKFLOW = 'webhookDeliveryWorkflow';
export const outboxWorkflowId = (outboxId: string) => `outbox-${outboxId}`;
export const webhookDeliveryWorkflowId = (deliveryId: string) => `webhook-delivery-${deliveryId}`;
