/**
 * The feed an actor hands to a `PumpBehavior`: its mailbox as a stream taken in batches and
 * settled in order, with the in-flight messages kept here so that nothing taken is lost when the
 * incarnation ends — handled ones are counted, the running one is booked as the crash, the rest
 * go back to the head of the mailbox.
 *
 * @module
 */

import type { Mailbox } from "./mailbox.ts";
import type { ActorFeed, ShutdownPolicy } from "./types.ts";

const RESOLVED: Promise<void> = Promise.resolve();

/** What the feed needs from its actor. */
export interface FeedHooks<M> {
  /** Whether the incarnation is still the actor's current one. */
  current(): boolean;
  /** Whether the actor is draining (its mailbox is closed for a close). */
  draining(): boolean;
  /** Whether a crashed message waits to be re-delivered first. */
  hasRetry(): boolean;
  /** Takes the crashed message to re-deliver first, once, if any. */
  takeRetry(): M | undefined;
  /** `count` messages were handled. */
  processed(count: number): void;
  /** A message could not be handled at all. */
  rejected(message: M, error: unknown): void;
}

/** How an incarnation left its in-flight messages. */
export interface FeedRemains<M> {
  /** The message that was running when the pump crashed, if it blamed one. */
  blamed: { value: M; retried: boolean } | null;
  /** In-flight messages never handled, oldest first (to requeue). */
  unhandled: M[];
}

/**
 * One incarnation's feed.
 *
 * @example
 * ```ts
 * import { Mailbox } from "@deno-tasker/tasker/actors";
 * import { MailboxFeed } from "./actor_feed.ts";
 * const mailbox = new Mailbox<number>();
 * mailbox.offer(1);
 * const feed = new MailboxFeed(mailbox, {
 *   current: () => true,
 *   draining: () => false,
 *   hasRetry: () => false,
 *   takeRetry: () => undefined,
 *   processed: () => {},
 *   rejected: () => {},
 * }, new AbortController().signal, 0, "brutal_kill");
 * feed.settle(feed.take(10).length);
 * ```
 */
export class MailboxFeed<M> implements ActorFeed<M> {
  readonly signal: AbortSignal;
  readonly timeoutMs: number;
  readonly shutdown: ShutdownPolicy;
  readonly #mailbox: Mailbox<M>;
  readonly #hooks: FeedHooks<M>;
  #inFlight: M[] = [];
  #head = 0;
  /** Whether the oldest in-flight message is a re-delivery. */
  #retryAtZero = false;
  #blamed = false;
  #interrupt: (() => void) | null = null;

  /**
   * Creates the feed of one incarnation.
   *
   * @param mailbox the actor's mailbox
   * @param hooks the actor's side
   * @param signal the incarnation's abort signal
   * @param timeoutMs the actor's `messageTimeoutMs`
   * @param shutdown the actor's shutdown policy
   */
  constructor(
    mailbox: Mailbox<M>,
    hooks: FeedHooks<M>,
    signal: AbortSignal,
    timeoutMs: number,
    shutdown: ShutdownPolicy,
  ) {
    this.#mailbox = mailbox;
    this.#hooks = hooks;
    this.signal = signal;
    this.timeoutMs = timeoutMs;
    this.shutdown = shutdown;
  }

  get current(): boolean {
    return this.#hooks.current();
  }

  get drained(): boolean {
    return this.#hooks.draining() && this.queued === 0;
  }

  get queued(): number {
    return this.#mailbox.size + (this.#hooks.hasRetry() ? 1 : 0);
  }

  take(max: number): M[] {
    const batch: M[] = [];
    if (max < 1) return batch;
    if (this.#hooks.hasRetry()) {
      // The re-delivery stays the actor's until taken, so a halt before then dead-letters it.
      const retry = this.#hooks.takeRetry() as M;
      if (this.#inFlight.length === this.#head) this.#retryAtZero = true;
      batch.push(retry);
      this.#inFlight.push(retry);
    }
    const mailbox = this.#mailbox;
    while (batch.length < max && mailbox.size !== 0) {
      const message = mailbox.poll() as M;
      batch.push(message);
      this.#inFlight.push(message);
    }
    return batch;
  }

  settle(count: number): void {
    if (count <= 0) return;
    const n = Math.min(count, this.#inFlight.length - this.#head);
    this.#head += n;
    this.#retryAtZero = false;
    if (this.#head >= this.#inFlight.length) {
      this.#inFlight = [];
      this.#head = 0;
    }
    this.#hooks.processed(n);
  }

  reject(message: M, error: unknown): void {
    const index = this.#inFlight.indexOf(message, this.#head);
    if (index === -1) return;
    if (index === this.#head) this.#retryAtZero = false;
    this.#inFlight.splice(index, 1);
    this.#hooks.rejected(message, error);
  }

  blame(): void {
    this.#blamed = true;
  }

  whenReady(): Promise<void> {
    if (this.queued !== 0) return RESOLVED;
    return this.#mailbox.whenReady();
  }

  /**
   * Edge-triggered: resolves at the next `interrupt()`. The pump checks `current`, `drained` and
   * `signal` synchronously before awaiting this, so no interrupt can fall in between.
   */
  interrupted(): Promise<void> {
    return new Promise<void>((resolve) => {
      const previous = this.#interrupt;
      this.#interrupt = () => {
        previous?.();
        resolve();
      };
    });
  }

  /** Actor side: the incarnation was stopped, terminated, forced or is draining. */
  interrupt(): void {
    const interrupt = this.#interrupt;
    this.#interrupt = null;
    interrupt?.();
  }

  /** Actor side, once the pump ended: what it left in flight. */
  remains(): FeedRemains<M> {
    const pending = this.#inFlight.slice(this.#head);
    const retried = this.#retryAtZero;
    this.#inFlight = [];
    this.#head = 0;
    this.#retryAtZero = false;
    if (this.#blamed && pending.length !== 0) {
      return { blamed: { value: pending[0] as M, retried }, unhandled: pending.slice(1) };
    }
    return { blamed: null, unhandled: pending };
  }
}
