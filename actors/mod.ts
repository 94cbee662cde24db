/**
 * The `./actors` entry: the actor runtime the bus runs on (bounded mailboxes with overflow
 * policies, actors rebuilt by a factory on every restart, OTP-style supervisors, the
 * `ActorSystem`, worker-isolated actors), the bus's actor-level types (`SubscribeDefaults`,
 * `IsolatedSubscribeOptions`, `SubscriberFactory`, `SubscriberClass`, the bus's and the
 * registry's statistics), and the ready-made subscriber actors of this folder: `LoggingSubscriber`
 * (one JSON line per event) and `MetricsSubscriber` (counts by event name, namespace and outcome).
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

// The actor runtime, whole (src/actors/ sits below the bus and imports neither it nor this folder).
export * from "../src/actors/mod.ts";

// The bus's subscribers as actors: their options, factories and statistics.
export type {
  BusStats,
  IsolatedSubscribeOptions,
  PublishResult,
  SubscribeDefaults,
  SubscriberFactory,
  SubscriberInfo,
} from "../src/bus/mod.ts";
export type {
  RegisteredSubscriberInfo,
  SubscriberClass,
  SubscriberRegistryStats,
  SubscriberSource,
} from "../src/bus/mod.ts";
