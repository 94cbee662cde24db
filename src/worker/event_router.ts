/**
 * Routes prepared domain events by delivery mode: `fast` to the in-process bus, `durable` to the
 * process's DurableWriter, `broadcast` to the bus first and then the writer, with the same
 * event object (so the same `event_id`) on both paths. Routing never throws: a failure is
 * counted, reported once to the publisher's `onPublishError`, and the step result stands.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import type { DeliveryMode, DomainEvent } from "../events/types.ts";
import type { Publisher } from "../events/publisher.ts";
import { runAfterPublish, runPublishError } from "../events/publisher.ts";
import { TaskerError } from "../errors.ts";

/** Where fast events go: an `EventBus` or anything with a non-throwing `publish`. */
export interface FastSink {
  /** Offers the event to in-process subscribers; reports how many mailboxes dropped it. */
  publish(event: DomainEvent): { dropped: number };
}

/** Where durable events go: a `DurableWriter` or anything with a non-throwing `enqueue`. */
export interface DurableSink {
  /** Buffers the event for its PGMQ queue; false when it was dropped (buffer full). */
  enqueue(event: DomainEvent): boolean;
}

/** One event ready to route, with the publisher whose hooks observe it. */
export interface PreparedEvent {
  /** The envelope; its `event_id` is final. */
  event: DomainEvent;
  /** Where it goes. */
  delivery_mode: DeliveryMode;
  /** The publisher that shaped it (hooks: `afterPublish`, `onPublishError`). */
  publisher: Publisher;
  /**
   * Already in its PGMQ queue: written with the step's outcome, in the same transaction. Routing
   * then only counts it (and, for `broadcast`, delivers it to the bus).
   */
  durable_written?: boolean;
}

/** Counters of the event pipeline and router, as named in Tasker (tasker-core). */
export interface EventRouterStats {
  /** Events routed on any path. */
  total_routed: number;
  /** Events routed with `durable`. */
  durable_routed: number;
  /** Events routed with `fast`. */
  fast_routed: number;
  /** Events routed with `broadcast`. */
  broadcast_routed: number;
  /** Fast deliveries dropped by a subscriber mailbox, or fast events with no bus attached. */
  fast_delivery_errors: number;
  /** Durable events the writer refused (buffer full) or that had no writer attached. */
  routing_errors: number;
  /** Events whose payload failed the declaration's schema (not published). */
  schema_rejections: number;
  /** Declarations whose condition did not match the step's outcome. */
  skipped_by_condition: number;
  /** Events a publisher chose not to publish (`shouldPublish` or `beforePublish` false). */
  skipped_by_publisher: number;
  /** Publisher functions that threw or returned the wrong shape (event not published). */
  publisher_errors: number;
}

/** The counters the router keeps: what it routed and what it could not hand to a path. */
export type RoutedEventStats = Pick<
  EventRouterStats,
  | "total_routed"
  | "durable_routed"
  | "fast_routed"
  | "broadcast_routed"
  | "fast_delivery_errors"
  | "routing_errors"
>;

/** Thrown into `onPublishError` when an event could not be handed to its path. */
export class RoutingError extends TaskerError {
  /**
   * Creates the error naming the event and the path.
   *
   * @param eventName the event that could not be routed
   * @param reason why
   */
  constructor(eventName: string, reason: string) {
    super("E_ROUTING", `could not route ${eventName}: ${reason}`);
  }
}

/** Zeroed routing counters, the part of the stats the router itself keeps. */
function emptyRoutedStats(): RoutedEventStats {
  return {
    total_routed: 0,
    durable_routed: 0,
    fast_routed: 0,
    broadcast_routed: 0,
    fast_delivery_errors: 0,
    routing_errors: 0,
  };
}

/** Creates a zeroed stats object. */
export function emptyRouterStats(): EventRouterStats {
  return {
    ...emptyRoutedStats(),
    schema_rejections: 0,
    skipped_by_condition: 0,
    skipped_by_publisher: 0,
    publisher_errors: 0,
  };
}

/**
 * Adds counters kept by several components (the router, the pipeline, the worker) into one
 * {@link EventRouterStats}: Tasker reports them as one set.
 *
 * @param parts each component's counters
 * @returns their sums, every counter present
 *
 * @example
 * ```ts
 * import { sumRouterStats } from "./event_router.ts";
 * sumRouterStats({ routing_errors: 1 }, { routing_errors: 2, schema_rejections: 1 }).routing_errors; // 3
 * ```
 */
export function sumRouterStats(...parts: Partial<EventRouterStats>[]): EventRouterStats {
  const total = emptyRouterStats();
  for (const part of parts) {
    for (const key of Object.keys(part) as (keyof EventRouterStats)[]) total[key] += part[key] ?? 0;
  }
  return total;
}

/**
 * The router. Sinks may be attached after construction (two-phase start). It counts what it
 * routes; the pipeline's skips and rejections are the pipeline's own counters.
 *
 * @example
 * ```ts
 * import { EventRouter } from "./event_router.ts";
 * const routed: string[] = [];
 * const router = new EventRouter({
 *   fast: { publish: (event) => (routed.push(event.event_name), { dropped: 0 }) },
 * });
 * console.log(router.stats().total_routed); // 0
 * ```
 */
export class EventRouter {
  #fast: FastSink | undefined;
  #durable: DurableSink | undefined;
  readonly #stats: RoutedEventStats = emptyRoutedStats();
  readonly #logged = new Set<string>();

  /**
   * Creates a router over the given sinks.
   *
   * @param sinks the bus (`fast`) and the writer (`durable`), either optional
   */
  constructor(sinks: { fast?: FastSink; durable?: DurableSink } = {}) {
    this.#fast = sinks.fast;
    this.#durable = sinks.durable;
  }

  /** Attaches (or replaces) the sinks, e.g. once the writer exists. */
  attach(sinks: { fast?: FastSink; durable?: DurableSink }): void {
    if (sinks.fast) this.#fast = sinks.fast;
    if (sinks.durable) this.#durable = sinks.durable;
  }

  /** A snapshot of the router's counters. */
  stats(): RoutedEventStats {
    return { ...this.#stats };
  }

  /** Routes one prepared event. Never throws. */
  route(prepared: PreparedEvent): void {
    const { event, delivery_mode: mode, publisher } = prepared;
    let delivered = true;
    if (mode === "fast" || mode === "broadcast") delivered = this.#toBus(event, publisher);
    if ((mode === "durable" || mode === "broadcast") && !prepared.durable_written) {
      delivered = this.#toWriter(event, publisher) && delivered;
    }
    this.#stats.total_routed++;
    if (mode === "fast") this.#stats.fast_routed++;
    else if (mode === "durable") this.#stats.durable_routed++;
    else this.#stats.broadcast_routed++;
    if (delivered) runAfterPublish(publisher, event, mode);
  }

  #toBus(event: DomainEvent, publisher: Publisher): boolean {
    if (!this.#fast) {
      this.#stats.fast_delivery_errors++;
      runPublishError(
        publisher,
        event.event_name,
        new RoutingError(event.event_name, "no bus"),
        event,
      );
      return false;
    }
    try {
      const { dropped } = this.#fast.publish(event);
      if (dropped > 0) this.#stats.fast_delivery_errors += dropped;
      return true;
    } catch (error) {
      // A bus never throws by contract; a custom sink might. The step result stands.
      this.#stats.fast_delivery_errors++;
      this.#report(publisher, event, error);
      return false;
    }
  }

  #toWriter(event: DomainEvent, publisher: Publisher): boolean {
    let accepted = false;
    let failure: unknown = new RoutingError(event.event_name, "no durable writer attached");
    if (this.#durable) {
      try {
        accepted = this.#durable.enqueue(event);
        failure = new RoutingError(event.event_name, "the durable writer's buffer is full");
      } catch (error) {
        failure = error;
      }
    }
    if (!accepted) {
      this.#stats.routing_errors++;
      this.#report(publisher, event, failure);
    }
    return accepted;
  }

  // Logged once per event name and reason: a full buffer at thousands of events per second must
  // not flood the log; the counters carry the totals.
  #report(publisher: Publisher, event: DomainEvent, error: unknown): void {
    const reason = errorMessage(error);
    const key = `${event.event_name}\u0000${reason}`;
    if (!this.#logged.has(key) && this.#logged.size < 1000) {
      this.#logged.add(key);
      console.error(`deno-tasker: publishing ${event.event_name} failed: ${reason}`);
    }
    runPublishError(publisher, event.event_name, error, event);
  }
}
