-- Unlinking a customer (issue 18 section 3, 解除关联; docs/unlink.md): either side asks, the other has an objection
-- window, silence approves and the unlink executes (workflows/unlink/workflow.ts through activities/unlink.ts). And
-- refunds of a customer's consumption fed by billing: consumption made during an association is refunded to THAT
-- partner's recharge as a ledger transfer REFUND (even after the unlink); consumption outside any association is
-- refunded to the customer and only recorded here.

-- One unlink request: the latest state; its history is customer_unlink_event.
CREATE TABLE customer_unlink (
  id                   uuid PRIMARY KEY,
  partner_id           text NOT NULL,
  customer_id          text NOT NULL,
  association_id       uuid NOT NULL REFERENCES customer_association (id),
  -- Who asked: the partner (its admin) or the customer (its own token); the other side may object.
  requested_side       text NOT NULL CHECK (requested_side IN ('PARTNER', 'CUSTOMER')),
  requested_by         text NOT NULL,
  requested_at         timestamptz(3) NOT NULL,
  status               text NOT NULL CHECK (status IN ('OBJECTION_WINDOW', 'UNLINKED', 'OBJECTED', 'REFUSED_AT_EXECUTION')),
  objection_days       integer NOT NULL CHECK (objection_days > 0),
  objection_deadline   timestamptz(3) NOT NULL,
  reminder_at          timestamptz(3) NOT NULL,
  -- The preview the request confirmed (what would happen), and its hash.
  preview_hash         text NOT NULL CHECK (preview_hash ~ '^[0-9a-f]{64}$'),
  preview              jsonb NOT NULL,
  objected_at          timestamptz(3),
  objected_by          text,
  objection_reason     text,
  executed_at          timestamptz(3),
  -- At execution: the reasons that refused it (REFUSED_AT_EXECUTION), or the reclaims it recorded (UNLINKED).
  refused_unmet        jsonb,
  reclaimed            jsonb,
  last_seq             integer NOT NULL,
  updated_at           timestamptz(3) NOT NULL,
  -- One open unlink per customer: its id while in the objection window, NULL after, unique.
  open_customer_id     text GENERATED ALWAYS AS (CASE WHEN status = 'OBJECTION_WINDOW' THEN customer_id END) STORED
);
CREATE UNIQUE INDEX customer_unlink_open_customer_id_key ON customer_unlink (open_customer_id);
-- The limit counts a customer's requests (any outcome) by requested_at.
CREATE INDEX customer_unlink_customer_id_requested_at_idx ON customer_unlink (customer_id, requested_at DESC);
CREATE INDEX customer_unlink_partner_id_requested_at_idx ON customer_unlink (partner_id, requested_at DESC);

CREATE TABLE customer_unlink_event (
  id          bigserial PRIMARY KEY,
  unlink_id   uuid NOT NULL REFERENCES customer_unlink (id),
  seq         integer NOT NULL,
  type        text NOT NULL,
  from_status text,
  to_status   text NOT NULL,
  actor       text NOT NULL,
  at          timestamptz(3) NOT NULL,
  note        text,
  data        jsonb,
  UNIQUE (unlink_id, seq)
);
CREATE TRIGGER customer_unlink_event_append_only BEFORE UPDATE OR DELETE ON customer_unlink_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- Refunds: a new transfer kind on the ledger. REFUND posts VENDOR_REVENUE +amount (the vendor gives back revenue it
-- booked) and PARTNER_RECHARGE −amount (the partner's recharge grows), and names the customer whose consumption it was.
ALTER TABLE ledger_transfer DROP CONSTRAINT ledger_transfer_kind_check;
ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_kind_check CHECK (kind IN (
  'RECHARGE', 'CREDIT_LIMIT_CHANGE', 'CHARGE', 'ARREARS_REPAYMENT', 'CREDIT_REPAYMENT',
  'ALLOCATION', 'RECLAIM', 'CUSTOMER_SPEND', 'REFUND'));
ALTER TABLE ledger_transfer DROP CONSTRAINT ledger_transfer_customer_id_check;
ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_customer_id_check
  CHECK ((kind IN ('ALLOCATION', 'RECLAIM', 'CUSTOMER_SPEND', 'REFUND')) = (customer_id IS NOT NULL));

-- Every refund billing fed, once per (source, key): routed to the partner of the association its consumption fell in
-- (with the ledger transfer that paid it), or to the customer (no partner movement: recorded only). Append-only.
CREATE TABLE customer_refund (
  id             uuid PRIMARY KEY,
  customer_id    text NOT NULL,
  source         text NOT NULL,
  refund_key     text NOT NULL,
  entry_hash     text NOT NULL,
  consumed_at    timestamptz(3) NOT NULL,
  currency       text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  minor          bigint NOT NULL CHECK (minor > 0),
  memo           text,
  routed_to      text NOT NULL CHECK (routed_to IN ('PARTNER', 'CUSTOMER')),
  partner_id     text,
  association_id uuid REFERENCES customer_association (id),
  transfer_id    text REFERENCES ledger_transfer (id),
  received_at    timestamptz(3) NOT NULL DEFAULT now(),
  actor          text NOT NULL,
  CHECK ((routed_to = 'PARTNER') = (partner_id IS NOT NULL AND association_id IS NOT NULL AND transfer_id IS NOT NULL)),
  CHECK ((routed_to = 'CUSTOMER') = (partner_id IS NULL AND association_id IS NULL AND transfer_id IS NULL))
);
CREATE UNIQUE INDEX customer_refund_source_refund_key_key ON customer_refund (source, refund_key);
CREATE INDEX customer_refund_customer_id_consumed_at_idx ON customer_refund (customer_id, consumed_at);
CREATE TRIGGER customer_refund_append_only BEFORE UPDATE OR DELETE ON customer_refund
  FOR EACH ROW EXECUTE FUNCTION append_only();
