/**
 * When a DurableConsumer looks at its queue again: at once when a DurableWriter of the same
 * process commits to it (a process-local signal), on PGMQ's insert notifications for writers
 * elsewhere, and otherwise every poll interval, shortened once after a notification so that
 * messages PGMQ's notification throttle swallowed are not left waiting for the next poll.
 *
 * @module
 */

import type { Database } from "../db/database.ts";
import { enableNotifications, notifyChannel } from "../pgmq/notify_insert.ts";
import { onQueueWritten } from "../writer/signal.ts";
import type { ConsumerConfig } from "./options.ts";

/**
 * Wakes an idle read loop: `wake()` ends the current `idle()` at once, or, when nothing is
 * waiting, makes the next `idle()` return immediately (no notification is lost between a read
 * and the wait that follows it).
 *
 * @example
 * ```ts
 * import { Waker } from "./wakeups.ts";
 * const waker = new Waker();
 * waker.wake();
 * await waker.idle(1000); // returns at once
 * ```
 */
export class Waker {
  #pending = false;
  #wakeIdle: (() => void) | undefined;

  /** Forgets an earlier wake-up (call right before reading). */
  clear(): void {
    this.#pending = false;
  }

  /** Waits up to `ms`, or less if woken. */
  idle(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      if (this.#pending) {
        this.#pending = false;
        resolve();
        return;
      }
      const done = () => {
        clearTimeout(timer);
        this.#wakeIdle = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wakeIdle = done;
    });
  }

  /** Ends the current wait, or the next one. */
  wake(): void {
    if (this.#wakeIdle !== undefined) this.#wakeIdle();
    else this.#pending = true;
  }
}

/**
 * A consumer's wake-ups for one queue: the writer signal and PGMQ notifications it subscribes
 * to, and how long its read loop may idle.
 *
 * @example
 * ```ts ignore
 * const wakeups = new QueueWakeups(db, "payments_domain_events", config);
 * await wakeups.subscribe((error) => console.error(error));
 * wakeups.clear();
 * await wakeups.idle(wakeups.idleDelay());
 * ```
 */
export class QueueWakeups {
  readonly #db: Database;
  readonly #queue: string;
  readonly #config: Pick<ConsumerConfig, "listen" | "throttleMs" | "pollIntervalMs">;
  readonly #waker = new Waker();
  #lastNotifyAt = -Infinity;
  #unlisten: (() => Promise<void>) | undefined;
  #unsignal: (() => void) | undefined;

  /**
   * Creates the wake-ups; nothing is subscribed until {@link QueueWakeups.subscribe}.
   *
   * @param db the database whose notifications are listened to
   * @param queue the queue (it must exist before `subscribe`)
   * @param config whether to listen, PGMQ's throttle and the poll interval
   */
  constructor(
    db: Database,
    queue: string,
    config: Pick<ConsumerConfig, "listen" | "throttleMs" | "pollIntervalMs">,
  ) {
    this.#db = db;
    this.#queue = queue;
    this.#config = config;
  }

  /**
   * Subscribes to the process-local writer signal and, unless `listen` is off, turns on and
   * listens to PGMQ's insert notifications. A failure to listen is handed to `onError`, not
   * thrown: polling still delivers everything, only the wake-up latency suffers.
   *
   * @param onError told why listening failed
   */
  async subscribe(onError: (error: unknown) => void): Promise<void> {
    this.#unsignal = onQueueWritten(this.#queue, () => this.wake());
    if (!this.#config.listen) return;
    try {
      await enableNotifications(this.#db, this.#queue, this.#config.throttleMs);
      this.#unlisten = await this.#db.listen(notifyChannel(this.#queue), () => {
        this.#lastNotifyAt = performance.now();
        this.wake();
      });
    } catch (error) {
      onError(error);
    }
  }

  /** Forgets an earlier wake-up (call right before reading). */
  clear(): void {
    this.#waker.clear();
  }

  /** Ends the current idle wait, or the next one. */
  wake(): void {
    this.#waker.wake();
  }

  /** Waits up to `ms`, or less if woken. */
  idle(ms: number): Promise<void> {
    return this.#waker.idle(ms);
  }

  /** The poll interval, shortened to catch messages PGMQ's notification throttle swallowed. */
  idleDelay(): number {
    const trailing = this.#lastNotifyAt + this.#config.throttleMs + 5 - performance.now();
    if (trailing > 0 && trailing < this.#config.pollIntervalMs) {
      this.#lastNotifyAt = -Infinity;
      return trailing;
    }
    return this.#config.pollIntervalMs;
  }

  /** Stops the writer signal. */
  unsignal(): void {
    this.#unsignal?.();
  }

  /** Ends the notification subscription, if any (it stays recorded for {@link endListening}). */
  async stopListening(): Promise<void> {
    await this.#unlisten?.();
  }

  /**
   * Ends the notification subscription once: later calls do nothing.
   *
   * @param onError told when ending it fails
   */
  async endListening(onError: (error: unknown) => void): Promise<void> {
    const unlisten = this.#unlisten;
    this.#unlisten = undefined;
    await unlisten?.().catch(onError);
  }
}
