-- The API's rate limits shared by every replica (RATE_LIMIT_STORE=postgres, api/kit/rate-limit-store.ts): the hits of a
-- key (a client address, a caller) in one fixed window, counted by one upsert. Windows past are deleted by the store.
CREATE UNLOGGED TABLE rate_limit_hit (
  key          text NOT NULL,
  window_start timestamptz(3) NOT NULL,
  hits         integer NOT NULL,
  PRIMARY KEY (key, window_start)
);
CREATE INDEX rate_limit_hit_window_start_idx ON rate_limit_hit (window_start);
