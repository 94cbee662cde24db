/**
 * Callers waiting on the DurableWriter: `publish` calls waiting for room in a full buffer,
 * `flush` calls waiting for the events accepted before them, and `close` waiting for the buffer
 * to drain. The writer decides when there is room, what is outstanding and when it drained; these
 * keep the waiters, oldest first, with their timers.
 *
 * @module
 */

import type { Settle } from "./buffer.ts";
import type { Prepared } from "./prepare.ts";

interface RoomWaiter {
  prepared: Prepared;
  settle: Settle;
  timer: ReturnType<typeof setTimeout>;
}

/**
 * `publish` calls waiting for buffer room, each with its deadline.
 *
 * @example
 * ```ts ignore
 * roomWaiters.wait(prepared, settle, 30_000, () => settle.reject(new Error("no room")));
 * roomWaiters.admit(() => held < limit, (prepared, settle) => accept(prepared, settle));
 * ```
 */
export class RoomWaiters {
  readonly #waiters = new Set<RoomWaiter>();

  /** How many are waiting. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Waits for room for `prepared` until `deadlineMs` has passed; then the waiter is dropped and
   * `onTimeout` runs.
   *
   * @param prepared the event waiting
   * @param settle its `publish` promise
   * @param deadlineMs how long it may wait
   * @param onTimeout what the writer does when it gives up
   */
  wait(prepared: Prepared, settle: Settle, deadlineMs: number, onTimeout: () => void): void {
    const waiter: RoomWaiter = {
      prepared,
      settle,
      timer: setTimeout(() => {
        this.#waiters.delete(waiter);
        onTimeout();
      }, deadlineMs),
    };
    this.#waiters.add(waiter);
  }

  /**
   * Admits waiters, oldest first, while `hasRoom()` says there is room.
   *
   * @param hasRoom asked before each waiter
   * @param accept takes the admitted event into the buffer
   */
  admit(hasRoom: () => boolean, accept: (prepared: Prepared, settle: Settle) => void): void {
    for (const waiter of this.#waiters) {
      if (!hasRoom()) return;
      this.#waiters.delete(waiter);
      clearTimeout(waiter.timer);
      accept(waiter.prepared, waiter.settle);
    }
  }

  /**
   * Stops every wait (on close), oldest first.
   *
   * @param refuse settles each waiter's `publish`
   */
  refuseAll(refuse: (settle: Settle) => void): void {
    for (const waiter of this.#waiters) {
      clearTimeout(waiter.timer);
      refuse(waiter.settle);
    }
    this.#waiters.clear();
  }
}

interface FlushWaiter {
  target: number;
  resolve(): void;
  reject(error: Error): void;
}

/**
 * `flush` calls, each waiting for every event accepted before it (up to its sequence number).
 *
 * @example
 * ```ts ignore
 * flushWaiters.add(seq, resolve, reject);
 * flushWaiters.settle(oldestOutstandingSeq, firstLostSeq, () => new Error("abandoned"));
 * ```
 */
export class FlushWaiters {
  readonly #waiters = new Set<FlushWaiter>();

  /** How many are waiting. */
  get size(): number {
    return this.#waiters.size;
  }

  /**
   * Adds a flush waiting for the events up to `target`.
   *
   * @param target the sequence number of the last event it waits for
   * @param resolve called once they are all committed
   * @param reject called when close abandoned any of them
   */
  add(target: number, resolve: () => void, reject: (error: Error) => void): void {
    this.#waiters.add({ target, resolve, reject });
  }

  /**
   * Settles the flushes that can be: rejected when an event they wait for was abandoned,
   * resolved when every event they wait for is done.
   *
   * @param outstanding the sequence number of the oldest event not yet done
   * @param firstLost the sequence number of the first event close abandoned (else Infinity)
   * @param abandoned the error of a flush whose events were abandoned
   */
  settle(outstanding: number, firstLost: number, abandoned: () => Error): void {
    for (const waiter of this.#waiters) {
      if (waiter.target >= firstLost) {
        this.#waiters.delete(waiter);
        waiter.reject(abandoned());
      } else if (waiter.target < outstanding) {
        this.#waiters.delete(waiter);
        waiter.resolve();
      }
    }
  }
}

/**
 * `close` waiting for the buffer to drain, up to a deadline.
 *
 * @example
 * ```ts ignore
 * const drained = await drainWaiters.wait(10_000, () => held === 0);
 * // elsewhere, whenever the last held event is done:
 * drainWaiters.drained();
 * ```
 */
export class DrainWaiters {
  readonly #waiters = new Set<() => void>();

  /** Ends every wait: the buffer is empty. */
  drained(): void {
    for (const resolve of this.#waiters) resolve();
  }

  /**
   * Resolves true once drained (at once when `isDrained()` already), or at `deadlineMs` with
   * whether it drained by then.
   *
   * @param deadlineMs how long to wait
   * @param isDrained whether nothing is held now
   */
  wait(deadlineMs: number, isDrained: () => boolean): Promise<boolean> {
    if (isDrained()) return Promise.resolve(true);
    return new Promise<boolean>((resolve) => {
      const done = (drained: boolean) => {
        clearTimeout(timer);
        this.#waiters.delete(onDrained);
        resolve(drained);
      };
      const onDrained = () => done(true);
      const timer = setTimeout(() => done(isDrained()), deadlineMs);
      this.#waiters.add(onDrained);
    });
  }
}
