/**
 * Creates PGMQ step queues once per process. `pgmq.create` is idempotent and takes PGMQ's own
 * queue lock, so two processes creating the same queue at once do not race; the cache only
 * saves the round trips after the first time. Every step queue gets its wake-up trigger here
 * (step_wakeups.ts), so a band queue made by a submit or an operator action announces its
 * inserts to the workers already listening for it.
 *
 * @module
 */

import type { Queryable } from "../durable/database.ts";
import { assertQueueName } from "../names.ts";
import { installWakeTrigger } from "./step_wakeups.ts";

const created = new WeakMap<Queryable, Set<string>>();

/**
 * Creates `queue`, with its wake-up trigger, unless this process already did so on `db`.
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
  await installWakeTrigger(db, queue);
  known.add(queue);
}
