/**
 * Class-style subscribers, as in Tasker (tasker-core): a class declares its patterns in
 * `static subscribesTo`, its actor options in `static options`, and handles events in
 * `handle(event)`, with `beforeHandle`, `afterHandle` and `onHandleError` hooks around it.
 *
 * Crashes are supervised: when `beforeHandle`, `handle` or `afterHandle` throws (or rejects),
 * `onHandleError(event, error)` runs as an observer and then the ORIGINAL error is rethrown, so
 * the subscriber's actor crashes and its supervisor restarts it (building a fresh instance when
 * the subscriber was registered as a class). An error thrown by `onHandleError` itself is not
 * allowed to hide the original one and is dropped in its favour.
 *
 * @module
 */

import type { DomainEvent } from "../events/types.ts";
import type { ActorBehavior } from "../actors/types.ts";
import { ActorConfigError } from "../actors/errors.ts";
import type { EventBus } from "./event_bus.ts";
import type { SubscribeOptions, SubscriberFactory, Subscription } from "./types.ts";

/** The actor options a subscriber class declares in `static options` (name included). */
export type SubscriberOptions = SubscribeOptions;

/**
 * Base class of class-style subscribers.
 *
 * @example
 * ```ts
 * import { Subscriber } from "@deno-tasker/tasker";
 * import type { DomainEvent } from "@deno-tasker/tasker";
 *
 * class PaymentAuditSubscriber extends Subscriber {
 *   static override subscribesTo = ["payment.#", "order.*"];
 *   static override options = { mailboxCapacity: 256, overflow: "drop_oldest" as const };
 *   seen = 0;
 *   override beforeHandle(event: DomainEvent): boolean {
 *     return event.metadata.namespace !== "test";
 *   }
 *   handle(_event: DomainEvent): void {
 *     this.seen++;
 *   }
 * }
 * ```
 */
export abstract class Subscriber {
  /** Patterns this class subscribes to. Default `["*"]`: every event. */
  static subscribesTo: readonly string[] = ["*"];
  /** Actor options for this class (mailbox, overflow, restart, timeout, supervisor...). */
  static options: SubscriberOptions = {};

  /**
   * The patterns of this subscriber: its class's `subscribesTo` unless an instance overrides
   * this getter (ready-made subscribers take patterns in their constructor).
   */
  get patterns(): readonly string[] {
    return (this.constructor as SubscriberClass).subscribesTo ?? ["*"];
  }

  /** Handles one event; a throw or rejection crashes the subscriber (after `onHandleError`). */
  abstract handle(event: DomainEvent, signal: AbortSignal): void | Promise<void>;

  /** Runs before `handle`; returning `false` skips the event (no `handle`, no `afterHandle`). */
  beforeHandle(_event: DomainEvent): boolean | void | Promise<boolean | void> {
    return true;
  }

  /** Runs after `handle` succeeded. */
  afterHandle(_event: DomainEvent): void | Promise<void> {}

  /** Observes a failure of `beforeHandle`, `handle` or `afterHandle`, before the crash. */
  onHandleError(_event: DomainEvent, _error: unknown): void | Promise<void> {}

  /** Called once when this instance's actor incarnation stops (normal stop or restart). */
  onStop(): void | Promise<void> {}
}

/** A concrete subscriber class: constructible without arguments, with optional statics. */
export interface SubscriberClass {
  /** Builds a fresh instance (on start and on every restart). */
  new (): Subscriber;
  /** The class name, used as the default subscriber name. */
  readonly name: string;
  /** Patterns the class subscribes to; default `["*"]`. */
  readonly subscribesTo?: readonly string[];
  /** Actor options of the class. */
  readonly options?: SubscriberOptions;
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as Promise<unknown> | null)?.then === "function";
}

async function failed(subscriber: Subscriber, event: DomainEvent, error: unknown): Promise<never> {
  try {
    await subscriber.onHandleError(event, error);
  } catch {
    // The original error is what the supervisor must see; see the module doc.
  }
  throw error;
}

async function finishAsync(
  subscriber: Subscriber,
  event: DomainEvent,
  signal: AbortSignal,
  pending: Promise<unknown>,
  stage: "before" | "handle",
): Promise<void> {
  try {
    if (stage === "before") {
      if ((await pending) === false) return;
      await subscriber.handle(event, signal);
    } else {
      await pending;
    }
    await subscriber.afterHandle(event);
  } catch (error) {
    await failed(subscriber, event, error);
  }
}

/**
 * The actor behaviour that runs one subscriber instance: beforeHandle → handle → afterHandle,
 * staying synchronous as long as the hooks do (no extra promise per event).
 *
 * @example
 * ```ts
 * import { Subscriber, subscriberBehavior } from "./subscriber.ts";
 * class Counter extends Subscriber {
 *   count = 0;
 *   handle(): void {
 *     this.count++;
 *   }
 * }
 * const behavior = subscriberBehavior(new Counter());
 * ```
 */
export function subscriberBehavior(subscriber: Subscriber): ActorBehavior<DomainEvent> {
  return {
    receive(event: DomainEvent, signal: AbortSignal): void | Promise<void> {
      try {
        const proceed = subscriber.beforeHandle(event);
        if (isPromise(proceed)) return finishAsync(subscriber, event, signal, proceed, "before");
        if (proceed === false) return;
        const handled = subscriber.handle(event, signal);
        if (isPromise(handled)) return finishAsync(subscriber, event, signal, handled, "handle");
        const after = subscriber.afterHandle(event);
        if (isPromise(after)) return after.catch((error) => failed(subscriber, event, error));
      } catch (error) {
        return failed(subscriber, event, error);
      }
    },
    stopped: () => subscriber.onStop(),
  };
}

/** A subscriber class (instantiated per actor incarnation) or an instance (reused). */
export type SubscriberSource = SubscriberClass | Subscriber;

/** What it takes to attach a class or instance to a bus: name, patterns, factory, options. */
export interface SubscriberPlan {
  /** Subscriber name: `options.name`, else the class name. */
  name: string;
  /** Its patterns. */
  patterns: readonly string[];
  /** Builds its behaviour; a class gets a fresh instance on every call. */
  factory: SubscriberFactory;
  /** Merged options: the class's `static options`, then the caller's. */
  options: SubscriberOptions;
}

/**
 * Resolves a subscriber class or instance into what the bus needs. A CLASS is instantiated by the
 * factory on every actor (re)start, so its state is rebuilt after a crash; an INSTANCE is reused
 * across restarts, so its state survives them (and so does any corruption that caused the crash).
 *
 * @example
 * ```ts
 * import { planSubscriber, Subscriber } from "./subscriber.ts";
 * class Audit extends Subscriber {
 *   static override subscribesTo = ["order.*"];
 *   handle(): void {}
 * }
 * const plan = planSubscriber(Audit);
 * console.log(plan.name, plan.patterns); // "Audit" ["order.*"]
 * ```
 */
export function planSubscriber(
  source: SubscriberSource,
  options: SubscriberOptions = {},
): SubscriberPlan {
  if (typeof source === "function") {
    const merged = { ...source.options, ...options };
    // An isolated class runs in its Worker under its own name as the default export to import.
    if (merged.isolation === "worker") merged.export ??= source.name;
    return {
      name: merged.name ?? source.name,
      patterns: source.subscribesTo ?? ["*"],
      factory: () => subscriberBehavior(new source()),
      options: merged,
    };
  }
  const klass = source.constructor as SubscriberClass;
  const merged = { ...klass.options, ...options };
  if (merged.isolation === "worker") {
    throw new ActorConfigError(
      `subscriber ${JSON.stringify(merged.name ?? klass.name)} is an instance with isolation: ` +
        `"worker"; an instance cannot move to a Worker, so register its class ${klass.name}`,
    );
  }
  const behavior = subscriberBehavior(source);
  return {
    name: merged.name ?? klass.name,
    patterns: source.patterns,
    factory: () => behavior,
    options: merged,
  };
}

/**
 * Attaches a subscriber class or instance to `bus`.
 *
 * @example
 * ```ts
 * import { EventBus } from "@deno-tasker/tasker";
 * import { Subscriber, subscribe } from "./subscriber.ts";
 * class Audit extends Subscriber {
 *   handle(): void {}
 * }
 * await using bus = new EventBus();
 * const subscription = subscribe(bus, Audit);
 * ```
 */
export function subscribe(
  bus: EventBus,
  source: SubscriberSource,
  options: SubscriberOptions = {},
): Subscription {
  const plan = planSubscriber(source, options);
  return bus.subscribeBehavior(plan.patterns, plan.factory, { ...plan.options, name: plan.name });
}
