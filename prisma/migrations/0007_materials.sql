-- Uploaded materials (evidence files), generic over the process that owns them: an incentive's verification
-- materials today, a certification application's later. api/clients/materials.ts is the only code touching it.
-- Bytes live here (bytea, at most 10 MiB each, capped per owner) so a backup of the database is a backup of
-- the evidence; content_type is what the bytes were sniffed as, not merely what the uploader claimed.
-- (0006 is taken by another change in flight.)
CREATE TABLE material (
  id           uuid PRIMARY KEY,
  owner_kind   text NOT NULL,                 -- e.g. 'incentive'
  owner_id     text NOT NULL,                 -- the owner's id, e.g. '<partnerId>-<YYYY-MM>'
  partner_id   text NOT NULL,
  file_name    text NOT NULL CHECK (char_length(file_name) BETWEEN 1 AND 200),
  content_type text NOT NULL,
  size         integer NOT NULL CHECK (size > 0),
  sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  bytes        bytea NOT NULL,
  uploaded_by  text NOT NULL,
  uploaded_at  timestamptz(3) NOT NULL DEFAULT now(),
  CHECK (octet_length(bytes) = size)
);
-- The same bytes uploaded again for the same owner are the same material (idempotent upload).
CREATE UNIQUE INDEX material_owner_kind_owner_id_sha256_key ON material (owner_kind, owner_id, sha256);
