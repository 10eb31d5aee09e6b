-- Funds on the ledger (issue 18 section 4): a partner allocates from its balance (recharge + credit) to an associated
-- customer in RESELLER mode, the customer spends the allocation (fed by billing), and what is unspent is reclaimed back.
-- See docs/funds.md; the rules in words are domain/funds.ts, the movements platform/funds.ts.

-- Accounts gain a customer dimension: a CUSTOMER_ALLOCATION account is one customer's unspent allocation from one
-- partner, in one currency (credit-normal: unspent = − sum). Every other kind stays one per partner and currency with
-- no customer. One unique rule covers both: NULLS NOT DISTINCT makes the customer-less accounts unique as before.
ALTER TABLE ledger_account ADD COLUMN customer_id text;
ALTER TABLE ledger_account DROP CONSTRAINT ledger_account_kind_check;
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_kind_check CHECK (kind IN (
  'PARTNER_RECHARGE', 'PARTNER_CREDIT_LINE', 'PARTNER_ARREARS', 'VENDOR_CASH', 'VENDOR_CREDIT_GRANTED', 'VENDOR_REVENUE',
  'CUSTOMER_ALLOCATION'));
ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_customer_id_check
  CHECK ((kind = 'CUSTOMER_ALLOCATION') = (customer_id IS NOT NULL));
DROP INDEX ledger_account_partner_id_kind_currency_key;
CREATE UNIQUE INDEX ledger_account_partner_id_kind_currency_customer_id_key
  ON ledger_account (partner_id, kind, currency, customer_id) NULLS NOT DISTINCT;

-- Transfers gain the partnerflow-made kinds and the customer they concern (allocations, reclaims, spends; NULL for
-- the fed entries of issue 17). A reclaim returns credit first as far as this customer's allocations drew on credit:
-- that is the sum of this customer's transfers' credit-line postings, found by this column.
ALTER TABLE ledger_transfer ADD COLUMN customer_id text;
ALTER TABLE ledger_transfer DROP CONSTRAINT ledger_transfer_kind_check;
ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_kind_check CHECK (kind IN (
  'RECHARGE', 'CREDIT_LIMIT_CHANGE', 'CHARGE', 'ARREARS_REPAYMENT', 'CREDIT_REPAYMENT',
  'ALLOCATION', 'RECLAIM', 'CUSTOMER_SPEND'));
ALTER TABLE ledger_transfer ADD CONSTRAINT ledger_transfer_customer_id_check
  CHECK ((kind IN ('ALLOCATION', 'RECLAIM', 'CUSTOMER_SPEND')) = (customer_id IS NOT NULL));
CREATE INDEX ledger_transfer_partner_id_customer_id_idx ON ledger_transfer (partner_id, customer_id);

-- Balances never go negative, kept by the database: one row per account holding the sum of its postings, moved by a
-- trigger on every posting insert (the UPDATE takes the row's lock, so two transactions drawing on one account queue
-- and the second sees the first's sum), and refused at once — the transaction can then commit nothing — when:
--   a recharge balance or a customer's unspent allocation would be below zero (their sums above zero);
--   arrears would be below zero (its sum below zero);
--   a draw on the credit line (a positive posting) would leave available credit below zero — except a credit limit
--   lowered by the vendor, which may leave credit negative (issue 17: the balance then shows it).
-- A sum was never stored before: the rows of existing accounts are filled from their postings here.
CREATE TABLE ledger_balance (
  account_id bigint PRIMARY KEY REFERENCES ledger_account (id),
  kind       text NOT NULL,
  total      bigint NOT NULL,
  CONSTRAINT ledger_balance_never_negative CHECK (
    CASE kind
      WHEN 'PARTNER_RECHARGE' THEN total <= 0
      WHEN 'CUSTOMER_ALLOCATION' THEN total <= 0
      WHEN 'PARTNER_ARREARS' THEN total >= 0
      ELSE true
    END)
);
INSERT INTO ledger_balance (account_id, kind, total)
  SELECT a.id, a.kind, coalesce(sum(p.amount), 0) FROM ledger_account a LEFT JOIN ledger_posting p ON p.account_id = a.id GROUP BY a.id, a.kind;

CREATE FUNCTION ledger_balance_open() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO ledger_balance (account_id, kind, total) VALUES (NEW.id, NEW.kind, 0);
  RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_balance_open AFTER INSERT ON ledger_account FOR EACH ROW EXECUTE FUNCTION ledger_balance_open();

CREATE FUNCTION ledger_balance_post() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  account_kind text;
  new_total bigint;
BEGIN
  UPDATE ledger_balance SET total = total + NEW.amount WHERE account_id = NEW.account_id RETURNING kind, total INTO account_kind, new_total;
  IF account_kind = 'PARTNER_CREDIT_LINE' AND NEW.amount > 0 AND new_total > 0
     AND (SELECT kind FROM ledger_transfer WHERE id = NEW.transfer_id) <> 'CREDIT_LIMIT_CHANGE' THEN
    RAISE EXCEPTION 'ledger account % (PARTNER_CREDIT_LINE) would be overdrawn: available credit %', NEW.account_id, -new_total
      USING ERRCODE = '23514', CONSTRAINT = 'ledger_balance_never_negative';
  END IF;
  RETURN NULL;
END;
$$;
CREATE TRIGGER ledger_balance_post AFTER INSERT ON ledger_posting FOR EACH ROW EXECUTE FUNCTION ledger_balance_post();

-- The sums are moved by the posting trigger only (it runs one trigger level down): written directly, refused.
CREATE FUNCTION ledger_balance_by_postings_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF pg_trigger_depth() < 2 THEN
    RAISE EXCEPTION 'ledger_balance is moved by postings only' USING ERRCODE = '23514';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RETURN OLD;
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER ledger_balance_by_postings_only BEFORE INSERT OR UPDATE OR DELETE ON ledger_balance
  FOR EACH ROW EXECUTE FUNCTION ledger_balance_by_postings_only();
