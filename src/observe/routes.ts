/**
 * The JSON and Prometheus routes of the observability server, as plain functions of a Tasker and
 * a URL (the server adds authentication, method checks and the inspector in front of them).
 *
 * @module
 */

import type { RetryPolicy, TaskTemplate } from "../template/types.ts";
import type { ObservedTasker } from "./observed.ts";
import { observedEngine } from "./observed_engine.ts";
import type { TaskerObserver } from "./observer.ts";
import type { HealthOptions, HealthReport } from "./health.ts";
import { PROMETHEUS_CONTENT_TYPE, renderPrometheus } from "./prometheus.ts";

/** A template as `/v1/templates/{namespace}/{name}/{version}` shows it (schemas as written). */
export interface TemplateView {
  /** Namespace. */
  namespace: string;
  /** Name. */
  name: string;
  /** Version. */
  version: string;
  /** Free text, or null. */
  description: string | null;
  /** Free-form metadata. */
  metadata: Record<string, unknown>;
  /** The task context's JSON Schema, or null. */
  input_schema: Record<string, unknown> | null;
  /** Steps in declaration order, with their declared events. */
  steps: TemplateStepView[];
}

/** One step of a {@link TemplateView}. */
export interface TemplateStepView {
  /** Step name. */
  name: string;
  /** Free text, or null. */
  description: string | null;
  /** The handler's callable. */
  handler: string;
  /** Steps that must complete first. */
  dependencies: string[];
  /** Retry policy, defaults applied. */
  retry: RetryPolicy;
  /** Handler deadline, or null. */
  timeout_seconds: number | null;
  /** Declared domain events. */
  publishes_events: TemplateEventView[];
}

/** One declared event of a {@link TemplateStepView}. */
export interface TemplateEventView {
  /** Event name. */
  name: string;
  /** Free text, or null. */
  description: string | null;
  /** When it fires. */
  condition: string;
  /** Where it goes. */
  delivery_mode: string;
  /** Custom publisher name, or null for the default. */
  publisher: string | null;
  /** The payload's JSON Schema as written, or null. */
  schema: Record<string, unknown> | null;
}

/** One line of `/v1/templates`. */
export interface TemplateSummary {
  /** Namespace. */
  namespace: string;
  /** Name. */
  name: string;
  /** Version. */
  version: string;
  /** Free text, or null. */
  description: string | null;
  /** Step names in declaration order. */
  steps: string[];
  /** Names of the events its steps declare. */
  events: string[];
  /** Where to read it in full. */
  href: string;
}

/**
 * A JSON response.
 *
 * @param status the HTTP status
 * @param body serialised with `JSON.stringify`
 * @param headers extra headers
 *
 * @example
 * ```ts
 * import { jsonResponse } from "./routes.ts";
 * const response = jsonResponse(404, { error: "not_found", path: "/nope" });
 * ```
 */
export function jsonResponse(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body, null, 2) + "\n", {
    status,
    headers: {
      "content-type": "application/json; charset=utf-8",
      "cache-control": "no-store",
      ...headers,
    },
  });
}

/**
 * Shows a template with its schemas as written (compiled validators are left out).
 *
 * @example
 * ```ts ignore
 * templateView(tasker.templates.require("linear_workflow", "mathematical_sequence"));
 * ```
 */
export function templateView(t: TaskTemplate): TemplateView {
  return {
    namespace: t.namespace_name,
    name: t.name,
    version: t.version,
    description: t.description ?? null,
    metadata: t.metadata,
    input_schema: t.input_schema?.schema ?? null,
    steps: t.steps.map((s) => ({
      name: s.name,
      description: s.description ?? null,
      handler: s.handler.callable,
      dependencies: s.dependencies,
      retry: s.retry,
      timeout_seconds: s.timeout_seconds ?? null,
      publishes_events: s.publishes_events.map((e) => ({
        name: e.name,
        description: e.description ?? null,
        condition: e.condition,
        delivery_mode: e.delivery_mode,
        publisher: e.publisher ?? null,
        schema: e.schema?.schema ?? null,
      })),
    })),
  };
}

function templateHref(t: TaskTemplate): string {
  return `/v1/templates/${[t.namespace_name, t.name, t.version].map(encodeURIComponent).join("/")}`;
}

function healthSummary(report: HealthReport) {
  return {
    status: report.status,
    ready: report.ready,
    version: report.version,
    worker_id: report.worker_id,
    uptime_seconds: report.uptime_seconds,
    checked_at: report.checked_at,
    components: Object.fromEntries(
      Object.entries(report.components).map(([name, c]) => [name, c.status]),
    ),
  };
}

/** Answers one GET route of the observability API. */
type RouteAnswer = (tasker: ObservedTasker, health: HealthOptions) => Promise<Response> | Response;

/** The observer behind `tasker.health()`, `metrics()`, `config()` and `ready()`. */
function observerOf(tasker: ObservedTasker): TaskerObserver {
  return observedEngine(tasker).observer;
}

/**
 * The observability API's fixed GET routes, path → answer: the one list of them (the server's
 * 405-or-404 decision reads it too, through {@link isObservabilityPath}).
 */
const ROUTES: ReadonlyMap<string, RouteAnswer> = new Map<string, RouteAnswer>([
  ["/health", async (tasker, health) => {
    const report = await observerOf(tasker).health(health);
    return jsonResponse(report.status === "unhealthy" ? 503 : 200, healthSummary(report));
  }],
  ["/health/detailed", async (tasker, health) => {
    const report = await observerOf(tasker).health(health);
    return jsonResponse(report.status === "unhealthy" ? 503 : 200, report);
  }],
  ["/health/live", (tasker) =>
    jsonResponse(200, {
      status: "alive",
      uptime_seconds: observerOf(tasker).uptimeSeconds(),
    })],
  ["/health/ready", async (tasker, health) => {
    const readiness = await observerOf(tasker).ready(health);
    return jsonResponse(readiness.ready ? 200 : 503, readiness);
  }],
  [
    "/metrics",
    async (tasker) =>
      new Response(renderPrometheus(await observerOf(tasker).metrics()), {
        headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
      }),
  ],
  ["/metrics/worker", async (tasker) => {
    const metrics = await observerOf(tasker).metrics();
    return jsonResponse(200, {
      worker_id: metrics.worker_id,
      state: observedEngine(tasker).worker.state,
      uptime_seconds: metrics.uptime_seconds,
      steps: metrics.steps,
      step_time: metrics.step_time,
      queues: metrics.queues,
      queues_error: metrics.queues_error,
    });
  }],
  ["/metrics/events", (tasker) =>
    jsonResponse(200, {
      router: observedEngine(tasker).worker.routerStats(),
      bus: tasker.bus.stats(),
      writer: observedEngine(tasker).writer.stats(),
      subscribers: tasker.bus.subscribers(),
    })],
  ["/config", (tasker) => jsonResponse(200, observerOf(tasker).config())],
  ["/v1/templates", (tasker) =>
    jsonResponse(200, {
      templates: tasker.templates.list().map((t): TemplateSummary => ({
        namespace: t.namespace_name,
        name: t.name,
        version: t.version,
        description: t.description ?? null,
        steps: t.steps.map((s) => s.name),
        events: [...new Set(t.steps.flatMap((s) => s.publishes_events.map((e) => e.name)))],
        href: templateHref(t),
      })),
    })],
]);

/** The one parameterised route: `/v1/templates/{namespace}/{name}/{version}`. */
const TEMPLATE_ROUTE = /^\/v1\/templates\/([^/]+)\/([^/]+)\/([^/]+)$/;

/**
 * Whether `path` (trailing slashes removed) is a route of the observability API, whatever the
 * method: the server answers other methods on it with 405 rather than 404.
 *
 * @param path the request path without trailing slashes
 * @returns true for a fixed route or a template's path
 *
 * @example
 * ```ts
 * import { isObservabilityPath } from "./routes.ts";
 * console.log(isObservabilityPath("/metrics")); // true
 * console.log(isObservabilityPath("/nope")); // false
 * ```
 */
export function isObservabilityPath(path: string): boolean {
  return ROUTES.has(path) || TEMPLATE_ROUTE.test(path);
}

/**
 * Answers one GET of the observability API, or returns undefined when the path is not one of
 * its routes.
 *
 * @param tasker the Tasker to report on
 * @param url the request URL
 * @param health thresholds and probe deadline of the health checks
 *
 * @example
 * ```ts ignore
 * const response = await observabilityRoute(tasker, new URL("http://x/metrics"), {});
 * ```
 */
export async function observabilityRoute(
  tasker: ObservedTasker,
  url: URL,
  health: HealthOptions,
): Promise<Response | undefined> {
  const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, "") : url.pathname;
  const answer = ROUTES.get(path);
  if (answer !== undefined) return await answer(tasker, health);
  const match = TEMPLATE_ROUTE.exec(path);
  if (match) {
    const [namespace, name, version] = match.slice(1).map(decodeSegment);
    const template = namespace && name && version
      ? tasker.templates.get(namespace, name, version)
      : undefined;
    if (template === undefined) {
      return jsonResponse(404, {
        error: "template_not_found",
        path: url.pathname,
        namespace: namespace ?? null,
        name: name ?? null,
        version: version ?? null,
      });
    }
    return jsonResponse(200, templateView(template));
  }
  return undefined;
}

function decodeSegment(segment: string | undefined): string | undefined {
  if (segment === undefined) return undefined;
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}
