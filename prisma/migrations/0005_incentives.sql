-- Monthly expert incentive, verification step (workflows/incentive.ts writes these through activities/incentive.ts):
-- one incentive per partner and month with its lines, its append-only history, the settlement written exactly once
-- when the partner verifies, and a generic outbox shared by every process that needs to tell the outside world.
CREATE TABLE incentive (
  id                    text PRIMARY KEY,                 -- '<partnerId>-<YYYY-MM>'
  partner_id            text NOT NULL,
  period                text NOT NULL CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  status                text NOT NULL CHECK (status IN ('PENDING_VERIFICATION', 'OBJECTED', 'VERIFIED', 'EXPIRED')),
  generated_at          timestamptz(3) NOT NULL,
  verification_deadline timestamptz(3) NOT NULL,
  reminder_at           timestamptz(3) NOT NULL,
  deadline_explanation  jsonb NOT NULL,
  calendar              text NOT NULL,
  zone                  text NOT NULL,
  headcount             integer NOT NULL CHECK (headcount >= 0),
  total_minor           bigint NOT NULL CHECK (total_minor >= 0),
  currency              text NOT NULL,
  last_seq              integer NOT NULL,
  created_at            timestamptz(3) NOT NULL DEFAULT now(),
  updated_at            timestamptz(3) NOT NULL
);
CREATE UNIQUE INDEX incentive_partner_id_period_key ON incentive (partner_id, period);
CREATE INDEX incentive_status_verification_deadline_idx ON incentive (status, verification_deadline);

-- One qualifying expert of the incentive. Names and certification are copied at generation time: the list the
-- partner verifies must not change when the expert record changes later. A line removed by an objection's
-- resolution is deleted (its old amount stays in incentive_event).
CREATE TABLE incentive_line (
  id            bigserial PRIMARY KEY,
  incentive_id  text NOT NULL REFERENCES incentive (id),
  expert_id     text NOT NULL,
  employee_id   text NOT NULL,
  name          text NOT NULL,
  certification text NOT NULL,
  amount_minor  bigint NOT NULL CHECK (amount_minor >= 0),
  currency      text NOT NULL
);
CREATE UNIQUE INDEX incentive_line_incentive_id_expert_id_key ON incentive_line (incentive_id, expert_id);

-- History, numbered by the workflow (seq): a retried activity writes nothing twice.
CREATE TABLE incentive_event (
  id           bigserial PRIMARY KEY,
  incentive_id text NOT NULL REFERENCES incentive (id),
  seq          integer NOT NULL,
  type         text NOT NULL,
  from_status  text,
  to_status    text NOT NULL,
  actor        text NOT NULL,
  at           timestamptz(3) NOT NULL,
  reason_code  text,
  note         text,
  data         jsonb
);
CREATE UNIQUE INDEX incentive_event_incentive_id_seq_key ON incentive_event (incentive_id, seq);

CREATE TRIGGER incentive_event_no_update BEFORE UPDATE OR DELETE ON incentive_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- What is owed for a verified incentive: written once, in the transaction of the VERIFIED transition.
CREATE TABLE settlement (
  id           bigserial PRIMARY KEY,
  incentive_id text NOT NULL REFERENCES incentive (id),
  partner_id   text NOT NULL,
  period       text NOT NULL,
  amount_minor bigint NOT NULL CHECK (amount_minor >= 0),
  currency     text NOT NULL,
  settled_at   timestamptz(3) NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX settlement_incentive_id_key ON settlement (incentive_id);

-- Transactional outbox, generic: any process appends a message (topic, aggregate, payload) due at some instant;
-- a relay (not built yet) delivers it and sets delivered_at. dedupe_key makes every append idempotent.
CREATE TABLE outbox (
  id           bigserial PRIMARY KEY,
  topic        text NOT NULL,                              -- e.g. 'incentive.reminder'
  aggregate_id text NOT NULL,
  dedupe_key   text NOT NULL,
  payload      jsonb NOT NULL,
  due_at       timestamptz(3) NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  delivered_at timestamptz(3)
);
CREATE UNIQUE INDEX outbox_dedupe_key_key ON outbox (dedupe_key);
CREATE INDEX outbox_delivered_at_due_at_idx ON outbox (delivered_at, due_at);
