-- Experts registry: partner staff who may earn the monthly incentive (api/clients/experts.ts is the only code
-- touching these tables). The qualification and amount rules are data: domain/incentive-rules.json.
--
-- Full-time status over time: a single `full_time_since` date (NULL when not full-time) rather than a table of
-- periods. "Full-time for all of month M" is then decidable as full_time AND full_time_since <= the 1st of M.
-- A change to part-time ends full-time status (full_time_since becomes NULL); going full-time again starts a new
-- since-date. The monthly evaluation runs right after M ends, when the current record still describes M; every
-- earlier value stays in expert_change (before/after), so a past month can always be reconstructed if needed.
CREATE TABLE expert (
  id              text PRIMARY KEY,
  partner_id      text NOT NULL,
  employee_id     text NOT NULL,
  name            text NOT NULL,
  full_time       boolean NOT NULL,
  full_time_since date,
  registered_on   date NOT NULL,
  active          boolean NOT NULL DEFAULT true,
  created_at      timestamptz(3) NOT NULL DEFAULT now(),
  updated_at      timestamptz(3) NOT NULL DEFAULT now(),
  CHECK (full_time = (full_time_since IS NOT NULL))
);
CREATE UNIQUE INDEX expert_partner_id_employee_id_key ON expert (partner_id, employee_id);

-- The certifications an expert holds: the whole set is replaced on change (the old set is kept in expert_change).
CREATE TABLE expert_certification (
  id         bigserial PRIMARY KEY,
  expert_id  text NOT NULL REFERENCES expert (id) ON DELETE CASCADE,
  type       text NOT NULL,
  valid_from date NOT NULL,
  valid_to   date NOT NULL,
  CHECK (valid_from <= valid_to)
);
CREATE INDEX expert_certification_expert_id_idx ON expert_certification (expert_id);

-- History of every change (creation included), numbered per expert; append-only like opportunity_event.
CREATE TABLE expert_change (
  id        bigserial PRIMARY KEY,
  expert_id text NOT NULL REFERENCES expert (id),
  seq       integer NOT NULL,
  actor     text NOT NULL,
  at        timestamptz(3) NOT NULL DEFAULT now(),
  change    jsonb NOT NULL          -- {kind, before, after}: the changed fields' old and new values
);
CREATE UNIQUE INDEX expert_change_expert_id_seq_key ON expert_change (expert_id, seq);

CREATE TRIGGER expert_change_no_update BEFORE UPDATE OR DELETE ON expert_change
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001
