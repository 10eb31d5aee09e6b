-- Agreements with a new contracting entity (issue 17 section 5, 签署新签约主体的协议; workflows/agreement/workflow.ts
-- writes agreement_event through activities/agreement.ts, the API writes agreement_signature). A published version is
-- never changed (its text, hash and dates are what partners sign), a signature never changed or removed: both tables
-- are append-only at the database, as the process histories are.
CREATE TABLE agreement (
  id                 uuid PRIMARY KEY,
  version            integer NOT NULL,
  contracting_entity text NOT NULL,
  text               text NOT NULL,
  text_sha256        text NOT NULL CHECK (text_sha256 ~ '^[0-9a-f]{64}$'),
  effective_date     date NOT NULL,
  effective_at       timestamptz(3) NOT NULL, -- effective_date 00:00 in Asia/Shanghai
  sign_by_date       date NOT NULL,
  sign_by_at         timestamptz(3) NOT NULL, -- the end of sign_by_date in Asia/Shanghai
  published_by       text NOT NULL,
  published_at       timestamptz(3) NOT NULL
);
CREATE UNIQUE INDEX agreement_version_key ON agreement (version);
-- The gate's one query: the version in force is the latest effective_at not after now.
CREATE INDEX agreement_effective_at_idx ON agreement (effective_at DESC);

CREATE TRIGGER agreement_no_update BEFORE UPDATE OR DELETE ON agreement
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

CREATE TABLE agreement_event (
  id           bigserial PRIMARY KEY,
  agreement_id uuid NOT NULL REFERENCES agreement (id),
  seq          integer NOT NULL,
  type         text NOT NULL,
  from_status  text,
  to_status    text NOT NULL,
  actor        text NOT NULL,
  at           timestamptz(3) NOT NULL,
  note         text,
  data         jsonb
);
CREATE UNIQUE INDEX agreement_event_agreement_id_seq_key ON agreement_event (agreement_id, seq);

CREATE TRIGGER agreement_event_no_update BEFORE UPDATE OR DELETE ON agreement_event
  FOR EACH ROW EXECUTE FUNCTION append_only();

-- Who signed which version, when, and the hash of the text they were shown: one row per agreement and partner.
CREATE TABLE agreement_signature (
  id           bigserial PRIMARY KEY,
  agreement_id uuid NOT NULL REFERENCES agreement (id),
  partner_id   text NOT NULL,
  version      integer NOT NULL,
  text_sha256  text NOT NULL,
  signed_by    text NOT NULL,
  signed_at    timestamptz(3) NOT NULL
);
CREATE UNIQUE INDEX agreement_signature_agreement_id_partner_id_key ON agreement_signature (agreement_id, partner_id);
CREATE INDEX agreement_signature_partner_id_idx ON agreement_signature (partner_id);

CREATE TRIGGER agreement_signature_no_update BEFORE UPDATE OR DELETE ON agreement_signature
  FOR EACH ROW EXECUTE FUNCTION append_only();
