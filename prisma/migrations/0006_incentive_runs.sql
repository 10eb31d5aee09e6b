-- Monthly incentive generation runs (workflows/incentive-run.ts): one row per period, the progress an operator
-- reads at GET /v1/admin/incentive-runs/:period. The incentives themselves are in `incentive` (0005); a run only
-- says which partners it covered and which it could not generate.
CREATE TABLE incentive_run (
  period            text PRIMARY KEY CHECK (period ~ '^[0-9]{4}-(0[1-9]|1[0-2])$'),
  -- The Temporal run that last (re)started generation for the period: a retried activity of the same run
  -- changes nothing; a new run (a backfill after new experts were registered) starts the counts afresh.
  run_id            text NOT NULL,
  status            text NOT NULL CHECK (status IN ('RUNNING', 'COMPLETED')),
  requested_by      text NOT NULL,                     -- 'schedule' or the vendor user who asked
  started_at        timestamptz(3) NOT NULL,
  finished_at       timestamptz(3),
  partners_total    integer NOT NULL CHECK (partners_total >= 0),  -- partners in scope when the run started
  partners_done     integer NOT NULL DEFAULT 0 CHECK (partners_done >= 0),  -- processed so far (generated or failed)
  failures          jsonb NOT NULL DEFAULT '[]',        -- [{partnerId, code, message}] of this run
  runs              integer NOT NULL DEFAULT 1          -- how many times generation was run for the period
);
