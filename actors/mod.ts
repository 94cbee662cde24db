/**
 * Ready-made subscriber actors for the fast path: structured logging and metrics.
 *
 * @example
 * ```ts
 * import { createLoggingSubscriber, createMetricsSubscriber } from "@deno-tasker/tasker";
 * import { SubscriberRegistry } from "@deno-tasker/tasker";
 * const metrics = createMetricsSubscriber();
 * const registry = new SubscriberRegistry()
 *   .register(createLoggingSubscriber({ patterns: ["payment.#"] }))
 *   .register(metrics);
 * ```
 *
 * @module
 */

export {
  createLoggingSubscriber,
  type EventLogLine,
  formatEventLogLine,
  LoggingSubscriber,
  type LoggingSubscriberOptions,
  type LogSink,
} from "./logging.ts";
export {
  createMetricsSubscriber,
  MetricsCollector,
  type MetricsSnapshot,
  MetricsSubscriber,
  type MetricsSubscriberOptions,
} from "./metrics.ts";
