/**
 * Creates PGMQ step queues once per process. `pgmq.create` is idempotent and takes PGMQ's own
 * queue lock, so two processes creating the same queue at once do not race; the cache only
 * saves the round trip after the first time.
 *
 * @module
 */

import type { Queryable } from "../durable/database.ts";
import { assertQueueName } from "../names.ts";

const created = new WeakMap<Queryable, Set<string>>();

/**
 * Creates `queue` unless this process already did so on `db`.
 *
 * @example
 * ```ts ignore
 * import { ensureQueue } from "./queues.ts";
 * await ensureQueue(db, "worker_payments_queue");
 * ```
 */
export async function ensureQueue(db: Queryable, queue: string): Promise<void> {
  assertQueueName(queue);
  let known = created.get(db);
  if (!known) created.set(db, known = new Set());
  if (known.has(queue)) return;
  await db.query("SELECT pgmq.create($1::text)", [queue]);
  known.add(queue);
}
