/**
 * One chaos run against one topology (scripts/cluster/cluster.ts: the real Temporal server, or the dev server on a
 * file; two workers, two API replicas, a PostgreSQL of its own): 1,000 opportunities shared and half of them accepted
 * while the harness kills a worker (kill -9) during the shares and again during the accepts, kills an API replica
 * mid-request, takes PostgreSQL down for 30 s, and kills Temporal and starts it again. Then it checks what users
 * expect: nothing lost, the database equal to Temporal, one outcome per Idempotency-Key however often it was sent,
 * no answer 500, every 503 problem+json with Retry-After, and /healthz degraded during the outage and ok after.
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Client, Connection } from '@temporalio/client';
import { signToken } from '../../domain/auth.js';
import { devJwtSecret } from '../../platform/config.js';
import { getState, opportunityWorkflowId } from '../../workflows/opportunity/contract.js';
import type { Cluster } from '../cluster/cluster.js';
import type { Child } from '../stack.js';
import { type Answer, inLanes, newTally, replicaClient } from './client.js';

export type ChaosOptions = { processes: number; outageSeconds: number; say: (line: string) => void };
export type ChaosFigures = Record<string, number | string>;

const partnerOf = (i: number) => `P-chaos-${i % 50}`;

export async function runChaos(cluster: Cluster, o: ChaosOptions): Promise<{ figures: ChaosFigures; failures: string[] }> {
  const { say } = o;
  const tally = newTally();
  const api = replicaClient(cluster.apiUrls, tally);
  const vendor = await signToken({ sub: 'chaos-vendor', roles: ['vendor_staff'] }, devJwtSecret, '2h');
  const partnerTokens = new Map<string, string>();
  const partnerToken = async (partnerId: string) => {
    if (!partnerTokens.has(partnerId)) partnerTokens.set(partnerId, await signToken({ sub: `chaos-${partnerId}`, roles: ['partner_sales'], partnerId }, devJwtSecret, '2h'));
    return partnerTokens.get(partnerId)!;
  };
  const failures: string[] = [];
  const figures: ChaosFigures = {};
  const run = randomUUID().slice(0, 8);
  // A fault whose process could not be started again (the harness interrupted meanwhile) fails the run, never the process.
  const faultFailed = (error: Error) => failures.push(`a fault's restart failed: ${error.message}`);

  // --- shares, a worker killed a third of the way ---------------------------------------------------------------
  const keys: string[] = Array.from({ length: o.processes }, () => randomUUID());
  const shared = new Map<string, string>(); // Idempotency-Key → opportunity id
  const killAt = Math.floor(o.processes / 3);
  let killedDuringShares = false;
  const started = Date.now();
  await inLanes(keys, 16, async (key, i) => {
    if (i === killAt && !killedDuringShares) {
      killedDuringShares = true;
      void killWorker(cluster, 0, say).catch(faultFailed);
    }
    const res = await api.send('POST', '/v1/opportunities', vendor, { partnerId: partnerOf(i), customerName: `Chaos ${run}`, title: `chaos ${key}` }, key);
    if (res.status === 201) shared.set(key, (res.body as { id: string }).id);
    else failures.push(`share ${key} answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  });
  figures['shares answered 201'] = `${shared.size}/${o.processes} in ${((Date.now() - started) / 1000).toFixed(1)} s`;

  // The same key again, for every tenth share: the same opportunity, not a second one.
  let sameOutcome = 0;
  const resent = keys.filter((_, i) => i % 10 === 0);
  await inLanes(resent, 8, async (key) => {
    const i = keys.indexOf(key);
    const res = await api.send('POST', '/v1/opportunities', vendor, { partnerId: partnerOf(i), customerName: `Chaos ${run}`, title: `chaos ${key}` }, key);
    if (res.status === 201 && (res.body as { id: string }).id === shared.get(key)) sameOutcome++;
    else failures.push(`share ${key} sent again answered ${res.status} (${(res.body as { id?: string })?.id}), not its opportunity ${shared.get(key)}`);
  });
  figures['Idempotency-Keys sent twice, same opportunity'] = `${sameOutcome}/${resent.length}`;

  // --- accepts of half, a worker killed, then an API replica killed mid-request -----------------------------------
  const toAccept = [...shared.entries()].filter((_, i) => i % 2 === 0);
  let acceptedOk = 0;
  await inLanes(toAccept, 16, async ([key, id], i) => {
    if (i === Math.floor(toAccept.length / 5)) void killWorker(cluster, 1, say).catch(faultFailed);
    if (i === Math.floor(toAccept.length / 2)) void killApi(cluster, 0, say).catch(faultFailed);
    const res = await api.send('POST', `/v1/opportunities/${id}/accept`, await partnerToken(partnerOf(keys.indexOf(key))));
    // A retried accept whose first attempt took effect answers 409 with the opportunity ACCEPTED: one outcome.
    if (res.status === 200 || (res.status === 409 && isAccepted(res))) acceptedOk++;
    else failures.push(`accept ${id} answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  });
  figures['accepts done'] = `${acceptedOk}/${toAccept.length}`;

  // --- PostgreSQL down, requests and health probes meanwhile ------------------------------------------------------
  if (cluster.postgres) {
    const health = new Set<string>();
    const probing = { on: true };
    const probe = (async () => {
      while (probing.on) {
        for (const base of cluster.apiUrls) {
          const res = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
          if (res) health.add(`${res.status} ${((await res.json().catch(() => ({}))) as { status?: string }).status}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    say(`PostgreSQL down for ${o.outageSeconds} s`);
    await cluster.postgres.pause();
    const during = extraShares(api, vendor, run, 50, shared, failures);
    await new Promise((r) => setTimeout(r, o.outageSeconds * 1000));
    await cluster.postgres.resume();
    say('PostgreSQL back');
    await during;
    await waitUntil(async () => (await fetch(`${cluster.apiUrls[0]}/healthz`).catch(() => undefined))?.status === 200, 120_000, '/healthz ok after the database outage');
    probing.on = false;
    await probe;
    figures['/healthz seen during the database outage'] = [...health].sort().join(', ');
    if (![...health].some((h) => h.startsWith('503'))) failures.push('/healthz never answered 503 degraded while PostgreSQL was down');
  }

  // --- Temporal killed (kill -9) and started again ----------------------------------------------------------------
  say('Temporal killed');
  cluster.release(cluster.server);
  killGroup(cluster.server);
  await cluster.server.exited;
  const duringTemporal = extraShares(api, vendor, run, 50, shared, failures);
  await new Promise((r) => setTimeout(r, 10_000));
  await cluster.restartTemporal();
  say('Temporal started again');
  await duringTemporal;

  // --- what users expect --------------------------------------------------------------------------------------------
  const verdict = await verify(cluster, shared, new Set(toAccept.map(([, id]) => id)), run);
  Object.assign(figures, verdict.figures);
  failures.push(...verdict.failures);
  figures['answers by status'] = [...tally.byStatus.entries()].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(' ');
  figures['answers 500'] = tally.serverErrors.length;
  figures['503 without Retry-After or problem+json'] = tally.badUnavailable.length;
  figures['connections lost (retried on the other replica)'] = tally.connectionFailures;
  failures.push(...tally.serverErrors.slice(0, 10), ...tally.badUnavailable.slice(0, 10));
  return { figures, failures };
}

const isAccepted = (res: Answer) => JSON.stringify(res.body).includes('ACCEPTED');

/** `count` more shares while a dependency is down: each must end 201 once it is back (the client waits out the 503s). */
async function extraShares(api: ReturnType<typeof replicaClient>, vendor: string, run: string, count: number, shared: Map<string, string>, failures: string[]) {
  await inLanes(Array.from({ length: count }, () => randomUUID()), 8, async (key) => {
    const res = await api.send('POST', '/v1/opportunities', vendor, { partnerId: 'P-chaos-outage', customerName: `Chaos ${run}`, title: `chaos ${key}` }, key);
    if (res.status === 201) shared.set(key, (res.body as { id: string }).id);
    else failures.push(`share during an outage ${key} answered ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
  });
}

async function killWorker(cluster: Cluster, index: number, say: (line: string) => void) {
  const worker = cluster.workers[index]!;
  cluster.release(worker);
  worker.process.kill('SIGKILL');
  await worker.exited;
  say(`worker-${index + 1} killed (kill -9)`);
  await new Promise((r) => setTimeout(r, 2000));
  cluster.workers[index] = cluster.startWorker(`worker-${index + 1}b`);
}

async function killApi(cluster: Cluster, index: number, say: (line: string) => void) {
  const apiProcess = cluster.apis[index]!;
  cluster.release(apiProcess);
  apiProcess.process.kill('SIGKILL');
  await apiProcess.exited;
  say(`api-${index + 1} killed mid-request (kill -9)`);
  await new Promise((r) => setTimeout(r, 3000));
  cluster.apis[index] = await cluster.startApi(`api-${index + 1}b`, Number(new URL(cluster.apiUrls[index]!).port));
}

function killGroup(child: Child) {
  try {
    process.kill(-child.process.pid!, 'SIGKILL');
  } catch {
    child.process.kill('SIGKILL');
  }
}

async function waitUntil(ok: () => Promise<boolean>, ms: number, what: string) {
  for (const started = Date.now(); !(await ok()); await new Promise((r) => setTimeout(r, 500))) {
    if (Date.now() - started > ms) throw new Error(`waited ${ms / 1000} s for ${what}`);
  }
}

/** Nothing lost, one opportunity per key, every accept recorded once, and the database equal to each workflow's state. */
async function verify(cluster: Cluster, shared: Map<string, string>, accepted: Set<string>, run: string) {
  const failures: string[] = [];
  const figures: ChaosFigures = {};
  const db = new pg.Client({ connectionString: cluster.databaseUrl });
  await db.connect();
  const connection = await Connection.connect({ address: cluster.temporalAddress });
  const temporal = new Client({ connection });
  try {
    // Settle: accepted opportunities are recorded by their workflows, which may still be retrying after the faults.
    await waitUntil(async () => {
      const { rows } = await db.query<{ n: string }>("SELECT count(*) AS n FROM opportunity WHERE id = ANY($1) AND status = 'ACCEPTED'", [[...accepted]]);
      return Number(rows[0]!.n) === accepted.size;
    }, 180_000, 'every accepted opportunity to be recorded ACCEPTED').catch((error: Error) => failures.push(error.message));
    const { rows } = await db.query<{ id: string; title: string; status: string; accepts: string }>(
      `SELECT o.id, o.title, o.status, (SELECT count(*) FROM opportunity_event e WHERE e.opportunity_id = o.id AND e.type = 'ACCEPTED') AS accepts
       FROM opportunity o WHERE o.customer_name = $1`,
      [`Chaos ${run}`],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const lost = [...shared.values()].filter((id) => !byId.has(id));
    figures['opportunities answered 201'] = shared.size;
    figures['lost (answered 201, not in the database)'] = lost.length;
    if (lost.length) failures.push(`${lost.length} opportunities answered 201 are not in the database, e.g. ${lost.slice(0, 3).join(', ')}`);
    const perTitle = new Map<string, number>();
    for (const r of rows) perTitle.set(r.title, (perTitle.get(r.title) ?? 0) + 1);
    const doubled = [...perTitle.entries()].filter(([, n]) => n > 1);
    figures['Idempotency-Keys with more than one opportunity'] = doubled.length;
    if (doubled.length) failures.push(`${doubled.length} keys made more than one opportunity, e.g. ${doubled[0]![0]}`);
    const acceptedTwice = rows.filter((r) => Number(r.accepts) > 1);
    figures['opportunities accepted more than once'] = acceptedTwice.length;
    if (acceptedTwice.length) failures.push(`${acceptedTwice.length} opportunities have more than one ACCEPTED event`);
    // The database against each workflow's own state (a query: answered by a worker from the workflow's history).
    let equal = 0;
    const unequal: string[] = [];
    await inLanes(rows, 16, async (r) => {
      const state = await temporal.workflow.getHandle(opportunityWorkflowId(r.id)).query(getState).catch((error: Error) => ({ status: `query failed: ${error.message}` }));
      if (state.status === r.status) equal++;
      else unequal.push(`${r.id}: database ${r.status}, workflow ${state.status}`);
    });
    figures['database = Temporal'] = `${equal} = ${rows.length}`;
    if (unequal.length) failures.push(`${unequal.length} opportunities differ between the database and Temporal, e.g. ${unequal.slice(0, 3).join('; ')}`);
  } finally {
    await db.end();
    await connection.close();
  }
  return { figures, failures };
}

