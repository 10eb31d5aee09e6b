/**
 * Machinery for the access-matrix test: the table's shape, the coverage check (every mounted route has an
 * entry, every entry a route, every permission is in the catalog), the callers, and the ONE rule that
 * derives the expected status from a route's declared permission and the role → permission map.
 */
import type { RouteDef } from '../../api/kit/http.js';
import { CUSTOMER_ACCOUNT, isPartnerRole, type Permission, PERMISSIONS, type Principal, ROLES, signToken } from '../../domain/auth.js';
import { policyAllows, ROUTE_PERMISSIONS } from './policy.js';

/** `"<METHOD> <path>"`, exactly as declared in routesOf(). */
export const routeKey = (route: Pick<RouteDef, 'method' | 'path'>) => `${route.method.toUpperCase()} ${route.path}`;

/** `body` may be a Buffer (an upload: give its Content-Type in `headers`). */
export type MatrixRequest = { params?: Record<string, string>; query?: Record<string, string>; body?: unknown; headers?: Record<string, string> };
/**
 * Opportunity states, incentive states (an incentive of the own partner with one line and one uploaded material), and
 * certification application states (an ADVANCED_CLOUD_SOFTWARE application of the own partner with one uploaded file,
 * set as both of its materials; APPROVED holds an ACTIVE certificate), and path review states (a SOFTWARE CERTIFIED
 * review of the own partner; from APPLIED on with one uploaded file set as its ANNUAL_REPORT, ready to submit).
 */
export type ObjectState =
  | 'PENDING_ACCEPTANCE'
  | 'ACCEPTED'
  | 'INCENTIVE_PENDING'
  | 'INCENTIVE_OBJECTED'
  | 'CERTIFICATION_DRAFT'
  | 'CERTIFICATION_IN_REVIEW'
  | 'CERTIFICATION_SUPPLEMENT_REQUESTED'
  | 'CERTIFICATION_APPROVED'
  | 'PATH_REVIEW_OPEN'
  | 'PATH_REVIEW_APPLIED'
  | 'PATH_REVIEW_SUBMITTED'
  | 'PATH_REVIEW_SUPPLEMENT_REQUESTED'
  | 'WEBHOOK_ENDPOINT'
  | 'WEBHOOK_DEAD_DELIVERY';
/**
 * The object a request is about: its id, for incentives and certification applications the file uploaded to it, and
 * for webhook endpoints (WEBHOOK_DEAD_DELIVERY: an active endpoint of the own partner with one DEAD delivery) the delivery.
 */
export type MatrixObject = { id: string; materialId?: string; deliveryId?: string };

export type MatrixEntry = {
  /** What an allowed caller gets. */
  success: number;
  /** The route's object belongs to a partner: another partner's staff get 404 (never 403, never 2xx). */
  partnerOwned: boolean;
  /**
   * The opportunity, incentive or certification application the request is about, owned by the "own" partner, in this state. With freshPerSuccess
   * every allowed call gets a fresh one (the call consumes it); refused calls share one, which must not change.
   */
  object?: { state: ObjectState; freshPerSuccess: boolean };
  /** Mounted only on the time-skipping server: 404 for everyone in normal mode. */
  timeSkippingOnly?: boolean;
  /** The path names the partner (`:partnerId` = the "own" partner): partnerOwned without an opportunity object. */
  partnerInPath?: boolean;
  request: (object: MatrixObject, fixtures: MatrixFixtures) => MatrixRequest | Promise<MatrixRequest>;
  /**
   * A second permission the route's handler demands beside the declared one (a claim in the reviewer queue needs
   * `review.queue` and the kind's decide permission): a role lacking it gets 403 too.
   */
  alsoDemands?: Permission;
};
/** Organization fixtures of the "own" partner: a member, a custom role and an expert; newRole() makes a fresh role. */
export type MatrixFixtures = { partnerId: string; memberId: string; roleId: string; expertId: string; newRole: () => Promise<string> };
export type MatrixTable = Record<string, MatrixEntry>;

export type Mounted = { normal: RouteDef[]; timeSkipping: RouteDef[] };

/** Everything wrong between the mounted routes and the table; empty when they agree. */
export function checkCoverage(mounted: Mounted, table: MatrixTable): string[] {
  const errors: string[] = [];
  const normal = new Set(mounted.normal.map(routeKey));
  const timeSkipping = new Set(mounted.timeSkipping.map(routeKey));
  for (const [mode, routes] of Object.entries(mounted)) {
    const seen = new Set<string>();
    for (const route of routes) {
      const key = routeKey(route);
      if (seen.has(key)) errors.push(`route ${key} is declared twice (${mode} mode)`);
      seen.add(key);
    }
  }
  const all = new Map([...mounted.timeSkipping, ...mounted.normal].map((route) => [routeKey(route), route]));
  for (const [key, route] of all) {
    const entry = table[key];
    if (!entry) errors.push(`route ${key} has no access-matrix entry — add one`);
    if (route.permission !== 'public' && route.permission !== 'signedIn' && !(PERMISSIONS as readonly string[]).includes(route.permission)) {
      errors.push(`route ${key} declares permission '${route.permission}', which is not in PERMISSIONS (domain/auth.ts)`);
    }
    if (!entry) continue;
    if (entry.timeSkippingOnly && normal.has(key)) errors.push(`route ${key} is marked time-skipping only but is mounted in normal mode`);
    if (!entry.timeSkippingOnly && !normal.has(key)) errors.push(`route ${key} is mounted only in time-skipping mode; mark its entry timeSkippingOnly`);
    if (entry.timeSkippingOnly && !timeSkipping.has(key)) errors.push(`route ${key} is marked time-skipping only but is not mounted there`);
    if (entry.partnerOwned && !entry.object && !entry.partnerInPath) errors.push(`access-matrix entry ${key} is partnerOwned but names no object`);
  }
  for (const key of Object.keys(table)) {
    if (!all.has(key)) errors.push(`access-matrix entry ${key} matches no route — remove it (or fix its key)`);
  }
  return errors;
}

export type Caller = {
  label: string;
  token?: string;
  /** What the token claims (absent without a token). */
  principal?: Principal;
  iam?: boolean;
  /** Partner staff: of the object's partner, or of another one. */
  side?: 'own' | 'other';
  /** Has a member record of the own partner that is deactivated (the test creates it: DEACTIVATED_SUB). */
  deactivated?: boolean;
};

/** The token subject of the deactivated member caller; the test creates its member record and deactivates it. */
export const DEACTIVATED_SUB = 'matrix-deactivated-member';

/** Every built-in role (partner roles once per side), IAM sub-users, a deactivated member, and no token at all. */
/** The customer the matrix's customer caller is. */
export const MATRIX_CUSTOMER = 'C-matrix';

export async function callersFor(secret: string, ownPartner: string, otherPartner: string): Promise<Caller[]> {
  const callers: Caller[] = [];
  const add = async (label: string, principal: Principal, extra: Partial<Caller> = {}, accountType?: string) =>
    callers.push({
      label,
      principal,
      token: await signToken({ ...principal, ...(accountType ? { accountType } : {}) }, secret),
      ...extra,
    });
  for (const role of ROLES) {
    if (role === 'customer') {
      // A customer of the cloud (its own token: accountType customer, its customerId), no partner's staff.
      await add('customer', { sub: 'matrix-customer', roles: [role], customerId: MATRIX_CUSTOMER }, {}, CUSTOMER_ACCOUNT);
      continue;
    }
    if (!isPartnerRole(role)) {
      await add(role, { sub: `matrix-${role}`, roles: [role] });
      continue;
    }
    await add(`${role}@own`, { sub: `matrix-${role}-own`, roles: [role], partnerId: ownPartner }, { side: 'own' });
    await add(`${role}@other`, { sub: `matrix-${role}-other`, roles: [role], partnerId: otherPartner }, { side: 'other' });
  }
  // IAM sub-users of the owning partner and of the vendor: refused whatever roles they claim.
  await add('iam_user(partner_admin@own)', { sub: 'matrix-iam-partner', roles: ['partner_admin'], partnerId: ownPartner }, { iam: true, side: 'own' }, 'iam_user');
  await add('iam_user(vendor_admin)', { sub: 'matrix-iam-vendor', roles: ['vendor_admin'] }, { iam: true }, 'iam_user');
  // A deactivated member of the owning partner: refused everywhere, whatever its token claims.
  await add('member(deactivated)@own', { sub: DEACTIVATED_SUB, roles: ['partner_admin'], partnerId: ownPartner }, { deactivated: true, side: 'own' });
  callers.push({ label: 'no token' });
  return callers;
}

export type Expected = { status: number; why: string };

/**
 * THE rule. Order matters and mirrors the promise: authenticate, then authorize, then scope to the partner. What a
 * route demands and what a role holds come from the hand-written policy (support/policy.ts), not from the code under
 * test: a route declared with a weaker permission, or a role granted more, answers differently and fails.
 */
export function expectedFor(route: RouteDef, entry: MatrixEntry, caller: Caller): Expected {
  const demands = ROUTE_PERMISSIONS[routeKey(route)];
  if (demands === undefined) throw new Error(`${routeKey(route)} is not in the policy (test/support/policy.ts)`);
  if (demands === 'public') return { status: entry.success, why: 'public route' };
  if (!caller.token || !caller.principal) return { status: 401, why: 'no token' };
  if (caller.iam) return { status: 403, why: 'IAM sub-user' };
  if (caller.deactivated) return { status: 403, why: 'deactivated member' };
  if (!caller.principal.roles.some((role) => policyAllows(role, demands))) return { status: 403, why: `role lacks ${demands}` };
  if (entry.alsoDemands && !caller.principal.roles.some((role) => policyAllows(role, entry.alsoDemands!))) return { status: 403, why: `role lacks ${entry.alsoDemands}` };
  if (entry.partnerOwned && caller.side === 'other') return { status: 404, why: "another partner's object" };
  return { status: entry.success, why: `has ${demands}` };
}

/** The path with its `:params` filled in, plus the query string. */
export function urlFor(path: string, request: MatrixRequest): string {
  const filled = path.replace(/:([A-Za-z_]\w*)/g, (_, name: string) => {
    const value = request.params?.[name];
    if (value === undefined) throw new Error(`the access-matrix entry for ${path} gives no value for :${name}`);
    return encodeURIComponent(value);
  });
  const query = new URLSearchParams(request.query ?? {}).toString();
  return query ? `${filled}?${query}` : filled;
}

/** Runs `work` over `items` with at most `size` in flight; results in input order. */
export async function inBatches<T, R>(items: readonly T[], size: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, lane));
  return results;
}
