-- Raising the partner level (issue 17 section 6; workflows/level-raise/workflow.ts writes these through
-- activities/level-raise.ts). A partner asks for the next level of a development path; the vendor reviews it. The
-- raise row is the latest state; its history is level_raise_event (append-only, numbered by the workflow: a retried
-- activity writes nothing twice).
CREATE TABLE level_raise (
  id                      uuid PRIMARY KEY,
  partner_id              text NOT NULL,
  path_id                 text NOT NULL,
  from_level              text,                -- NULL: not on the path yet (the raise asks for its lowest level)
  to_level                text NOT NULL,
  status                  text NOT NULL CHECK (status IN ('SUBMITTED', 'APPROVED', 'REJECTED', 'WITHDRAWN')),
  requested_by            text NOT NULL,
  submitted_at            timestamptz(3) NOT NULL,
  review_sla_working_days integer NOT NULL,
  review_due_at           timestamptz(3) NOT NULL,
  review_escalated_at     timestamptz(3),
  deadline_explanation    jsonb,
  decided_at              timestamptz(3),
  decision_note           text,
  withdrawn_at            timestamptz(3),
  last_seq                integer NOT NULL,
  updated_at              timestamptz(3) NOT NULL,
  -- One open raise per partner and path, enforced here: '<partner>/<path>' while SUBMITTED, NULL after, unique (the
  -- same guarantee as a partial unique index, in a form schema.prisma can describe, as specialist_application's).
  open_key                text GENERATED ALWAYS AS (CASE WHEN status = 'SUBMITTED' THEN partner_id || '/' || path_id END) STORED
);
CREATE UNIQUE INDEX level_raise_open_key_key ON level_raise (open_key);
CREATE INDEX level_raise_partner_id_submitted_at_idx ON level_raise (partner_id, submitted_at DESC);

CREATE TABLE level_raise_event (
  id           bigserial PRIMARY KEY,
  raise_id     uuid NOT NULL REFERENCES level_raise (id),
  seq          integer NOT NULL,
  type         text NOT NULL,
  from_status  text,
  to_status    text NOT NULL,
  actor        text NOT NULL,
  at           timestamptz(3) NOT NULL,
  note         text,
  data         jsonb
);
CREATE UNIQUE INDEX level_raise_event_raise_id_seq_key ON level_raise_event (raise_id, seq);

CREATE TRIGGER level_raise_event_no_update BEFORE UPDATE OR DELETE ON level_raise_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- An approved raise moves the level once: its membership change names it, unique (as review_id for a path review).
ALTER TABLE path_membership_change ADD COLUMN level_raise_id uuid;
CREATE UNIQUE INDEX path_membership_change_level_raise_id_key ON path_membership_change (level_raise_id);
