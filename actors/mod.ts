/**
 * Ready-made subscriber actors for the fast path: structured logging and metrics (published in
 * the `./actors` entry).
 *
 * @example
 * ```ts
 * import { SubscriberRegistry } from "@deno-tasker/tasker";
 * import { createLoggingSubscriber, createMetricsSubscriber } from "@deno-tasker/tasker/actors";
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
