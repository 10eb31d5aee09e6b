-- Development-path membership (the paths and levels themselves are data: domain/development-paths.json). One row
-- per partner and path with its current level; every change — set by the vendor, or the outcome of an annual
-- review — appends one row to path_membership_change. A review's outcome is written exactly once: review_id is
-- unique among the changes.
CREATE TABLE path_membership (
  partner_id text NOT NULL,
  path_id    text NOT NULL,
  level      text NOT NULL,
  since      timestamptz(3) NOT NULL,   -- when the partner reached this level
  updated_at timestamptz(3) NOT NULL,
  PRIMARY KEY (partner_id, path_id)
);
CREATE INDEX path_membership_path_id_partner_id_idx ON path_membership (path_id, partner_id);

CREATE TABLE path_membership_change (
  id         bigserial PRIMARY KEY,
  partner_id text NOT NULL,
  path_id    text NOT NULL,
  from_level text,                      -- NULL: joined the path
  to_level   text,                      -- NULL: left the path
  reason     text NOT NULL,             -- 'SET_BY_VENDOR', 'REVIEW_PASSED', 'REVIEW_FAILED', 'REVIEW_LAPSED'
  review_id  text,                      -- the annual review that decided it
  actor      text NOT NULL,
  at         timestamptz(3) NOT NULL,
  note       text,
  CHECK (from_level IS NOT NULL OR to_level IS NOT NULL)
);
CREATE UNIQUE INDEX path_membership_change_review_id_key ON path_membership_change (review_id);
CREATE INDEX path_membership_change_partner_id_path_id_at_idx ON path_membership_change (partner_id, path_id, at);

CREATE TRIGGER path_membership_change_no_update BEFORE UPDATE OR DELETE ON path_membership_change
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001
