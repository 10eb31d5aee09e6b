-- Webhook secret rotation (POST /v1/webhooks/:id/rotate-secret, api/clients/webhooks.ts): the secret it replaced keeps
-- signing beside the new one until previous_secret_expires_at (rotation time + WEBHOOK_SECRET_GRACE_HOURS), so
-- receivers can switch without losing a delivery; after it only `secret` signs (activities/webhook.ts).
-- secret_rotation_id is the latest rotation's id (its Idempotency-Key reservation, or a fresh UUID): a retry of that
-- rotation answers it again instead of rotating twice. NULL: never rotated.
ALTER TABLE webhook_endpoint
  ADD COLUMN previous_secret            text,
  ADD COLUMN previous_secret_expires_at timestamptz(3),
  ADD COLUMN secret_rotation_id         text,
  ADD CONSTRAINT webhook_endpoint_previous_secret_check CHECK ((previous_secret IS NULL) = (previous_secret_expires_at IS NULL));
