-- Years a calendar has not published yet (README "Business calendar", domain/statutory-holidays.ts). A version may
-- name statutory rules that generate a year its data does not cover, and says what deadlines reaching past the
-- covered years do: `provisional` (counted with the rules, the deadline marked provisional) or `fail-closed`
-- (refused, as before). NULL rules: none. Existing versions keep fail-closed; CN gets a new version (the same data,
-- with its rules) so that its history says when and why it started counting unpublished years.
ALTER TABLE calendar_version
  ADD COLUMN statutory_rules text,
  ADD COLUMN uncovered_years text NOT NULL DEFAULT 'fail-closed'
    CHECK (uncovered_years IN ('provisional', 'fail-closed')),
  ADD CONSTRAINT calendar_version_provisional_needs_rules CHECK (uncovered_years = 'fail-closed' OR statutory_rules IS NOT NULL);

INSERT INTO calendar_version (calendar_name, version, zone, rest_weekdays, first_year, last_year, holidays, makeup_workdays,
                              changed_by, changed_at, changes, statutory_rules, uncovered_years)
SELECT calendar_name, version + 1, zone, rest_weekdays, first_year, last_year, holidays, makeup_workdays,
       'migration 0018', now(), '{"everyDate": false, "dates": []}'::jsonb, 'CN-statutory', 'provisional'
FROM calendar_version
WHERE calendar_name = 'CN' AND version = (SELECT max(version) FROM calendar_version WHERE calendar_name = 'CN');
