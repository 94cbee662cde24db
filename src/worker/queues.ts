/**
 * Creates PGMQ step queues once per process (the once-per-handle cache is the durable layer's
 * `QueueCreator`). Every step queue gets its wake-up trigger here (step_wakeups.ts), so a band
 * queue made by a submit or an operator action announces its inserts to the workers already
 * listening for it.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { Pgmq } from "../durable/pgmq/pgmq.ts";
import { QueueCreator } from "../durable/pgmq/queues.ts";
import { installWakeTrigger } from "./step_wakeups.ts";

const stepQueues = new QueueCreator(async (db, queue) => {
  await new Pgmq(db).createQueue(queue);
  await installWakeTrigger(db, queue);
});

/**
 * Creates the step queue `queue`, with its wake-up trigger, unless this process already did so
 * on `db`.
 *
 * @example
 * ```ts ignore
 * import { ensureQueue } from "./queues.ts";
 * await ensureQueue(db, "worker_payments_queue");
 * ```
 */
export function ensureQueue(db: Queryable, queue: string): Promise<void> {
  return stepQueues.ensure(db, queue);
}
