-- Customer facts and customer reporting (报备) with protection (issue 18 sections 0 and 2; api/customers writes the
-- facts, workflows/customer-report/workflow.ts the reports through activities/customer-report.ts).

-- What the cloud's systems report of a customer's account (a customer is a cloud account, `customer_id` as the
-- identity provider names it), append-only like partner_account_fact: the current value of a kind is its latest
-- observation by observed_at, ties broken by receipt order. `credit_code` is the enterprise an ENTERPRISE fact names
-- (its verified unified social credit code), kept in a column of its own so that the accounts of one enterprise are
-- found by an index; NULL for every other kind.
CREATE TABLE customer_fact (
  id          bigserial PRIMARY KEY,
  customer_id text NOT NULL,
  kind        text NOT NULL CHECK (kind IN ('ENTERPRISE', 'REGISTERED', 'FROZEN', 'RESERVED_INSTANCES', 'SUPPORT_PLANS',
                                            'DIRECT_CONTRACT', 'DIRECT_SALES_SPEND')),
  value       jsonb NOT NULL CHECK (jsonb_typeof(value) = 'object'),
  credit_code text CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
  source      text NOT NULL,
  observed_at timestamptz(3) NOT NULL,
  received_at timestamptz(3) NOT NULL DEFAULT now(),
  feed_id     text NOT NULL,
  actor       text NOT NULL,
  CHECK ((kind = 'ENTERPRISE') = (credit_code IS NOT NULL))
);
CREATE INDEX customer_fact_customer_id_kind_observed_at_id_idx ON customer_fact (customer_id, kind, observed_at DESC, id DESC);
CREATE INDEX customer_fact_credit_code_idx ON customer_fact (credit_code);
CREATE INDEX customer_fact_feed_id_idx ON customer_fact (feed_id);
CREATE TRIGGER customer_fact_no_update BEFORE UPDATE OR DELETE ON customer_fact
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- One report of an enterprise by a partner: the latest state; its history is customer_report_event.
CREATE TABLE customer_report (
  id                      uuid PRIMARY KEY,
  partner_id              text NOT NULL,
  credit_code             text NOT NULL CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$'),
  status                  text NOT NULL CHECK (status IN ('IN_MANUAL_REVIEW', 'PROTECTED', 'INVITED', 'ASSOCIATED', 'EXPIRED', 'REJECTED', 'WITHDRAWN')),
  reported_by             text NOT NULL,
  reported_at             timestamptz(3) NOT NULL,
  -- Asked for manual review, with the partner's justification and the reasons the rules found at that moment.
  manual_review           boolean NOT NULL,
  justification           text,
  unmet                   jsonb,
  protection_days         integer NOT NULL CHECK (protection_days >= 1),
  protected_from          timestamptz(3),
  protected_until         timestamptz(3),
  review_sla_working_days integer,
  review_due_at           timestamptz(3),
  review_escalated_at     timestamptz(3),
  deadline_explanation    jsonb,
  decided_at              timestamptz(3),
  decided_by              text,
  decision_note           text,
  -- The current invitation link: only its SHA-256 is kept (the token itself is shown once, to the partner).
  invitation_token_sha256 text CHECK (invitation_token_sha256 ~ '^[0-9a-f]{64}$'),
  invitation_mode         text CHECK (invitation_mode IN ('RESELLER', 'CONSULTATIVE')),
  invitation_issued_at    timestamptz(3),
  invitation_expires_at   timestamptz(3),
  customer_id             text,
  association_id          uuid,
  associated_at           timestamptz(3),
  withdrawn_at            timestamptz(3),
  expired_at              timestamptz(3),
  last_seq                integer NOT NULL,
  updated_at              timestamptz(3) NOT NULL,
  CHECK ((status = 'IN_MANUAL_REVIEW') <= (review_due_at IS NOT NULL)),
  CHECK ((status IN ('PROTECTED', 'INVITED')) <= (protected_until IS NOT NULL)),
  CHECK ((status = 'INVITED') <= (invitation_expires_at IS NOT NULL)),
  -- One protected report per enterprise, whichever partner holds it: its credit code while PROTECTED or INVITED,
  -- NULL otherwise, unique (a partial unique index in a form schema.prisma can describe).
  protected_credit_code   text GENERATED ALWAYS AS (CASE WHEN status IN ('PROTECTED', 'INVITED') THEN credit_code END) STORED,
  -- One open report per partner and enterprise: '<partner>/<code>' while open, NULL after, unique.
  open_key                text GENERATED ALWAYS AS (CASE WHEN status IN ('IN_MANUAL_REVIEW', 'PROTECTED', 'INVITED') THEN partner_id || '/' || credit_code END) STORED
);
CREATE UNIQUE INDEX customer_report_protected_credit_code_key ON customer_report (protected_credit_code);
CREATE UNIQUE INDEX customer_report_open_key_key ON customer_report (open_key);
CREATE UNIQUE INDEX customer_report_invitation_token_sha256_key ON customer_report (invitation_token_sha256);
CREATE INDEX customer_report_partner_id_reported_at_idx ON customer_report (partner_id, reported_at DESC);
CREATE INDEX customer_report_partner_id_status_idx ON customer_report (partner_id, status);

CREATE TABLE customer_report_event (
  id           bigserial PRIMARY KEY,
  report_id    uuid NOT NULL REFERENCES customer_report (id),
  seq          integer NOT NULL,
  type         text NOT NULL,
  from_status  text,
  to_status    text NOT NULL,
  actor        text NOT NULL,
  at           timestamptz(3) NOT NULL,
  note         text,
  data         jsonb
);
CREATE UNIQUE INDEX customer_report_event_report_id_seq_key ON customer_report_event (report_id, seq);
CREATE TRIGGER customer_report_event_no_update BEFORE UPDATE OR DELETE ON customer_report_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- An accepted invitation makes exactly one association: the report names it, unique.
CREATE UNIQUE INDEX customer_association_report_id_key ON customer_association (report_id);
