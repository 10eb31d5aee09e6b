-- Joining a program; becoming a reseller (issue 17 section 3; workflows/enrollment/workflow.ts writes these through
-- activities/enrollment.ts). An enrollment is one partner's way into one program: asked for by the partner, or an
-- invitation by the vendor waiting for the partner's acceptance, reviewed by the vendor where the program needs it, and
-- joined in one transaction that checks the program's conditions again. The enrollment row is the latest state; its history is enrollment_event
-- (append-only, numbered by the workflow: a retried activity writes nothing twice).
CREATE TABLE enrollment (
  id                       uuid PRIMARY KEY,
  partner_id               text NOT NULL,
  program                  text NOT NULL CHECK (program IN ('SOLUTION_PROVIDER', 'RESELLER')),
  status                   text NOT NULL CHECK (status IN ('INVITED', 'IN_REVIEW', 'AWAITING_CONFIRMATION', 'JOINED', 'REFUSED_AT_JOINING', 'REJECTED', 'WITHDRAWN', 'DECLINED', 'EXPIRED', 'FAILED')),
  -- REQUEST: the partner asked; INVITATION: the vendor invited the partner (requested_by is then the inviter).
  origin                   text NOT NULL DEFAULT 'REQUEST' CHECK (origin IN ('REQUEST', 'INVITATION')),
  requested_by             text NOT NULL,
  requested_at             timestamptz(3) NOT NULL,
  invitation_note          text,
  -- INVITED: the partner accepts or declines before this instant (working days of its calendar), else EXPIRED.
  invitation_expires_at    timestamptz(3),
  -- An invitation's acceptance: the partner's request (the review SLA or the confirmation deadline counts from it).
  accepted_by              text,
  accepted_at              timestamptz(3),
  review_due_at            timestamptz(3),     -- NULL: the program needs no vendor review
  -- AWAITING_CONFIRMATION: the partner confirms before this instant, else the approval lapses (EXPIRED).
  confirmation_due_at      timestamptz(3),
  -- FAILED: the invitation failed because the partner joined another program ({reason, program, enrollmentId}),
  -- decided in that joining's transaction.
  failure                  jsonb,
  -- The list of instruments the partner confirmed would become void (its SHA-256, platform/partner-account.ts).
  confirmed_instruments_hash text,
  joined_at                timestamptz(3),
  -- Why joining was refused: every unmet reason as domain/eligibility.ts lists them.
  refusal                  jsonb,
  last_seq                 integer NOT NULL,
  updated_at               timestamptz(3) NOT NULL,
  -- One open enrollment per partner and program (an invitation waiting for the partner counts): '<partner>/<program>'
  -- while open, NULL after, unique.
  open_key                 text GENERATED ALWAYS AS (CASE WHEN status IN ('INVITED', 'IN_REVIEW', 'AWAITING_CONFIRMATION') THEN partner_id || '/' || program END) STORED
);
CREATE UNIQUE INDEX enrollment_open_key_key ON enrollment (open_key);
CREATE INDEX enrollment_partner_id_requested_at_idx ON enrollment (partner_id, requested_at DESC, id DESC);
-- A joining fails the partner's pending invitations: found by partner and status.
CREATE INDEX enrollment_partner_id_status_idx ON enrollment (partner_id, status);

CREATE TABLE enrollment_event (
  id            bigserial PRIMARY KEY,
  enrollment_id uuid NOT NULL REFERENCES enrollment (id),
  seq           integer NOT NULL,
  type          text NOT NULL,
  from_status   text,
  to_status     text NOT NULL,
  actor         text NOT NULL,
  at            timestamptz(3) NOT NULL,
  note          text,
  data          jsonb
);
CREATE UNIQUE INDEX enrollment_event_enrollment_id_seq_key ON enrollment_event (enrollment_id, seq);
CREATE TRIGGER enrollment_event_no_update BEFORE UPDATE OR DELETE ON enrollment_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- Unused vouchers, coupons and stored-value cards voided by joining the reseller program: one row per instrument,
-- ever (the primary key), naming the enrollment that voided it. Never changed.
CREATE TABLE voided_instrument (
  partner_id    text NOT NULL,
  kind          text NOT NULL CHECK (kind IN ('VOUCHER', 'COUPON', 'STORED_VALUE_CARD')),
  instrument_id text NOT NULL,
  enrollment_id uuid NOT NULL REFERENCES enrollment (id),
  issuer        text NOT NULL,
  amount        jsonb NOT NULL,
  voided_at     timestamptz(3) NOT NULL,
  PRIMARY KEY (partner_id, kind, instrument_id)
);
CREATE INDEX voided_instrument_enrollment_id_idx ON voided_instrument (enrollment_id);
CREATE TRIGGER voided_instrument_no_update BEFORE UPDATE OR DELETE ON voided_instrument
  FOR EACH ROW EXECUTE FUNCTION append_only();
