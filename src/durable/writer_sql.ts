/**
 * The SQL the DurableWriter runs: creating a queue (and its dead-letter queue) once per process,
 * and the one statement that writes a whole batch.
 *
 * A batch travels as TWO text parameters: the messages' JSON texts joined by newlines, and the
 * headers' likewise. `JSON.stringify` never emits a raw newline (it escapes them inside strings),
 * so `string_to_array(..., E'\n')` splits them back exactly; the client does no escaping and the
 * server parses each document once, straight into `jsonb` (measured faster than one JSON array
 * parameter, which the server must parse and then take apart). Two statements keep PGMQ's
 * contract and return the new `msg_id`s in batch order:
 *
 * - `send_batch`: `pgmq.send_batch(queue, msgs[], headers[], 0)`, PGMQ's own function.
 * - `insert`: a plain `INSERT ... SELECT` into `pgmq."q_<queue>"` with exactly the columns
 *   `send_batch` writes (`vt` = `clock_timestamp()`, the same as a delay of 0; `msg_id`,
 *   `read_ct` and `enqueued_at` from the table's defaults). It is an ordinary INSERT, so the
 *   notify-insert trigger PGMQ installs (`pgmq.enable_notify_insert`) fires exactly as it does
 *   for `send_batch`. It skips a PL/pgSQL call and a dynamic `EXECUTE`.
 *
 * Both rely, exactly as `pgmq._send_batch` itself does, on PostgreSQL inserting the rows of an
 * `unnest` in array order and returning them in insertion order (identity values ascend with it).
 *
 * Table names are only ever built from names that passed `assertQueueName`, and quoted.
 *
 * @module
 */

import type { Database, Queryable } from "./database.ts";
import type { PendingEntry } from "./writer_buffer.ts";
import type { CommittedEvent, DurableWriterTuning } from "./writer_types.ts";
import { assertQueueName, QUEUE_NAME_PATTERN } from "../names.ts";

/** How the writer turns a batch into rows; see the module documentation. */
export type WriteStrategy = "send_batch" | "insert";

/** The quoted name of a queue's PGMQ table, e.g. `pgmq."q_payments_domain_events"`. */
export function queueTable(queue: string, prefix: "q" | "a" = "q"): string {
  assertQueueName(queue);
  return `pgmq."${prefix}_${queue}"`;
}

/**
 * The SQL text and parameters that write one batch with `strategy`. The statement returns one
 * row `{msg_id}` per message, in order.
 *
 * @param strategy which statement to use
 * @param queue a validated queue name
 * @param bodies the messages' JSON texts joined by `\n`
 * @param headers the headers' JSON texts joined by `\n`, as many
 */
export function batchStatement(
  strategy: WriteStrategy,
  queue: string,
  bodies: string,
  headers: string,
): { sql: string; params: unknown[] } {
  if (strategy === "insert") {
    return {
      sql: `INSERT INTO ${queueTable(queue)} (vt, message, headers)
SELECT clock_timestamp(), t.m::jsonb, t.h::jsonb
FROM unnest(string_to_array($1::text, E'\\n'), string_to_array($2::text, E'\\n')) AS t(m, h)
RETURNING msg_id`,
      params: [bodies, headers],
    };
  }
  assertQueueName(queue);
  return {
    sql: `SELECT s.msg_id FROM pgmq.send_batch(
  $1::text,
  string_to_array($2::text, E'\\n')::jsonb[],
  string_to_array($3::text, E'\\n')::jsonb[],
  0
) AS s(msg_id)`,
    params: [queue, bodies, headers],
  };
}

/** Per database handle: the queues this process already created (or found). */
const created = new WeakMap<object, Set<string>>();

/**
 * Creates `queue` and, when its name leaves room, `{queue}_dlq`, unless this process already did
 * so through the same database handle. `pgmq.create` is `CREATE TABLE IF NOT EXISTS` under
 * PGMQ's per-queue transaction advisory lock (`pgmq.acquire_queue_lock`), so processes racing
 * to create the same queue wait for each other instead of failing.
 *
 * @param db the handle the cache is kept for
 * @param queue a queue name (validated here)
 */
export async function ensureQueue(db: Queryable, queue: string): Promise<void> {
  let known = created.get(db);
  if (known?.has(queue)) return;
  assertQueueName(queue);
  const dlq = `${queue}_dlq`;
  if (QUEUE_NAME_PATTERN.test(dlq)) {
    await db.query("SELECT pgmq.create($1::text), pgmq.create($2::text)", [queue, dlq]);
  } else {
    await db.query("SELECT pgmq.create($1::text)", [queue]);
  }
  if (known === undefined) created.set(db, known = new Set());
  known.add(queue);
}

/**
 * Forgets that `queue` exists (after "relation does not exist": it was dropped), so the next
 * write creates it again.
 *
 * @param db the handle the cache is kept for
 * @param queue the queue name
 */
export function forgetQueue(db: Queryable, queue: string): void {
  created.get(db)?.delete(queue);
}

/**
 * Writes one batch (entries of one queue, in order) and returns the new message ids in the same
 * order. Without a hook it is one autocommitted statement; with `onCommitted` the statement and
 * the hook share one transaction.
 *
 * @param db the database
 * @param strategy which statement
 * @param batch the entries
 * @param onCommitted the optional same-transaction hook
 */
export async function writeBatch(
  db: Database,
  strategy: WriteStrategy,
  batch: readonly PendingEntry[],
  onCommitted: DurableWriterTuning["onCommitted"],
): Promise<number[]> {
  const queue = batch[0]!.queue;
  await ensureQueue(db, queue);
  let bodies = batch[0]!.body;
  let headers = batch[0]!.headers;
  for (let index = 1; index < batch.length; index++) {
    bodies += "\n" + batch[index]!.body;
    headers += "\n" + batch[index]!.headers;
  }
  const { sql, params } = batchStatement(strategy, queue, bodies, headers);
  if (onCommitted === undefined) {
    const rows = await db.query<{ msg_id: number | string }>(sql, params);
    return rows.map((row) => Number(row.msg_id));
  }
  return await db.transaction(async (tx) => {
    const rows = await tx.query<{ msg_id: number | string }>(sql, params);
    if (rows.length !== batch.length) {
      throw new Error(`${queue}: wrote ${rows.length} rows for a batch of ${batch.length}`);
    }
    const msgIds = rows.map((row) => Number(row.msg_id));
    const committed: CommittedEvent[] = batch.map((entry, index) => ({
      event: entry.event,
      msg_id: msgIds[index]!,
      queue,
    }));
    await onCommitted(committed, tx);
    return msgIds;
  });
}
