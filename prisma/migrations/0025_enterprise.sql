-- Enterprise lookup (issue 18 section 1, 企业百科; api/enterprise/client.ts writes and reads these tables). The vendor
-- loads enterprise records by streamed bulk imports; partners search them by name (fuzzy, Chinese) or credit code.
--
-- Fuzzy search is pg_trgm's trigram similarity behind a GIN index. pg_trgm only makes trigrams of characters the
-- database's LC_CTYPE calls letters or digits: in a database created with the C / POSIX ctype (initdb --no-locale)
-- Chinese characters are none, every Chinese name has no trigram at all, and a search finds nothing. The check below
-- makes such a database fail this migration loudly instead of answering every search with an empty list.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

DO $$
BEGIN
  IF pg_encoding_to_char((SELECT encoding FROM pg_database WHERE datname = current_database())) <> 'UTF8'
     OR coalesce(array_length(show_trgm('企业百科'), 1), 0) = 0 THEN
    RAISE EXCEPTION 'pg_trgm finds no trigrams in Chinese text in this database (encoding %, LC_CTYPE %): enterprise search needs a UTF8 database with a UTF-8 ctype, e.g. CREATE DATABASE … ENCODING ''UTF8'' LC_CTYPE ''C.UTF-8'' TEMPLATE template0 (see docs/database.md)',
      pg_encoding_to_char((SELECT encoding FROM pg_database WHERE datname = current_database())), current_setting('lc_ctype');
  END IF;
END
$$;

-- One import request: its Idempotency-Key (per caller), when it started and, once its body was read to the end, how
-- many lines it had and the SHA-256 of the whole body (a retry is answered from the recorded rows only when it is the
-- same body). The only mutable columns are the ones set when it finishes.
CREATE TABLE enterprise_import (
  id              uuid PRIMARY KEY,
  idempotency_key text NOT NULL,
  imported_by     text NOT NULL,
  started_at      timestamptz(3) NOT NULL,
  finished_at     timestamptz(3),
  line_count      integer CHECK (line_count >= 0),
  body_sha256     text CHECK (body_sha256 ~ '^[0-9a-f]{64}$'),
  CHECK ((finished_at IS NULL) = (line_count IS NULL) AND (finished_at IS NULL) = (body_sha256 IS NULL))
);
CREATE UNIQUE INDEX enterprise_import_imported_by_idempotency_key_key ON enterprise_import (imported_by, idempotency_key);

-- The part of a name that tells enterprises apart: the name without its company form (有限公司, 股份有限公司…), which
-- nearly every name ends with. Trigrams of the form would make every name a candidate of every search (the index
-- then costs more than a scan) and weigh in the ranking; a search compares this part of the query with this part of
-- the names. IMMUTABLE: it is the generated column below.
CREATE FUNCTION enterprise_search_name(name text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
  SELECT regexp_replace(btrim(name), '(股份有限公司|有限责任公司|有限公司|股份公司|集团公司|公司)$', '')
$$;

-- The current record of each enterprise: the last import that changed it wins (a later import of the same code
-- updates it in place; what each import said is kept in enterprise_import_row).
CREATE TABLE enterprise (
  credit_code                 text PRIMARY KEY CHECK (credit_code ~ '^[0-9A-HJ-NPQRTUWXY]{18}$'),
  name                        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  industry                    text,
  region                      text,
  registered_capital_currency text CHECK (registered_capital_currency ~ '^[A-Z]{3}$'),
  registered_capital_minor    bigint CHECK (registered_capital_minor >= 0),
  import_id                   uuid NOT NULL REFERENCES enterprise_import (id),
  import_line                 integer NOT NULL,
  imported_at                 timestamptz(3) NOT NULL,
  created_at                  timestamptz(3) NOT NULL,
  search_name                 text GENERATED ALWAYS AS (enterprise_search_name(name)) STORED,
  CHECK ((registered_capital_currency IS NULL) = (registered_capital_minor IS NULL))
);
-- Fuzzy name search: similarity (%), word similarity (<%) and LIKE are all answered by this index.
CREATE INDEX enterprise_search_name_trgm_idx ON enterprise USING gin (search_name gin_trgm_ops);

-- Every line of every import, as it was answered: the line's SHA-256 (a retried import must send the same line), the
-- outcome (CREATED, UPDATED or UNCHANGED the current record; REFUSED with the fields at fault) and the values it
-- carried. Append-only; (import_id, line) unique, so a retried or concurrent import records each line once.
CREATE TABLE enterprise_import_row (
  id          bigserial PRIMARY KEY,
  import_id   uuid NOT NULL REFERENCES enterprise_import (id),
  line        integer NOT NULL CHECK (line >= 1),
  line_sha256 text NOT NULL CHECK (line_sha256 ~ '^[0-9a-f]{64}$'),
  credit_code text,
  outcome     text NOT NULL CHECK (outcome IN ('CREATED', 'UPDATED', 'UNCHANGED', 'REFUSED')),
  errors      jsonb,
  data        jsonb,
  recorded_at timestamptz(3) NOT NULL,
  CHECK ((outcome = 'REFUSED') = (errors IS NOT NULL))
);
CREATE UNIQUE INDEX enterprise_import_row_import_id_line_key ON enterprise_import_row (import_id, line);
CREATE INDEX enterprise_import_row_credit_code_idx ON enterprise_import_row (credit_code);

CREATE TRIGGER enterprise_import_row_no_update BEFORE UPDATE OR DELETE ON enterprise_import_row
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001
