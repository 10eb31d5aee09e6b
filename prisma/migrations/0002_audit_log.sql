-- Who did what to which object, when, under which request id: one row per successful state-changing call.
CREATE TABLE audit_log (
  id               bigserial PRIMARY KEY,
  at               timestamptz(3) NOT NULL DEFAULT now(),
  actor            text NOT NULL,
  actor_partner_id text,
  action           text NOT NULL,
  target           text,
  request_id       text NOT NULL,
  status           integer NOT NULL
);
CREATE INDEX audit_log_actor_partner_id_at_idx ON audit_log (actor_partner_id, at DESC);
CREATE INDEX audit_log_target_idx ON audit_log (target);
