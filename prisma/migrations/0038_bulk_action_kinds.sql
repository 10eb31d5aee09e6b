-- Bulk actions beyond opportunities (issue 20 section 5, docs/bulk-actions.md): a job verifies a partner's incentives or
-- decides the vendor's reviews as well. A review decision is the vendor's, so its job acts for no partner: partner_id
-- is null there, and such a job is read by its requester and the vendor's reviewers. An item names any object now
-- (opportunity, incentive, review): opportunity_id becomes item_id; review_kind says which kind of review an item of a
-- review decision is (certification, path-review …), and body holds what the single route takes beyond the id (an
-- incentive's headcount, total and materials; a review's decision and note). An opportunity's reason and note stay in
-- their columns, so the rows written before this migration read as they did.
ALTER TABLE bulk_action ALTER COLUMN partner_id DROP NOT NULL;
CREATE INDEX bulk_action_requester_created_idx ON bulk_action (requested_by, created_at DESC);

ALTER TABLE bulk_action_item RENAME COLUMN opportunity_id TO item_id;
ALTER TABLE bulk_action_item ADD COLUMN review_kind text;
ALTER TABLE bulk_action_item ADD COLUMN body jsonb;
