/**
 * Task priority as queue bands. PGMQ reads a queue in message-id order, so priority cannot be a
 * sort inside one queue without scanning it on every read. Instead a task's steps travel in the
 * queue of its priority band — `worker_{ns}_queue_high` for priority above 0, the usual
 * `worker_{ns}_queue` for 0, `worker_{ns}_queue_low` below 0 — and a worker reads the high bands
 * of all its namespaces first, then the normal ones, then the low ones. Every message of a task
 * (successors, retries) goes to the queue its task came from, so a task stays in its band.
 *
 * The common case costs nothing: band queues exist only once a task of that band was submitted,
 * and a worker that finds none reads exactly as before (one queue: one read). It looks for new
 * band queues at most once per {@link BAND_REFRESH_MS} (one indexed look-up in PGMQ's `meta`), and
 * at once when a wake-up notification (step_wakeups.ts) names a band queue it has not found yet.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { queuesInMeta } from "../durable/pgmq/statements.ts";
import { stepQueue } from "../names.ts";

/** How often a worker looks for band queues created since it last looked. */
export const BAND_REFRESH_MS = 1_000;

/** The band of a priority: `high` (> 0), `normal` (0) or `low` (< 0). */
export type PriorityBand = "high" | "normal" | "low";

/**
 * The band of `priority`.
 *
 * @example
 * ```ts
 * import { priorityBand } from "./priority_queues.ts";
 * priorityBand(10); // "high"
 * ```
 */
export function priorityBand(priority: number): PriorityBand {
  return priority > 0 ? "high" : priority < 0 ? "low" : "normal";
}

/**
 * The step queue of a task of `namespace` with `priority`.
 *
 * @example
 * ```ts
 * import { stepQueueFor } from "./priority_queues.ts";
 * stepQueueFor("payments", 0); // "worker_payments_queue"
 * stepQueueFor("payments", 5); // "worker_payments_queue_high"
 * ```
 */
export function stepQueueFor(namespace: string, priority: number): string {
  const queue = stepQueue(namespace);
  const band = priorityBand(priority);
  return band === "normal" ? queue : `${queue}_${band}`;
}

/**
 * The step queues of a worker's namespaces in reading order, as far as they exist: the normal
 * queues always, the band queues once some process created them.
 */
export class PriorityBands {
  readonly #high: string[];
  readonly #normal: string[];
  readonly #low: string[];
  #existing = new Set<string>();
  #ordered: string[];
  #checkedAt = -Infinity;
  /** A notification named a band queue not found yet: look again at the next read. */
  #expected = false;
  #checking: Promise<void> | undefined;
  readonly #foundListeners = new Set<(queues: readonly string[]) => void>();

  /**
   * Creates the bands of `namespaces`; only the normal queues until a refresh finds others.
   *
   * @param namespaces the namespaces the worker serves
   */
  constructor(namespaces: readonly string[]) {
    this.#normal = namespaces.map(stepQueue);
    this.#high = namespaces.map((ns) => stepQueueFor(ns, 1));
    this.#low = namespaces.map((ns) => stepQueueFor(ns, -1));
    this.#ordered = this.#normal;
  }

  /** Every queue these namespaces may use, existing or not: high, normal, low. */
  all(): readonly string[] {
    return [...this.#high, ...this.#normal, ...this.#low];
  }

  /** Whether `queue` is one of the high or low band queues. */
  isBand(queue: string): boolean {
    return this.#high.includes(queue) || this.#low.includes(queue);
  }

  /**
   * Says that `queue` has messages (a wake-up notification): when it is a band queue not found
   * yet, the next {@link PriorityBands.queues} looks again at once instead of up to
   * {@link BAND_REFRESH_MS} later, so its first message does not wait for a poll.
   */
  expect(queue: string): void {
    if (this.isBand(queue) && !this.#existing.has(queue)) this.#expected = true;
  }

  /**
   * Calls `listener` with the band queues each refresh finds that the previous one did not
   * (step_wakeups.ts installs their triggers). Returns a function that removes it.
   */
  onFound(listener: (queues: readonly string[]) => void): () => void {
    this.#foundListeners.add(listener);
    return () => this.#foundListeners.delete(listener);
  }

  /** The queues to read, high bands first; refreshed at most every {@link BAND_REFRESH_MS}. */
  async queues(db: Queryable): Promise<readonly string[]> {
    if (this.#expected || performance.now() - this.#checkedAt >= BAND_REFRESH_MS) {
      this.#checking ??= this.#refresh(db).finally(() => (this.#checking = undefined));
      await this.#checking;
    }
    return this.#ordered;
  }

  async #refresh(db: Queryable): Promise<void> {
    // Cleared before the look-up: a notification arriving during it asks for another one.
    this.#expected = false;
    const rows = await queuesInMeta(db, [...this.#high, ...this.#low]);
    this.#checkedAt = performance.now();
    if (rows.length === this.#existing.size) return;
    const before = this.#existing;
    this.#existing = new Set(rows.map((row) => row.queue_name));
    const found = [...this.#existing].filter((queue) => !before.has(queue));
    const has = (queue: string) => this.#existing.has(queue);
    this.#ordered = [...this.#high.filter(has), ...this.#normal, ...this.#low.filter(has)];
    if (found.length > 0) { for (const listener of this.#foundListeners) listener(found); }
  }
}
