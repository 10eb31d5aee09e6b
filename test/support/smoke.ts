/**
 * One smoke run of every process through the HTTP API, and nothing else: no Prisma, no Temporal client. It runs in the
 * default test run against the in-process stack (test/smoke.test.ts) and against the production topology — the real
 * Temporal server, two workers, two API replicas — with `npm run test:cluster` (test/cluster/smoke.test.ts), so it
 * alternates its requests between the API base URLs it is given, and reads an accepted opportunity back from the
 * replica that did not accept it.
 *
 * Every fixture a process needs is set up through the API as a vendor or the cloud's billing system would (experts and
 * their attestation, path memberships, account facts, enterprises). Every id is new each run (partners, customers and
 * enterprises carry a random suffix), so a run may be repeated on the same database. Each wait is a bounded poll of
 * reads that, on timeout, names the step and the last answer it saw.
 */
import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { Role } from '../../domain/auth.js';

/** What a token says: the claims domain/auth.ts signToken takes. */
export type Claims = { sub: string; roles: Role[]; partnerId?: string; customerId?: string; accountType?: string };
export type Answer = { status: number; body: any; headers: Headers };

/**
 * The path whose review cycle the smoke run starts, and the default year: no test file starts CONSULTING_SI reviews of
 * 2025 (a cycle is one per path and year in a database and one workflow id in a Temporal namespace).
 */
const REVIEW_PATH = 'CONSULTING_SI';
const REVIEW_YEAR = 2025;

export type SmokeOptions = {
  /**
   * The path-review cycle's year (2020 to next year). Two smoke runs on one Temporal namespace with different
   * databases (the in-process one and the cluster's under npm run test:cluster) should use different years: one
   * would otherwise join the other's cycle, which reviews the other database's members.
   */
  reviewYear?: number;
};

/** How long one step may wait for a process to reach the state it expects. */
const STEP_TIMEOUT_MS = 30_000;
/** How often a step waiting for a run over every partner asks for the run again (each ask may start a whole run). */
const RESTART_EVERY_MS = 3_000;

/** `act`, at most once every `ms` (the first call acts only after `ms`: the step has just asked). */
function throttled(ms: number, act: () => Promise<unknown>): () => Promise<void> {
  let last = Date.now();
  return async () => {
    if (Date.now() - last < ms) return;
    last = Date.now();
    await act();
  };
}

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');

/** The current month (YYYY-MM) in Asia/Shanghai, the zone the partner center counts periods in. */
const currentPeriod = () => new Date(Date.now() + 8 * 3_600_000).toISOString().slice(0, 7);

/** A unified social credit code (GB 32100-2015) with its check character: 9 1 (a company), Hangzhou, 9 random characters. */
function creditCode(): string {
  const alphabet = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  const body = '91330100' + Array.from({ length: 9 }, () => alphabet[randomInt(31)]).join('');
  const sum = weights.reduce((total, w, i) => total + w * alphabet.indexOf(body[i]!), 0);
  return body + alphabet[(31 - (sum % 31)) % 31];
}

const brief = (answer: Answer | undefined) => (answer ? `${answer.status} ${JSON.stringify(answer.body)?.slice(0, 600)}` : 'no answer yet');

/** Requests to the API replicas in turn, and the checks of a smoke step. */
class Replicas {
  #next = 0;
  constructor(readonly apis: string[]) {
    if (apis.length === 0) throw new Error('smokeEveryProcess needs at least one API base URL');
  }

  /** A request to replica `replica`, or to the next one in turn: JSON in (raw bytes when the body is a Buffer), JSON or text out. */
  async call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}, replica?: number): Promise<Answer> {
    const base = this.apis[(replica ?? this.#next++) % this.apis.length]!;
    const bytes = Buffer.isBuffer(body);
    const res = await fetch(base + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined && !bytes ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: bytes ? new Uint8Array(body) : JSON.stringify(body) } : {}),
    }).catch((error: Error) => {
      // A replica that is down or a wrong URL: say which, rather than fetch's bare "fetch failed".
      throw new Error(`smoke: ${method} ${base}${path} got no answer: ${error.message} (${String((error.cause as Error | undefined)?.message ?? '')})`);
    });
    const text = await res.text();
    const json = /json/.test(res.headers.get('content-type') ?? '');
    return { status: res.status, body: json && text ? JSON.parse(text) : text, headers: res.headers };
  }

  /** The answer when its status is `status`; otherwise an error naming the step and the answer. */
  expect(step: string, answer: Answer, status: number): any {
    if (answer.status !== status) throw new Error(`smoke step "${step}": expected ${status}, got ${brief(answer)}`);
    return answer.body;
  }

  /** Polls `probe` (which reads through the API) until it returns a value; a timeout names the step and the last answer. */
  async until<T>(step: string, probe: (seen: (a: Answer) => Answer) => Promise<T | undefined>, timeoutMs = STEP_TIMEOUT_MS): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: Answer | undefined;
    const seen = (a: Answer) => (last = a);
    for (;;) {
      const value = await probe(seen);
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`smoke step "${step}": not reached within ${timeoutMs} ms; last answer: ${brief(last)}`);
      // A 429 or 503 says when to come back; otherwise a short pause.
      const retryAfter = Number(last?.headers.get('retry-after'));
      await new Promise((r) => setTimeout(r, retryAfter > 0 ? Math.min(retryAfter * 1000, 2_000) : 200));
    }
  }
}

/**
 * Runs every process once through the API at `apis` (requests alternate between them), with tokens from `token`.
 * `say` hears one line per step done. Throws on the first step that fails, naming it and the answer it got.
 */
export async function smokeEveryProcess(
  apis: string[],
  token: (claims: Claims) => Promise<string>,
  say: (line: string) => void = () => {},
  { reviewYear = REVIEW_YEAR }: SmokeOptions = {},
): Promise<void> {
  const api = new Replicas(apis);
  const run = randomUUID().slice(0, 8);
  const partnerId = `P-smoke-${run}`;
  const vendor = {
    staff: await token({ sub: 'smoke-staff', roles: ['vendor_staff'] }),
    admin: await token({ sub: 'smoke-admin', roles: ['vendor_admin'] }),
    manager: await token({ sub: 'smoke-manager', roles: ['vendor_ecosystem_manager'] }),
    reviewer: await token({ sub: 'smoke-reviewer', roles: ['vendor_reviewer'] }),
    billing: await token({ sub: 'smoke-billing', roles: ['vendor_system'] }),
  };
  const partner = await token({ sub: `${partnerId}-admin`, roles: ['partner_admin'], partnerId });
  const context = { api, run, partnerId, vendor, partner, say, reviewYear };
  say(`partner ${partnerId}, ${apis.length} API base URL(s): ${[...new Set(apis)].join(', ')}`);

  await agreementInForceSigned(context);
  await opportunityShared(context);
  await expertsAttested(context);
  await incentiveGenerated(context);
  await certificationApproved(context);
  await pathReviewOpened(context);
  await solutionProviderJoined(context);
  await fundsAllocated(context, await token({ sub: `C-smoke-${run}-account`, roles: ['customer'], customerId: `C-smoke-${run}`, accountType: 'customer' }));
}

type Context = { api: Replicas; run: string; partnerId: string; vendor: Record<'staff' | 'admin' | 'manager' | 'reviewer' | 'billing', string>; partner: string; say: (line: string) => void; reviewYear: number };

/**
 * A gated partner action (docs/agreements.md): when an agreement version in force is not signed — one published while
 * the run goes on — the partner signs it and asks again. The smoke run never publishes one: that would gate every
 * partner of the stack.
 */
async function signedIfGated(c: Context, step: string, act: () => Promise<Answer>): Promise<Answer> {
  for (let signed = 0; ; signed++) {
    const answer = await act();
    if (answer.status !== 403 || answer.body?.agreementId === undefined || signed >= 3) return answer;
    const agreementId = answer.body.agreementId as string;
    const agreement = c.api.expect(`${step}: the agreement in force`, await c.api.call('GET', `/v1/agreements/${agreementId}`, c.partner), 200);
    const signature = await c.api.call('POST', `/v1/partners/${c.partnerId}/agreements/${agreementId}/signature`, c.partner, { textSha256: agreement.textSha256 });
    c.api.expect(`${step}: signing agreement ${agreementId}`, signature, 200);
    c.say(`  signed the agreement in force (${agreementId})`);
  }
}

/** The partner signs the agreement version in force on this stack, if there is one (as the walkthroughs do first). */
async function agreementInForceSigned(c: Context): Promise<void> {
  const entities = c.api.expect('agreement in force', await c.api.call('GET', `/v1/partners/${c.partnerId}/contracting-entities`, c.partner), 200);
  const agreementId = entities.items?.find((i: { inForce?: boolean }) => i.inForce)?.agreementId as string | undefined;
  if (!agreementId) return;
  const agreement = c.api.expect('agreement in force: read', await c.api.call('GET', `/v1/agreements/${agreementId}`, c.partner), 200);
  const signature = await c.api.call('POST', `/v1/partners/${c.partnerId}/agreements/${agreementId}/signature`, c.partner, { textSha256: agreement.textSha256 });
  c.api.expect(`agreement in force: signing ${agreementId}`, signature, 200);
  c.say(`signed the agreement in force (${agreementId})`);
}

/** Shared by the vendor on one replica, accepted by the partner on the other, read back ACCEPTED on the first. */
async function opportunityShared(c: Context): Promise<void> {
  const step = 'opportunity shared and accepted';
  const body = { partnerId: c.partnerId, customerName: 'Smoke Test Ltd.', title: `Smoke ${c.run}`, estimatedAmount: { currency: 'CNY', minor: 100_000 } };
  const shared = c.api.expect(step, await c.api.call('POST', '/v1/opportunities', c.vendor.staff, body, { 'Idempotency-Key': `smoke-${c.run}-share` }, 0), 201);
  if (shared.status !== 'PENDING_ACCEPTANCE') throw new Error(`smoke step "${step}": shared as ${shared.status}`);
  const accepted = await signedIfGated(c, step, () => c.api.call('POST', `/v1/opportunities/${shared.id}/accept`, c.partner, undefined, {}, 1));
  c.api.expect(step, accepted, 200);
  const read = c.api.expect(`${step}: read back from the other replica`, await c.api.call('GET', `/v1/opportunities/${shared.id}`, c.partner, undefined, {}, 0), 200);
  if (read.status !== 'ACCEPTED') throw new Error(`smoke step "${step}": the other replica reads ${read.status}, not ACCEPTED`);
  c.say(`opportunity ${shared.id}: shared, accepted, ACCEPTED on the other replica`);
}

/** Three full-time experts, one a CLOUD_EXPERT, registered by the vendor and attested (what ROLE_CONSULTING needs). */
async function expertsAttested(c: Context): Promise<void> {
  const since = '2020-01-01';
  const certifications = [{ type: 'CLOUD_EXPERT', validFrom: since, validTo: '2099-12-31' }];
  for (const employeeId of ['E1', 'E2', 'E3']) {
    const step = `expert ${employeeId} registered and attested`;
    const facts = { fullTimeSince: since, ...(employeeId === 'E1' ? { certifications } : {}) };
    const path = `/v1/partners/${c.partnerId}/experts`;
    const expert = c.api.expect(step, await c.api.call('POST', path, c.vendor.admin, { employeeId, name: `Smoke Expert ${employeeId}`, fullTime: true, ...facts }), 201);
    c.api.expect(step, await c.api.call('POST', `${path}/${expert.id}/attestation`, c.vendor.manager, facts), 200);
  }
  c.say('3 experts registered and attested');
}

/** A run of the current month covers the partner (an active expert registered this month): its incentive appears. */
async function incentiveGenerated(c: Context): Promise<void> {
  const step = 'incentive run';
  const period = currentPeriod();
  c.api.expect(step, await c.api.call('POST', '/v1/admin/incentive-runs', c.vendor.admin, { period }), 202);
  const incentiveId = `${c.partnerId}-${period}`;
  const again = throttled(RESTART_EVERY_MS, () => c.api.call('POST', '/v1/admin/incentive-runs', c.vendor.admin, { period }));
  const incentive = await c.api.until(`${step}: incentive ${incentiveId} appears`, async (seen) => {
    const answer = seen(await c.api.call('GET', `/v1/incentives/${incentiveId}`, c.partner));
    if (answer.status === 200) return answer.body;
    // The POST joins a run of this month in progress, which may have listed its partners before this one had an
    // expert — or be another stack's on a shared Temporal namespace (npm run test:cluster runs the in-process smoke
    // beside the cluster's). Asked again once that run is over, it starts one of our own that picks the partner up.
    await again();
    return undefined;
  });
  c.say(`incentive ${incentiveId}: ${incentive.status}`);
}

/** A ROLE_CONSULTING application: draft, both materials uploaded and set, submitted, approved by a reviewer. */
async function certificationApproved(c: Context): Promise<void> {
  const step = 'certification approved';
  const draft = c.api.expect(`${step}: draft`, await c.api.call('POST', '/v1/certifications', c.partner, { type: 'ROLE_CONSULTING' }), 201);
  const materials = [];
  for (const kind of ['CASE_STUDIES', 'TEAM_ROSTER']) {
    const headers = { 'content-type': 'application/pdf', 'content-disposition': `attachment; filename="${kind.toLowerCase()}.pdf"` };
    // The same bytes twice would be one file: each kind gets its own.
    const bytes = Buffer.concat([PDF, Buffer.from(`%${kind}\n`)]);
    const file = await c.api.until(`${step}: ${kind} uploaded`, async (seen) => {
      const answer = seen(await c.api.call('POST', `/v1/certifications/${draft.id}/files`, c.partner, bytes, headers));
      return answer.status === 201 || answer.status === 200 ? answer.body : answer.status === 409 && answer.headers.get('retry-after') ? undefined : c.api.expect(`${step}: ${kind} uploaded`, answer, 201);
    });
    materials.push({ kind, materialId: file.id as string });
  }
  c.api.expect(`${step}: materials set`, await c.api.call('PUT', `/v1/certifications/${draft.id}/materials`, c.partner, { materials }), 200);
  c.api.expect(`${step}: submitted`, await c.api.call('POST', `/v1/certifications/${draft.id}/submit`, c.partner), 200);
  const decided = c.api.expect(`${step}: reviewed`, await c.api.call('POST', `/v1/certifications/${draft.id}/review`, c.vendor.reviewer, { decision: 'APPROVE' }), 200);
  if (decided.status !== 'APPROVED') throw new Error(`smoke step "${step}": the review left it ${decided.status}`);
  const certificate = await c.api.until(`${step}: certificate issued`, async (seen) => {
    const answer = seen(await c.api.call('GET', `/v1/partners/${c.partnerId}/certificates`, c.partner));
    return answer.status === 200 ? answer.body.items?.find((i: { type: string }) => i.type === 'ROLE_CONSULTING') : undefined;
  });
  c.say(`certification ${draft.id}: APPROVED, certificate ${certificate.number}`);
}

/** The partner joins CONSULTING_SI; a cycle of the path is started and the partner's review opens. */
async function pathReviewOpened(c: Context): Promise<void> {
  const step = 'path-review cycle';
  c.api.expect(`${step}: membership`, await c.api.call('PUT', `/v1/partners/${c.partnerId}/paths/${REVIEW_PATH}`, c.vendor.manager, { level: 'MEMBER' }), 200);
  const start = { pathId: REVIEW_PATH, year: c.reviewYear };
  c.api.expect(`${step}: started`, await c.api.call('POST', '/v1/admin/path-reviews', c.vendor.manager, start), 202);
  const reviewId = `${REVIEW_PATH}-${c.partnerId}-${c.reviewYear}`;
  const again = throttled(RESTART_EVERY_MS, () => c.api.call('POST', '/v1/admin/path-reviews', c.vendor.manager, start));
  const review = await c.api.until(`${step}: review ${reviewId} opens`, async (seen) => {
    const answer = seen(await c.api.call('GET', `/v1/path-reviews/${reviewId}`, c.partner));
    if (answer.status === 200 && answer.body.status === 'OPEN') return answer.body;
    // As for the incentive run: a cycle already running may have listed its members before the partner joined; once
    // it is over, another run picks up members added since (and starts no review twice).
    if (answer.status === 404) await again();
    return undefined;
  });
  c.say(`path review ${reviewId}: OPEN until ${review.windowEndsAt}`);
}

/** Billing feeds the facts the SOLUTION_PROVIDER plan looks at; the partner asks to join and confirms: JOINED. */
async function solutionProviderJoined(c: Context): Promise<void> {
  const step = 'enrollment SOLUTION_PROVIDER';
  const observedAt = new Date().toISOString();
  const facts = [
    { kind: 'PROGRAM_MEMBERSHIP', subject: 'SOLUTION_PROVIDER', value: { state: 'NOT_JOINED' }, observedAt },
    { kind: 'DISTRIBUTOR_RELATIONSHIP', value: { relation: 'NONE' }, observedAt },
    { kind: 'OPEN_RESOURCES', value: { count: 0 }, observedAt },
    { kind: 'FROZEN', value: { frozen: false }, observedAt },
    { kind: 'ENTERPRISE_ROLE', value: { role: 'NONE' }, observedAt },
  ];
  const fed = await c.api.call('POST', `/v1/partners/${c.partnerId}/account/facts`, c.vendor.billing, { source: 'billing', facts }, { 'Idempotency-Key': `smoke-${c.run}-facts` });
  c.api.expect(`${step}: facts fed`, fed, 201);
  const requested = await signedIfGated(c, step, () => c.api.call('POST', `/v1/partners/${c.partnerId}/enrollments`, c.partner, { program: 'SOLUTION_PROVIDER' }));
  const enrollment = c.api.expect(`${step}: requested`, requested, 201);
  // Until the workflow has recorded the request it refuses every action ("still being requested"): poll the preview.
  const preview = await c.api.until(`${step}: preview`, async (seen) => {
    const answer = seen(await c.api.call('GET', `/v1/enrollments/${enrollment.id}/voided-instruments-preview`, c.partner));
    return answer.status === 200 ? answer.body : undefined;
  });
  const joined = await c.api.until(`${step}: confirmed`, async (seen) => {
    const answer = seen(await c.api.call('POST', `/v1/enrollments/${enrollment.id}/confirm`, c.partner, { instrumentsHash: preview.instrumentsHash }));
    return answer.status === 200 ? answer.body : answer.status === 409 ? undefined : c.api.expect(`${step}: confirmed`, answer, 200);
  });
  if (joined.status !== 'JOINED') throw new Error(`smoke step "${step}": confirmed as ${joined.status}`);
  c.say(`enrollment ${enrollment.id}: JOINED`);
}

/**
 * Customers and money, cut to what an allocation needs: an enterprise imported, reported by the partner, the customer
 * associated through the invitation link, a recharge fed, and ¥10.00 allocated to the customer.
 */
async function fundsAllocated(c: Context, customer: string): Promise<void> {
  const step = 'funds allocated';
  const customerId = `C-smoke-${c.run}`;
  const code = creditCode();
  // A name of its own each run (from the run id), so that no earlier run's enterprise is confused with it.
  const chars = '金银星海山川峰林泉华景明德信诚宏远恒泰瑞祥嘉禾丰盛鼎新';
  const seed = createHash('sha256').update(c.run).digest();
  const name = `杭州${[0, 1, 2].map((i) => chars[seed.readUInt16BE(2 * i) % chars.length]).join('')}烟测网络科技有限公司`;
  const ndjson = Buffer.from(JSON.stringify({ creditCode: code, name, region: '浙江省杭州市' }) + '\n');
  const imported = await c.api.call('POST', '/v1/enterprises/import', c.vendor.manager, ndjson, { 'content-type': 'application/x-ndjson', 'Idempotency-Key': `smoke-${c.run}-import` });
  const result = c.api.expect(`${step}: enterprise imported`, imported, 200);
  if (result.accepted !== 1) throw new Error(`smoke step "${step}": the import accepted ${result.accepted} of 1: ${JSON.stringify(result.results)}`);

  const reported = await signedIfGated(c, step, () =>
    c.api.call('POST', `/v1/partners/${c.partnerId}/customer-reports`, c.partner, { creditCode: code }, { 'Idempotency-Key': `smoke-${c.run}-report` }),
  );
  const report = c.api.expect(`${step}: customer reported`, reported, 201);
  const observedAt = new Date().toISOString();
  const customerFacts = [
    { kind: 'ENTERPRISE', value: { creditCode: code }, observedAt },
    { kind: 'FROZEN', value: { frozen: false }, observedAt },
    { kind: 'RESERVED_INSTANCES', value: { count: 0 }, observedAt },
    { kind: 'SUPPORT_PLANS', value: { count: 0 }, observedAt },
  ];
  const fed = await c.api.call('POST', `/v1/customers/${customerId}/facts`, c.vendor.billing, { source: 'iam', facts: customerFacts }, { 'Idempotency-Key': `smoke-${c.run}-customer` });
  c.api.expect(`${step}: customer facts fed`, fed, 201);
  const invitation = await c.api.until(`${step}: invitation issued`, async (seen) => {
    const answer = seen(await c.api.call('POST', `/v1/customer-reports/${report.id}/invitation`, c.partner, { mode: 'RESELLER' }));
    return answer.status === 201 ? answer.body : answer.status === 409 && answer.headers.get('retry-after') ? undefined : c.api.expect(`${step}: invitation`, answer, 201);
  });
  const association = c.api.expect(`${step}: invitation accepted`, await c.api.call('POST', `${invitation.path}/accept`, customer), 201);
  if (association.customerId !== customerId || association.mode !== 'RESELLER') throw new Error(`smoke step "${step}": associated as ${JSON.stringify(association)}`);

  const entries = [{ kind: 'RECHARGE', key: `smoke-${c.run}-recharge`, amount: { currency: 'CNY', minor: 5_000 }, occurredAt: observedAt }];
  const recharged = await c.api.call('POST', `/v1/partners/${c.partnerId}/account/ledger-entries`, c.vendor.billing, { source: 'billing', entries }, { 'Idempotency-Key': `smoke-${c.run}-ledger` });
  c.api.expect(`${step}: recharge fed`, recharged, 201);
  const allocated = await signedIfGated(c, step, () =>
    c.api.call('POST', `/v1/partners/${c.partnerId}/customers/${customerId}/allocations`, c.partner, { amount: { currency: 'CNY', minor: 1_000 }, memo: 'smoke' }, {
      'Idempotency-Key': `smoke-${c.run}-allocation`,
    }),
  );
  const allocation = c.api.expect(`${step}: allocated`, allocated, 201);
  if (allocation.unspentAfter !== 1_000) throw new Error(`smoke step "${step}": the customer holds ${allocation.unspentAfter}, not 1000`);
  const account = c.api.expect(`${step}: account read`, await c.api.call('GET', `/v1/partners/${c.partnerId}/account`, c.partner), 200);
  const cny = account.balances?.find((b: { currency: string }) => b.currency === 'CNY');
  if (cny?.recharge !== 4_000) throw new Error(`smoke step "${step}": the partner's recharge balance is ${JSON.stringify(cny)}, not 4000 after allocating 1000 of 5000`);
  c.say(`customer ${customerId}: reported, associated, ¥10.00 allocated (allocation ${allocation.id})`);
}
