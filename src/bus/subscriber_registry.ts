/**
 * A central list of class-style subscribers, started and stopped together (tasker-core's Ruby
 * worker: `TaskerCore::DomainEvents::SubscriberRegistry.register(...)` / `start_all!`).
 *
 * @module
 */

import type { ActorState } from "../actors/types.ts";
import { ActorSystem } from "../actors/system.ts";
import { TaskerError } from "../errors.ts";
import { EventBus } from "./event_bus.ts";
import { compilePattern } from "./pattern.ts";
import {
  planSubscriber,
  type SubscriberOptions,
  type SubscriberPlan,
  type SubscriberSource,
} from "./subscriber.ts";
import type { Subscription } from "./types.ts";

/** One registered subscriber as {@link SubscriberRegistry.stats} reports it. */
export interface RegisteredSubscriberInfo {
  /** The subscriber's name. */
  name: string;
  /** Its patterns. */
  patterns: string[];
  /** Its actor's state, or `not_started` before `startAll` / after `stopAll`. */
  state: ActorState | "not_started";
}

/** What {@link SubscriberRegistry.stats} returns. */
export interface SubscriberRegistryStats {
  /** Whether `startAll` ran and `stopAll` has not since. */
  started: boolean;
  /** Registered subscribers. */
  subscriberCount: number;
  /** Subscribers whose actor is running or restarting. */
  activeCount: number;
  /** Each registered subscriber. */
  subscribers: RegisteredSubscriberInfo[];
}

/**
 * Registers subscriber classes (or instances) and starts them on a bus together.
 *
 * A registered CLASS is instantiated by a factory on every actor start and restart, so its state
 * is rebuilt after a crash; a registered INSTANCE is reused across restarts.
 *
 * @example
 * ```ts
 * import { SubscriberRegistry } from "@deno-tasker/tasker";
 * import { Subscriber } from "@deno-tasker/tasker";
 * import { EventBus } from "@deno-tasker/tasker";
 *
 * class Audit extends Subscriber {
 *   static override subscribesTo = ["payment.#"];
 *   handle(): void {}
 * }
 * await using bus = new EventBus();
 * const registry = new SubscriberRegistry().register(Audit);
 * registry.startAll(bus);
 * console.log(registry.stats().activeCount); // 1
 * await registry.stopAll();
 * ```
 */
export class SubscriberRegistry {
  readonly #plans: SubscriberPlan[] = [];
  #subscriptions: Subscription[] = [];
  #bus: EventBus | null = null;
  #ownsBus = false;

  /**
   * Adds a subscriber class or instance. Patterns are validated now; names must be unique.
   *
   * @param source a `Subscriber` subclass or instance
   * @param options overrides of the class's `static options` (e.g. a distinct `name`)
   * @throws {InvalidPatternError} for a malformed pattern
   * @throws {TaskerError} `E_DUPLICATE_SUBSCRIBER` when the name is taken
   */
  register(source: SubscriberSource, options: SubscriberOptions = {}): this {
    const plan = planSubscriber(source, options);
    for (const pattern of plan.patterns) compilePattern(pattern);
    if (this.#plans.some((existing) => existing.name === plan.name)) {
      throw new TaskerError(
        "E_DUPLICATE_SUBSCRIBER",
        `a subscriber named ${JSON.stringify(plan.name)} is already registered; ` +
          "pass { name } to register another one",
      );
    }
    if (this.#bus !== null) this.#start(this.#bus, plan); // throws before it is registered
    this.#plans.push(plan);
    return this;
  }

  /** The bus the subscribers run on, once started. */
  get bus(): EventBus | null {
    return this.#bus;
  }

  /**
   * Starts every registered subscriber on `target` (an `EventBus`, or an `ActorSystem` for which
   * the registry creates a bus it owns). Subscribers registered later start at once. Returns the
   * bus to publish on.
   *
   * @throws {TaskerError} `E_REGISTRY_STARTED` when already started
   */
  startAll(target: EventBus | ActorSystem): EventBus {
    if (this.#bus !== null) {
      throw new TaskerError("E_REGISTRY_STARTED", "the subscriber registry is already started");
    }
    const bus = target instanceof ActorSystem ? new EventBus({ system: target }) : target;
    this.#ownsBus = target instanceof ActorSystem;
    this.#bus = bus;
    try {
      for (const plan of this.#plans) this.#start(bus, plan);
    } catch (error) {
      this.#bus = null;
      const started = this.#subscriptions;
      this.#subscriptions = [];
      void Promise.all(started.map((subscription) => subscription.unsubscribe()));
      throw error;
    }
    return bus;
  }

  #start(bus: EventBus, plan: SubscriberPlan): void {
    this.#subscriptions.push(
      bus.subscribeBehavior(plan.patterns, plan.factory, { ...plan.options, name: plan.name }),
    );
  }

  /** Unsubscribes every subscriber (closing the bus if the registry created it). Idempotent. */
  async stopAll(): Promise<void> {
    const bus = this.#bus;
    const subscriptions = this.#subscriptions;
    this.#bus = null;
    this.#subscriptions = [];
    await Promise.all(subscriptions.map((subscription) => subscription.unsubscribe()));
    if (bus !== null && this.#ownsBus) await bus.close();
  }

  /** Counts and per-subscriber states. */
  stats(): SubscriberRegistryStats {
    const states = new Map<string, ActorState>();
    for (const subscription of this.#subscriptions) {
      states.set(subscription.name, subscription.stats().state);
    }
    const subscribers = this.#plans.map((plan): RegisteredSubscriberInfo => ({
      name: plan.name,
      patterns: [...plan.patterns],
      state: states.get(plan.name) ?? "not_started",
    }));
    return {
      started: this.#bus !== null,
      subscriberCount: subscribers.length,
      activeCount: subscribers.filter((s) => s.state === "running" || s.state === "restarting")
        .length,
      subscribers,
    };
  }
}
