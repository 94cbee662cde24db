/**
 * Captures fast-path events in tests: subscribe to a pattern on an `EventBus`, then assert on
 * what arrived or wait until enough has.
 *
 * @module
 */

import type { DomainEvent } from "../events/types.ts";
import type { EventBus } from "../bus/event_bus.ts";
import type { Subscription } from "../bus/types.ts";
import { matchPattern } from "../bus/pattern.ts";
import { TaskerError } from "../errors.ts";

/** Options of {@link FastEventCapture}. */
export interface FastEventCaptureOptions {
  /** Pattern(s) to capture. Default `"*"`: every event. */
  pattern?: string | readonly string[];
  /** The capture subscriber's name. Default: one the bus picks. */
  name?: string;
  /** Mailbox capacity of the capture subscriber. Default 65536, so tests do not lose events. */
  mailboxCapacity?: number;
}

/** Thrown by {@link FastEventCapture} assertions and waits; the message lists what was captured. */
export class CaptureError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param message what was expected and what was captured
   */
  constructor(message: string) {
    super("E_CAPTURE", message);
  }
}

interface Waiter {
  count: number;
  resolve: (events: DomainEvent[]) => void;
  reject: (error: Error) => void;
  timer: ReturnType<typeof setTimeout> | undefined;
  settled: boolean;
}

/**
 * Records every event matching a pattern on a bus.
 *
 * @example
 * ```ts
 * import { EventBus } from "@deno-tasker/tasker";
 * import { FastEventCapture } from "@deno-tasker/tasker/testing";
 * await using bus = new EventBus();
 * await using capture = new FastEventCapture(bus, { pattern: "payment.#" });
 * // ... run the code that publishes ...
 * // await capture.waitFor(1, { timeoutMs: 500 });
 * // capture.assertCaptured("payment.processed");
 * ```
 */
export class FastEventCapture implements AsyncDisposable {
  readonly #events: DomainEvent[] = [];
  readonly #subscription: Subscription;
  readonly #patterns: readonly string[];
  #waiters: Waiter[] = [];
  #closed: Promise<void> | null = null;

  /**
   * Subscribes a capture to `bus`.
   *
   * @param bus the bus to capture from
   * @param options pattern(s), name and mailbox capacity
   */
  constructor(bus: EventBus, options: FastEventCaptureOptions = {}) {
    const pattern = options.pattern ?? "*";
    this.#patterns = typeof pattern === "string" ? [pattern] : [...pattern];
    this.#subscription = bus.subscribe(this.#patterns, (event) => this.#record(event), {
      name: options.name,
      mailboxCapacity: options.mailboxCapacity ?? 65_536,
      overflow: "drop_newest",
    });
  }

  #record(event: DomainEvent): void {
    this.#events.push(event);
    const ready = this.#waiters.filter((waiter) => this.#events.length >= waiter.count);
    if (ready.length === 0) return;
    this.#waiters = this.#waiters.filter((waiter) => this.#events.length < waiter.count);
    for (const waiter of ready) {
      waiter.settled = true;
      clearTimeout(waiter.timer);
      waiter.resolve([...this.#events]);
    }
  }

  /** A copy of the captured events, in arrival order. */
  get events(): DomainEvent[] {
    return [...this.#events];
  }

  /** How many events were captured. */
  get count(): number {
    return this.#events.length;
  }

  /** The captured event names, in arrival order. */
  eventNames(): string[] {
    return this.#events.map((event) => event.event_name);
  }

  /** The captured events whose names match `pattern`. */
  matching(pattern: string): DomainEvent[] {
    return this.#events.filter((event) => matchPattern(pattern, event.event_name));
  }

  /**
   * The first captured event named `eventName`; throws {@link CaptureError} listing what WAS
   * captured when there is none.
   */
  assertCaptured(eventName: string): DomainEvent {
    const found = this.#events.find((event) => event.event_name === eventName);
    if (found !== undefined) return found;
    throw new CaptureError(
      `expected an event named ${JSON.stringify(eventName)} but ${this.#describe()}`,
    );
  }

  /**
   * Resolves with the captured events once at least `count` have arrived; rejects with a
   * {@link CaptureError} after `timeoutMs` (default 1000) or when the capture closes.
   */
  waitFor(count: number, options: { timeoutMs?: number } = {}): Promise<DomainEvent[]> {
    if (this.#events.length >= count) return Promise.resolve([...this.#events]);
    if (this.#closed !== null) {
      return Promise.reject(new CaptureError(`capture closed; ${this.#describe()}`));
    }
    const timeoutMs = options.timeoutMs ?? 1000;
    return new Promise((resolve, reject) => {
      const waiter: Waiter = { count, resolve, reject, timer: undefined, settled: false };
      // Registered before the timer starts: under `deno test`, starting a timer can run queued
      // microtasks (and so deliver events) before setTimeout returns.
      this.#waiters.push(waiter);
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((candidate) => candidate !== waiter);
        waiter.settled = true;
        reject(
          new CaptureError(
            `timed out after ${timeoutMs} ms waiting for ${count} event(s) matching ` +
              `${this.#patterns.map((p) => JSON.stringify(p)).join(", ")}; ${this.#describe()}`,
          ),
        );
      }, timeoutMs);
      if (waiter.settled) clearTimeout(timer);
      else waiter.timer = timer;
    });
  }

  /** Forgets the captured events (pending waits keep counting from zero). */
  clear(): void {
    this.#events.length = 0;
  }

  /** How many events the capture's own mailbox dropped (it was full or stopped). */
  get dropped(): number {
    const dropped = this.#subscription.stats().dropped;
    return dropped.full + dropped.evicted + dropped.deadline + dropped.stopped;
  }

  /** Unsubscribes and rejects pending waits. Idempotent. */
  close(): Promise<void> {
    if (this.#closed === null) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) {
        waiter.settled = true;
        clearTimeout(waiter.timer);
        waiter.reject(new CaptureError(`capture closed while waiting; ${this.#describe()}`));
      }
      this.#closed = this.#subscription.unsubscribe();
    }
    return this.#closed;
  }

  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #describe(): string {
    if (this.#events.length === 0) return "captured nothing";
    const names = this.eventNames();
    const shown = names.slice(0, 20).join(", ");
    const more = names.length > 20 ? `, ... (${names.length - 20} more)` : "";
    return `captured ${names.length}: [${shown}${more}]`;
  }
}
