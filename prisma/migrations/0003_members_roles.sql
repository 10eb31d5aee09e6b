-- Organization members and custom roles, per partner. A member's roles replace its token's roles
-- (api/clients/members.ts resolves them on every request, briefly cached).
CREATE TABLE partner_member (
  id           text PRIMARY KEY,
  partner_id   text NOT NULL,
  sub          text NOT NULL,              -- the token subject of the person
  display_name text NOT NULL,
  active       boolean NOT NULL DEFAULT true,
  created_at   timestamptz(3) NOT NULL DEFAULT now(),
  updated_at   timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX partner_member_partner_id_sub_key ON partner_member (partner_id, sub);

-- Custom roles: a named set of partner-assignable permissions. Names never collide with built-in role names.
CREATE TABLE partner_role (
  id          text PRIMARY KEY,
  partner_id  text NOT NULL,
  name        text NOT NULL CHECK (name NOT IN ('vendor_staff', 'vendor_ecosystem_manager', 'vendor_reviewer', 'vendor_admin',
                                                'partner_admin', 'partner_sales', 'partner_finance')),
  permissions text[] NOT NULL,
  created_by  text NOT NULL,
  created_at  timestamptz(3) NOT NULL DEFAULT now(),
  updated_at  timestamptz(3) NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX partner_role_partner_id_name_key ON partner_role (partner_id, name);

-- A member's roles: a built-in role name or a custom role id (partner_role.id), each at most once per member.
CREATE TABLE partner_member_role (
  member_id text NOT NULL REFERENCES partner_member (id) ON DELETE CASCADE,
  role      text NOT NULL,
  PRIMARY KEY (member_id, role)
);
CREATE INDEX partner_member_role_role_idx ON partner_member_role (role);
