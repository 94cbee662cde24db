/**
 * Turning on tasker-core's message notifications (`pgmq_message_ready.default` and
 * `pgmq_message_ready`) for a domain-event queue, so that a tasker-core listener wakes for the
 * messages this library writes. The trigger and its function come with the task engine's
 * migration 3 (`src/worker/migrations/0003_task_wire_columns.sql`); on a database without them
 * (the durable layer used on its own) this is a no-op.
 *
 * @module
 */

import type { Queryable } from "../db/database.ts";
import { assertQueueName } from "../../names.ts";

/** Whether `queue` is a domain-event queue (`{namespace}_domain_events`). */
export function isDomainEventsQueue(queue: string): boolean {
  return queue.endsWith("_domain_events");
}

/**
 * Installs the notify trigger on `queue`'s table when the task engine's migration is there.
 * One round trip; idempotent.
 *
 * @param db where the queue lives
 * @param queue a domain-event queue name (validated here)
 *
 * @example
 * ```ts ignore
 * await enableTaskerNotify(db, "payments_domain_events");
 * ```
 */
export async function enableTaskerNotify(db: Queryable, queue: string): Promise<void> {
  assertQueueName(queue);
  // A DO block cannot take parameters; the name was validated as [a-z_][a-z0-9_]* just above.
  await db.query(`DO $notify$
BEGIN
  IF to_regprocedure('tasker.enable_domain_event_notify(text)') IS NOT NULL THEN
    PERFORM tasker.enable_domain_event_notify('${queue}');
  END IF;
END
$notify$`);
}
