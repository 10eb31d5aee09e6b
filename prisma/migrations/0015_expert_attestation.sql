-- Facts that earn money or rank are not the partner's to assert (issue 12): an expert's full-time status and each
-- of its certifications count (monthly incentive, certification prerequisites, path requirements — all through
-- activities/partner-facts.ts) only once the vendor has attested them
-- (POST /v1/partners/:partnerId/experts/:expertId/attestation, api/clients/experts.ts).
--
-- Per fact, not per expert snapshot: a certification the partner adds does not withdraw the attestation of an
-- unchanged one. Who and when sit beside the fact; what is the fact itself, and every attestation is also an
-- expert_change row ({kind: 'attested', before, after}).
--   * Full-time: the attested since-date, who, when. The CHECK keeps the attestation naming the current since-date,
--     so a partner change of fullTime/fullTimeSince cannot keep it: the change must withdraw it (all three NULL).
--   * A certification row never changes its facts (a partner change deletes the rows it drops and inserts the new
--     ones, keeping unchanged rows and their attestation): the trigger refuses an UPDATE of type or validity.
-- Rows from before this migration were asserted by the partners alone: they start unattested.
ALTER TABLE expert
  ADD COLUMN full_time_attested_since date,
  ADD COLUMN full_time_attested_at    timestamptz(3),
  ADD COLUMN full_time_attested_by    text,
  ADD CONSTRAINT expert_full_time_attestation_check CHECK (
    (full_time_attested_since IS NULL AND full_time_attested_at IS NULL AND full_time_attested_by IS NULL)
    OR (full_time_attested_since = full_time_since AND full_time_attested_at IS NOT NULL AND full_time_attested_by IS NOT NULL)
  );

ALTER TABLE expert_certification
  ADD COLUMN attested_at timestamptz(3),
  ADD COLUMN attested_by text,
  ADD CONSTRAINT expert_certification_attestation_check CHECK ((attested_at IS NULL) = (attested_by IS NULL));

CREATE TRIGGER expert_certification_facts_fixed BEFORE UPDATE OF type, valid_from, valid_to ON expert_certification
  FOR EACH ROW WHEN (OLD.type IS DISTINCT FROM NEW.type OR OLD.valid_from IS DISTINCT FROM NEW.valid_from OR OLD.valid_to IS DISTINCT FROM NEW.valid_to)
  EXECUTE FUNCTION append_only(); -- defined in 0001: refuses the change
