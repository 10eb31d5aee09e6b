-- A request admitted into the partner's open-applications quota whose application its workflow has not written yet
-- (api/kit/quotas.ts withOpenApplicationSlot): it holds its place, so two requests at once cannot both pass, without a
-- transaction held across the workflow's update. Removed once the update answers; counted only until expires_at.
CREATE TABLE open_application_reservation (
  id         text PRIMARY KEY, -- the application it holds a place for (a certification or specialist application, a path review)
  partner_id text NOT NULL,
  expires_at timestamptz(3) NOT NULL
);
CREATE INDEX open_application_reservation_partner_id_expires_at_idx ON open_application_reservation (partner_id, expires_at);
