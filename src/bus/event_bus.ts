/**
 * The in-process event bus of the fast path. Each subscriber is one supervised actor with its own
 * bounded mailbox; `publish` only offers the event to the matching mailboxes and returns, so a
 * subscriber that is slow or stuck in an `await`, or that crashes, never delays the publisher or
 * any other subscriber. A subscriber that blocks synchronously does, unless it runs with
 * `isolation: "worker"` in its own Worker (see `isolation.ts`).
 *
 * @module
 */

import { withinDeadline } from "../deadline.ts";
import type { DomainEvent } from "../events/types.ts";
import type { ActorBehavior, ActorRef, ActorStats, OfferOutcome } from "../actors/types.ts";
import { ActorSystem } from "../actors/system.ts";
import type { Supervisor } from "../actors/supervisor.ts";
import { TaskerError } from "../errors.ts";
import { ActorConfigError } from "../actors/errors.ts";
import { isolatedFactory } from "./isolation.ts";
import { type CompiledPattern, compilePattern } from "./pattern.ts";
import { NOTHING, type Route, RouteTable } from "./route_table.ts";
import type {
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

/** How long `close` waits for queued events, by default. */
const DEFAULT_CLOSE_DEADLINE_MS = 5000;

/** Counter behind generated subscriber names, shared by every bus of the process. */
let generatedNames = 0;

interface Entry {
  readonly name: string;
  readonly patterns: readonly CompiledPattern[];
  readonly sources: string[];
  readonly ref: ActorRef<DomainEvent>;
  readonly supervisor: Supervisor;
  detaching: Promise<void> | null;
}

/**
 * Routes domain events to pattern subscribers, one supervised actor each.
 *
 * `publish` is synchronous, never throws and never waits; `publishAndWait` waits (up to a
 * deadline) for room in `backpressure` mailboxes. The matching subscribers of each event name are
 * cached, so the steady-state cost of `publish` does not grow with the number of patterns.
 *
 * @example
 * ```ts
 * import { EventBus } from "@deno-tasker/tasker";
 * await using bus = new EventBus();
 * const seen: string[] = [];
 * bus.subscribe("payment.*", (event) => {
 *   seen.push(event.event_name);
 * });
 * ```
 */
export class EventBus implements AsyncDisposable {
  /** The actor system the subscribers run in. */
  readonly system: ActorSystem;
  readonly #ownsSystem: boolean;
  readonly #defaults: SubscribeDefaults;
  #entries: Entry[] = [];
  readonly #routes = new RouteTable(() => this.#entries);
  #closing: Promise<void> | null = null;
  #published = 0;
  #delivered = 0;
  #dropped = 0;
  #noSubscriber = 0;
  #rejected = 0;

  /**
   * Creates a bus on the given actor system, or on a new one it owns.
   *
   * @param options the actor system to use (a new owned one by default) and subscriber defaults
   */
  constructor(options: EventBusOptions = {}) {
    this.#ownsSystem = options.system === undefined;
    this.system = options.system ?? new ActorSystem();
    this.#defaults = { ...options.defaults };
  }

  /** Whether `close` has been called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /**
   * Attaches a function subscriber: `handler` runs once per matching event, in publish order,
   * inside its own actor. With `(patterns, options)` and `options.isolation: "worker"`, the
   * handler is the export of `options.module`, run in its own Worker.
   *
   * @param patterns one pattern or several (see `pattern.ts` for the syntax)
   * @param handler called with each event and an abort signal
   * @param options mailbox, restart and supervision options
   * @throws {InvalidPatternError} when a pattern is malformed
   * @throws {ActorConfigError} when an option is invalid (a function cannot run in a Worker)
   * @throws {WorkerPermissionsUnavailableError} when `permissions` needs the missing flag
   *
   * @example
   * ```ts
   * import { EventBus } from "@deno-tasker/tasker";
   * await using bus = new EventBus();
   * const subscription = bus.subscribe(["payment.#", "order.*"], (event) => {
   *   console.log(event.event_name);
   * }, { mailboxCapacity: 256, overflow: "drop_oldest" });
   * await subscription.unsubscribe();
   * ```
   */
  subscribe(
    patterns: string | readonly string[],
    handler: EventHandler,
    options?: SubscribeOptions,
  ): Subscription;
  /**
   * Attaches an isolated subscriber: the export of `options.module` (a handler function or a
   * `Subscriber` class) runs in its own Deno Web Worker; its mailbox stays here.
   *
   * @param patterns one pattern or several
   * @param options `isolation: "worker"`, `module`, and the usual options (plus `export`,
   *   `permissions`, `heartbeatMs`, `shutdown`)
   *
   * @example
   * ```ts ignore
   * import { EventBus } from "@deno-tasker/tasker";
   * await using bus = new EventBus();
   * bus.subscribe("payment.#", {
   *   isolation: "worker",
   *   module: new URL("./audit_handler.ts", import.meta.url),
   *   messageTimeoutMs: 1000,
   * });
   * ```
   */
  subscribe(patterns: string | readonly string[], options: IsolatedSubscribeOptions): Subscription;
  subscribe(
    patterns: string | readonly string[],
    handler: EventHandler | IsolatedSubscribeOptions,
    options: SubscribeOptions = {},
  ): Subscription {
    if (typeof handler !== "function") return this.#attach(patterns, null, handler ?? {});
    if ((options.isolation ?? this.#defaults.isolation) === "worker") {
      throw new ActorConfigError(
        `subscriber ${JSON.stringify(options.name ?? "(unnamed)")} has isolation: "worker" ` +
          "but a function handler, which cannot cross to a Worker; call " +
          'subscribe(patterns, { isolation: "worker", module, export }) instead',
      );
    }
    const behavior: ActorBehavior<DomainEvent> = { receive: handler };
    return this.subscribeBehavior(patterns, () => behavior, options);
  }

  /**
   * Attaches a subscriber built by `factory`, which is called again on every restart so that
   * its state is rebuilt; the class-style `Subscriber` API builds on this.
   *
   * @param patterns one pattern or several
   * @param factory builds the actor behaviour
   * @param options mailbox, restart and supervision options
   * @throws {InvalidPatternError} when a pattern is malformed
   *
   * @example
   * ```ts
   * import { EventBus } from "@deno-tasker/tasker";
   * await using bus = new EventBus();
   * bus.subscribeBehavior("order.*", () => {
   *   let count = 0;
   *   return { receive: () => void count++ };
   * });
   * ```
   */
  subscribeBehavior(
    patterns: string | readonly string[],
    factory: SubscriberFactory,
    options: SubscribeOptions = {},
  ): Subscription {
    return this.#attach(patterns, factory, options);
  }

  /** Attaches a subscriber; `factory` is `null` when its code must come from `options.module`. */
  #attach(
    patterns: string | readonly string[],
    factory: SubscriberFactory | null,
    options: SubscribeOptions,
  ): Subscription {
    if (this.#closing !== null) {
      throw new TaskerError("E_BUS_CLOSED", "cannot subscribe: the event bus is closed");
    }
    const sources = typeof patterns === "string" ? [patterns] : [...patterns];
    if (sources.length === 0) {
      throw new TaskerError("E_INVALID_PATTERN", "a subscription needs at least one pattern");
    }
    const compiled = sources.map(compilePattern);
    const merged: SubscribeOptions = { ...this.#defaults, ...options };
    const name = merged.name ?? this.#freshName();
    // Checked before anything is spawned: a refused isolated subscriber leaves no trace.
    const isolated = isolatedFactory(name, merged, "default");
    const build = isolated ?? factory;
    if (build === null) {
      throw new ActorConfigError(
        `subscriber ${JSON.stringify(name)} has no handler: pass a handler function, or ` +
          `options with isolation: "worker" and module`,
      );
    }
    // One supervisor per subscriber: its options apply to this subscriber alone, and closing it
    // drains this subscriber within a deadline and then aborts a handler that is stuck.
    const supervisor = this.system.spawnSupervisor(`subscriber:${name}`, merged.supervisor);
    let ref: ActorRef<DomainEvent>;
    try {
      ref = supervisor.spawn<DomainEvent>({
        name,
        factory: build,
        mailbox: { capacity: merged.mailboxCapacity, overflow: merged.overflow },
        messageTimeoutMs: merged.messageTimeoutMs,
        restart: merged.restart,
        onDeadLetter: merged.onDeadLetter,
        retryCrashedMessageOnce: merged.retryCrashedMessageOnce,
        shutdown: merged.shutdown,
      });
    } catch (error) {
      void supervisor.close({ deadlineMs: 0 });
      throw error;
    }
    const entry: Entry = { name, patterns: compiled, sources, ref, supervisor, detaching: null };
    this.#entries = [...this.#entries, entry];
    this.#routes.clear();
    return {
      name,
      patterns: Object.freeze([...sources]),
      stats: () => ref.stats(),
      unsubscribe: (options = {}) =>
        this.#detach(entry, options.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS),
    };
  }

  /** A generated subscriber name not yet taken in the (possibly shared) actor system. */
  #freshName(): string {
    let name: string;
    do name = `subscriber_${++generatedNames}`; while (this.system.get(name) !== undefined);
    return name;
  }

  /**
   * Detaches a subscriber: no new events reach it, its queued events are handled within the
   * deadline (then dropped as `stopped`, a stuck handler's signal aborted), and its actor leaves
   * the system so the name is free again. An actor whose handler ignores its abort signal and
   * never settles cannot leave: after the deadline we stop waiting and its name stays taken.
   */
  #detach(entry: Entry, deadlineMs: number): Promise<void> {
    if (entry.detaching !== null) return entry.detaching;
    this.#entries = this.#entries.filter((candidate) => candidate !== entry);
    this.#routes.clear();
    entry.detaching = (async () => {
      const started = performance.now();
      await entry.supervisor.close({ deadlineMs });
      const left = Math.max(0, deadlineMs - (performance.now() - started));
      await withinDeadline(entry.ref.stop(), left);
    })();
    return entry.detaching;
  }

  /** The route of an event, or `null` (counted as rejected) when the bus is closed or the value
   * has no string `event_name`. Never throws. */
  #lookup(event: DomainEvent): Route | null {
    try {
      const name = event.event_name;
      if (typeof name === "string" && this.#closing === null) {
        return this.#routes.route(name);
      }
    } catch {
      // Not an object: rejected below like any other malformed value.
    }
    this.#rejected++;
    return null;
  }

  /**
   * Offers `event` to every matching subscriber's mailbox and returns at once. Never throws and
   * never waits: a full mailbox drops according to its overflow policy, counted in the result,
   * in the bus stats and in the subscriber's actor stats. The result is read-only (it may be a
   * shared frozen object).
   *
   * @example
   * ```ts
   * import { EventBus } from "@deno-tasker/tasker";
   * import type { DomainEvent } from "@deno-tasker/tasker";
   * declare const event: DomainEvent;
   * await using bus = new EventBus();
   * const { matched, enqueued, dropped } = bus.publish(event);
   * ```
   */
  publish(event: DomainEvent): PublishResult {
    this.#published++;
    const route = this.#lookup(event);
    if (route === null) return NOTHING;
    const refs = route.refs;
    const matched = refs.length;
    if (matched === 0) {
      this.#noSubscriber++;
      return NOTHING;
    }
    let enqueued = 0;
    let dropped = 0;
    for (let index = 0; index < matched; index++) {
      const outcome = refs[index]!.tell(event);
      if (outcome.accepted) enqueued++;
      if (outcome.dropped !== null) dropped++;
    }
    this.#delivered += enqueued;
    if (dropped === 0 && enqueued === matched) return route.clean;
    this.#dropped += dropped;
    return { matched, enqueued, dropped };
  }

  /**
   * Like `publish`, but waits up to `deadlineMs` for room in `backpressure` mailboxes (other
   * policies behave as in `publish`). Never rejects; an offer that times out counts as a
   * `deadline` drop.
   *
   * @example
   * ```ts
   * import { EventBus } from "@deno-tasker/tasker";
   * import type { DomainEvent } from "@deno-tasker/tasker";
   * declare const event: DomainEvent;
   * await using bus = new EventBus({ defaults: { overflow: "backpressure" } });
   * const result = await bus.publishAndWait(event, { deadlineMs: 100 });
   * ```
   */
  async publishAndWait(
    event: DomainEvent,
    options: { deadlineMs: number },
  ): Promise<PublishResult> {
    this.#published++;
    const route = this.#lookup(event);
    if (route === null) return NOTHING;
    const refs = route.refs;
    if (refs.length === 0) {
      this.#noSubscriber++;
      return NOTHING;
    }
    const stopped: OfferOutcome = { accepted: false, dropped: "stopped" };
    const outcomes = await Promise.all(
      refs.map((ref) =>
        ref.tellAndWait(event, { deadlineMs: options.deadlineMs }).catch(() => stopped)
      ),
    );
    let enqueued = 0;
    let dropped = 0;
    for (const outcome of outcomes) {
      if (outcome.accepted) enqueued++;
      if (outcome.dropped !== null) dropped++;
    }
    this.#delivered += enqueued;
    this.#dropped += dropped;
    return { matched: refs.length, enqueued, dropped };
  }

  /** The bus's counters (drops after the offer, e.g. at stop, are in each actor's stats). */
  stats(): BusStats {
    return {
      published: this.#published,
      delivered: this.#delivered,
      dropped: this.#dropped,
      no_subscriber: this.#noSubscriber,
      rejected: this.#rejected,
      subscribers: this.#entries.length,
    };
  }

  /** Every attached subscriber with its patterns, state and actor stats. */
  subscribers(): SubscriberInfo[] {
    return this.#entries.map((entry) => {
      const actor: ActorStats = entry.ref.stats();
      return { name: entry.name, patterns: [...entry.sources], state: actor.state, actor };
    });
  }

  /**
   * Stops taking events and drains: with an owned system, the system closes within
   * `deadlineMs`; with a shared one, each subscriber gets until the deadline to empty its
   * mailbox before it is stopped. Idempotent.
   *
   * @example
   * ```ts
   * import { EventBus } from "@deno-tasker/tasker";
   * const bus = new EventBus();
   * await bus.close({ deadlineMs: 1000 });
   * ```
   */
  close(options: { deadlineMs?: number } = {}): Promise<void> {
    if (this.#closing === null) {
      this.#closing = this.#shutdown(options.deadlineMs ?? DEFAULT_CLOSE_DEADLINE_MS);
    }
    return this.#closing;
  }

  async #shutdown(deadlineMs: number): Promise<void> {
    const entries = this.#entries;
    this.#entries = [];
    this.#routes.clear();
    if (this.#ownsSystem) await this.system.close({ deadlineMs });
    else await Promise.all(entries.map((entry) => this.#detach(entry, deadlineMs)));
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
