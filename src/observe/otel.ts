/**
 * OpenTelemetry for deno-tasker, off unless `OTEL_DENO=true`: spans for tasks, steps and event
 * publication, the W3C `traceparent` on every event a step fires (in `metadata.traceparent`,
 * which the durable writer also puts in the PGMQ `traceparent` header) so a consumer continues
 * the trace, and the main counters and histograms.
 *
 * Nothing is paid when it is off: `npm:@opentelemetry/api` is imported dynamically, only when
 * enabled, and the worker's per-step cost is one `undefined` check of its {@link StepTracer}.
 * With Deno's built-in OpenTelemetry (`OTEL_DENO=true`, Deno 2.2+) the API's global providers
 * are Deno's, which export over OTLP (`OTEL_EXPORTER_OTLP_ENDPOINT`).
 *
 * Traces: a task span is the root of a trace in each process that runs steps of the task (it
 * ends when this process records the task's final state); step spans are its children, and a
 * `publish` span per fired event is a child of its step. The events carry the step span's
 * context; {@link OtelInstrumentation.traceConsumer} continues it on the consuming side.
 *
 * @module
 */

import type * as Otel from "npm:@opentelemetry/api@1.10.0";
import { errorMessage } from "../error_message.ts";
import { readEnv } from "../env.ts";
import type { DomainEvent } from "../events/types.ts";
import { attachMetrics } from "./otel_metrics.ts";
import type { ObservedTasker } from "./observed.ts";
import { observedEngine } from "./observed_engine.ts";
import { eventAttributes, StepSpans, type StepTracer } from "./otel_spans.ts";
import { eventTraceparent } from "./otel_traceparent.ts";
import { VERSION } from "./version.ts";

export type { StepTrace, StepTracer, TracedOutcome, TracedStep } from "../worker/step_tracer.ts";
export {
  eventTraceparent,
  formatTraceparent,
  parseTraceparent,
  type TraceParent,
} from "./otel_traceparent.ts";

/** The OpenTelemetry API package, pinned; imported only when telemetry is on. */
export const OTEL_API_SPECIFIER = "npm:@opentelemetry/api@1.10.0";

/** The module namespace of `npm:@opentelemetry/api`. */
type OtelApi = typeof Otel;

/**
 * Whether `OTEL_DENO` asks for telemetry (`true` or `1`), read with `readEnv` (a denied `env`
 * permission means off).
 *
 * @returns true when telemetry should be on
 *
 * @example
 * ```ts
 * import { otelEnabled } from "@deno-tasker/tasker/observe";
 * if (otelEnabled()) console.log("tracing steps and events");
 * ```
 */
export function otelEnabled(): boolean {
  const value = readEnv("OTEL_DENO")?.toLowerCase();
  return value === "true" || value === "1";
}

/** Hands out tracers: an OpenTelemetry `TracerProvider` (only `getTracer` is used). */
export interface OtelTracerProvider {
  /** Returns an OpenTelemetry `Tracer`. */
  getTracer(name: string, version?: string): object;
}

/** Hands out meters: an OpenTelemetry `MeterProvider` (only `getMeter` is used). */
export interface OtelMeterProvider {
  /** Returns an OpenTelemetry `Meter`. */
  getMeter(name: string, version?: string): object;
}

/** Options of {@link OtelInstrumentation.create} and {@link instrument}. */
export interface OtelOptions {
  /** Force on or off; default {@link otelEnabled} (`OTEL_DENO`). */
  enabled?: boolean;
  /** Where spans go; default the API's global provider (Deno's own with `OTEL_DENO=true`). */
  tracerProvider?: OtelTracerProvider;
  /** Where metrics go; default the API's global provider. */
  meterProvider?: OtelMeterProvider;
}

interface Enabled {
  api: OtelApi;
  tracer: Otel.Tracer;
  meter: Otel.Meter;
  spans: StepSpans;
}

/**
 * OpenTelemetry for one process. Create it before the Tasker (to pass its `stepTracer`), attach
 * it to the Tasker for metrics, close it after the Tasker.
 *
 * @example
 * ```ts ignore
 * import { OtelInstrumentation } from "@deno-tasker/tasker/observe";
 * await using otel = await OtelInstrumentation.create(); // off unless OTEL_DENO=true
 * await using tasker = await Tasker.open({ templates: "./templates", stepTracer: otel.stepTracer });
 * otel.attach(tasker);
 * // a consumer continues the producer's trace:
 * tasker.bus.subscribe("payment.#", (event) => otel.traceConsumer(event, () => handle(event)));
 * ```
 */
export class OtelInstrumentation implements AsyncDisposable {
  /** Whether telemetry is on; when false every method is a pass-through. */
  readonly enabled: boolean;
  /** The worker hook, or undefined when off (the worker then does no tracing work at all). */
  readonly stepTracer: StepTracer | undefined;
  readonly #on: Enabled | undefined;
  readonly #detach: (() => void)[] = [];
  #closed = false;

  private constructor(api: OtelApi | undefined, options: OtelOptions) {
    if (api === undefined) {
      this.enabled = false;
      this.stepTracer = undefined;
      return;
    }
    const tracer = (options.tracerProvider ?? api.trace.getTracerProvider())
      .getTracer("deno-tasker", VERSION) as Otel.Tracer;
    const meter = (options.meterProvider ?? api.metrics.getMeterProvider())
      .getMeter("deno-tasker", VERSION) as Otel.Meter;
    const duration = meter.createHistogram("tasker.step.duration", {
      description: "Time from the start of a step attempt to its recorded outcome",
      unit: "ms",
    });
    const spans = new StepSpans(api, tracer, (ms, attributes) => duration.record(ms, attributes));
    this.#on = { api, tracer, meter, spans };
    this.enabled = true;
    this.stepTracer = spans;
  }

  /**
   * Creates the instrumentation; imports the OpenTelemetry API only when enabled.
   *
   * @param options on/off (default `OTEL_DENO`) and providers (default the global ones)
   * @returns the instrumentation, a no-op when off
   *
   * @example
   * ```ts
   * import { OtelInstrumentation } from "@deno-tasker/tasker/observe";
   * const otel = await OtelInstrumentation.create({ enabled: false });
   * console.log(otel.enabled, otel.stepTracer); // false undefined
   * ```
   */
  static async create(options: OtelOptions = {}): Promise<OtelInstrumentation> {
    const enabled = options.enabled ?? otelEnabled();
    // A literal specifier (equal to OTEL_API_SPECIFIER) so that tools see the dependency.
    const api: OtelApi | undefined = enabled
      ? await import("npm:@opentelemetry/api@1.10.0")
      : undefined;
    return new OtelInstrumentation(api, options);
  }

  /**
   * Observes a Tasker: counters of recorded outcomes (step attempts, finished tasks, fired
   * events) and gauges of the writer, the worker and the actor mailboxes. A no-op when off.
   *
   * @param tasker the Tasker
   * @returns a function that detaches again
   */
  attach(tasker: ObservedTasker): () => void {
    if (this.#on === undefined || this.#closed) return () => {};
    const { worker, writer } = observedEngine(tasker);
    const detach = attachMetrics(this.#on.meter, { worker, writer, bus: tasker.bus });
    this.#detach.push(detach);
    return detach;
  }

  /**
   * Runs `fn` inside a consumer span that continues the trace of `event` (its
   * `metadata.traceparent`, else the PGMQ `traceparent` header). Just calls `fn` when off.
   *
   * @param event the event being handled
   * @param fn the handling, sync or async
   * @param headers the PGMQ message headers, when read from a queue
   * @returns what `fn` returns
   */
  traceConsumer<T>(event: DomainEvent, fn: () => T, headers?: Record<string, unknown>): T {
    if (this.#on === undefined) return fn();
    const { api, tracer } = this.#on;
    const parent = eventTraceparent(event, headers);
    let context = api.context.active();
    if (parent !== undefined) {
      context = api.trace.setSpanContext(context, {
        traceId: parent.traceId,
        spanId: parent.spanId,
        traceFlags: parent.flags,
        isRemote: true,
      });
    }
    const span = tracer.startSpan(`process ${event.event_name}`, {
      kind: api.SpanKind.CONSUMER,
      attributes: eventAttributes(event),
    }, context);
    const fail = (error: unknown) => {
      span.recordException(error instanceof Error ? error : String(error));
      span.setStatus({
        code: api.SpanStatusCode.ERROR,
        message: errorMessage(error),
      });
    };
    let result: T;
    try {
      result = api.context.with(api.trace.setSpan(context, span), fn);
    } catch (error) {
      fail(error);
      span.end();
      throw error;
    }
    if (!(result instanceof Promise)) {
      span.end();
      return result;
    }
    return result.then(
      (value) => {
        span.end();
        return value;
      },
      (error) => {
        fail(error);
        span.end();
        throw error;
      },
    ) as T;
  }

  /**
   * Detaches from the Tasker and ends the spans still open (steps as abandoned, tasks marked
   * `tasker.task.open_at_close`). Idempotent.
   */
  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    for (const detach of this.#detach.splice(0)) detach();
    this.#on?.spans.close();
    return Promise.resolve();
  }

  /** Same as `close()`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Creates the instrumentation (on with `OTEL_DENO=true`) and attaches its metrics to `tasker`.
 * Step spans need its `stepTracer` in the Tasker's options, so create it with
 * {@link OtelInstrumentation.create} before `Tasker.open` to trace steps.
 *
 * @param tasker the running Tasker
 * @param options on/off and providers
 * @returns the instrumentation; close it on shutdown
 *
 * @example
 * ```ts ignore
 * import { instrument } from "@deno-tasker/tasker/observe";
 * await using otel = await instrument(tasker); // nothing is imported unless OTEL_DENO=true
 * ```
 */
export async function instrument(
  tasker: ObservedTasker,
  options: OtelOptions = {},
): Promise<OtelInstrumentation> {
  const otel = await OtelInstrumentation.create(options);
  otel.attach(tasker);
  return otel;
}
