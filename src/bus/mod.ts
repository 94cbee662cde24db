/**
 * The in-process event bus of the fast path: patterns, the bus, and class-style subscribers.
 *
 * @example
 * ```ts
 * import { EventBus } from "@deno-tasker/tasker";
 * await using bus = new EventBus();
 * bus.subscribe("payment.#", (event) => console.log(event.event_name));
 * ```
 *
 * @module
 */

export {
  type CompiledPattern,
  compilePattern,
  InvalidPatternError,
  matchPattern,
  toPgmqPattern,
} from "./pattern.ts";
export { EventBus } from "./event_bus.ts";
export type {
  BusStats,
  EventBusOptions,
  EventHandler,
  IsolatedSubscribeOptions,
  PublishResult,
  SubscribeDefaults,
  SubscribeOptions,
  SubscriberFactory,
  SubscriberInfo,
  Subscription,
} from "./types.ts";
export {
  planSubscriber,
  subscribe,
  Subscriber,
  subscriberBehavior,
  type SubscriberClass,
  type SubscriberOptions,
  type SubscriberPlan,
  type SubscriberSource,
} from "./subscriber.ts";
export {
  type RegisteredSubscriberInfo,
  SubscriberRegistry,
  type SubscriberRegistryStats,
} from "./subscriber_registry.ts";
