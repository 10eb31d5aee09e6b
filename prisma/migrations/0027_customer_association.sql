-- Customers associated with a partner (issue 18 sections 2–4): the one table the customer reporting (an accepted
-- invitation link makes an association), the unlink (ends it) and the funds (allocate only to an associated customer
-- in RESELLER mode) share. A customer (a cloud account, `customer_id` as the identity provider names it) is associated
-- with at most one partner at a time; its enterprise is named by its unified social credit code.
CREATE TABLE customer_association (
  id               uuid PRIMARY KEY,
  partner_id       text NOT NULL,
  customer_id      text NOT NULL,
  credit_code      text NOT NULL CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
  mode             text NOT NULL CHECK (mode IN ('RESELLER', 'CONSULTATIVE')),
  associated_at    timestamptz(3) NOT NULL,
  -- Who associated it: the customer's principal that accepted the invitation (or the feeder that reported it).
  associated_by    text NOT NULL,
  -- The customer report whose invitation made it, when it was one.
  report_id        uuid,
  -- Set once, by the unlink that ends the association; never cleared (a new association is a new row).
  unlinked_at      timestamptz(3),
  unlink_id        uuid,
  -- One open association per customer: its id while not unlinked, NULL after, unique.
  open_customer_id text GENERATED ALWAYS AS (CASE WHEN unlinked_at IS NULL THEN customer_id END) STORED
);
CREATE UNIQUE INDEX customer_association_open_customer_id_key ON customer_association (open_customer_id);
CREATE INDEX customer_association_partner_id_associated_at_idx ON customer_association (partner_id, associated_at DESC);
CREATE INDEX customer_association_credit_code_idx ON customer_association (credit_code);

-- An association is a record: never deleted, and once written only its ending may be set — once, both columns together.
CREATE FUNCTION customer_association_ends_once() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'customer_association is never deleted' USING ERRCODE = '23514';
  END IF;
  IF OLD.unlinked_at IS NOT NULL
     OR NEW.unlinked_at IS NULL OR NEW.unlink_id IS NULL
     OR (NEW.id, NEW.partner_id, NEW.customer_id, NEW.credit_code, NEW.mode, NEW.associated_at, NEW.associated_by, NEW.report_id)
        IS DISTINCT FROM (OLD.id, OLD.partner_id, OLD.customer_id, OLD.credit_code, OLD.mode, OLD.associated_at, OLD.associated_by, OLD.report_id) THEN
    RAISE EXCEPTION 'customer_association % may only be ended, once (unlinked_at and unlink_id set together)', OLD.id USING ERRCODE = '23514';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER customer_association_ends_once BEFORE UPDATE OR DELETE ON customer_association
  FOR EACH ROW EXECUTE FUNCTION customer_association_ends_once();
