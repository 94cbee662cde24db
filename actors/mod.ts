/**
 * Ready-made subscriber actors for the fast path: structured logging and metrics.
 *
 * @example
 * ```ts
 * import { createLoggingSubscriber, createMetricsSubscriber } from "./mod.ts";
 * import { SubscriberRegistry } from "../src/bus/subscriber_registry.ts";
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
