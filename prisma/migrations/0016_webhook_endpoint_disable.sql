-- Endpoints that keep failing are disabled (activities/webhook.ts markDeliveryDead): consecutive_dead counts the
-- endpoint's deliveries that ended DEAD in a row (a DELIVERED one, and re-enabling by PATCH /v1/webhooks/:id, reset it
-- to 0); at WEBHOOK_DISABLE_AFTER_DEAD the endpoint is deactivated with deactivated_reason saying why, and the
-- partner's endpoints subscribed to webhook.endpoint-disabled are told. deactivated_reason is NULL while active and
-- after a DELETE by a person (deactivated_at alone tells when).
ALTER TABLE webhook_endpoint
  ADD COLUMN consecutive_dead   integer NOT NULL DEFAULT 0 CHECK (consecutive_dead >= 0),
  ADD COLUMN deactivated_reason text,
  ADD CONSTRAINT webhook_endpoint_deactivated_reason_check CHECK (deactivated_reason IS NULL OR NOT active);
