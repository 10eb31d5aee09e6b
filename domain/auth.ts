/**
 * Who is calling and what they may do. Roles map to permissions here; routes only ask for permissions,
 * so custom roles can later replace ROLE_PERMISSIONS without touching a route.
 */
import { jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { problems } from './problems.js';

export const ROLES = ['vendor_staff', 'partner_admin'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = [
  'opportunity.share',
  'opportunity.readAll',
  'opportunity.read',
  'opportunity.act',
  'calendar.read',
  'clock.advance',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  vendor_staff: ['opportunity.share', 'opportunity.readAll', 'opportunity.read', 'calendar.read', 'clock.advance'],
  partner_admin: ['opportunity.read', 'opportunity.act', 'calendar.read'],
};

export type Principal = { sub: string; roles: Role[]; partnerId?: string };

const claimsSchema = z
  .object({
    sub: z.string().min(1).max(200),
    roles: z.array(z.enum(ROLES)).min(1),
    partnerId: z.string().min(1).max(64).optional(),
  })
  .refine((c) => !c.roles.some((r) => r.startsWith('partner_')) || c.partnerId, 'partner roles need a partnerId claim');

const MAX_CLOCK_SKEW_SECONDS = 60;

export async function verifyToken(token: string, secret: string): Promise<Principal> {
  let payload: unknown;
  try {
    ({ payload } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      requiredClaims: ['exp', 'sub'],
      clockTolerance: MAX_CLOCK_SKEW_SECONDS,
    }));
  } catch (error) {
    throw problems.unauthenticated(`The bearer token is not valid (${(error as Error).message}).`);
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw problems.unauthenticated(`The bearer token's claims are not valid: ${claims.error.issues[0]?.message}.`);
  return claims.data;
}

export async function signToken(principal: Principal, secret: string, expiresIn = '8h'): Promise<string> {
  return new SignJWT({ roles: principal.roles, ...(principal.partnerId ? { partnerId: principal.partnerId } : {}) })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(principal.sub)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

export function can(principal: Principal, permission: Permission): boolean {
  return principal.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/** Partner staff see only their own partner's objects; vendor staff with readAll see every partner's. */
export function canSeePartner(principal: Principal, partnerId: string): boolean {
  return can(principal, 'opportunity.readAll') || principal.partnerId === partnerId;
}
