/**
 * Who is calling and what they may do. Roles map to permissions here; routes only ask for permissions.
 * Partner members' stored (built-in and custom) roles are resolved per request by api/members/client.ts
 * into `Principal.permissions`, which can() then uses instead of the token's roles.
 */
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { z } from 'zod';
import { problems } from './problems.js';

/** Built-in roles. Names are stable API: tokens and (later) stored role assignments use them. */
export const ROLES = [
  'vendor_staff',
  'vendor_ecosystem_manager',
  'vendor_reviewer',
  'vendor_admin',
  // A machine identity of the cloud's other systems (billing, IAM, contracts) feeding the partner account: it holds
  // account.feed only, and its token comes from the identity provider like any other.
  'vendor_system',
  // Reads the audit log (who did what, when) and nothing else: separation of duties, no staff role reads it.
  'vendor_auditor',
  // Runs the Temporal cluster: decodes the encrypted workflow payloads in the Web UI (the codec endpoint), nothing else.
  'vendor_operator',
  // A customer of the cloud (an enterprise with a cloud account) acting on what concerns it — accepting a partner's
  // invitation link, answering an unlink request: a token with accountType "customer" and its customerId claim.
  'customer',
  'partner_admin',
  'partner_sales',
  'partner_finance',
] as const;
export type Role = (typeof ROLES)[number];

/** The permissions catalog: routes declare one of these, never a role. */
export const PERMISSIONS = [
  'opportunity.share',
  'opportunity.readAll',
  'opportunity.read',
  'opportunity.act',
  'calendar.read',
  'calendar.readAll',
  'calendar.manage',
  'calendar.assign',
  'clock.advance',
  'member.manage',
  'role.manage',
  'expert.manage',
  'expert.attest',
  'incentive.read',
  'incentive.readAll',
  'incentive.verify',
  'incentive.resolve',
  'incentive.run',
  'certification.read',
  'certification.readAll',
  'certification.apply',
  'certification.review',
  'path.read',
  'path.readAll',
  'path.manage',
  'pathReview.read',
  'pathReview.readAll',
  'pathReview.act',
  'pathReview.decide',
  'pathReview.run',
  'webhook.read',
  'webhook.manage',
  'account.read',
  'account.readAll',
  'account.feed',
  'specialist.read',
  'specialist.readAll',
  'specialist.apply',
  'specialist.review',
  'specialist.cancel',
  'levelRaise.read',
  'levelRaise.readAll',
  'levelRaise.request',
  'levelRaise.review',
  'agreement.read',
  'agreement.readAll',
  'agreement.publish',
  'agreement.sign',
  'enrollment.read',
  'enrollment.readAll',
  'enrollment.request',
  'enrollment.review',
  'enrollment.invite',
  'customer.expand',
  'enterprise.import',
  'customer.respond',
  'customerReport.review',
  'funds.allocate',
  'order.feed',
  'order.read',
  'order.readAll',
  'order.adjustPrice',
  'customer.unlink',
  'audit.read',
  'payload.decode',
  'review.queue',
  'review.assign',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

/** What a partner's custom role may hold: never a vendor permission (share, readAll, clock). */
export const PARTNER_ASSIGNABLE_PERMISSIONS = [
  'opportunity.read',
  'opportunity.act',
  'calendar.read',
  'member.manage',
  'role.manage',
  'expert.manage',
  'incentive.read',
  'incentive.verify',
  'certification.read',
  'certification.apply',
  'path.read',
  'pathReview.read',
  'pathReview.act',
  'webhook.read',
  'webhook.manage',
  'account.read',
  'specialist.read',
  'specialist.apply',
  'specialist.cancel',
  'levelRaise.read',
  'levelRaise.request',
  'agreement.read',
  'agreement.sign',
  'enrollment.read',
  'enrollment.request',
  'customer.expand',
  'funds.allocate',
  'order.read',
  'order.adjustPrice',
  'customer.unlink',
] as const satisfies readonly Permission[];
export type PartnerPermission = (typeof PARTNER_ASSIGNABLE_PERMISSIONS)[number];
export const isPartnerAssignable = (permission: string): permission is PartnerPermission =>
  (PARTNER_ASSIGNABLE_PERMISSIONS as readonly string[]).includes(permission);

const VENDOR_READ: Permission[] = [
  'opportunity.read',
  'opportunity.readAll',
  'calendar.read',
  'calendar.readAll',
  'incentive.read',
  'incentive.readAll',
  'certification.read',
  'certification.readAll',
  'path.read',
  'path.readAll',
  'pathReview.read',
  'pathReview.readAll',
  'webhook.read',
  'account.read',
  'account.readAll',
  'specialist.read',
  'specialist.readAll',
  'levelRaise.read',
  'levelRaise.readAll',
  'agreement.read',
  'agreement.readAll',
  'enrollment.read',
  'enrollment.readAll',
  'customer.expand',
  'order.read',
  'order.readAll',
];

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  vendor_staff: [...VENDOR_READ, 'opportunity.share', 'clock.advance'],
  vendor_ecosystem_manager: [...VENDOR_READ, 'opportunity.share', 'expert.attest', 'incentive.resolve', 'incentive.run', 'path.manage', 'pathReview.run', 'agreement.publish', 'enrollment.invite', 'enterprise.import', 'customerReport.review', 'review.queue', 'review.assign'],
  vendor_reviewer: [...VENDOR_READ, 'certification.review', 'pathReview.decide', 'specialist.review', 'specialist.cancel', 'levelRaise.review', 'enrollment.review', 'review.queue'],
  vendor_admin: [
    ...VENDOR_READ,
    'opportunity.share',
    'clock.advance',
    'member.manage',
    'role.manage',
    'expert.manage',
    'expert.attest',
    'incentive.resolve',
    'incentive.run',
    'certification.review',
    'path.manage',
    'pathReview.run',
    'pathReview.decide',
    'calendar.manage',
    'calendar.assign',
    'webhook.manage',
    'specialist.review',
    'specialist.cancel',
    'levelRaise.review',
    'agreement.publish',
    'enrollment.review',
    'enrollment.invite',
    'enterprise.import',
    'customerReport.review',
    'review.queue',
    'review.assign',
  ],
  vendor_system: ['account.feed', 'order.feed'],
  vendor_auditor: ['audit.read'],
  vendor_operator: ['payload.decode'],
  customer: ['customer.respond'],
  partner_admin: [
    'opportunity.read',
    'opportunity.act',
    'calendar.read',
    'member.manage',
    'role.manage',
    'expert.manage',
    'incentive.read',
    'incentive.verify',
    'certification.read',
    'certification.apply',
    'path.read',
    'pathReview.read',
    'pathReview.act',
    'webhook.read',
    'webhook.manage',
    'account.read',
    'specialist.read',
    'specialist.apply',
    'specialist.cancel',
    'levelRaise.read',
    'levelRaise.request',
    'agreement.read',
    'agreement.sign',
    'enrollment.read',
    'enrollment.request',
    'customer.expand',
    'funds.allocate',
    'order.read',
    'order.adjustPrice',
    'customer.unlink',
  ],
  partner_sales: ['opportunity.read', 'opportunity.act', 'calendar.read', 'certification.read', 'path.read', 'pathReview.read', 'specialist.read', 'levelRaise.read', 'agreement.read', 'enrollment.read', 'customer.expand', 'order.read', 'order.adjustPrice'],
  partner_finance: ['opportunity.read', 'calendar.read', 'incentive.read', 'incentive.verify', 'certification.read', 'path.read', 'pathReview.read', 'account.read', 'specialist.read', 'levelRaise.read', 'agreement.read', 'enrollment.read', 'funds.allocate', 'order.read'],
};

export const isPartnerRole = (role: Role) => role.startsWith('partner_');

export const PARTNER_ROLES = ROLES.filter(isPartnerRole);

/** The permissions of built-in roles (their union). */
export const permissionsOfRoles = (roles: readonly Role[]): Permission[] => [...new Set(roles.flatMap((role) => ROLE_PERMISSIONS[role]))];

/**
 * Who is calling. `roles` come from the token; for partner staff with a member record, mountRoutes' resolver
 * (api/members/client.ts) replaces them with the member's stored roles and sets `permissions` to the union of
 * its built-in and custom roles' permissions. When `permissions` is set, it alone decides (see can()).
 */
export type Principal = { sub: string; roles: Role[]; partnerId?: string; customerId?: string; permissions?: readonly Permission[]; memberId?: string };

/** The account type of a customer's token (the identity provider's claim); it carries the customer's `customerId`. */
export const CUSTOMER_ACCOUNT = 'customer';
const isCustomerRole = (role: Role) => role === 'customer';

// Sub-users created through the cloud's IAM service cannot see the partner center at all.
const IAM_USER = 'iam_user';

const claimsSchema = z
  .object({
    sub: z.string().min(1).max(200),
    roles: z.array(z.enum(ROLES)).min(1),
    partnerId: z.string().min(1).max(64).optional(),
    customerId: z.string().min(1).max(64).optional(),
    accountType: z.string().max(64).optional(),
  })
  .refine((c) => !c.roles.some(isPartnerRole) || c.partnerId, 'partner roles need a partnerId claim')
  .refine((c) => !(c.roles.some(isPartnerRole) && c.roles.some((r) => !isPartnerRole(r))), 'a token is either vendor or partner staff')
  // A customer's token is the customer's alone: its account type, its customerId, no staff role and no partner.
  .refine(
    (c) => (c.accountType === CUSTOMER_ACCOUNT) === c.roles.some(isCustomerRole) && (c.customerId !== undefined) === c.roles.some(isCustomerRole),
    'the customer role goes with accountType customer and a customerId claim, and only with them',
  )
  .refine((c) => !c.roles.some(isCustomerRole) || (c.roles.length === 1 && c.partnerId === undefined), 'a customer token holds the customer role alone, and no partnerId');

const MAX_CLOCK_SKEW_SECONDS = 60;

/** Issuer and audience of the development (HS256) tokens `npm run token` signs; checked like an identity provider's. */
export const DEV_TOKEN_ISSUER = 'partnerflow-dev';
export const DEV_TOKEN_AUDIENCE = 'partnerflow-api';
/** The oldest token accepted (from its `iat`), whatever its `exp` says: AUTH_MAX_TOKEN_AGE_SECONDS. */
export const DEFAULT_MAX_TOKEN_AGE_SECONDS = 12 * 3600;

/**
 * How tokens are verified: HS256 with a shared secret (development), or asymmetric keys (RS256/ES256) from
 * the identity provider's JWKS endpoint (production). The JWKS is cached and re-fetched when a token names
 * an unknown `kid`, so the provider can rotate keys without a restart. Either way a token must name the issuer
 * and the audience expected here (a token the provider issued for another application does not pass), carry
 * `iat`, and be younger than the maximum age.
 */
export type TokenKeys = { issuer: string; audience: string; maxTokenAgeSeconds: number } & (
  | { kind: 'hs256'; secret: Uint8Array }
  | { kind: 'jwks'; keys: ReturnType<typeof createRemoteJWKSet> }
);

type ClaimChecks = { issuer?: string; audience?: string; maxTokenAgeSeconds?: number };

export const hs256Keys = (secret: string, checks: ClaimChecks = {}): TokenKeys => ({
  kind: 'hs256',
  secret: new TextEncoder().encode(secret),
  issuer: checks.issuer ?? DEV_TOKEN_ISSUER,
  audience: checks.audience ?? DEV_TOKEN_AUDIENCE,
  maxTokenAgeSeconds: checks.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS,
});

export function jwksKeys(options: { url: string; issuer: string; audience: string; maxTokenAgeSeconds?: number; cooldownMs?: number }): TokenKeys {
  return {
    kind: 'jwks',
    keys: createRemoteJWKSet(new URL(options.url), { cooldownDuration: options.cooldownMs ?? 30_000, cacheMaxAge: 10 * 60_000 }),
    issuer: options.issuer,
    audience: options.audience,
    maxTokenAgeSeconds: options.maxTokenAgeSeconds ?? DEFAULT_MAX_TOKEN_AGE_SECONDS,
  };
}

async function verifySignature(token: string, keys: TokenKeys) {
  const common = {
    requiredClaims: ['exp', 'iat', 'sub'],
    clockTolerance: MAX_CLOCK_SKEW_SECONDS,
    issuer: keys.issuer,
    audience: keys.audience,
    maxTokenAge: keys.maxTokenAgeSeconds,
  };
  if (keys.kind === 'hs256') return jwtVerify(token, keys.secret, { ...common, algorithms: ['HS256'] });
  return jwtVerify(token, keys.keys, { ...common, algorithms: ['RS256', 'ES256'] });
}

/** Every refused token answers the same words; why it was refused goes to the log only (Problem.logDetail). */
const INVALID_TOKEN = 'The bearer token is not valid.';

export async function verifyToken(token: string, keys: TokenKeys | string): Promise<Principal> {
  let payload: unknown;
  try {
    ({ payload } = await verifySignature(token, typeof keys === 'string' ? hs256Keys(keys) : keys));
  } catch (error) {
    throw problems.unauthenticated(INVALID_TOKEN).withLogDetail((error as Error).message);
  }
  if ((payload as { accountType?: unknown }).accountType === IAM_USER) {
    throw problems.forbidden('IAM sub-users cannot use the partner center; sign in with the partner account or a member of it.');
  }
  const claims = claimsSchema.safeParse(payload);
  if (!claims.success) throw problems.unauthenticated(INVALID_TOKEN).withLogDetail(`claims: ${claims.error.issues[0]?.message}`);
  const { accountType: _, ...principal } = claims.data;
  return principal;
}

/** A development (HS256) token, with the issuer and audience hs256Keys() expects unless told otherwise. */
export async function signToken(
  principal: Principal & { accountType?: string },
  secret: string,
  expiresIn = '8h',
  claims: { issuer?: string; audience?: string; issuedAt?: number } = {},
): Promise<string> {
  return new SignJWT({
    roles: principal.roles,
    ...(principal.partnerId ? { partnerId: principal.partnerId } : {}),
    ...(principal.customerId ? { customerId: principal.customerId } : {}),
    ...(principal.accountType ? { accountType: principal.accountType } : {}),
  })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(principal.sub)
    .setIssuer(claims.issuer ?? DEV_TOKEN_ISSUER)
    .setAudience(claims.audience ?? DEV_TOKEN_AUDIENCE)
    .setIssuedAt(claims.issuedAt)
    .setExpirationTime(expiresIn)
    .sign(new TextEncoder().encode(secret));
}

export function can(principal: Principal, permission: Permission): boolean {
  if (principal.permissions) return principal.permissions.includes(permission);
  return principal.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/**
 * Partner staff see only their own partner's objects; vendor staff with the process's readAll see every
 * partner's (opportunity.readAll by default, incentive.readAll for incentives).
 */
export function canSeePartner(principal: Principal, partnerId: string, readAll: Permission = 'opportunity.readAll'): boolean {
  return can(principal, readAll) || principal.partnerId === partnerId;
}
