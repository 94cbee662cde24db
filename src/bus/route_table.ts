/**
 * The bus's routing table: for each event name, the mailboxes of the subscribers whose patterns
 * match it, computed on first use and cached, so the steady-state cost of a publish does not grow
 * with the number of patterns. Any change of subscribers clears it.
 *
 * @module
 */

import type { ActorRef } from "../actors/types.ts";
import type { DomainEvent } from "../events/types.ts";
import type { CompiledPattern } from "./pattern.ts";
import type { PublishResult } from "./types.ts";

/** The result of a publish that matched nobody (shared, frozen). */
export const NOTHING: PublishResult = Object.freeze({ matched: 0, enqueued: 0, dropped: 0 });

/** The cache is cleared when it holds more distinct event names than this. */
const ROUTE_CACHE_LIMIT = 10_000;

/** The subscribers of one event name, and the (shared) result of a publish with no drops. */
export interface Route {
  readonly refs: readonly ActorRef<DomainEvent>[];
  readonly clean: PublishResult;
}

/** A subscriber as the table sees it: its patterns and its mailbox. */
export interface RoutedSubscriber {
  readonly patterns: readonly CompiledPattern[];
  readonly ref: ActorRef<DomainEvent>;
}

/**
 * Event name → matching mailboxes, over the subscribers `subscribers()` returns.
 *
 * @example
 * ```ts ignore
 * const table = new RouteTable(() => entries);
 * const { refs } = table.route("payment.completed");
 * table.clear(); // after a subscriber came or went
 * ```
 */
export class RouteTable {
  readonly #routes = new Map<string, Route>();
  readonly #subscribers: () => readonly RoutedSubscriber[];

  /** @param subscribers the current subscribers, in delivery order */
  constructor(subscribers: () => readonly RoutedSubscriber[]) {
    this.#subscribers = subscribers;
  }

  /** The route of `eventName`, from the cache or computed now. */
  route(eventName: string): Route {
    return this.#routes.get(eventName) ?? this.#compute(eventName);
  }

  /** Forgets every route (the subscribers changed). */
  clear(): void {
    this.#routes.clear();
  }

  #compute(eventName: string): Route {
    const refs: ActorRef<DomainEvent>[] = [];
    for (const entry of this.#subscribers()) {
      for (const pattern of entry.patterns) {
        if (pattern.test(eventName)) {
          refs.push(entry.ref);
          break;
        }
      }
    }
    const n = refs.length;
    const route: Route = {
      refs,
      clean: n === 0 ? NOTHING : Object.freeze({ matched: n, enqueued: n, dropped: 0 }),
    };
    if (this.#routes.size >= ROUTE_CACHE_LIMIT) this.#routes.clear();
    this.#routes.set(eventName, route);
    return route;
  }
}
