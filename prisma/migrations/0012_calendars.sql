-- Business calendars as managed data (README "Business calendar"). A calendar is a name; its content lives in
-- append-only versions — the current one is the highest — so every deadline can say which version it was
-- computed with, and `changes` keeps what differed from the previous version (domain/calendar-versions.ts
-- changedDates), for recomputing the deadlines that depend on it. Holidays are named date ranges, make-up
-- working days named dates (JSON arrays, validated by the API before they are written).
CREATE TABLE calendar (
  name       text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_-]{1,64}$'),
  created_by text NOT NULL,
  created_at timestamptz(3) NOT NULL
);

CREATE TABLE calendar_version (
  calendar_name   text NOT NULL REFERENCES calendar (name),
  version         integer NOT NULL CHECK (version >= 1),
  zone            text NOT NULL,                -- IANA time zone
  rest_weekdays   integer[] NOT NULL,           -- ISO 1=Mon..7=Sun
  first_year      integer NOT NULL,             -- years covered: deadlines outside them fail closed
  last_year       integer NOT NULL CHECK (first_year <= last_year),
  holidays        jsonb NOT NULL,               -- [{"from":"YYYY-MM-DD","to":"YYYY-MM-DD","name":…}]
  makeup_workdays jsonb NOT NULL,               -- [{"date":"YYYY-MM-DD","name":…}]
  changed_by      text NOT NULL,
  changed_at      timestamptz(3) NOT NULL,
  changes         jsonb,                        -- vs. the previous version; NULL for version 1
  PRIMARY KEY (calendar_name, version)
);
CREATE TRIGGER calendar_version_no_update BEFORE UPDATE OR DELETE ON calendar_version
  FOR EACH ROW EXECUTE FUNCTION append_only(); -- defined in 0001

-- The calendar each partner's deadlines count in; a partner without a row counts in DEFAULT_CALENDAR.
CREATE TABLE partner_calendar (
  partner_id    text PRIMARY KEY,
  calendar_name text NOT NULL REFERENCES calendar (name),
  assigned_by   text NOT NULL,
  assigned_at   timestamptz(3) NOT NULL
);
CREATE INDEX partner_calendar_calendar_name_idx ON partner_calendar (calendar_name);

-- Every move of a partner to another calendar, with the versions on both sides and the dates that differ.
CREATE TABLE partner_calendar_change (
  id            bigserial PRIMARY KEY,
  partner_id    text NOT NULL,
  from_calendar text NOT NULL,
  from_version  integer NOT NULL,
  to_calendar   text NOT NULL REFERENCES calendar (name),
  to_version    integer NOT NULL,
  changes       jsonb NOT NULL,
  actor         text NOT NULL,
  at            timestamptz(3) NOT NULL
);
CREATE INDEX partner_calendar_change_partner_id_at_idx ON partner_calendar_change (partner_id, at);
CREATE TRIGGER partner_calendar_change_no_update BEFORE UPDATE OR DELETE ON partner_calendar_change
  FOR EACH ROW EXECUTE FUNCTION append_only();

-- Seeds. CN: mainland China 2025–2026 from domain/calendar-data/CN.json (the `chinese-days` 1.5.7 snapshot of
-- the State Council's notices), consecutive days of one holiday folded into ranges. SA: Saudi Arabia
-- 2025–2026, Friday and Saturday rest, the official holidays as listed by the python `holidays` package 0.105
-- (holidays.SaudiArabia, observed days included; Islamic dates depend on the moon sighting and may move by a day).
INSERT INTO calendar (name, created_by, created_at) VALUES
  ('CN', 'migration 0012', now()),
  ('SA', 'migration 0012', now());

INSERT INTO calendar_version (calendar_name, version, zone, rest_weekdays, first_year, last_year, holidays, makeup_workdays, changed_by, changed_at)
VALUES
('CN', 1, 'Asia/Shanghai', '{6,7}', 2025, 2026,
  '[
    {"from": "2025-01-01", "to": "2025-01-01", "name": "New Year''s Day"},
    {"from": "2025-01-28", "to": "2025-02-04", "name": "Spring Festival"},
    {"from": "2025-04-04", "to": "2025-04-06", "name": "Tomb-sweeping Day"},
    {"from": "2025-05-01", "to": "2025-05-05", "name": "Labour Day"},
    {"from": "2025-05-31", "to": "2025-06-02", "name": "Dragon Boat Festival"},
    {"from": "2025-10-01", "to": "2025-10-05", "name": "National Day"},
    {"from": "2025-10-06", "to": "2025-10-06", "name": "Mid-autumn Festival"},
    {"from": "2025-10-07", "to": "2025-10-08", "name": "National Day"},
    {"from": "2026-01-01", "to": "2026-01-03", "name": "New Year''s Day"},
    {"from": "2026-02-15", "to": "2026-02-23", "name": "Spring Festival"},
    {"from": "2026-04-04", "to": "2026-04-06", "name": "Tomb-sweeping Day"},
    {"from": "2026-05-01", "to": "2026-05-05", "name": "Labour Day"},
    {"from": "2026-06-19", "to": "2026-06-21", "name": "Dragon Boat Festival"},
    {"from": "2026-09-25", "to": "2026-09-27", "name": "Mid-autumn Festival"},
    {"from": "2026-10-01", "to": "2026-10-07", "name": "National Day"}
  ]',
  '[
    {"date": "2025-01-26", "name": "Spring Festival"},
    {"date": "2025-02-08", "name": "Spring Festival"},
    {"date": "2025-04-27", "name": "Labour Day"},
    {"date": "2025-09-28", "name": "National Day"},
    {"date": "2025-10-11", "name": "National Day"},
    {"date": "2026-01-04", "name": "New Year''s Day"},
    {"date": "2026-02-14", "name": "Spring Festival"},
    {"date": "2026-02-28", "name": "Spring Festival"},
    {"date": "2026-05-09", "name": "Labour Day"},
    {"date": "2026-09-20", "name": "National Day"},
    {"date": "2026-10-10", "name": "National Day"}
  ]',
  'migration 0012', now()),
('SA', 1, 'Asia/Riyadh', '{5,6}', 2025, 2026,
  '[
    {"from": "2025-02-22", "to": "2025-02-23", "name": "Founding Day"},
    {"from": "2025-03-30", "to": "2025-04-02", "name": "Eid al-Fitr"},
    {"from": "2025-06-05", "to": "2025-06-05", "name": "Day of Arafah"},
    {"from": "2025-06-06", "to": "2025-06-10", "name": "Eid al-Adha"},
    {"from": "2025-09-23", "to": "2025-09-23", "name": "National Day"},
    {"from": "2026-02-22", "to": "2026-02-22", "name": "Founding Day"},
    {"from": "2026-03-19", "to": "2026-03-24", "name": "Eid al-Fitr"},
    {"from": "2026-05-26", "to": "2026-05-26", "name": "Day of Arafah"},
    {"from": "2026-05-27", "to": "2026-05-31", "name": "Eid al-Adha"},
    {"from": "2026-09-23", "to": "2026-09-23", "name": "National Day"}
  ]',
  '[]',
  'migration 0012', now());
