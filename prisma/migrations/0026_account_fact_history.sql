-- The partner account's fact history (GET /v1/partners/:partnerId/account/facts): every observation of a partner,
-- newest received first, read in keyset pages by (received_at, id).
CREATE INDEX partner_account_fact_partner_id_received_at_id_idx ON partner_account_fact (partner_id, received_at DESC, id DESC);
