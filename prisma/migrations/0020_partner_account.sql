-- The partner account (issue 17 section 1): facts the cloud's other systems own (billing, IAM, contracts), fed to
-- partnerflow and kept as append-only change rows, and the partner's funds as a double-entry ledger. See
-- docs/account.md; the rules in words are domain/account.ts and domain/ledger.ts.

-- Every fed fact, append-only. One row per observation: the current value of a fact is the row of its (kind, subject)
-- with the latest observed_at, ties broken by id (receipt order), so an older observation that arrives late is kept
-- but never overrides a newer one. `subject` tells apart the facts one kind holds several of: the program of a
-- program membership, the contract type of a designated contract, the issuer's id of a voucher, coupon or
-- stored-value card; '' for the account-wide kinds. `value` is the kind's JSON, validated per kind before it is
-- written (domain/account.ts). `feed_id` groups the rows of one feed request (its Idempotency-Key's reservation).
CREATE TABLE partner_account_fact (
  id          bigserial PRIMARY KEY,
  partner_id  text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('PROGRAM_MEMBERSHIP', 'DISTRIBUTOR_RELATIONSHIP', 'OPEN_RESOURCES', 'FROZEN',
                                            'INVOICEABLE_AMOUNT', 'POSTPAID', 'DESIGNATED_CONTRACT', 'ENTERPRISE_ROLE',
                                            'VOUCHER', 'COUPON', 'STORED_VALUE_CARD')),
  subject     text NOT NULL,
  value       jsonb NOT NULL CHECK (jsonb_typeof(value) = 'object'),
  source      text NOT NULL,
  observed_at timestamptz(3) NOT NULL,
  received_at timestamptz(3) NOT NULL DEFAULT now(),
  feed_id     text NOT NULL,
  actor       text NOT NULL
);
CREATE INDEX partner_account_fact_partner_id_kind_subject_observed_at_id_idx
  ON partner_account_fact (partner_id, kind, subject, observed_at DESC, id DESC);
CREATE INDEX partner_account_fact_feed_id_idx ON partner_account_fact (feed_id);
CREATE TRIGGER partner_account_fact_no_update BEFORE UPDATE OR DELETE ON partner_account_fact
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- The ledger's accounts: per partner and currency, the partner's side (recharge: prepaid funds the vendor holds;
-- credit line: credit still available; arrears: what the partner owes) and the vendor's counter accounts every
-- transfer balances against (cash received, credit granted, revenue). Created on first use, never changed.
CREATE TABLE ledger_account (
  id         bigserial PRIMARY KEY,
  partner_id text NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('PARTNER_RECHARGE', 'PARTNER_CREDIT_LINE', 'PARTNER_ARREARS',
                                           'VENDOR_CASH', 'VENDOR_CREDIT_GRANTED', 'VENDOR_REVENUE')),
  currency   text NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
  created_at timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX ledger_account_partner_id_kind_currency_key ON ledger_account (partner_id, kind, currency);
CREATE TRIGGER ledger_account_no_update BEFORE UPDATE OR DELETE ON ledger_account
  FOR EACH ROW EXECUTE FUNCTION append_only();

-- One movement of money as the feeder reported it: its key is unique per source system, so an entry fed twice
-- (a retry, or the same entry in another request) is one transfer. `entry_hash` is the entry as first fed: the same
-- key with other content is refused.
CREATE TABLE ledger_transfer (
  id          text PRIMARY KEY,
  partner_id  text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('RECHARGE', 'CREDIT_LIMIT_CHANGE', 'CHARGE', 'ARREARS_REPAYMENT', 'CREDIT_REPAYMENT')),
  source      text NOT NULL,
  feeder_key  text NOT NULL,
  entry_hash  text NOT NULL,
  occurred_at timestamptz(3) NOT NULL,
  received_at timestamptz(3) NOT NULL DEFAULT now(),
  memo        text,
  actor       text NOT NULL
);
CREATE UNIQUE INDEX ledger_transfer_source_feeder_key_key ON ledger_transfer (source, feeder_key);
CREATE INDEX ledger_transfer_partner_id_occurred_at_id_idx ON ledger_transfer (partner_id, occurred_at DESC, id DESC);
CREATE TRIGGER ledger_transfer_no_update BEFORE UPDATE OR DELETE ON ledger_transfer
  FOR EACH ROW EXECUTE FUNCTION append_only();

-- A transfer's legs: a signed amount (positive debit, negative credit) in minor units of the account's currency.
CREATE TABLE ledger_posting (
  id          bigserial PRIMARY KEY,
  transfer_id text NOT NULL REFERENCES ledger_transfer (id),
  account_id  bigint NOT NULL REFERENCES ledger_account (id),
  amount      bigint NOT NULL CHECK (amount <> 0),
  currency    text NOT NULL
);
CREATE INDEX ledger_posting_transfer_id_idx ON ledger_posting (transfer_id);
CREATE INDEX ledger_posting_account_id_idx ON ledger_posting (account_id);
CREATE TRIGGER ledger_posting_no_update BEFORE UPDATE OR DELETE ON ledger_posting
  FOR EACH ROW EXECUTE FUNCTION append_only();

-- Double entry, kept by the database: at commit (a deferred constraint trigger, so the legs of a transfer may be
-- inserted one by one), every transfer touched has at least two postings, they sum to zero in each currency, each
-- posting is in its account's currency and on an account of the transfer's partner, and every posting was written
-- in the transaction that created its transfer (a committed transfer never gains legs: received_at is the creating
-- transaction's now()).
CREATE FUNCTION ledger_transfer_balanced() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  transfer text;
  legs integer;
  unbalanced record;
BEGIN
  IF TG_TABLE_NAME = 'ledger_transfer' THEN
    transfer := NEW.id;
  ELSE
    transfer := NEW.transfer_id;
  END IF;
  SELECT count(*) INTO legs FROM ledger_posting WHERE transfer_id = transfer;
  IF legs < 2 THEN
    RAISE EXCEPTION 'ledger transfer % has % posting(s); a transfer needs at least two', transfer, legs USING ERRCODE = '23514';
  END IF;
  SELECT currency, sum(amount) AS total INTO unbalanced FROM ledger_posting WHERE transfer_id = transfer
    GROUP BY currency HAVING sum(amount) <> 0 LIMIT 1;
  IF FOUND THEN
    RAISE EXCEPTION 'ledger transfer % does not balance: its % postings sum to %', transfer, unbalanced.currency, unbalanced.total
      USING ERRCODE = '23514';
  END IF;
  IF EXISTS (SELECT 1 FROM ledger_posting p JOIN ledger_account a ON a.id = p.account_id JOIN ledger_transfer t ON t.id = p.transfer_id
             WHERE p.transfer_id = transfer AND (a.currency <> p.currency OR a.partner_id <> t.partner_id)) THEN
    RAISE EXCEPTION 'ledger transfer % posts to an account of another currency or partner', transfer USING ERRCODE = '23514';
  END IF;
  IF TG_TABLE_NAME = 'ledger_posting'
     AND (SELECT received_at FROM ledger_transfer WHERE id = transfer) <> now()::timestamptz(3) THEN
    RAISE EXCEPTION 'ledger transfer % was committed before: it gains no postings', transfer USING ERRCODE = '23514';
  END IF;
  RETURN NULL;
END;
$$;
CREATE CONSTRAINT TRIGGER ledger_transfer_balanced AFTER INSERT ON ledger_transfer
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transfer_balanced();
CREATE CONSTRAINT TRIGGER ledger_posting_balanced AFTER INSERT ON ledger_posting
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION ledger_transfer_balanced();

-- Members gain where they work from (free text as the partner writes it, e.g. a city); NULL: not said.
ALTER TABLE partner_member ADD COLUMN work_residence text;

-- The machine identity's role name is built in too: no custom role may take it.
ALTER TABLE partner_role DROP CONSTRAINT partner_role_name_check;
ALTER TABLE partner_role ADD CONSTRAINT partner_role_name_check CHECK (name NOT IN (
  'vendor_staff', 'vendor_ecosystem_manager', 'vendor_reviewer', 'vendor_admin', 'vendor_system',
  'partner_admin', 'partner_sales', 'partner_finance'));
