-- The reviewer queue (issue 20 section 3, docs/review-queue.md): who is reviewing an item that waits for the vendor's
-- decision. One row per item at most (its kind and id): a reviewer claims it, or one who leads the reviewing assigns
-- it (assigned_by); a release deletes the row. Claims do not change the process's state — the decision stays the
-- workflow's — they tell the other reviewers whose it is, and a decision by another reviewer is refused while it holds.
CREATE TABLE review_claim (
  kind        text NOT NULL,
  item_id     text NOT NULL,
  reviewer    text NOT NULL,
  claimed_at  timestamptz(3) NOT NULL,
  assigned_by text,
  PRIMARY KEY (kind, item_id)
);
CREATE INDEX review_claim_reviewer_idx ON review_claim (reviewer);
