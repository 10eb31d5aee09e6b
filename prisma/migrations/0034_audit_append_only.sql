-- The audit log is evidence: like the history tables it is append-only, refused at the database itself. A row-level
-- trigger refuses UPDATE and DELETE; TRUNCATE skips row triggers, so a statement-level one refuses it too (the history
-- tables leave TRUNCATE open for the tests' clean-ups; nothing empties the audit log). The trigger stops the application
-- and anyone connected as it from rewriting the record, not the tables' owner: docs/audit.md says how to run the
-- application under a role that cannot drop the trigger.
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION append_only();

-- GET /v1/admin/audit reads newest first, (at, id) descending, filtered by actor, action or target, or by time alone:
-- one index per filter ending in that order, so a page is an index range read however large the log grows. The
-- target's index gains the order (an object's own rows stay few, a partner's account feed does not). IF NOT EXISTS:
-- on a large log an operator builds them beforehand with CREATE INDEX CONCURRENTLY under these names (docs/audit.md),
-- and this transaction, which would hold every audited write while it builds them, finds them made.
CREATE INDEX IF NOT EXISTS audit_log_at_id_idx ON audit_log (at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_actor_at_id_idx ON audit_log (actor, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_action_at_id_idx ON audit_log (action, at DESC, id DESC);
CREATE INDEX IF NOT EXISTS audit_log_target_at_id_idx ON audit_log (target, at DESC, id DESC);
DROP INDEX IF EXISTS audit_log_target_idx;
