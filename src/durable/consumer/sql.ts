/**
 * The SQL the DurableConsumer runs: read and acknowledge (through the PGMQ client), dead-letter
 * and redrive. Retrying later and PGMQ's insert notifications are PGMQ statements of their own
 * (`pgmq/statements.ts`, `pgmq/notify_insert.ts`). Moves between queues are single
 * statements (a `DELETE ... RETURNING` feeding an `INSERT` into the target's PGMQ table), so a
 * message is never in both queues or in neither, and its body never travels to the client and
 * back.
 *
 * @module
 */

import type { Database, Queryable } from "../db/database.ts";
import { ensureEventQueue } from "../pgmq/event_queues.ts";
import { queueTable } from "../pgmq/queues.ts";
import type { RedriveOptions } from "./types.ts";
import { intOption } from "../writer/errors.ts";
import { Pgmq } from "../pgmq/pgmq.ts";
import type { PgmqMessage } from "../pgmq/types.ts";

/** One message as `pgmq.read` returns it. */
export type ReadRow = PgmqMessage<unknown>;

/** Headers the consumer adds when dead-lettering; stripped again by a redrive. */
export const DEAD_LETTER_HEADERS = [
  "x-last-error",
  "x-failed-at",
  "x-attempts",
  "x-original-queue",
] as const;

/**
 * Reads up to `qty` visible messages and hides them for `vtSeconds` (PGMQ client's `read`).
 *
 * @param db where to read
 * @param queue the queue
 * @param vtSeconds visibility timeout
 * @param qty most messages
 */
export async function readBatch(
  db: Queryable,
  queue: string,
  vtSeconds: number,
  qty: number,
): Promise<ReadRow[]> {
  return await new Pgmq(db).read(queue, { vtSeconds, qty });
}

/**
 * Deletes or archives handled messages in one statement (PGMQ client's `delete` / `archive`).
 *
 * @param db where
 * @param queue the queue
 * @param msgIds the messages
 * @param mode delete or archive
 */
export async function acknowledge(
  db: Queryable,
  queue: string,
  msgIds: readonly number[],
  mode: "delete" | "archive",
): Promise<void> {
  if (msgIds.length === 0) return;
  const pgmq = new Pgmq(db);
  if (mode === "archive") await pgmq.archive(queue, msgIds);
  else await pgmq.delete(queue, msgIds);
}

/**
 * Moves one message to the dead-letter queue with its original headers plus `x-last-error`,
 * `x-failed-at`, `x-attempts` and `x-original-queue`, deleting it from `queue`: one statement,
 * so one transaction. Returns false when the message was already gone.
 *
 * @param db where (the DLQ must exist)
 * @param queue the source queue
 * @param dlq the dead-letter queue
 * @param msgId the message
 * @param lastError why it failed
 * @param attempts how many times it was read
 */
export async function deadLetter(
  db: Queryable,
  queue: string,
  dlq: string,
  msgId: number,
  lastError: string,
  attempts: number,
): Promise<boolean> {
  const extra = JSON.stringify({
    "x-last-error": lastError,
    "x-failed-at": new Date().toISOString(),
    "x-attempts": attempts,
    "x-original-queue": queue,
  });
  const rows = await db.query(
    `WITH moved AS (
  DELETE FROM ${queueTable(queue)} WHERE msg_id = $1::bigint RETURNING message, headers
)
INSERT INTO ${queueTable(dlq)} (vt, message, headers)
SELECT clock_timestamp(), message,
  CASE WHEN jsonb_typeof(headers) = 'object' THEN headers ELSE '{}'::jsonb END || $2::text::jsonb
FROM moved
RETURNING msg_id`,
    [msgId, extra],
  );
  return rows.length > 0;
}

/**
 * Moves up to `limit` messages from `fromQueue` (usually a dead-letter queue) to `toQueue`,
 * oldest first, in ONE statement: deleted from the source and inserted into the target together.
 * The dead-letter headers are replaced by `x-redriven-from` and `x-redriven-at`; the message gets
 * a fresh `read_ct` of 0. Creates `toQueue` when missing. Messages currently locked by another
 * redrive are skipped.
 *
 * @param db the database
 * @param fromQueue where the messages are
 * @param toQueue where they go
 * @param options how many at most
 * @returns how many moved
 *
 * @example
 * ```ts
 * import { redrive } from "@deno-tasker/tasker/durable";
 * import type { Database } from "@deno-tasker/tasker/durable";
 * async function retryDeadLetters(db: Database): Promise<number> {
 *   return await redrive(db, "payments_domain_events_dlq", "payments_domain_events");
 * }
 * ```
 */
export async function redrive(
  db: Database,
  fromQueue: string,
  toQueue: string,
  options: RedriveOptions = {},
): Promise<number> {
  const limit = intOption("redrive", "limit", options.limit, 1_000, 1);
  const source = queueTable(fromQueue);
  const target = queueTable(toQueue);
  await ensureEventQueue(db, toQueue);
  const extra = JSON.stringify({
    "x-redriven-from": fromQueue,
    "x-redriven-at": new Date().toISOString(),
  });
  const strip = DEAD_LETTER_HEADERS.map((name) => `'${name}'`).join(" - ");
  const rows = await db.query(
    `WITH moved AS (
  DELETE FROM ${source}
  WHERE msg_id IN (SELECT msg_id FROM ${source} ORDER BY msg_id LIMIT $1 FOR UPDATE SKIP LOCKED)
  RETURNING msg_id, message, headers
)
INSERT INTO ${target} (vt, message, headers)
SELECT clock_timestamp(), message,
  (CASE WHEN jsonb_typeof(headers) = 'object' THEN headers ELSE '{}'::jsonb END) - ${strip}
    || $2::text::jsonb
FROM moved ORDER BY msg_id
RETURNING msg_id`,
    [limit, extra],
  );
  return rows.length;
}
