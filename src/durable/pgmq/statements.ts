/**
 * Named PGMQ statements for callers that cannot go through the {@link Pgmq} client because their
 * queue operation has a shape of its own: a send that becomes visible at the statement's clock
 * rather than after a whole-second delay, a visibility timeout with a fractional delay, or a PGMQ
 * call that must sit INSIDE a larger statement of the caller's (one round trip, one snapshot).
 *
 * The `run` helpers take any `Queryable`, so they run in a caller's transaction. The `...Call`
 * helpers return the SQL call expression of a PGMQ function for such a larger statement; their
 * arguments are SQL expressions (placeholders such as `$3::text`, or column references), never
 * values, so the statement they end up in stays parameterised.
 *
 * @module
 */

import type { Queryable } from "../db/database.ts";
import { assertQueueName } from "../../names.ts";

/** `pgmq.send_batch` with the visibility time `clock_timestamp()`: visible from this statement. */
const SEND_BATCH_NOW = "SELECT pgmq.send_batch($1::text, $2::jsonb[], clock_timestamp())";

/**
 * Sends `messages` to `queue` in one statement, each visible from the moment the statement runs
 * (`clock_timestamp()`, not the transaction's start): inside a long transaction a message is not
 * back-dated. Sends nothing for an empty list. The queue travels as a parameter.
 *
 * @param q the database, or the transaction the messages commit with
 * @param queue the queue (it must exist)
 * @param messages the message bodies (each serialised with `JSON.stringify`)
 *
 * @example
 * ```ts ignore
 * await sendBatchVisibleNow(tx, "orders_queue", [{ task_uuid, step_uuid }]);
 * ```
 */
export async function sendBatchVisibleNow(
  q: Queryable,
  queue: string,
  messages: readonly unknown[],
): Promise<void> {
  if (messages.length === 0) return;
  await q.query(SEND_BATCH_NOW, [queue, messages.map((message) => JSON.stringify(message))]);
}

/**
 * Makes messages visible again after `delaySeconds` (fractions allowed; 0 = now), in one
 * statement. PGMQ's whole-second `set_vt` is taken with a timestamp instead, so sub-second
 * retry delays keep their precision.
 *
 * @param q where
 * @param queue the queue (validated here)
 * @param msgIds the messages (none: nothing runs)
 * @param delaySeconds the delay from the statement's clock
 *
 * @example
 * ```ts ignore
 * await setVisibleAfter(db, "payments_domain_events", [41, 42], 0.5);
 * ```
 */
export async function setVisibleAfter(
  q: Queryable,
  queue: string,
  msgIds: readonly number[],
  delaySeconds: number,
): Promise<void> {
  if (msgIds.length === 0) return;
  assertQueueName(queue);
  await q.query(
    "SELECT count(*) FROM pgmq.set_vt($1::text, $2::bigint[], " +
      "clock_timestamp() + make_interval(secs => $3::float8))",
    [queue, msgIds, delaySeconds],
  );
}

/**
 * Which of `queues` are registered in PGMQ's `meta` table: one indexed look-up (cheaper than
 * `list_queues()`, which builds a row for every queue).
 *
 * @param q where
 * @param queues the names to look for (passed as one parameter)
 * @returns a row per name that is a queue
 *
 * @example
 * ```ts ignore
 * const rows = await queuesInMeta(db, ["orders_queue", "orders_queue_p1"]);
 * ```
 */
export async function queuesInMeta(
  q: Queryable,
  queues: readonly string[],
): Promise<{ queue_name: string }[]> {
  return await q.query<{ queue_name: string }>(
    "SELECT queue_name FROM pgmq.meta WHERE queue_name = ANY($1::text[])",
    [queues],
  );
}

/**
 * The call `pgmq.set_vt(queue, ids, vt)` for a statement that hides (or shows) messages as part
 * of a larger statement, e.g. `... LATERAL ${setVtCall("m.queue", "m.ids", "30")} v`. PGMQ picks
 * the overload from the argument types: one id or an array, whole seconds or a timestamp.
 *
 * @param queue the queue's SQL expression
 * @param ids the SQL expression of a message id or an array of them
 * @param vt the SQL expression of the visibility timeout
 *
 * @example
 * ```ts
 * import { setVtCall } from "./statements.ts";
 * setVtCall("$1::text", "$2::bigint", "30"); // "pgmq.set_vt($1::text, $2::bigint, 30)"
 * ```
 */
export function setVtCall(queue: string, ids: string, vt: string): string {
  return `pgmq.set_vt(${queue}, ${ids}, ${vt})`;
}

/**
 * The call `pgmq.send_batch(queue, messages, headers, delay)` for a statement that sends as part
 * of a larger one (it yields one `msg_id` per message, in order), e.g.
 * `SELECT s.msg_id FROM ${sendBatchCall("$1::text", "$2::jsonb[]", "$3::jsonb[]", "0")} AS s(msg_id)`.
 *
 * @param queue the queue's SQL expression
 * @param messages the SQL expression of the `jsonb[]` bodies
 * @param headers the SQL expression of the `jsonb[]` headers
 * @param delay the SQL expression of the delay in seconds
 *
 * @example
 * ```ts
 * import { sendBatchCall } from "./statements.ts";
 * sendBatchCall("$1::text", "$2::jsonb[]", "$3::jsonb[]", "0");
 * ```
 */
export function sendBatchCall(
  queue: string,
  messages: string,
  headers: string,
  delay: string,
): string {
  return `pgmq.send_batch(${queue}, ${messages}, ${headers}, ${delay})`;
}

/**
 * The call `pgmq.send_batch(queue, messages, visible_at)` for a statement that sends as part of
 * a larger one, each message visible from the timestamp `visibleAt` (PGMQ's `timestamptz`
 * overload), e.g. the task submission's one statement.
 *
 * @param queue the queue's SQL expression
 * @param messages the SQL expression of the `jsonb[]` bodies
 * @param visibleAt the SQL expression of the `timestamptz` the messages become visible at
 *
 * @example
 * ```ts
 * import { sendBatchAtCall } from "./statements.ts";
 * sendBatchAtCall("$1::text", "$2::jsonb[]", "clock_timestamp()");
 * ```
 */
export function sendBatchAtCall(queue: string, messages: string, visibleAt: string): string {
  return `pgmq.send_batch(${queue}, ${messages}, ${visibleAt})`;
}

const SEND_AFTER =
  "SELECT pgmq.send($1::text, $2::jsonb, NULL::jsonb, clock_timestamp() + make_interval(secs => $3::double precision))";

/**
 * Sends one message to `queue`, visible `delaySeconds` (fractions allowed) after the statement
 * runs: a step's retry, whose backoff is rarely a whole number of seconds.
 *
 * @param q the database, or the transaction the message commits with
 * @param queue the queue (it must exist)
 * @param message the message body (serialised with `JSON.stringify`)
 * @param delaySeconds seconds until it is visible
 *
 * @example
 * ```ts ignore
 * await sendVisibleAfter(tx, "worker_payments_queue", { task_uuid, step_uuid }, 1.5);
 * ```
 */
export async function sendVisibleAfter(
  q: Queryable,
  queue: string,
  message: unknown,
  delaySeconds: number,
): Promise<void> {
  await q.query(SEND_AFTER, [queue, JSON.stringify(message), delaySeconds]);
}

const DELETE_MESSAGES = "SELECT pgmq.delete($1::text, $2::bigint[])";

/**
 * Deletes the messages `msgIds` of `queue` in one statement (ids already gone are skipped, as
 * `pgmq.delete` does). Deletes nothing for an empty list.
 *
 * @param q the database, or the transaction the deletion commits with
 * @param queue the queue (it must exist)
 * @param msgIds the message ids
 *
 * @example
 * ```ts ignore
 * await deleteMessages(tx, "worker_payments_queue", [41, 42]);
 * ```
 */
export async function deleteMessages(
  q: Queryable,
  queue: string,
  msgIds: readonly number[],
): Promise<void> {
  if (msgIds.length === 0) return;
  await q.query(DELETE_MESSAGES, [queue, msgIds]);
}
