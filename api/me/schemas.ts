// The response schema of GET /v1/me: the caller as the API sees it.
import { z } from 'zod';
import { PERMISSIONS, ROLES } from '../../domain/auth.js';

export const meSchema = z
  .strictObject({
    sub: z.string().describe("the token's subject"),
    roles: z
      .array(z.enum(ROLES))
      .describe("the built-in roles that count: the token's, or for a partner member its stored built-in roles (custom roles count through `permissions`)"),
    partnerId: z.string().nullable().describe('the partner whose staff the caller is; null for the vendor and customers'),
    customerId: z.string().nullable().describe('the customer a customer token acts for; null otherwise'),
    memberId: z.uuid().nullable().describe("the caller's member record of its partner (its stored roles decide); null without one"),
    permissions: z
      .array(z.enum(PERMISSIONS))
      .describe("every permission the API grants this caller now, in the catalog's order: the built-in roles' and, for a partner member, its custom roles' too"),
  })
  .meta({ id: 'Me', description: 'The caller as the API sees it: who, for which partner or customer, and what it may do.' });

export type MeView = z.output<typeof meSchema>;
