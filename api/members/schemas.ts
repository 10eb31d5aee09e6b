// Response schemas of members (see api/kit/schemas.ts for the pieces every process shares).
import { z } from 'zod';
import { PARTNER_ASSIGNABLE_PERMISSIONS, PERMISSIONS } from '../../domain/auth.js';
import { instant } from '../kit/schemas.js';

export const memberSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    sub: z.string().describe('the token subject of the person'),
    displayName: z.string(),
    active: z.boolean(),
    workResidence: z.string().nullable().describe('where the member works from (e.g. a city), as the partner wrote it; null: not said'),
    roles: z.array(z.string()).describe('built-in role names and custom role ids'),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'Member', description: "A member of a partner organization; its roles replace its token's roles." });

export const memberListSchema = z.strictObject({ items: z.array(memberSchema) }).meta({ id: 'MemberList' });

export const customRoleSchema = z
  .strictObject({
    id: z.uuid(),
    partnerId: z.string(),
    name: z.string(),
    permissions: z.array(z.enum(PARTNER_ASSIGNABLE_PERMISSIONS)),
    createdBy: z.string(),
    createdAt: instant,
    updatedAt: instant,
  })
  .meta({ id: 'CustomRole', description: "A partner's custom role: a named set of partner-assignable permissions." });

export const roleListSchema = z
  .strictObject({
    items: z.array(customRoleSchema),
    builtIn: z.array(z.strictObject({ name: z.string(), permissions: z.array(z.enum(PERMISSIONS)) })).describe('the built-in partner roles'),
  })
  .meta({ id: 'RoleList' });

export type MemberView = z.output<typeof memberSchema>;
export type CustomRoleView = z.output<typeof customRoleSchema>;
export type RoleListView = z.output<typeof roleListSchema>;
