-- The version in force is the latest effective one, and of two effective the same day the later published (the higher
-- version): the gate's one query orders by both (platform/agreement-gate.ts), served by this index alone.
DROP INDEX agreement_effective_at_idx;
CREATE INDEX agreement_effective_at_version_idx ON agreement (effective_at DESC, version DESC);
