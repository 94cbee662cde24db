/**
 * PGMQ queues as the rest of the library meets them: the quoted name of a queue's table, and
 * creating a queue at most once per process and database handle.
 *
 * @module
 */

import type { Queryable } from "../db/database.ts";
import { assertQueueName } from "../../names.ts";

/**
 * The quoted name of a queue's PGMQ table, e.g. `pgmq."q_payments_domain_events"` (or its
 * archive, `pgmq."a_..."`). The name is validated first, so the result is safe to interpolate.
 *
 * @param queue a queue name (validated here)
 * @param prefix `q` for the queue, `a` for its archive
 *
 * @example
 * ```ts
 * import { queueTable } from "./queues.ts";
 * queueTable("payments_domain_events"); // 'pgmq."q_payments_domain_events"'
 * ```
 */
export function queueTable(queue: string, prefix: "q" | "a" = "q"): string {
  assertQueueName(queue);
  return `pgmq."${prefix}_${queue}"`;
}

/** What creating one queue involves (`pgmq.create`, plus whatever the kind of queue needs). */
export type CreateQueue = (db: Queryable, queue: string) => Promise<void>;

/**
 * Creates queues of one kind at most once per process and database handle. `pgmq.create` is
 * idempotent and takes PGMQ's own queue lock, so two processes creating the same queue at once
 * do not race; the cache only saves the round trips after the first time. Each kind of queue
 * (step queues, domain-event queues) has its own creator, so a queue is set up by the rules of
 * the kind that asked for it.
 *
 * @example
 * ```ts
 * import { QueueCreator } from "./queues.ts";
 * import { openPglite } from "@deno-tasker/tasker/durable";
 * import { migrate } from "@deno-tasker/tasker/durable";
 * await using db = await openPglite();
 * await migrate(db);
 * const plain = new QueueCreator(async (db, queue) => {
 *   await db.query("SELECT pgmq.create($1::text)", [queue]);
 * });
 * await plain.ensure(db, "reports_queue");
 * await plain.ensure(db, "reports_queue"); // no round trip
 * ```
 */
export class QueueCreator {
  readonly #create: CreateQueue;
  /** Per handle, each queue's creation: done, or still running (callers at once share it). */
  readonly #created = new WeakMap<object, Map<string, Promise<void>>>();

  /**
   * Creates the cache; nothing runs until the first `ensure`.
   *
   * @param create creates one queue (called with a validated name)
   */
  constructor(create: CreateQueue) {
    this.#create = create;
  }

  /**
   * Creates `queue` unless this process already did so through `db`. Calls made while its
   * creation runs wait for that one (twenty submits at once to a new namespace create its queue
   * once, not twenty times in a row behind PGMQ's lock); a creation that fails is forgotten, so the
   * next call tries again.
   *
   * @param db the handle the cache is kept for (a database, or a transaction)
   * @param queue a queue name (validated here)
   */
  ensure(db: Queryable, queue: string): Promise<void> {
    let known = this.#created.get(db);
    const existing = known?.get(queue);
    if (existing !== undefined) return existing;
    try {
      assertQueueName(queue);
    } catch (error) {
      return Promise.reject(error);
    }
    if (known === undefined) this.#created.set(db, known = new Map());
    const creating = this.#create(db, queue);
    const cache = known;
    cache.set(queue, creating);
    creating.catch(() => {
      if (cache.get(queue) === creating) cache.delete(queue);
    });
    return creating;
  }

  /**
   * Forgets that `queue` exists (after "relation does not exist": it was dropped), so the next
   * `ensure` creates it again.
   *
   * @param db the handle the cache is kept for
   * @param queue the queue name
   */
  forget(db: Queryable, queue: string): void {
    this.#created.get(db)?.delete(queue);
  }
}
