/**
 * The metrics of a Tasker as OpenTelemetry instruments: counters of recorded outcomes (step
 * attempts, finished tasks, fired events), a histogram of handler time, and observable gauges and counters read from the
 * writer, the worker, the bus and the actors' mailboxes when the exporter collects.
 *
 * Loaded only when telemetry is on (it is handed a Meter; it imports nothing at run time).
 *
 * @module
 */

import type * as Otel from "npm:@opentelemetry/api@1.10.0";
import type { EventBus } from "../bus/event_bus.ts";
import type { ObservedWorker, ObservedWriter } from "./observed.ts";

/** What {@link attachMetrics} observes: a Tasker's worker, writer and bus. */
export interface InstrumentedParts {
  /** Its outcomes and counters. */
  readonly worker: Pick<ObservedWorker, "onOutcome" | "stats">;
  /** Its counters. */
  readonly writer: ObservedWriter;
  /** Its counters and the actor system's. */
  readonly bus: Pick<EventBus, "stats" | "system">;
}

/**
 * Records outcome counters from the worker's `onOutcome` and registers the observable
 * instruments on `meter`.
 *
 * @param meter where instruments are created
 * @param tasker a Tasker's worker, writer and bus
 * @returns a function that removes the listener and the observable callback
 *
 * @example
 * ```ts ignore
 * const detach = attachMetrics(meter, { ...taskerEngine(tasker), bus: tasker.bus });
 * // ... on shutdown:
 * detach();
 * ```
 */
export function attachMetrics(meter: Otel.Meter, tasker: InstrumentedParts): () => void {
  const steps = meter.createCounter("tasker.step.attempts", {
    description: "Step attempts recorded, by namespace and resulting state",
  });
  const tasksFinished = meter.createCounter("tasker.tasks.finished", {
    description: "Tasks that reached complete or error, by namespace and state",
  });
  const eventsFired = meter.createCounter("tasker.events.fired", {
    description: "Domain events fired by recorded outcomes, by name and delivery mode",
  });
  const handlerDuration = meter.createHistogram("tasker.step.handler_duration", {
    description: "Time spent in step handlers, by namespace and resulting state",
    unit: "ms",
  });
  const stopOutcomes = tasker.worker.onOutcome((claim, outcome, timing) => {
    const namespace = claim.task.namespace;
    const attributes = { "tasker.namespace": namespace, "tasker.step.state": outcome.state };
    steps.add(1, attributes);
    if (timing !== undefined) handlerDuration.record(timing.handler_ms, attributes);
    if (outcome.task_state === "complete" || outcome.task_state === "error") {
      tasksFinished.add(1, {
        "tasker.namespace": namespace,
        "tasker.task.state": outcome.task_state,
      });
    }
    for (const prepared of outcome.events) {
      eventsFired.add(1, {
        "tasker.event.name": prepared.event.event_name,
        "tasker.delivery_mode": prepared.delivery_mode,
      });
    }
  });
  const observed = {
    buffer: meter.createObservableGauge("tasker.writer.buffer_depth", {
      description: "Durable events held by the writer (waiting plus in flight)",
    }),
    latency: meter.createObservableGauge("tasker.writer.latency_p99", {
      description: "99th percentile enqueue-to-commit latency of the durable writer",
      unit: "ms",
    }),
    written: meter.createObservableCounter("tasker.writer.written", {
      description: "Durable events committed to PGMQ",
    }),
    dropped: meter.createObservableCounter("tasker.writer.dropped", {
      description: "Durable events the writer did not accept (buffer full or closed)",
    }),
    inProgress: meter.createObservableGauge("tasker.worker.in_progress", {
      description: "Steps running now",
    }),
    mailbox: meter.createObservableGauge("tasker.actor.mailbox_depth", {
      description: "Messages queued in each subscriber actor's mailbox",
    }),
    busDropped: meter.createObservableCounter("tasker.bus.dropped", {
      description: "Fast events dropped at offer time by full mailboxes",
    }),
  };
  const observables = Object.values(observed);
  const observe: Otel.BatchObservableCallback = (result) => {
    const writer = tasker.writer.stats();
    result.observe(observed.buffer, writer.buffer_depth);
    result.observe(observed.latency, writer.latency_p99_ms);
    result.observe(observed.written, writer.written);
    result.observe(observed.dropped, writer.dropped);
    result.observe(observed.inProgress, tasker.worker.stats().in_progress);
    result.observe(observed.busDropped, tasker.bus.stats().dropped);
    for (const actor of tasker.bus.system.stats().perActor) {
      result.observe(observed.mailbox, actor.mailboxDepth, { "tasker.actor": actor.name });
    }
  };
  meter.addBatchObservableCallback(observe, observables);
  let attached = true;
  return () => {
    if (!attached) return;
    attached = false;
    stopOutcomes();
    meter.removeBatchObservableCallback(observe, observables);
  };
}
