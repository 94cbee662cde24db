/**
 * A ready-made subscriber that counts events: in total, by event name, by namespace, success vs
 * failure (from `payload.execution_result.success`) and the time of the last one.
 *
 * The counters live in a {@link MetricsCollector}, not in the subscriber: a crashed subscriber
 * actor is rebuilt from scratch on restart, and the counts must survive that. Pass a collector in
 * (or keep the one a subscriber exposes) and read it with `snapshot()`. A `MetricsSubscriber`
 * registered as a class shares the process-wide `MetricsSubscriber.collector`.
 *
 * @module
 */

import type { DomainEvent } from "../src/events/types.ts";
import { Subscriber } from "../src/bus/subscriber.ts";

/** A plain-JSON view of the counters. */
export interface MetricsSnapshot {
  /** Events counted. */
  events_received: number;
  /** Events whose `execution_result.success` is `true`. */
  success_events: number;
  /** Events whose `execution_result.success` is `false`. */
  failure_events: number;
  /** Events with no boolean `execution_result.success`. */
  unknown_outcome_events: number;
  /** Counts per event name. */
  by_event_name: Record<string, number>;
  /** Counts per namespace (`unknown` when the metadata has none). */
  by_namespace: Record<string, number>;
  /** When the last event was counted (RFC 3339), or `null`. */
  last_event_at: string | null;
}

/**
 * The counters, kept apart from the subscriber so they outlive actor restarts.
 *
 * @example
 * ```ts
 * import { MetricsCollector } from "@deno-tasker/tasker/actors";
 * const collector = new MetricsCollector();
 * console.log(collector.snapshot().events_received); // 0
 * ```
 */
export class MetricsCollector {
  #received = 0;
  #success = 0;
  #failure = 0;
  #unknown = 0;
  #byName = new Map<string, number>();
  #byNamespace = new Map<string, number>();
  #lastAt: Date | null = null;
  readonly #now: () => Date;

  /**
   * Creates an empty collector.
   *
   * @param now the clock for `last_event_at` (default: the current time)
   */
  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  /** Counts one event. */
  record(event: DomainEvent): void {
    this.#received++;
    const success = event.payload?.execution_result?.success;
    if (success === true) this.#success++;
    else if (success === false) this.#failure++;
    else this.#unknown++;
    const namespace = event.metadata?.namespace;
    const ns = typeof namespace === "string" && namespace.length > 0 ? namespace : "unknown";
    this.#byName.set(event.event_name, (this.#byName.get(event.event_name) ?? 0) + 1);
    this.#byNamespace.set(ns, (this.#byNamespace.get(ns) ?? 0) + 1);
    this.#lastAt = this.#now();
  }

  /** A plain JSON object of the counters, detached from the collector. */
  snapshot(): MetricsSnapshot {
    return {
      events_received: this.#received,
      success_events: this.#success,
      failure_events: this.#failure,
      unknown_outcome_events: this.#unknown,
      by_event_name: Object.fromEntries(this.#byName),
      by_namespace: Object.fromEntries(this.#byNamespace),
      last_event_at: this.#lastAt?.toISOString() ?? null,
    };
  }

  /** Sets every counter back to zero. */
  reset(): void {
    this.#received =
      this.#success =
      this.#failure =
      this.#unknown =
        0;
    this.#byName = new Map();
    this.#byNamespace = new Map();
    this.#lastAt = null;
  }
}

/** Options of {@link MetricsSubscriber} and {@link createMetricsSubscriber}. */
export interface MetricsSubscriberOptions {
  /** Patterns to count. Default `["*"]`. */
  patterns?: readonly string[];
  /** Where counts go. Default: the shared `MetricsSubscriber.collector`. */
  collector?: MetricsCollector;
}

/**
 * Counts matching events into a {@link MetricsCollector} that survives restarts.
 *
 * @example
 * ```ts
 * import { EventBus, SubscriberRegistry } from "@deno-tasker/tasker";
 * import { MetricsCollector, MetricsSubscriber } from "@deno-tasker/tasker/actors";
 * await using bus = new EventBus();
 * const metrics = new MetricsSubscriber({ collector: new MetricsCollector() });
 * new SubscriberRegistry().register(metrics).startAll(bus);
 * console.log(metrics.snapshot().events_received);
 * ```
 */
export class MetricsSubscriber extends Subscriber {
  /** Every event by default. */
  static override subscribesTo: readonly string[] = ["*"];
  /** The collector used when none is passed (e.g. when registered as a class). */
  static readonly collector: MetricsCollector = new MetricsCollector();
  /** This subscriber's collector. */
  readonly collector: MetricsCollector;
  readonly #patterns: readonly string[];

  /**
   * Creates a metrics subscriber.
   *
   * @param options patterns and collector
   */
  constructor(options: MetricsSubscriberOptions = {}) {
    super();
    this.#patterns = options.patterns ?? MetricsSubscriber.subscribesTo;
    this.collector = options.collector ?? MetricsSubscriber.collector;
  }

  /** The patterns this instance counts. */
  override get patterns(): readonly string[] {
    return this.#patterns;
  }

  /** Counts the event. */
  handle(event: DomainEvent): void {
    this.collector.record(event);
  }

  /** The collector's counters as a plain JSON object. */
  snapshot(): MetricsSnapshot {
    return this.collector.snapshot();
  }
}

/**
 * A {@link MetricsSubscriber} with its own collector unless one is given.
 *
 * @example
 * ```ts
 * import { createMetricsSubscriber } from "@deno-tasker/tasker/actors";
 * const metrics = createMetricsSubscriber({ patterns: ["payment.#", "order.*"] });
 * console.log(metrics.snapshot().by_namespace);
 * ```
 */
export function createMetricsSubscriber(options: MetricsSubscriberOptions = {}): MetricsSubscriber {
  return new MetricsSubscriber({
    patterns: options.patterns,
    collector: options.collector ?? new MetricsCollector(),
  });
}
