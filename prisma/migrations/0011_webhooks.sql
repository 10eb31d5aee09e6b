-- Webhooks (api/clients/webhooks.ts, workflows/webhook.ts, activities/webhook.ts): endpoints a partner or the vendor
-- registers, and one delivery per endpoint and outbox message. The outbox (0005) gains dispatched_at: the instant
-- its delivery workflow (outbox-<id>) was started — NULL rows are started by the worker's sweeper. delivered_at
-- keeps its meaning "the relay is done with it": set once the message has been fanned out into webhook_delivery
-- rows (each delivery then has its own status).

ALTER TABLE outbox ADD COLUMN dispatched_at timestamptz(3);
CREATE INDEX outbox_dispatched_at_created_at_idx ON outbox (dispatched_at, created_at);

CREATE TABLE webhook_endpoint (
  id             text PRIMARY KEY,                  -- UUID minted by the API
  partner_id     text,                              -- NULL: a vendor endpoint, receives every partner's events
  url            text NOT NULL CHECK (url ~ '^https?://'),
  events         text[] NOT NULL CHECK (cardinality(events) > 0),  -- topics of domain/events.ts
  secret         text NOT NULL,                     -- whsec_<base64>; signs deliveries, shown once at creation
  active         boolean NOT NULL DEFAULT true,
  created_by     text NOT NULL,
  created_at     timestamptz(3) NOT NULL,
  deactivated_at timestamptz(3)
);
CREATE INDEX webhook_endpoint_partner_id_created_at_idx ON webhook_endpoint (partner_id, created_at DESC);
CREATE INDEX webhook_endpoint_events_idx ON webhook_endpoint USING gin (events);

CREATE TABLE webhook_delivery (
  id                   text PRIMARY KEY,            -- UUID
  endpoint_id          text NOT NULL REFERENCES webhook_endpoint (id),
  outbox_id            bigint NOT NULL REFERENCES outbox (id),
  status               text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'DEAD')),
  attempts             integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),  -- of the latest run (a redelivery starts at 1)
  runs                 integer NOT NULL DEFAULT 1 CHECK (runs >= 1),      -- 1 + redeliveries
  last_attempt_at      timestamptz(3),
  last_response_status integer,
  last_error           text,
  delivered_at         timestamptz(3),
  created_at           timestamptz(3) NOT NULL
);
CREATE UNIQUE INDEX webhook_delivery_endpoint_id_outbox_id_key ON webhook_delivery (endpoint_id, outbox_id);
CREATE INDEX webhook_delivery_endpoint_id_created_at_id_idx ON webhook_delivery (endpoint_id, created_at DESC, id DESC);
