-- Project specialist applications (issue 17 section 4; workflows/specialist/workflow.ts writes these through
-- activities/specialist.ts). The application row is the latest state; its history is specialist_event (append-only,
-- numbered by the workflow: a retried activity writes nothing twice).
CREATE TABLE specialist_application (
  id                     uuid PRIMARY KEY,
  partner_id             text NOT NULL,
  member_id              text NOT NULL,
  path_id                text NOT NULL,
  status                 text NOT NULL CHECK (status IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'CANCELLED')),
  applied_by             text NOT NULL,
  submitted_at           timestamptz(3) NOT NULL,
  review_sla_working_days integer NOT NULL,
  review_due_at          timestamptz(3) NOT NULL,
  review_escalated_at    timestamptz(3),
  deadline_explanation   jsonb,
  decided_at             timestamptz(3),
  decision_note          text,
  cancelled_at           timestamptz(3),
  cancelled_by           text,
  cancel_reason          text,
  last_seq               integer NOT NULL,
  updated_at             timestamptz(3) NOT NULL,
  -- One open application per member, enforced here: the member's id while the application is open (SUBMITTED or
  -- APPROVED), NULL once it is rejected or cancelled, unique. The same guarantee as a partial unique index on
  -- (member_id) WHERE status IN ('SUBMITTED', 'APPROVED'), in a form schema.prisma can describe (a plain unique index).
  open_member_id         text GENERATED ALWAYS AS (CASE WHEN status IN ('SUBMITTED', 'APPROVED') THEN member_id END) STORED
);
CREATE UNIQUE INDEX specialist_application_open_member_id_key ON specialist_application (open_member_id);
CREATE INDEX specialist_application_partner_id_submitted_at_idx ON specialist_application (partner_id, submitted_at DESC);
CREATE INDEX specialist_application_member_id_submitted_at_idx ON specialist_application (member_id, submitted_at DESC);

CREATE TABLE specialist_event (
  id             bigserial PRIMARY KEY,
  application_id uuid NOT NULL REFERENCES specialist_application (id),
  seq            integer NOT NULL,
  type           text NOT NULL,
  from_status    text,
  to_status      text NOT NULL,
  actor          text NOT NULL,
  at             timestamptz(3) NOT NULL,
  note           text,
  data           jsonb
);
CREATE UNIQUE INDEX specialist_event_application_id_seq_key ON specialist_event (application_id, seq);

CREATE TRIGGER specialist_event_no_update BEFORE UPDATE OR DELETE ON specialist_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- The current material of each kind (the file's metadata stays in `material`; every replacement is in specialist_event).
CREATE TABLE specialist_material (
  application_id uuid NOT NULL REFERENCES specialist_application (id),
  kind           text NOT NULL,
  material_id    uuid NOT NULL REFERENCES material (id),
  set_at         timestamptz(3) NOT NULL,
  PRIMARY KEY (application_id, kind)
);
