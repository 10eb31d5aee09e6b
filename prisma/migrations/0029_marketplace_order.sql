-- Marketplace orders and their price adjustments (issue 18 section 5, 交易调价; api/orders/client.ts writes and reads
-- these tables, the rules in words are domain/order.ts). The marketplace feeds its orders (vendor_system,
-- POST /v1/marketplace-orders); the order's salesperson partner may adjust its unit price between the floor and the list
-- price while it waits for payment. The order row is the order's latest state; marketplace_order_event is its history,
-- append-only: what was fed, every state change, every adjustment (who, when, from → to, reason).
--
-- An order is what the marketplace sold once. What the marketplace fed never changes (a renewal is another order, fed
-- with its own id at its own list price: an adjustment never carries over to it). Only the state (forward only), the
-- unit price (while PENDING_PAYMENT, between floor and list) and the version move, each by one numbered event; a
-- trigger refuses anything else, so the rules hold whatever code writes.
CREATE TABLE marketplace_order (
  -- The marketplace's own order id.
  id               text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'),
  -- The salesperson partner: the only partner that sees the order and may adjust its price.
  partner_id       text NOT NULL,
  customer_id      text NOT NULL,
  product_id       text NOT NULL,
  quantity         integer NOT NULL CHECK (quantity > 0),
  currency         text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  -- Prices per unit in minor units of `currency` (fen, cents): never floats.
  list_unit_price  bigint NOT NULL,
  floor_unit_price bigint NOT NULL CHECK (floor_unit_price >= 0 AND floor_unit_price <= list_unit_price),
  unit_price       bigint NOT NULL CHECK (unit_price BETWEEN floor_unit_price AND list_unit_price),
  state            text NOT NULL CHECK (state IN ('PENDING_PAYMENT', 'PAID', 'CANCELLED', 'REFUNDED')),
  -- The order this one renews, as the marketplace says: information only (it may never have been fed).
  renewal_of       text,
  -- When the marketplace placed it (the feeder's instant).
  placed_at        timestamptz(3) NOT NULL,
  -- The number of events in its history: the strong ETag of GET /v1/marketplace-orders/:id, and what If-Match names.
  version          integer NOT NULL CHECK (version >= 1),
  fed_by           text NOT NULL,
  created_at       timestamptz(3) NOT NULL,
  updated_at       timestamptz(3) NOT NULL
);
CREATE INDEX marketplace_order_partner_id_placed_at_id_idx ON marketplace_order (partner_id, placed_at DESC, id DESC);
CREATE INDEX marketplace_order_placed_at_id_idx ON marketplace_order (placed_at DESC, id DESC);
CREATE INDEX marketplace_order_customer_id_idx ON marketplace_order (customer_id);

-- The order's moves, at the database: never deleted; what was fed never changes; the version moves by exactly one;
-- the state only forward (PENDING_PAYMENT → PAID | CANCELLED, PAID → REFUNDED, and PENDING_PAYMENT → REFUNDED when the
-- payment was never fed); the unit price only while the order
-- is and stays PENDING_PAYMENT (payment freezes it). The bounds are the table's CHECK.
CREATE FUNCTION marketplace_order_moves() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'marketplace_order is never deleted' USING ERRCODE = '23514';
  END IF;
  IF (NEW.id, NEW.partner_id, NEW.customer_id, NEW.product_id, NEW.quantity, NEW.currency, NEW.list_unit_price,
      NEW.floor_unit_price, NEW.renewal_of, NEW.placed_at, NEW.fed_by, NEW.created_at)
     IS DISTINCT FROM
     (OLD.id, OLD.partner_id, OLD.customer_id, OLD.product_id, OLD.quantity, OLD.currency, OLD.list_unit_price,
      OLD.floor_unit_price, OLD.renewal_of, OLD.placed_at, OLD.fed_by, OLD.created_at) THEN
    RAISE EXCEPTION 'marketplace_order %: what the marketplace fed never changes', OLD.id USING ERRCODE = '23514';
  END IF;
  IF NEW.version <> OLD.version + 1 THEN
    RAISE EXCEPTION 'marketplace_order %: the version moves by one (% → %)', OLD.id, OLD.version, NEW.version USING ERRCODE = '23514';
  END IF;
  IF NEW.state IS DISTINCT FROM OLD.state AND NOT (
       (OLD.state = 'PENDING_PAYMENT' AND NEW.state IN ('PAID', 'CANCELLED', 'REFUNDED')) OR (OLD.state = 'PAID' AND NEW.state = 'REFUNDED')) THEN
    RAISE EXCEPTION 'marketplace_order %: state % cannot become %', OLD.id, OLD.state, NEW.state USING ERRCODE = '23514';
  END IF;
  IF NEW.unit_price IS DISTINCT FROM OLD.unit_price AND NOT (OLD.state = 'PENDING_PAYMENT' AND NEW.state = 'PENDING_PAYMENT') THEN
    RAISE EXCEPTION 'marketplace_order %: the unit price is frozen in state %', OLD.id, OLD.state USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER marketplace_order_moves BEFORE UPDATE OR DELETE ON marketplace_order
  FOR EACH ROW EXECUTE FUNCTION marketplace_order_moves();

-- The order's history, numbered: seq is the order's version after the event (1: FED). FED and STATE_CHANGED are the
-- marketplace's (feed_id: the feed request's Idempotency-Key reservation); PRICE_ADJUSTED the salesperson's
-- (adjustment_id: the adjustment's id, the reservation's when the request carried an Idempotency-Key).
CREATE TABLE marketplace_order_event (
  id              bigserial PRIMARY KEY,
  order_id        text NOT NULL REFERENCES marketplace_order (id),
  seq             integer NOT NULL CHECK (seq >= 1),
  type            text NOT NULL CHECK (type IN ('FED', 'STATE_CHANGED', 'PRICE_ADJUSTED')),
  from_state      text,
  to_state        text NOT NULL,
  from_unit_price bigint,
  to_unit_price   bigint NOT NULL,
  reason          text,
  actor           text NOT NULL,
  -- The partner the actor acted for (PRICE_ADJUSTED), NULL for the marketplace's events.
  actor_partner_id text,
  at              timestamptz(3) NOT NULL,
  feed_id         text,
  adjustment_id   uuid,
  CHECK ((type = 'PRICE_ADJUSTED') = (adjustment_id IS NOT NULL AND reason IS NOT NULL AND from_unit_price IS NOT NULL)),
  CHECK ((type = 'PRICE_ADJUSTED') <> (feed_id IS NOT NULL))
);
CREATE UNIQUE INDEX marketplace_order_event_order_id_seq_key ON marketplace_order_event (order_id, seq);
CREATE UNIQUE INDEX marketplace_order_event_adjustment_id_key ON marketplace_order_event (adjustment_id);
CREATE INDEX marketplace_order_event_feed_id_idx ON marketplace_order_event (feed_id);
CREATE TRIGGER marketplace_order_event_no_update BEFORE UPDATE OR DELETE ON marketplace_order_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001
