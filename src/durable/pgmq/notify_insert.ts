/**
 * PGMQ 1.11's insert notifications: the channel a queue's inserts notify on, and turning them on
 * for a queue exactly once however many consumers start together.
 *
 * @module
 */

import type { Database } from "../db/database.ts";
import { assertQueueName } from "../../names.ts";

/**
 * The channel PGMQ 1.11 notifies on after inserts into `queue` (`pgmq.q_<queue>.INSERT`).
 *
 * @param queue the queue (validated here)
 *
 * @example
 * ```ts
 * import { notifyChannel } from "./notify_insert.ts";
 * notifyChannel("payments_domain_events"); // "pgmq.q_payments_domain_events.INSERT"
 * ```
 */
export function notifyChannel(queue: string): string {
  assertQueueName(queue);
  return `pgmq.q_${queue}.INSERT`;
}

/**
 * Turns on PGMQ's insert notifications for `queue` unless already on. PGMQ's
 * `enable_notify_insert` drops and re-creates its trigger every time, so consumers starting
 * together take the queue's advisory lock (the one `pgmq.create` uses) and check first.
 *
 * @param db the database
 * @param queue the queue (must exist)
 * @param throttleMs PGMQ's minimum interval between notifications
 *
 * @example
 * ```ts ignore
 * await enableNotifications(db, "payments_domain_events", 250);
 * ```
 */
export async function enableNotifications(
  db: Database,
  queue: string,
  throttleMs: number,
): Promise<void> {
  assertQueueName(queue);
  await db.transaction(async (tx) => {
    await tx.query("SELECT pgmq.acquire_queue_lock($1::text)", [queue]);
    const rows = await tx.query(
      "SELECT 1 FROM pgmq.notify_insert_throttle WHERE queue_name = $1::text",
      [queue],
    );
    if (rows.length === 0) {
      await tx.query("SELECT pgmq.enable_notify_insert($1::text, $2::int)", [queue, throttleMs]);
    }
  });
}
