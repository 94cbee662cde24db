/**
 * A bounded FIFO mailbox on a ring buffer: O(1) offer and poll, no `Array.shift`, no allocation
 * per message. It is the hot path of the event bus, so outcomes are shared frozen objects and the
 * drop counters are plain numbers.
 *
 * @module
 */

import { ActorConfigError } from "./errors.ts";
import type { DropReason, OfferOutcome, OverflowPolicy } from "./types.ts";

/** Default mailbox capacity. */
export const DEFAULT_MAILBOX_CAPACITY = 1024;

const ACCEPTED: OfferOutcome = Object.freeze({ accepted: true, dropped: null });
const ACCEPTED_EVICTED: OfferOutcome = Object.freeze({ accepted: true, dropped: "evicted" });
const REFUSED_FULL: OfferOutcome = Object.freeze({ accepted: false, dropped: "full" });
const REFUSED_DEADLINE: OfferOutcome = Object.freeze({ accepted: false, dropped: "deadline" });
const REFUSED_STOPPED: OfferOutcome = Object.freeze({ accepted: false, dropped: "stopped" });
const RESOLVED: Promise<void> = Promise.resolve();
const POLICIES: readonly OverflowPolicy[] = ["drop_newest", "drop_oldest", "backpressure"];
/** The ring starts small and doubles up to the capacity, so idle actors cost little memory. */
const INITIAL_RING = 16;

/** Capacity and overflow policy of a mailbox. */
export interface MailboxOptions {
  /** Maximum number of queued messages. Default 1024. */
  capacity?: number;
  /** What a full mailbox does with a new message. Default `drop_newest`. */
  overflow?: OverflowPolicy;
  /** Who owns the mailbox, for error messages. */
  owner?: string;
}

/** A backpressure offer waiting for room. */
interface Waiter<M> {
  message: M;
  resolve: (outcome: OfferOutcome) => void;
  /** Its deadline timer, once armed. */
  timer: ReturnType<typeof setTimeout> | undefined;
  /** Whether it was resolved (admitted, stopped or timed out). */
  done: boolean;
}

/**
 * A bounded FIFO queue with an overflow policy and one consumer.
 *
 * Producers call `offer` (never blocks) or `offerAndWait` (waits for room in a `backpressure`
 * mailbox, FIFO among waiters, up to a deadline). The consumer calls `poll` while `size > 0` and
 * awaits `whenReady()` only when the mailbox is empty, so a busy consumer allocates nothing per
 * message.
 *
 * @example
 * ```ts
 * import { Mailbox } from "@deno-tasker/tasker/actors";
 * const mailbox = new Mailbox<string>({ capacity: 2, overflow: "drop_oldest" });
 * mailbox.offer("a");
 * mailbox.offer("b");
 * mailbox.offer("c"); // evicts "a"
 * console.log(mailbox.poll(), mailbox.dropped().evicted); // b 1
 * ```
 */
export class Mailbox<M> {
  /** Maximum number of queued messages. */
  readonly capacity: number;
  /** What a full mailbox does with a new message. */
  readonly overflow: OverflowPolicy;
  #ring: (M | undefined)[];
  #mask: number;
  #head = 0;
  #size = 0;
  #closed = false;
  #consumer: (() => void) | null = null;
  #waiters: Waiter<M>[] = [];
  #full = 0;
  #evicted = 0;
  #deadline = 0;
  #stopped = 0;

  /**
   * Creates an empty mailbox.
   *
   * @param options capacity (positive integer, default 1024) and overflow policy
   * @throws {ActorConfigError} when the capacity or policy is invalid
   */
  constructor(options: MailboxOptions = {}) {
    const owner = options.owner === undefined ? "" : ` of actor ${JSON.stringify(options.owner)}`;
    const capacity = options.capacity ?? DEFAULT_MAILBOX_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw new ActorConfigError(
        `mailbox.capacity${owner} must be a positive integer, got ${String(capacity)}`,
      );
    }
    const overflow = options.overflow ?? "drop_newest";
    if (!POLICIES.includes(overflow)) {
      throw new ActorConfigError(
        `mailbox.overflow${owner} must be one of ${POLICIES.join(", ")}, got ${String(overflow)}`,
      );
    }
    this.capacity = capacity;
    this.overflow = overflow;
    this.#ring = new Array<M | undefined>(INITIAL_RING).fill(undefined);
    this.#mask = INITIAL_RING - 1;
  }

  /** Messages queued now. */
  get size(): number {
    return this.#size;
  }

  /** Whether the mailbox refuses new messages (its actor stopped or its system is closing). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Offers a message without waiting. A full `drop_newest` or `backpressure` mailbox refuses it
   * (`full`); a full `drop_oldest` mailbox evicts its oldest message (`evicted`); a closed one
   * refuses it (`stopped`).
   *
   * @param message the message to queue
   * @returns whether it was queued and which drop it caused (a shared, frozen object)
   */
  offer(message: M): OfferOutcome {
    if (this.#closed) {
      this.#stopped++;
      return REFUSED_STOPPED;
    }
    if (this.#size < this.capacity) {
      this.#push(message);
      const consumer = this.#consumer;
      if (consumer !== null) {
        this.#consumer = null;
        consumer();
      }
      return ACCEPTED;
    }
    if (this.overflow === "drop_oldest") {
      const head = this.#head;
      this.#ring[head] = undefined;
      this.#head = (head + 1) & this.#mask;
      this.#size--;
      this.#evicted++;
      this.#push(message);
      return ACCEPTED_EVICTED;
    }
    this.#full++;
    return REFUSED_FULL;
  }

  /**
   * Offers a message, waiting up to `deadlineMs` for room when a `backpressure` mailbox is full.
   * Waiters are admitted in FIFO order as the consumer takes messages; a waiter whose deadline
   * passes resolves `{accepted: false, dropped: "deadline"}` and its timer is gone. Other
   * policies behave exactly like `offer`.
   *
   * @param message the message to queue
   * @param options `deadlineMs`: how long to wait for room
   * @returns the outcome once queued, timed out or refused
   */
  offerAndWait(message: M, options: { deadlineMs: number }): Promise<OfferOutcome> {
    if (this.#closed || this.#size < this.capacity || this.overflow !== "backpressure") {
      return Promise.resolve(this.offer(message));
    }
    const deadlineMs = options.deadlineMs;
    if (!(deadlineMs > 0)) {
      this.#deadline++;
      return Promise.resolve(REFUSED_DEADLINE);
    }
    return new Promise<OfferOutcome>((resolve) => {
      const waiter: Waiter<M> = { message, resolve, timer: undefined, done: false };
      // List the waiter before arming its timer: under `deno test`, setTimeout may run queued
      // microtasks before it returns, and room they free must admit this waiter.
      this.#waiters.push(waiter);
      const timer = setTimeout(() => {
        if (waiter.done) return;
        waiter.done = true;
        const index = this.#waiters.indexOf(waiter);
        if (index !== -1) this.#waiters.splice(index, 1);
        this.#deadline++;
        resolve(REFUSED_DEADLINE);
      }, deadlineMs);
      // Admitted (or stopped) while setTimeout ran: nobody else will clear this timer.
      if (waiter.done) clearTimeout(timer);
      else waiter.timer = timer;
    });
  }

  /**
   * Takes the oldest message, or `undefined` when empty (check `size` first if `undefined` is a
   * valid message). Taking makes room, so the first backpressure waiter is admitted at once.
   *
   * @returns the oldest queued message
   */
  poll(): M | undefined {
    if (this.#size === 0) return undefined;
    const head = this.#head;
    const message = this.#ring[head];
    this.#ring[head] = undefined;
    this.#head = (head + 1) & this.#mask;
    this.#size--;
    if (this.#waiters.length !== 0) this.#admitWaiter();
    return message;
  }

  /**
   * Resolves when a message is queued (at once if one already is) or when `wake()` is called.
   * There is one consumer: a second call replaces the first, which resolves.
   *
   * @returns a promise the consumer awaits while idle; no timer is involved
   */
  whenReady(): Promise<void> {
    if (this.#size !== 0) return RESOLVED;
    this.wake();
    return new Promise<void>((resolve) => {
      this.#consumer = resolve;
    });
  }

  /** Resolves a pending `whenReady()`, so an idle consumer re-checks its own state. */
  wake(): void {
    const consumer = this.#consumer;
    if (consumer !== null) {
      this.#consumer = null;
      consumer();
    }
  }

  /**
   * Refuses every later offer (`stopped`) and resolves waiting backpressure offers as `stopped`.
   * Queued messages stay for the consumer to drain. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const waiter of waiters) {
      waiter.done = true;
      clearTimeout(waiter.timer);
      this.#stopped++;
      waiter.resolve(REFUSED_STOPPED);
    }
  }

  /**
   * Puts messages that were taken but not handled back at the head, in their order, ahead of
   * everything queued (an isolated actor's in-flight batch after its Worker was killed). They
   * were accepted once, so they are neither refused nor counted again; the mailbox may hold more
   * than its capacity until the consumer catches up, and a closed mailbox takes them too.
   *
   * @param messages the messages, oldest first
   */
  requeue(messages: readonly M[]): void {
    for (let index = messages.length - 1; index >= 0; index--) {
      if (this.#size === this.#ring.length) this.#grow();
      this.#head = (this.#head - 1) & this.#mask;
      this.#ring[this.#head] = messages[index];
      this.#size++;
    }
    if (messages.length !== 0) this.wake();
  }

  /**
   * Drops every queued message, counting each as `stopped`.
   *
   * @returns how many messages were dropped
   */
  discard(): number {
    const count = this.#size;
    if (count === 0) return 0;
    this.#stopped += count;
    this.#ring = new Array<M | undefined>(INITIAL_RING).fill(undefined);
    this.#mask = INITIAL_RING - 1;
    this.#head = 0;
    this.#size = 0;
    return count;
  }

  /**
   * A snapshot of the drop counters by reason.
   *
   * @returns a fresh record with one count per `DropReason`
   */
  dropped(): Record<DropReason, number> {
    return {
      full: this.#full,
      evicted: this.#evicted,
      deadline: this.#deadline,
      stopped: this.#stopped,
    };
  }

  /** Sum of all drops. */
  get droppedTotal(): number {
    return this.#full + this.#evicted + this.#deadline + this.#stopped;
  }

  #push(message: M): void {
    if (this.#size === this.#ring.length) this.#grow();
    this.#ring[(this.#head + this.#size) & this.#mask] = message;
    this.#size++;
  }

  /** Doubles the ring (a power of two, so indexes wrap with a mask), unrolling it from 0. */
  #grow(): void {
    const old = this.#ring;
    const length = old.length;
    const ring = new Array<M | undefined>(length * 2).fill(undefined);
    for (let i = 0; i < length; i++) ring[i] = old[(this.#head + i) & this.#mask];
    this.#ring = ring;
    this.#mask = length * 2 - 1;
    this.#head = 0;
  }

  #admitWaiter(): void {
    const waiter = this.#waiters.shift() as Waiter<M>;
    waiter.done = true;
    clearTimeout(waiter.timer);
    this.#push(waiter.message);
    waiter.resolve(ACCEPTED);
  }
}
