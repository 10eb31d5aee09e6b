/**
 * Metrics as a Prometheus server scrapes them, from the real processes an operator runs: the API (api/main.ts) with
 * METRICS_PORT and the worker (worker/main.ts) with WORKER_METRICS_PORT, on a Temporal server and the test database.
 * The API's counters move by exactly the requests this file sends (counted by hand below), by route pattern — never
 * the path with its ids — and status; its latency histogram and the process's own metrics are there; its public port
 * does not serve them. The worker's port answers the SDK's runtime metrics (temporal_*) once a workflow ran on it.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signToken } from '../domain/auth.js';
import { devJwtSecret } from '../platform/config.js';
import { type Child, startTsChild, stopChild, waitForPort } from '../scripts/stack.js';
import { testDatabaseUrl } from './support/database.js';
import { freePorts } from './support/stack.js';
import { timeSkippingEnv } from './support/temporal.js';

const taskQueue = `metrics-${randomUUID().slice(0, 8)}`;
let temporal: TestWorkflowEnvironment | undefined;
const children: Child[] = [];
const output: string[] = [];
let api = '';
let apiMetrics = '';
let workerMetrics = '';

beforeAll(async () => {
  temporal = await timeSkippingEnv();
  const [apiPort, apiMetricsPort, workerMetricsPort] = (await freePorts(3)) as [number, number, number];
  const common = { ...process.env, DATABASE_URL: testDatabaseUrl(), TEMPORAL_ADDRESS: temporal.address, TEMPORAL_TASK_QUEUE: taskQueue, LOG_LEVEL: 'warn' };
  // The time-skipping server has no schedules: the worker skips them as `npm start -- --time-skipping` does.
  const worker = startTsChild('worker', 'worker/main.ts', { ...common, TEMPORAL_TIME_SKIPPING: '1', WORKER_METRICS_PORT: String(workerMetricsPort) }, (line) => output.push(line));
  const apiProcess = startTsChild('api', 'api/main.ts', { ...common, PORT: String(apiPort), METRICS_PORT: String(apiMetricsPort) }, (line) => output.push(line));
  children.push(worker, apiProcess);
  await waitForPort(apiMetricsPort, '127.0.0.1', 60_000, apiProcess);
  await waitForPort(apiPort, '127.0.0.1', 60_000, apiProcess);
  // The worker bundles its workflows first (seconds); Core serves the metrics once the runtime is installed.
  await waitForPort(workerMetricsPort, '127.0.0.1', 120_000, worker);
  api = `http://127.0.0.1:${apiPort}`;
  apiMetrics = `http://127.0.0.1:${apiMetricsPort}/metrics`;
  workerMetrics = `http://127.0.0.1:${workerMetricsPort}/metrics`;
}, 180_000);

afterAll(async () => {
  const failures: unknown[] = [];
  for (const step of [...children.map((child) => () => stopChild(child)), async () => temporal?.teardown()]) {
    await step().catch((error: unknown) => failures.push(error));
  }
  if (failures.length) throw new AggregateError(failures, 'metrics test cleanup failed');
});

type Sample = { name: string; labels: Record<string, string>; value: number };

/** The samples of a Prometheus text exposition (comments skipped). */
function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!match) throw new Error(`not a sample line: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
      return { name: match[1]!, labels, value: Number(match[3]) };
    });
}

async function scrape(url: string): Promise<{ contentType: string; text: string; samples: Sample[] }> {
  const res = await fetch(url);
  expect(res.status).toBe(200);
  const text = await res.text();
  return { contentType: res.headers.get('content-type') ?? '', text, samples: samples(text) };
}

/** The value of the one sample with this name whose labels include `labels` (0 when there is none yet). */
function valueOf(all: Sample[], name: string, labels: Record<string, string>): number {
  const found = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value ?? 0;
}

describe('metrics', () => {
  it("the API's counters move by the requests sent, by route pattern and status; latency and process metrics are there", async () => {
    const vendor = await signToken({ sub: 'metrics-vendor', roles: ['vendor_staff'] }, devJwtSecret);
    const auth = { authorization: `Bearer ${vendor}` };
    const counted = [
      { method: 'GET', route: '/livez', status: '200' },
      { method: 'POST', route: '/v1/opportunities', status: '201' },
      { method: 'GET', route: '/v1/opportunities/:id', status: '200' },
      { method: 'GET', route: '/v1/opportunities/:id', status: '404' },
      { method: 'GET', route: '/v1/opportunities', status: '401' },
      { method: 'GET', route: '(none)', status: '404' },
    ];
    const before = (await scrape(apiMetrics)).samples;
    const counts = (all: Sample[]) => counted.map((labels) => valueOf(all, 'partnerflow_http_requests_total', labels));

    // By hand: 3 × /livez 200; 1 share 201; 2 reads 200; 1 read of a missing id 404; 1 list without a token 401; 1 unknown path.
    for (let i = 0; i < 3; i++) expect((await fetch(`${api}/livez`)).status).toBe(200);
    const shared = await fetch(`${api}/v1/opportunities`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': randomUUID() },
      body: JSON.stringify({ partnerId: 'P-metrics', customerName: 'ACME', title: 'Metrics', estimatedAmount: { currency: 'CNY', minor: 100 } }),
    });
    const body = (await shared.json()) as { id: string };
    expect(shared.status, JSON.stringify(body)).toBe(201);
    for (let i = 0; i < 2; i++) expect((await fetch(`${api}/v1/opportunities/${body.id}`, { headers: auth })).status).toBe(200);
    const missing = randomUUID();
    expect((await fetch(`${api}/v1/opportunities/${missing}`, { headers: auth })).status).toBe(404);
    expect((await fetch(`${api}/v1/opportunities`)).status).toBe(401);
    expect((await fetch(`${api}/v1/no-such-route/${missing}`)).status).toBe(404);

    const after = await scrape(apiMetrics);
    expect(after.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const moved = counts(after.samples).map((value, i) => value - counts(before)[i]!);
    expect(Object.fromEntries(counted.map((c, i) => [`${c.method} ${c.route} ${c.status}`, moved[i]]))).toEqual({
      'GET /livez 200': 3,
      'POST /v1/opportunities 201': 1,
      'GET /v1/opportunities/:id 200': 2,
      'GET /v1/opportunities/:id 404': 1,
      'GET /v1/opportunities 401': 1,
      'GET (none) 404': 1,
    });
    // Route patterns only: no id of an object, no unknown path, ever becomes a label.
    expect(after.text).not.toContain(body.id);
    expect(after.text).not.toContain(missing);
    expect(after.text).not.toContain('no-such-route');

    // The latency histogram: buckets, count and sum per method, route and status class.
    const histogram = { method: 'GET', route: '/v1/opportunities/:id', status_class: '2xx' };
    const count = valueOf(after.samples, 'partnerflow_http_request_duration_seconds_count', histogram);
    expect(count - valueOf(before, 'partnerflow_http_request_duration_seconds_count', histogram)).toBe(2);
    expect(valueOf(after.samples, 'partnerflow_http_request_duration_seconds_bucket', { ...histogram, le: '+Inf' })).toBe(count);
    expect(valueOf(after.samples, 'partnerflow_http_request_duration_seconds_sum', histogram)).toBeGreaterThan(0);
    // The process's own: CPU, memory, event loop.
    for (const name of ['process_cpu_user_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds']) {
      expect(after.samples.some((s) => s.name === name), name).toBe(true);
    }
  });

  it('the public API port does not serve the metrics', async () => {
    const res = await fetch(`${api}/metrics`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it("the worker's port answers the SDK's runtime metrics once a workflow ran on it", async () => {
    // The share above ran on this worker: its workflow task, and the share's local activity.
    const { contentType, samples: all } = await scrape(workerMetrics);
    expect(contentType).toMatch(/^text\/plain/);
    const ofQueue = all.filter((s) => s.name.startsWith('temporal_') && s.labels.task_queue === taskQueue);
    expect(ofQueue.length).toBeGreaterThan(0);
    const completedTasks = ofQueue.filter((s) => /^temporal_workflow_task_execution_latency\w*_count$/.test(s.name)).reduce((sum, s) => sum + s.value, 0);
    expect(completedTasks, ofQueue.map((s) => s.name).join('\n')).toBeGreaterThan(0);
  });
});
