-- The stored-bytes quota (QUOTA_STORED_BYTES, api/clients/quotas.ts) sums a partner's material sizes on every upload:
-- (partner_id, size) answers that sum from the index, without reading the table.
CREATE INDEX material_partner_id_size_idx ON material (partner_id, size);
