-- Bulk actions (issue 20 section 5, docs/bulk-actions.md): one durable job per request (a bulkActionWorkflow), and one
-- row per item, written PENDING when the job is recorded and settled once (DONE, REFUSED or FAILED). The settling
-- statement only moves a PENDING row, so an item retried after a worker crash never records a second outcome.
CREATE TABLE bulk_action (
  id           uuid PRIMARY KEY,
  partner_id   text NOT NULL,
  kind         text NOT NULL,
  requested_by text NOT NULL,
  status       text NOT NULL,
  total        integer NOT NULL,
  created_at   timestamptz(3) NOT NULL,
  completed_at timestamptz(3)
);
CREATE INDEX bulk_action_partner_created_idx ON bulk_action (partner_id, created_at DESC);

CREATE TABLE bulk_action_item (
  bulk_action_id uuid NOT NULL REFERENCES bulk_action (id),
  item_index     integer NOT NULL,
  opportunity_id text NOT NULL,
  reason_code    text,
  note           text,
  outcome        text NOT NULL,
  result_status  text,
  problem        jsonb,
  settled_at     timestamptz(3),
  PRIMARY KEY (bulk_action_id, item_index)
);
