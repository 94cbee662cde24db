/**
 * The `./observe` entry: health (`healthy` | `degraded` | `unhealthy`, per component), a metrics
 * snapshot and its Prometheus text exposition, the effective configuration without secrets, an
 * HTTP server for all of them plus the live inspector, OpenTelemetry instrumentation, and step
 * tracing. It also holds the types a `Tasker`'s observation methods return (`health()`,
 * `metrics()`, `config()`, `ready()`, `stats()`) and the worker's settings and counters they are
 * built from.
 *
 * @example
 * ```ts ignore
 * import { Tasker } from "@deno-tasker/tasker";
 * import { serveObservability } from "@deno-tasker/tasker/observe";
 * await using tasker = await Tasker.open({ templates: "./templates" });
 * console.log((await tasker.health()).status);
 * await using server = serveObservability(tasker, { port: 8787, token: "s3cret" });
 * ```
 *
 * @module
 */

export type {
  BusConfigView,
  DatabaseConfig,
  HttpConfigView,
  TaskerConfig,
  TaskerConfigSource,
  WriterConfigView,
} from "./config.ts";
export type {
  ActorHealth,
  ActorSystemComponent,
  ComponentHealth,
  DatabaseComponent,
  HealthOptions,
  HealthReport,
  HealthStatus,
  QueuesComponent,
  WorkerComponent,
  WriterComponent,
} from "./health.ts";
export type {
  ActorMetrics,
  ActorTotals,
  EventMetrics,
  StepTimeStats,
  TaskerMetrics,
} from "./metrics.ts";
export type { ObservedTasker } from "./observed.ts";
export type { ReadinessReport } from "./observer.ts";
export { escapeLabelValue, PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus.ts";
export type { QueueDepth } from "./queues.ts";
export {
  type ObservabilityServer,
  ObservabilityServerError,
  type ObservabilityServerOptions,
  serveObservability,
} from "./server.ts";
export { VERSION } from "./version.ts";
export {
  type InspectorClientStats,
  type InspectorOptions,
  type InspectorRates,
  type InspectorRoutes,
  inspectorRoutes,
  type InspectorStats,
  type RateSample,
  type RecentStep,
  type RecentTask,
} from "./inspector.ts";
export {
  eventTraceparent,
  formatTraceparent,
  instrument,
  OTEL_API_SPECIFIER,
  otelEnabled,
  OtelInstrumentation,
  type OtelMeterProvider,
  type OtelOptions,
  type OtelTracerProvider,
  parseTraceparent,
  type TraceParent,
} from "./otel.ts";

// The worker's settings, counters and step tracing (`config()`, `stats()`, OpenTelemetry).
export type {
  EventRouterStats,
  StepTrace,
  StepTracer,
  TracedOutcome,
  TracedStep,
  WorkerSettings,
  WorkerState,
  WorkerStats,
} from "../worker/mod.ts";
