/**
 * What the fuzz test (test/fuzz*.test.ts) expects of one request, decided without the code under test: who calls (the
 * token each kind stands for, its roles held by the hand-written policy, support/policy.ts), whether the request is
 * CERTAINLY refused — and why —, and what an accepted answer must be. "Certainly" is exact: the same parsers the app
 * runs (Node's querystring for the query, JSON with the app's body-parser rules, percent-decoding for path segments)
 * and the route's OWN zod schemas on what they produce; a token that is no token, a role the policy does not give the
 * route's permission, partner staff on another partner's object.
 */
import { parse as parseQuery } from 'node:querystring';
import type { z } from 'zod';
import { isBinaryResponse, jsonSchemaOf, type RouteDef } from '../../api/kit/http.js';
import { type Role, signToken } from '../../domain/auth.js';
import { JWT_SECRET, tokenFor } from './app.js';
import { keyOf } from './fuzz-inputs.js';
import type { TokenKind } from './fuzz-requests.js';
import { policyAllows, ROUTE_PERMISSIONS } from './policy.js';

/** The caller a token kind stands for; `principal` when the token is a valid one. */
export type FuzzCaller = { headers: Record<string, string>; principal?: { roles: Role[]; partnerId?: string } };

/** What the route demands by the policy (the route's declaration only for a route the policy does not name yet: policy.test.ts fails then). */
const demandOf = (route: RouteDef) => ROUTE_PERMISSIONS[keyOf(route)] ?? route.permission;
const holds = (roles: readonly Role[], route: RouteDef) => roles.some((role) => policyAllows(role, demandOf(route)));

const PARTNER_ROLES: Role[] = ['partner_admin'];
/**
 * vendor_staff where the policy lets it call the route, else vendor_admin where that may (e.g. resolving an objection),
 * else the feeding machine identity vendor_system (the partner account's feed).
 */
const vendorRolesFor = (route: RouteDef): Role[] => [(['vendor_staff', 'vendor_admin', 'vendor_system'] as const).find((r) => holds([r], route)) ?? 'vendor_staff'];

/** Whether the policy lets both kinds of staff call the route (else `wrongRole`, the other kind, is certainly refused). */
export const bothKindsMayCall = (route: RouteDef) => holds(vendorRolesFor(route), route) && holds(PARTNER_ROLES, route);

/**
 * The token of one kind for `route`, partner staff of `partnerId` (the fixtures' partner) where it is partner staff.
 * `sub` is fresh per request: the per-token rate limit never interferes.
 */
export async function fuzzCaller(route: RouteDef, kind: TokenKind, partnerId: string, sub: string): Promise<FuzzCaller> {
  const vendor = vendorRolesFor(route);
  const vendorOk = holds(vendor, route);
  const partnerOk = holds(PARTNER_ROLES, route);
  const as = async (roles: Role[], partner?: string): Promise<FuzzCaller> => ({
    headers: { authorization: `Bearer ${await tokenFor(roles, partner, sub)}` },
    principal: { roles, ...(partner ? { partnerId: partner } : {}) },
  });
  const asVendor = () => as(vendor);
  const asPartner = () => as(PARTNER_ROLES, partnerId);
  switch (kind) {
    case 'authorized':
      return vendorOk ? asVendor() : asPartner();
    case 'owner':
      return partnerOk ? asPartner() : asVendor();
    case 'wrongRole': // the other kind of staff
      return vendorOk ? asPartner() : asVendor();
    case 'otherPartner':
      return as(PARTNER_ROLES, `P-other-${sub.slice(5, 13)}`);
    case 'none':
      return { headers: {} };
    case 'garbage':
      return { headers: { authorization: `Bearer ${sub}.${sub}.x` } };
    case 'malformedHeader':
      return { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } };
    case 'expired':
      return { headers: { authorization: `Bearer ${await signToken({ sub, roles: vendor }, JWT_SECRET, '-5m')}` } };
  }
}

/** One request as it goes out: the path segments as sent (`:name` → raw segment), the query string, the body bytes and headers. */
export type SentRequest = { segments: Record<string, string>; query: string; body: Buffer | undefined; headers: Record<string, string> };

const accepts = async (schema: z.ZodType | undefined, value: unknown) => {
  if (!schema) return true;
  try {
    return (await schema.safeParseAsync(value)).success;
  } catch {
    return true; // a schema that throws on this value decides nothing here
  }
};

const JSON_LIMIT_BYTES = 64 * 1024; // api/app.ts: bigger JSON is 413 before any route
/**
 * What the route may validate as its body: `refused` when the app's JSON parser answers 4xx itself, else the value
 * the route sees (`{}` when no JSON parser takes the Content-Type); undefined where this mirror does not decide (a
 * malformed Content-Type, a UTF-16 charset): nothing about the body is certain then.
 */
function bodySeen(body: Buffer | undefined, contentType: string | undefined): 'refused' | { value: unknown } | undefined {
  if (!body || body.length === 0 || contentType === undefined) return { value: {} };
  const media = /^\s*([a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+)\s*(;.*)?$/i.exec(contentType);
  if (!media) return undefined;
  const type = media[1]!.toLowerCase();
  if (type !== 'application/json' && !/^application\/[^/]+\+json$/.test(type)) return { value: {} };
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(media[2] ?? '')?.[1]?.toLowerCase();
  if (charset !== undefined && !charset.startsWith('utf-')) return 'refused'; // body-parser: 415 unsupported charset
  if (charset !== undefined && charset !== 'utf-8') return undefined;
  if (body.length > JSON_LIMIT_BYTES) return 'refused';
  const text = body.toString('utf8').replace(/^\ufeff/, '');
  if (!/^[\x20\x09\x0a\x0d]*[[{]/.test(text)) return 'refused'; // strict: an object or an array
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return 'refused';
  }
}

/** Params the fixtures' objects fill in: a hostile value names no object (ids are UUIDs or made of the fixture partner's id). */
const OBJECT_PARAMS = ['id', 'memberId', 'roleId', 'expertId', 'materialId', 'pathId', 'deliveryId'];

/**
 * Why this request is certainly refused, or undefined when it may legitimately be accepted. `mounted`: whether this
 * app mounts the route; `objectPartner`: the partner whose fixtures the route's `:id` names.
 */
export async function certainlyRefused(
  route: RouteDef,
  sent: SentRequest,
  caller: FuzzCaller,
  context: { mounted: boolean; objectPartner: string; hostileParams: readonly string[]; labelledBad?: string },
): Promise<string | undefined> {
  if (!context.mounted) return 'the route is not mounted on this app';
  if (demandOf(route) !== 'public') {
    if (!caller.principal) return 'no valid token';
    if (!holds(caller.principal.roles, route)) return `the policy gives none of [${caller.principal.roles}] ${demandOf(route)}`;
  }
  // Path segments: decoded as the router does, then the route's own params schema.
  const params: Record<string, string> = {};
  for (const [name, raw] of Object.entries(sent.segments)) {
    try {
      params[name] = decodeURIComponent(raw);
    } catch {
      return `:${name} is not valid percent-encoding`;
    }
  }
  if (!(await accepts(route.params, params))) return `the route's params schema refuses ${JSON.stringify(params).slice(0, 200)}`;
  const hostileObject = context.hostileParams.find((name) => OBJECT_PARAMS.includes(name));
  if (hostileObject) return `:${hostileObject} names no object`;
  // Partner staff on an object of another partner: the partner the path names, or the fixture partner's object (:id).
  const partnerOfCaller = caller.principal?.partnerId;
  const owner = params.partnerId ?? ('id' in params ? context.objectPartner : undefined);
  if (partnerOfCaller !== undefined && owner !== undefined && owner !== partnerOfCaller) return `partner staff of ${partnerOfCaller} on ${owner}'s object`;
  if (!(await accepts(route.query, parseQuery(sent.query)))) return "the route's query schema refuses the query";
  if (!route.rawBody) {
    const seen = bodySeen(sent.body, sent.headers['content-type']);
    if (seen === 'refused') return "the app's JSON parser refuses the body";
    const value = seen?.value;
    if (seen && !route.body && value !== null && typeof value === 'object' && Object.keys(value).length > 0) return 'a body where the route takes none';
    if (seen && route.body && !(await accepts(route.body, value))) return "the route's body schema refuses the body";
  }
  return context.labelledBad;
}

/**
 * What is wrong with an accepted (2xx) answer, whatever the request: it must be what the route declares for that
 * status (its response schema, or one of its download types), and answered to partner staff it must name no other
 * partner — neither the object itself nor any item of a list.
 */
export function acceptedAnswerProblems(route: RouteDef, res: { status: number; contentType: string; json: unknown }, caller: FuzzCaller): string[] {
  const declared = route.responses[res.status];
  if (!declared) return [`${res.status} is not an answer the route declares (${Object.keys(route.responses).join(', ')})`];
  const problems: string[] = [];
  const json = jsonSchemaOf(declared);
  if (isBinaryResponse(declared) && !(json && res.contentType.startsWith('application/json'))) {
    if (!declared.binary.some((type) => res.contentType.startsWith(type))) problems.push(`a download as ${res.contentType}, declared ${declared.binary.join(' or ')}${json ? ' or JSON' : ''}`);
  } else if (json) {
    const parsed = json.safeParse(res.json);
    if (!parsed.success) problems.push(`the answer does not match the route's ${res.status} schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  const partner = caller.principal?.partnerId;
  if (partner !== undefined && res.json !== null && typeof res.json === 'object') {
    const body = res.json as { partnerId?: unknown; items?: unknown };
    if ('partnerId' in body && body.partnerId !== partner) problems.push(`answered to partner staff of ${partner}: an object of ${String(body.partnerId)}`);
    const foreign = Array.isArray(body.items) ? body.items.filter((item) => item && typeof item === 'object' && 'partnerId' in item && item.partnerId !== partner) : [];
    if (foreign.length) problems.push(`answered to partner staff of ${partner}: ${foreign.length} item(s) of another partner`);
  }
  return problems;
}
