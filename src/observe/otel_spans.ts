/**
 * The spans of step execution: one task span per task (the root of the trace in this process),
 * a span per step attempt under it, and a `publish` span per fired event under its step. The
 * step span's context is what the attempt's events carry as `metadata.traceparent`.
 *
 * Loaded only when telemetry is on (it is handed the API module; it imports nothing at run time).
 *
 * @module
 */

import type * as Otel from "npm:@opentelemetry/api@1.10.0";
import { errorMessage } from "../error_message.ts";
import type { DomainEvent } from "../events/types.ts";
import type { StepTrace, StepTracer, TracedOutcome, TracedStep } from "../worker/step_tracer.ts";

export type { StepTrace, StepTracer } from "../worker/step_tracer.ts";
import { formatTraceparent } from "./otel_traceparent.ts";

/** Open task spans kept at most; the oldest is ended (marked evicted) beyond this. */
const MAX_OPEN_TASKS = 10_000;

/**
 * Opens and ends the spans of step attempts.
 *
 * @example
 * ```ts ignore
 * const spans = new StepSpans(api, tracer, (ms, attributes) => histogram.record(ms, attributes));
 * const trace = spans.startStep(claim);
 * const result = await trace.run(() => handler(ctx));
 * trace.end(outcome);
 * ```
 */
export class StepSpans implements StepTracer {
  readonly #api: typeof Otel;
  readonly #tracer: Otel.Tracer;
  readonly #recordDuration: (ms: number, attributes: Otel.Attributes) => void;
  readonly #openTasks = new Map<string, Otel.Span>();
  readonly #openSteps = new Map<string, StepTrace>();

  /**
   * Creates the tracer of step attempts.
   *
   * @param api the OpenTelemetry API module
   * @param tracer where spans are started
   * @param recordDuration receives each attempt's duration in ms
   */
  constructor(
    api: typeof Otel,
    tracer: Otel.Tracer,
    recordDuration: (ms: number, attributes: Otel.Attributes) => void,
  ) {
    this.#api = api;
    this.#tracer = tracer;
    this.#recordDuration = recordDuration;
  }

  /** The event metadata of the attempt of `stepUuid` running now. */
  metadataFor(stepUuid: string): Readonly<Record<string, string>> | undefined {
    return this.#openSteps.get(stepUuid)?.eventMetadata;
  }

  /** Opens the span of one attempt (and its task's span when this is the task's first here). */
  startStep(claim: TracedStep): StepTrace {
    const api = this.#api;
    const started = performance.now();
    const parent = api.trace.setSpan(api.ROOT_CONTEXT, this.#taskSpan(claim));
    const span = this.#tracer.startSpan(`step ${claim.step.name}`, {
      attributes: {
        "tasker.task.uuid": claim.task.task_uuid,
        "tasker.namespace": claim.task.namespace,
        "tasker.step.uuid": claim.step.step_uuid,
        "tasker.step.name": claim.step.name,
        "tasker.step.attempt": claim.step.attempts,
        "tasker.step.max_attempts": claim.step.max_attempts,
        "tasker.step.handler": claim.step.handler_callable,
      },
    }, parent);
    const context = api.trace.setSpan(parent, span);
    const spanContext = span.spanContext();
    const eventMetadata: Record<string, string> = {};
    if (api.isSpanContextValid(spanContext)) {
      eventMetadata.traceparent = formatTraceparent({
        traceId: spanContext.traceId,
        spanId: spanContext.spanId,
        flags: spanContext.traceFlags,
      });
    }
    Object.freeze(eventMetadata);
    let ended = false;
    const trace: StepTrace = {
      eventMetadata,
      run: (fn) => api.context.with(context, fn),
      end: (outcome, error) => {
        if (ended) return;
        ended = true;
        this.#openSteps.delete(claim.step.step_uuid);
        this.#endStep(claim, span, outcome, error);
        this.#recordDuration(performance.now() - started, {
          "tasker.namespace": claim.task.namespace,
          "tasker.step.state": outcome?.state ?? "abandoned",
        });
        if (outcome?.task_state === "complete" || outcome?.task_state === "error") {
          this.#endTask(claim.task.task_uuid, outcome.task_state);
        }
      },
    };
    this.#openSteps.set(claim.step.step_uuid, trace);
    return trace;
  }

  /** Ends every open attempt (abandoned) and task span (marked `tasker.task.open_at_close`). */
  close(): void {
    for (const trace of [...this.#openSteps.values()]) trace.end(null);
    for (const span of this.#openTasks.values()) {
      span.setAttribute("tasker.task.open_at_close", true);
      span.end();
    }
    this.#openTasks.clear();
  }

  #taskSpan(claim: TracedStep): Otel.Span {
    const { task } = claim;
    let span = this.#openTasks.get(task.task_uuid);
    if (span !== undefined) return span;
    span = this.#tracer.startSpan(`task ${task.namespace}.${task.name}`, {
      root: true,
      attributes: {
        "tasker.task.uuid": task.task_uuid,
        "tasker.namespace": task.namespace,
        "tasker.task.name": task.name,
        "tasker.task.version": task.version,
        "tasker.correlation_id": task.correlation_id,
      },
    }, this.#api.ROOT_CONTEXT);
    this.#openTasks.set(task.task_uuid, span);
    if (this.#openTasks.size > MAX_OPEN_TASKS) {
      const [oldest, evicted] = this.#openTasks.entries().next().value!;
      this.#openTasks.delete(oldest);
      evicted.setAttribute("tasker.task.evicted", true);
      evicted.end();
    }
    return span;
  }

  #endTask(taskUuid: string, state: "complete" | "error"): void {
    const span = this.#openTasks.get(taskUuid);
    if (span === undefined) return;
    this.#openTasks.delete(taskUuid);
    span.setAttribute("tasker.task.state", state);
    if (state === "error") {
      span.setStatus({ code: this.#api.SpanStatusCode.ERROR, message: "task failed" });
    }
    span.end();
  }

  #endStep(
    claim: TracedStep,
    span: Otel.Span,
    outcome: TracedOutcome | null,
    error: unknown,
  ): void {
    const api = this.#api;
    if (outcome === null) {
      span.setAttribute("tasker.step.state", "abandoned");
      if (error !== undefined) span.recordException(exceptionOf(error));
      span.setStatus({
        code: api.SpanStatusCode.ERROR,
        message: error === undefined ? "no outcome recorded (claim lost)" : errorMessage(error),
      });
      span.end();
      return;
    }
    span.setAttribute("tasker.step.state", outcome.state);
    if (outcome.retry_delay_ms !== undefined) {
      span.setAttribute("tasker.step.retry_delay_ms", outcome.retry_delay_ms);
    }
    if (outcome.state === "error" || outcome.state === "waiting_for_retry") {
      span.setStatus({ code: api.SpanStatusCode.ERROR, message: `step ${outcome.state}` });
    }
    const context = api.trace.setSpan(api.ROOT_CONTEXT, span);
    for (const { event, delivery_mode: mode } of outcome.events) {
      const queue = `${claim.task.namespace}_domain_events`;
      this.#tracer.startSpan(`publish ${event.event_name}`, {
        kind: api.SpanKind.PRODUCER,
        attributes: {
          ...eventAttributes(event),
          "tasker.delivery_mode": mode,
          "messaging.destination.name": mode === "fast" ? "bus" : queue,
        },
      }, context).end();
    }
    span.end();
  }
}

/**
 * The span attributes of a domain event.
 *
 * @param event the event
 * @returns its id, name, task and step as attributes
 *
 * @example
 * ```ts ignore
 * span.setAttributes(eventAttributes(event));
 * ```
 */
export function eventAttributes(event: DomainEvent): Otel.Attributes {
  return {
    "messaging.system": "deno-tasker",
    "messaging.message.id": event.event_id,
    "tasker.event.name": event.event_name,
    "tasker.task.uuid": event.metadata.task_uuid,
    "tasker.step.name": event.metadata.step_name,
  };
}

function exceptionOf(error: unknown): Otel.Exception {
  return error instanceof Error ? error : String(error);
}
