/**
 * How the access matrix (test/access-matrix.test.ts) judges one answer — its status, a refusal's problem, a success's
 * body against the route's own response schema and whose object it is —, the refused writes it runs one at a time on
 * a quiet database (each must leave EVERY table as it was: support/snapshot.ts), and the evidence that every list
 * route was checked for another partner's items where that check can fail.
 */
import { isBinaryResponse, jsonSchemaOf, type RouteDef } from '../../api/kit/http.js';
import { PARTNER_ROLES } from '../../domain/auth.js';
import type { PrismaClient } from '../../platform/db.js';
import type { Call } from './app.js';
import { type Caller, type Expected, type MatrixEntry, type MatrixObject, type MatrixRequest, routeKey } from './access-matrix.js';
import { policyAllows, ROUTE_PERMISSIONS } from './policy.js';
import { databaseSnapshot, tableChanges, untilQuiet } from './snapshot.js';

export type Case = {
  mode: 'normal' | 'time-skipping';
  key: string;
  route: RouteDef;
  entry: MatrixEntry;
  caller: Caller;
  expected: Expected;
  object?: 'fresh' | 'shared';
  target?: MatrixObject;
};

type Body = Record<string, unknown>;
const isObject = (v: unknown): v is Body => v !== null && typeof v === 'object' && !Buffer.isBuffer(v) && !Array.isArray(v);

/** Whose a created object is when its answer does not say: an upload's stored row names its partner. */
async function storedPartnerOf(prisma: PrismaClient, id: unknown): Promise<string | undefined> {
  if (typeof id !== 'string' || !/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(id)) return undefined;
  return (await prisma.material.findUnique({ where: { id }, select: { partnerId: true } }))?.partnerId;
}

/** What is wrong with an answer that has the expected status: a refusal's problem shape, a success's body. */
export async function answerProblems(c: Case, request: MatrixRequest, res: Call, prisma: PrismaClient): Promise<string[]> {
  if (res.status >= 300) {
    const type = res.headers.get('content-type') ?? '(none)';
    if (!/^application\/problem\+json/.test(type)) return [`${res.status} as ${type}, expected application/problem+json`];
    if (res.body?.status !== res.status || typeof res.body?.type !== 'string') return [`${res.status} with a problem body that does not say so: ${JSON.stringify(res.body).slice(0, 120)}`];
    return [];
  }
  const wrong: string[] = [];
  // The answer is what the route declares for this status (the OpenAPI document says the same).
  const declared = c.route.responses[res.status];
  if (!declared) return [`${res.status} is not an answer the route declares`];
  const type = res.headers.get('content-type') ?? '';
  const json = jsonSchemaOf(declared);
  if (isBinaryResponse(declared) && !(json && type.startsWith('application/json'))) {
    if (!declared.binary.some((t) => type.startsWith(t))) wrong.push(`a download as ${type}, declared ${declared.binary.join(' or ')}${json ? ' or JSON' : ''}`);
  } else if (json) {
    const parsed = json.safeParse(res.body);
    if (!parsed.success) wrong.push(`the answer does not match the route's ${res.status} schema: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  }
  // Whose: partner staff are answered only their partner's object and items; what they create is their partner's.
  const partner = c.caller.principal?.partnerId;
  const body = res.body as unknown;
  if (partner !== undefined && isObject(body)) {
    if ('partnerId' in body && body.partnerId !== partner) wrong.push(`an object of ${String(body.partnerId)} answered to staff of ${partner}`);
    const foreign = Array.isArray(body.items) ? body.items.filter((item) => isObject(item) && 'partnerId' in item && item.partnerId !== partner) : [];
    if (foreign.length) wrong.push(`listing ${foreign.length} item(s) of another partner (${JSON.stringify(foreign[0]).slice(0, 120)})`);
    if (res.status === 201 && !('partnerId' in body)) {
      const stored = await storedPartnerOf(prisma, body.id);
      if (stored !== partner) wrong.push(`created ${String(body.id)}, which is ${stored ? `${stored}'s` : "no partner's that the answer or its row names"}`);
    }
  }
  // A vendor creating for a partner (sharing an opportunity): the object is that partner's.
  const asked = isObject(request.body) ? request.body.partnerId : undefined;
  if (partner === undefined && res.status === 201 && typeof asked === 'string' && isObject(body) && body.partnerId !== asked) {
    wrong.push(`created for ${asked}, answered as ${String(body.partnerId)}'s`);
  }
  return wrong;
}

/**
 * Runs `run` for each refused write, one at a time on a database nothing else writes to, and compares the WHOLE
 * database before and after each: a refused call that inserts, updates or deletes anything anywhere fails, whichever
 * table it touched. Returns the failures (the run's own, and one line per call that changed something).
 */
export async function refusedOneAtATime<T>(prisma: PrismaClient, items: readonly T[], label: (item: T) => string, run: (item: T) => Promise<string | undefined>): Promise<string[]> {
  const failures: string[] = [];
  let before = await untilQuiet(() => databaseSnapshot(prisma));
  for (const item of items) {
    const wrong = await run(item);
    if (wrong) failures.push(wrong);
    const after = await databaseSnapshot(prisma);
    const changed = tableChanges(before, after);
    if (changed.length) failures.push(`${label(item)} → refused, yet it changed the database: ${changed.join('; ')}`);
    before = after;
  }
  return failures;
}

/** The keys of a list route's items (its 200 answer is `{ items: [...] }`); undefined for any other route. */
export function listItemKeys(route: RouteDef): string[] | undefined {
  const ok = route.responses[200];
  if (!ok || isBinaryResponse(ok)) return undefined;
  const items = (ok as unknown as { shape?: { items?: { element?: { shape?: Record<string, unknown> } } } }).shape?.items;
  if (!items?.element) return undefined;
  return Object.keys(items.element.shape ?? {});
}

/** Per list route: answers to another partner's staff whose items were checked, and items a vendor saw that are not that partner's. */
export type ListEvidence = Map<string, { checkedForOther: number; notOthersSeenByVendor: number }>;

/** Notes what a successful list answer shows (call for every 200 answer). */
export function noteListAnswer(evidence: ListEvidence, c: Case, res: Call, otherPartner: string): void {
  if (c.mode !== 'normal' || res.status !== 200 || !listItemKeys(c.route) || !Array.isArray(res.body?.items)) return;
  const seen = evidence.get(c.key) ?? { checkedForOther: 0, notOthersSeenByVendor: 0 };
  const items = res.body.items as unknown[];
  if (c.caller.side === 'other' && !c.caller.iam && !c.caller.deactivated) seen.checkedForOther++;
  if (c.caller.principal && !c.caller.principal.partnerId && !c.caller.iam) {
    seen.notOthersSeenByVendor += items.filter((item) => isObject(item) && 'partnerId' in item && item.partnerId !== otherPartner).length;
  }
  evidence.set(c.key, seen);
}

/**
 * Every list route can be seen to leak, or cannot leak: its items name their partner, another partner's staff were
 * answered and checked, and the vendor's answer to the same request holds items that are not theirs (an answer that
 * ignored the caller's partner would hold them too) — or the path scopes it to one partner's object (another partner's
 * staff get 404, the status check), or it is a catalog (`catalogs`: no partner's data). Returns what is missing.
 */
export function listCoverage(routes: readonly RouteDef[], table: Record<string, MatrixEntry>, catalogs: Record<string, string>, evidence: ListEvidence): string[] {
  const missing: string[] = [];
  for (const route of routes) {
    const key = routeKey(route);
    const keys = listItemKeys(route);
    if (!keys) continue;
    if (catalogs[key] !== undefined) {
      if (keys.includes('partnerId')) missing.push(`${key} is declared a catalog, yet its items name a partner`);
      continue;
    }
    if (table[key]?.partnerOwned) continue;
    const demand = ROUTE_PERMISSIONS[key] ?? route.permission;
    const partnerStaffMayList = PARTNER_ROLES.some((role) => policyAllows(role, demand));
    if (!keys.includes('partnerId')) {
      missing.push(`${key} lists items that do not say whose they are: give them a partnerId, scope the path to a partner, or declare it a catalog`);
      continue;
    }
    if (!partnerStaffMayList) continue; // partner staff are refused (403): nothing to leak to them
    const seen = evidence.get(key);
    if (!seen?.checkedForOther) missing.push(`${key}: no 200 answer to another partner's staff was checked for foreign items`);
    else if (!seen.notOthersSeenByVendor) missing.push(`${key}: the vendor's answer held no item of another partner than the caller's — a leak could not have shown`);
  }
  return missing;
}
