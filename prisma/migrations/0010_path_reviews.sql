-- The annual development-path review (workflows/path-review-cycle.ts, workflows/path-review.ts, written through
-- activities/path-review-cycle.ts and activities/path-review.ts). One cycle per path and year fans out one review
-- per member of the path; each review's row is its latest state, path_review_event its history (append-only,
-- numbered by the workflow: a retried activity writes nothing twice). A review's outcome changes path_membership
-- and appends one path_membership_change (review_id unique, 0009) in the transaction of its final transition.

-- One row per path and year: the progress an operator reads. started_at is the cycle's start instant, kept by a
-- second run of the cycle: every review's window is counted from it (in the partner's own calendar).
CREATE TABLE path_review_cycle (
  path_id             text NOT NULL,
  year                integer NOT NULL CHECK (year BETWEEN 2000 AND 9999),
  run_id              text NOT NULL,                 -- the Temporal run that last (re)started the fan-out
  status              text NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED')),
  requested_by        text NOT NULL,                 -- 'schedule' or the vendor user who asked
  started_at          timestamptz(3) NOT NULL,
  finished_at         timestamptz(3),
  window_working_days integer NOT NULL CHECK (window_working_days > 0),
  partners_total      integer NOT NULL CHECK (partners_total >= 0),  -- members of the path when the run started
  partners_done       integer NOT NULL DEFAULT 0 CHECK (partners_done >= 0),
  runs                integer NOT NULL DEFAULT 1,
  PRIMARY KEY (path_id, year)
);

CREATE TABLE path_review (
  id                  text PRIMARY KEY,              -- <pathId>-<partnerId>-<year>; the workflow is path-review-<id>
  path_id             text NOT NULL,
  partner_id          text NOT NULL,
  year                integer NOT NULL,
  level               text NOT NULL,                 -- the level under review (at the cycle's start)
  status              text NOT NULL CHECK (status IN ('OPEN', 'APPLIED', 'SUBMITTED', 'SUPPLEMENT_REQUESTED',
                                                      'PASSED', 'FAILED', 'LAPSED')),
  terms               jsonb NOT NULL,                -- the path data the review needs, copied when it opened
  cycle_started_at    timestamptz(3) NOT NULL,
  opened_at           timestamptz(3) NOT NULL,
  window_ends_at      timestamptz(3) NOT NULL,       -- cycle_started_at + window working days, partner calendar
  reminder_times      jsonb NOT NULL,                -- [{days, at}] before window_ends_at
  applied_at          timestamptz(3),
  submitted_at        timestamptz(3),
  supplement_deadline timestamptz(3),
  decided_at          timestamptz(3),                -- PASSED / FAILED / LAPSED
  decision            text CHECK (decision IN ('PASS', 'FAIL', 'REQUEST_SUPPLEMENT')),  -- the vendor's last
  decision_note       text,
  new_level           text,                          -- after PASSED / FAILED / LAPSED; NULL there: left the path
  last_seq            integer NOT NULL,
  updated_at          timestamptz(3) NOT NULL
);
CREATE UNIQUE INDEX path_review_path_id_partner_id_year_key ON path_review (path_id, partner_id, year);
CREATE INDEX path_review_path_id_year_status_idx ON path_review (path_id, year, status);
CREATE INDEX path_review_partner_id_year_idx ON path_review (partner_id, year DESC);

CREATE TABLE path_review_event (
  id          bigserial PRIMARY KEY,
  review_id   text NOT NULL REFERENCES path_review (id),
  seq         integer NOT NULL,
  type        text NOT NULL,
  from_status text,
  to_status   text NOT NULL,
  actor       text NOT NULL,
  at          timestamptz(3) NOT NULL,
  note        text,
  data        jsonb
);
CREATE UNIQUE INDEX path_review_event_review_id_seq_key ON path_review_event (review_id, seq);

CREATE TRIGGER path_review_event_no_update BEFORE UPDATE OR DELETE ON path_review_event
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- The current material of each kind the path asks for (metadata in `material`, every replacement in
-- path_review_event as MATERIAL_SET).
CREATE TABLE path_review_material (
  review_id   text NOT NULL REFERENCES path_review (id),
  kind        text NOT NULL,
  material_id uuid NOT NULL REFERENCES material (id),
  set_at      timestamptz(3) NOT NULL,
  PRIMARY KEY (review_id, kind)
);
