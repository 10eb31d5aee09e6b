-- Partner certification applications and the certificates they issue (workflows/certification.ts writes these
-- through activities/certification.ts; 0006 and 0007 are taken). The application row is the latest state; its
-- history is certification_event (append-only, numbered by the workflow: a retried activity writes nothing twice).
CREATE TABLE certification_application (
  id                  uuid PRIMARY KEY,
  partner_id          text NOT NULL,
  type                text NOT NULL,                  -- catalog type (domain/certification-catalog.json)
  category            text NOT NULL,
  applies_to          text NOT NULL CHECK (applies_to IN ('PARTNER', 'SOLUTION')),
  solution_name       text,
  status              text NOT NULL CHECK (status IN ('DRAFT', 'SUBMITTED', 'IN_REVIEW', 'SUPPLEMENT_REQUESTED',
                                                      'APPROVED', 'REJECTED', 'WITHDRAWN_BY_TIMEOUT', 'EXPIRED')),
  terms               jsonb NOT NULL,                 -- the catalog entry's terms, copied at creation
  created_by          text NOT NULL,
  created_at          timestamptz(3) NOT NULL,
  submitted_at        timestamptz(3),
  review_due_at       timestamptz(3),
  supplement_deadline timestamptz(3),
  decided_at          timestamptz(3),
  decision_note       text,
  renewal_of          uuid REFERENCES certification_application (id),
  last_seq            integer NOT NULL,
  updated_at          timestamptz(3) NOT NULL,
  CHECK ((applies_to = 'SOLUTION') = (solution_name IS NOT NULL))
);
CREATE INDEX certification_application_partner_id_created_at_idx ON certification_application (partner_id, created_at DESC);
CREATE INDEX certification_application_status_type_idx ON certification_application (status, type);
CREATE INDEX certification_application_renewal_of_idx ON certification_application (renewal_of);

CREATE TABLE certification_event (
  id             bigserial PRIMARY KEY,
  application_id uuid NOT NULL REFERENCES certification_application (id),
  seq            integer NOT NULL,
  type           text NOT NULL,
  from_status    text,
  to_status      text NOT NULL,
  actor          text NOT NULL,
  at             timestamptz(3) NOT NULL,
  note           text,
  data           jsonb
);
CREATE UNIQUE INDEX certification_event_application_id_seq_key ON certification_event (application_id, seq);

CREATE TRIGGER certification_event_no_update BEFORE UPDATE OR DELETE ON certification_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- The current material of each required kind. The file's metadata (name, hash, size, type, uploader) stays in
-- `material` (one source, no copy to drift); every replacement is in certification_event (MATERIAL_SET, with the
-- metadata as it was), so this small table is only "which file is current per kind" — what listing and the
-- download route need without replaying events.
CREATE TABLE certification_material (
  application_id uuid NOT NULL REFERENCES certification_application (id),
  kind           text NOT NULL,
  material_id    uuid NOT NULL REFERENCES material (id),
  set_at         timestamptz(3) NOT NULL,
  PRIMARY KEY (application_id, kind)
);

-- Issued once, in the transaction of the APPROVED transition (application_id unique). A renewal moves valid_to
-- later (the old value stays in certification_event, CERTIFICATE_EXTENDED); expiry sets status EXPIRED.
CREATE TABLE certificate (
  id             bigserial PRIMARY KEY,
  number         text NOT NULL,                       -- PF-<YYYY>-<first 8 hex of the application id>
  application_id uuid NOT NULL REFERENCES certification_application (id),
  partner_id     text NOT NULL,
  type           text NOT NULL,
  category       text NOT NULL,
  labels         jsonb NOT NULL,
  scope          text NOT NULL,                       -- the solution's name, or 'partner'
  valid_from     date NOT NULL,                       -- local dates (Asia/Shanghai), both inclusive
  valid_to       date NOT NULL,
  status         text NOT NULL CHECK (status IN ('ACTIVE', 'EXPIRED')),
  issued_at      timestamptz(3) NOT NULL,
  updated_at     timestamptz(3) NOT NULL,
  CHECK (valid_from <= valid_to)
);
CREATE UNIQUE INDEX certificate_number_key ON certificate (number);
CREATE UNIQUE INDEX certificate_application_id_key ON certificate (application_id);
CREATE INDEX certificate_partner_id_status_idx ON certificate (partner_id, status);
