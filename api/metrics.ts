/**
 * The API's request telemetry: Prometheus metrics (prom-client) — requests by route and status, their latency, and the
 * process's own figures — and, when tracing is on (platform/tracing.ts), one server span per request that the Temporal
 * client's spans hang under. The metrics are served on a listener of their own (METRICS_HOST:METRICS_PORT), never on
 * the public API port: they name every route and how busy it is, which is for the operator's scraper, not for callers.
 * docs/observability.md lists every metric.
 */
import { createServer, type Server } from 'node:http';
import type { Request, RequestHandler } from 'express';
import { tracingApi } from '../platform/tracing.js';

/** The route label of a request no route answered: an unknown path, or one refused before routing (rate limit, draining, unreadable body). */
export const NO_ROUTE = '(none)';

type Answered = { method: string; route: string; status: number; seconds: number };

/** Records an answered request; set once the metrics are served (until then prom-client is not even loaded). */
let record: ((answered: Answered) => void) | undefined;

/** The API's metrics, registered in a registry of this process's own (prom-client loaded only now). */
async function createMetrics() {
  const { collectDefaultMetrics, Counter, Histogram, Registry } = await import('prom-client');
  const registry = new Registry();
  const requests = new Counter({
    name: 'partnerflow_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status code',
    labelNames: ['method', 'route', 'status'] as const,
    registers: [registry],
  });
  // From a cached read (a few ms) to an update that waits for its workflow's activity (up to seconds), and the 30 s a
  // caller may hold a request open while a dependency is retried.
  const duration = new Histogram({
    name: 'partnerflow_http_request_duration_seconds',
    help: 'Time from the request to its answer, by method, route pattern and status class (2xx, 4xx, 5xx)',
    labelNames: ['method', 'route', 'status_class'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  // The process's own: CPU, memory, heaps, event loop lag, garbage collection.
  collectDefaultMetrics({ register: registry });
  const recordAnswer = ({ method, route, status, seconds }: Answered) => {
    requests.inc({ method, route, status: String(status) });
    duration.observe({ method, route, status_class: `${Math.floor(status / 100)}xx` }, seconds);
  };
  return { registry, recordAnswer };
}

/**
 * The pattern of the route that answered (`/v1/opportunities/:id`), never the path itself: ids in labels would make a
 * new series per object.
 */
const routeOf = (req: Request): string => (req.route ? `${req.baseUrl}${(req.route as { path: string }).path}` : NO_ROUTE);

/**
 * First middleware of the app: times the request and counts its answer once it is sent (a request the caller abandoned
 * is not counted), and, with tracing on, runs the rest of the request inside a server span continuing the
 * caller's W3C `traceparent` when it sends one.
 */
export const requestTelemetry: RequestHandler = (req, res, next) => {
  const otel = tracingApi();
  if (!record && !otel) return next();
  const started = process.hrtime.bigint();
  const parent = otel?.propagation.extract(otel.ROOT_CONTEXT, req.headers);
  const span = otel?.trace
    .getTracer('partnerflow-api')
    .startSpan(req.method, { kind: otel.SpanKind.SERVER, attributes: { 'http.request.method': req.method, 'url.path': req.path } }, parent);
  // 'close' comes after the answer is sent, and also when the caller went away first (then nothing is counted).
  res.once('close', () => {
    const route = routeOf(req);
    const status = res.statusCode;
    const answered = res.writableFinished;
    if (answered) record?.({ method: req.method, route, status, seconds: Number(process.hrtime.bigint() - started) / 1e9 });
    if (span) {
      span.updateName(`${req.method} ${route}`);
      span.setAttributes({ 'http.route': route, ...(answered ? { 'http.response.status_code': status } : { 'partnerflow.abandoned': true }) });
      if (status >= 500) span.setStatus({ code: otel!.SpanStatusCode.ERROR });
      span.end();
    }
  });
  if (!otel || !span || !parent) return next();
  otel.context.with(otel.trace.setSpan(parent, span), next);
};

/**
 * Starts counting and serves `GET /metrics` (Prometheus text) on its own address; once per process. Resolves once
 * listening; anything else answers 404.
 */
export async function serveMetrics(host: string, port: number): Promise<Server> {
  if (record) throw new Error('the metrics are already served in this process');
  const { registry, recordAnswer } = await createMetrics();
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`metrics failed: ${(error as Error).message}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  record = recordAnswer;
  return server;
}
