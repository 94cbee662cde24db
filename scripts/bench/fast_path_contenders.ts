/**
 * The contenders of the fast-path benchmark (`fast_path.ts`): the `EventBus` and the baselines it
 * is measured against, each behind the same tiny harness interface.
 *
 * @module
 */

import { EventEmitter } from "node:events";
import mittModule from "npm:mitt@3.0.1";
import eventEmitter2Module from "npm:eventemitter2@6.4.9";
import { EventBus } from "../../src/bus/event_bus.ts";
import type { DomainEvent } from "../../src/events/types.ts";

/** A subscriber's handler in the benchmark. */
export type Handler = (event: DomainEvent) => void;

/** The part of an emitter the baselines use (the npm packages' typings do not resolve in Deno). */
interface Emitter {
  on(name: string, handler: Handler): unknown;
  emit(name: string, event: DomainEvent): unknown;
}
const mitt = mittModule as unknown as () => Emitter;
const EventEmitter2 = eventEmitter2Module as unknown as new (options: {
  wildcard: boolean;
  delimiter: string;
  maxListeners: number;
}) => Emitter;

/** One contender set up with its subscribers. */
export interface Harness {
  publish(event: DomainEvent): void;
  close(): Promise<void>;
}

/** A way of delivering events to subscribers. */
export interface Contender {
  name: string;
  setup(subscribers: number, handler: Handler): Harness;
}

/** The event name every contender publishes. */
export const EVENT_NAME = "payment.processed";
/** Ten patterns that all match `payment.processed`, in each library's syntax. */
const BUS_PATTERNS = [
  "payment.*",
  "payment.#",
  "#.processed",
  "*.processed",
  "#",
  "*",
  "payment.processed",
  "*.*",
  "#.#",
  "#.*",
];
const EE2_PATTERNS = [
  "payment.*",
  "payment.**",
  "**.processed",
  "*.processed",
  "**",
  "*.*",
  "payment.processed",
  "*.**",
  "**.*",
  "payment.*",
];

/** Every contender, baselines first; the bus is last. */
export const contenders: Contender[] = [
  {
    name: "plain loop over handlers",
    setup(subscribers, handler) {
      const handlers = Array.from({ length: subscribers }, () => handler);
      return {
        publish(event) {
          for (let i = 0; i < handlers.length; i++) handlers[i]!(event);
        },
        close: () => Promise.resolve(),
      };
    },
  },
  {
    name: "plain async array queue",
    setup(subscribers, handler) {
      const queues = Array.from({ length: subscribers }, () => new PlainAsyncQueue(handler));
      return {
        publish(event) {
          for (let i = 0; i < queues.length; i++) queues[i]!.push(event);
        },
        close: () => Promise.resolve(),
      };
    },
  },
  {
    name: "node:events EventEmitter (exact name)",
    setup(subscribers, handler) {
      const emitter = new EventEmitter();
      emitter.setMaxListeners(100);
      for (let i = 0; i < subscribers; i++) emitter.on(EVENT_NAME, handler);
      return {
        publish: (event) => void emitter.emit(event.event_name, event),
        close: () => Promise.resolve(),
      };
    },
  },
  {
    name: "mitt 3.0.1 (exact name)",
    setup(subscribers, handler) {
      const emitter = mitt();
      for (let i = 0; i < subscribers; i++) emitter.on(EVENT_NAME, handler);
      return {
        publish: (event) => emitter.emit(event.event_name, event),
        close: () => Promise.resolve(),
      };
    },
  },
  {
    name: "eventemitter2 6.4.9 (wildcards)",
    setup(subscribers, handler) {
      const emitter = new EventEmitter2({ wildcard: true, delimiter: ".", maxListeners: 100 });
      const patterns = subscribers === 1 ? ["payment.*"] : EE2_PATTERNS.slice(0, subscribers);
      for (const pattern of patterns) emitter.on(pattern, handler);
      return {
        publish: (event) => void emitter.emit(event.event_name, event),
        close: () => Promise.resolve(),
      };
    },
  },
  {
    name: "deno-tasker EventBus",
    setup(subscribers, handler) {
      const bus = new EventBus();
      const patterns = subscribers === 1 ? ["payment.*"] : BUS_PATTERNS.slice(0, subscribers);
      for (const pattern of patterns) bus.subscribe(pattern, handler);
      return { publish: (event) => void bus.publish(event), close: () => bus.close() };
    },
  },
];

/** The baseline: one array and one async drain loop per subscriber, nothing else. */
class PlainAsyncQueue {
  #items: DomainEvent[] = [];
  #head = 0;
  #running = false;
  readonly #handler: Handler;
  constructor(handler: Handler) {
    this.#handler = handler;
  }
  push(event: DomainEvent): void {
    this.#items.push(event);
    if (!this.#running) {
      this.#running = true;
      void this.#drain();
    }
  }
  async #drain(): Promise<void> {
    while (this.#head < this.#items.length) {
      const event = this.#items[this.#head]!;
      this.#items[this.#head++] = undefined as unknown as DomainEvent;
      await this.#handler(event);
    }
    this.#items = [];
    this.#head = 0;
    this.#running = false;
  }
}
