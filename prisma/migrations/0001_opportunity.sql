-- Opportunity acceptance process: current state, append-only history, POST idempotency keys.
CREATE TABLE opportunity (
  id                   text PRIMARY KEY,
  partner_id           text NOT NULL,
  customer_name        text NOT NULL,
  title                text NOT NULL,
  estimated_currency   text,
  estimated_minor      bigint,
  status               text NOT NULL CHECK (status IN ('PENDING_ACCEPTANCE', 'ACCEPTED', 'REJECTED', 'EXPIRED', 'WON', 'LOST')),
  shared_at            timestamptz(3) NOT NULL,
  shared_by            text NOT NULL,
  accept_deadline      timestamptz(3) NOT NULL,
  deadline_explanation jsonb NOT NULL,
  calendar             text NOT NULL,
  zone                 text NOT NULL,
  decided_at           timestamptz(3),
  closed_at            timestamptz(3),
  last_seq             integer NOT NULL,
  updated_at           timestamptz(3) NOT NULL,
  CHECK ((estimated_currency IS NULL) = (estimated_minor IS NULL))
);
CREATE INDEX opportunity_partner_id_shared_at_idx ON opportunity (partner_id, shared_at DESC);
CREATE INDEX opportunity_status_shared_at_idx ON opportunity (status, shared_at DESC);

CREATE TABLE opportunity_event (
  id             bigserial PRIMARY KEY,
  opportunity_id text NOT NULL REFERENCES opportunity (id),
  seq            integer NOT NULL,
  type           text NOT NULL,
  from_status    text,
  to_status      text NOT NULL,
  actor          text NOT NULL,
  at             timestamptz(3) NOT NULL,
  reason_code    text,
  note           text,
  data           jsonb
);
CREATE UNIQUE INDEX opportunity_event_opportunity_id_seq_key ON opportunity_event (opportunity_id, seq);

-- History is append-only: refuse edits and deletes at the database itself. One function for every history
-- table (later migrations attach it to theirs).
CREATE FUNCTION append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER opportunity_event_no_update BEFORE UPDATE OR DELETE ON opportunity_event
  FOR EACH ROW EXECUTE FUNCTION append_only();

CREATE TABLE idempotency_key (
  scope        text NOT NULL,
  key          text NOT NULL,
  request_hash text NOT NULL,
  resource_id  text NOT NULL,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  PRIMARY KEY (scope, key)
);
