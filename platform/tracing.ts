/**
 * OpenTelemetry traces from the HTTP request through the Temporal client, the workflow and its activities
 * (docs/observability.md). Off unless OTEL_EXPORTER_OTLP_ENDPOINT is set: then nothing is registered, no interceptor is
 * added and the workflow bundle stays as it is, so a process that does not export traces pays nothing for them.
 *
 * On, the process registers a Node tracer provider (context kept across awaits by AsyncLocalStorage, W3C trace context
 * propagation) exporting over OTLP/HTTP in batches, and hands out what the Temporal SDK needs to carry the trace on:
 * the client's interceptor (the start or update it sends carries the span in its headers), the worker's activity
 * interceptors, the workflow interceptor module the bundle must hold, and the sink through which the workflow sandbox
 * hands its spans to this process's exporter.
 *
 * The OpenTelemetry JS packages stay on their 1.x line (SDK 1.30, OTLP exporter 0.57): @temporalio/interceptors-
 * opentelemetry 1.24 is built on it, and the spans it makes in the workflow sandbox are 1.x spans that a 2.x exporter
 * would serialize without their parents.
 */
import { createRequire } from 'node:module';
import type * as otel from '@opentelemetry/api';
import type { WorkflowClientInterceptor } from '@temporalio/client';
import type { OpenTelemetrySinks } from '@temporalio/interceptors-opentelemetry';
import type { InjectedSinks, WorkerInterceptors } from '@temporalio/worker';

/**
 * The module the workflow bundle must include for workflows to be traced: the SDK package's own interceptors (inbound:
 * the workflow's run, its updates, signals and queries; outbound: the activities it schedules, local ones too).
 */
export const WORKFLOW_TRACING_MODULE = createRequire(import.meta.url).resolve('@temporalio/interceptors-opentelemetry/lib/workflow-interceptors');

export type TracingSettings = {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: the collector's OTLP/HTTP base address; spans go to `<endpoint>/v1/traces`. */
  endpoint?: string | undefined;
  /** The `service.name` of every span this process exports (OTEL_SERVICE_NAME, else the process's own name). */
  serviceName: string;
};

export type Tracing = {
  /** For `new Client({ interceptors })`: the starts, updates and signals it sends carry the caller's span. */
  clientInterceptors: { workflow: WorkflowClientInterceptor[] };
  /** For the worker: activity interceptors, the workflow module the bundle must hold, and the client activities use. */
  workerInterceptors: WorkerInterceptors & { workflowModules: string[] };
  /** For the worker: where the workflow sandbox's spans leave it (they are exported by this process's processor). */
  workerSinks: InjectedSinks<OpenTelemetrySinks>;
  /** Exports what is still buffered, then stops; call it before the process exits. */
  shutdown(): Promise<void>;
};

/** The OpenTelemetry API once tracing is started (loaded only then: the SDK costs a process ~25 MiB and 0.4 s to load). */
let api: typeof otel | undefined;

/** The OpenTelemetry API when this process exports traces, else undefined (the API's request middleware opens spans only then). */
export const tracingApi = (): typeof otel | undefined => api;

/** The OTLP/HTTP traces address of a collector's base address, as the OpenTelemetry specification derives it. */
export const tracesUrlOf = (endpoint: string): string => `${endpoint.replace(/\/+$/, '')}/v1/traces`;

/**
 * Starts tracing for this process, once, before it makes any Temporal connection or serves any request; undefined
 * (nothing loaded, nothing registered) when no endpoint is configured.
 */
export async function startTracing({ endpoint, serviceName }: TracingSettings): Promise<Tracing | undefined> {
  if (!endpoint) return undefined;
  if (api) throw new Error('tracing is already started in this process');
  const [otelApi, { OTLPTraceExporter }, { Resource }, { BatchSpanProcessor, NodeTracerProvider }, interceptors] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-node'),
    import('@temporalio/interceptors-opentelemetry'),
  ]);
  const { makeWorkflowExporter, OpenTelemetryActivityInboundInterceptor, OpenTelemetryActivityOutboundInterceptor, OpenTelemetryWorkflowClientInterceptor } = interceptors;
  const resource = new Resource({ 'service.name': serviceName });
  const processor = new BatchSpanProcessor(new OTLPTraceExporter({ url: tracesUrlOf(endpoint) }));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [processor] });
  provider.register();
  api = otelApi;
  const clientInterceptors = { workflow: [new OpenTelemetryWorkflowClientInterceptor()] };
  return {
    clientInterceptors,
    workerInterceptors: {
      client: clientInterceptors,
      workflowModules: [WORKFLOW_TRACING_MODULE],
      activity: [(ctx) => ({ inbound: new OpenTelemetryActivityInboundInterceptor(ctx), outbound: new OpenTelemetryActivityOutboundInterceptor(ctx) })],
    },
    workerSinks: { exporter: makeWorkflowExporter(processor, resource) },
    shutdown: async () => {
      await provider.shutdown();
      otelApi.trace.disable();
      api = undefined;
    },
  };
}
