/**
 * The SQL the DurableWriter runs: the one statement that writes a whole batch (its queue is
 * created once per process first, by `pgmq/event_queues.ts`).
 *
 * A batch travels as TWO text parameters: the messages' JSON texts joined by newlines, and the
 * headers' likewise. `JSON.stringify` never emits a raw newline (it escapes them inside strings),
 * so `string_to_array(..., E'\n')` splits them back exactly; the client does no escaping and the
 * server parses each document once, straight into `jsonb` (measured faster than one JSON array
 * parameter, which the server must parse and then take apart). Two statements keep PGMQ's
 * contract and return the new `msg_id`s in batch order:
 *
 * - `send_batch`: PGMQ's own `send_batch(queue, msgs[], headers[], 0)` (`pgmq/statements.ts`).
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

import type { Database, Queryable } from "../db/database.ts";
import type { PendingEntry } from "./buffer.ts";
import type { CommittedEvent, DurableWriterTuning, WriteStrategy } from "./types.ts";
import { assertQueueName } from "../../names.ts";
import { ensureEventQueue } from "../pgmq/event_queues.ts";
import { queueTable } from "../pgmq/queues.ts";
import { sendBatchCall } from "../pgmq/statements.ts";

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
  const send = sendBatchCall(
    "$1::text",
    "string_to_array($2::text, E'\\n')::jsonb[]",
    "string_to_array($3::text, E'\\n')::jsonb[]",
    "0",
  );
  return {
    sql: `SELECT s.msg_id FROM ${send} AS s(msg_id)`,
    params: [queue, bodies, headers],
  };
}

/** Canonical UUID text: only such ids can have a ledger row (`event_id uuid`). */
const UUID_TEXT = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The ledger form of {@link batchStatement} (see `OwedLedger`): one statement that locks the
 * batch's unsent ledger rows in `event_id` order, marks them sent, and writes to PGMQ the events
 * it marked plus those without a ledger row. It returns one row: `kept`, the 1-based positions
 * of the written entries, and `msg_ids`, their message ids, both ascending (message ids ascend
 * in insertion order, and rows are inserted in position order).
 *
 * Under READ COMMITTED a writer that finds a row locked by another writer waits for it, then
 * re-checks `sent_at IS NULL` on the committed version: the second writer skips the event. The
 * "no ledger row" test reads the statement's snapshot, which holds every row committed before
 * the event reached the writer (a step's events are routed after its transaction commits).
 *
 * @param strategy which insert to use
 * @param queue a validated queue name
 * @param table a validated `schema.table` ledger name
 * @param bodies the messages' JSON texts joined by `\n`
 * @param headers the headers' JSON texts joined by `\n`, as many
 * @param ids per entry, its event id when it is a UUID (else null: it cannot have a row)
 */
export function ledgerBatchStatement(
  strategy: WriteStrategy,
  queue: string,
  table: string,
  bodies: string,
  headers: string,
  ids: readonly (string | null)[],
): { sql: string; params: unknown[] } {
  const prelude = `WITH batch AS (
  SELECT t.m, t.h, t.id, t.ord
    FROM unnest(string_to_array($1::text, E'\\n'), string_to_array($2::text, E'\\n'), $3::uuid[])
         WITH ORDINALITY AS t(m, h, id, ord)
), locked AS (
  SELECT l.event_id FROM ${table} l
   WHERE l.event_id IN (SELECT b.id FROM batch b WHERE b.id IS NOT NULL) AND l.sent_at IS NULL
   ORDER BY l.event_id
     FOR UPDATE
), marked AS (
  UPDATE ${table} l SET sent_at = now()
   WHERE l.event_id IN (SELECT event_id FROM locked)
  RETURNING l.event_id
), kept AS MATERIALIZED (
  SELECT b.m, b.h, b.ord FROM batch b
   WHERE b.id IN (SELECT event_id FROM marked)
      OR NOT EXISTS (SELECT 1 FROM ${table} l WHERE l.event_id = b.id)
)`;
  const result =
    `SELECT (SELECT coalesce(array_agg(k.ord ORDER BY k.ord), '{}') FROM kept k) AS kept,
       (SELECT coalesce(array_agg(w.msg_id ORDER BY w.msg_id), '{}') FROM written w) AS msg_ids`;
  if (strategy === "insert") {
    return {
      sql: `${prelude}, written AS (
  INSERT INTO ${queueTable(queue)} (vt, message, headers)
  SELECT clock_timestamp(), k.m::jsonb, k.h::jsonb FROM kept k ORDER BY k.ord
  RETURNING msg_id
)
${result}`,
      params: [bodies, headers, ids],
    };
  }
  assertQueueName(queue);
  const send = sendBatchCall(
    "$4::text",
    "coalesce((SELECT array_agg(k.m::jsonb ORDER BY k.ord) FROM kept k), '{}')",
    "coalesce((SELECT array_agg(k.h::jsonb ORDER BY k.ord) FROM kept k), '{}')",
    "0",
  );
  return {
    sql: `${prelude}, written AS (
  SELECT s.msg_id FROM ${send} AS s(msg_id)
)
${result}`,
    params: [bodies, headers, ids, queue],
  };
}

/**
 * Writes one batch (entries of one queue, in order) and returns, per entry in the same order,
 * its new message id, or null when a ledger showed it already sent (it was not written again).
 * Without a hook it is one autocommitted statement; with `onCommitted` the statement and the
 * hook share one transaction (the hook sees only the entries written).
 *
 * @param db the database
 * @param strategy which statement
 * @param batch the entries
 * @param onCommitted the optional same-transaction hook
 * @param ledgerTable the optional owed-event ledger (a validated `schema.table`)
 */
export async function writeBatch(
  db: Database,
  strategy: WriteStrategy,
  batch: readonly PendingEntry[],
  onCommitted: DurableWriterTuning["onCommitted"],
  ledgerTable?: string,
): Promise<(number | null)[]> {
  const queue = batch[0]!.queue;
  await ensureEventQueue(db, queue);
  let bodies = batch[0]!.body;
  let headers = batch[0]!.headers;
  for (let index = 1; index < batch.length; index++) {
    bodies += "\n" + batch[index]!.body;
    headers += "\n" + batch[index]!.headers;
  }
  const run = async (q: Queryable): Promise<(number | null)[]> => {
    if (ledgerTable === undefined) {
      const { sql, params } = batchStatement(strategy, queue, bodies, headers);
      const rows = await q.query<{ msg_id: number | string }>(sql, params);
      if (onCommitted !== undefined && rows.length !== batch.length) {
        throw new Error(`${queue}: wrote ${rows.length} rows for a batch of ${batch.length}`);
      }
      return rows.map((row) => Number(row.msg_id));
    }
    const ids = batch.map((entry) => {
      const id: unknown = entry.event.event_id;
      return typeof id === "string" && UUID_TEXT.test(id) ? id : null;
    });
    const { sql, params } = ledgerBatchStatement(
      strategy,
      queue,
      ledgerTable,
      bodies,
      headers,
      ids,
    );
    const [row] = await q.query<{ kept: (number | string)[]; msg_ids: (number | string)[] }>(
      sql,
      params,
    );
    const kept = (row?.kept ?? []).map(Number);
    const written = (row?.msg_ids ?? []).map(Number);
    if (kept.length !== written.length) {
      throw new Error(`${queue}: wrote ${written.length} rows for ${kept.length} kept events`);
    }
    const msgIds: (number | null)[] = batch.map(() => null);
    kept.forEach((position, index) => msgIds[position - 1] = written[index]!);
    return msgIds;
  };
  if (onCommitted === undefined) return await run(db);
  return await db.transaction(async (tx) => {
    const msgIds = await run(tx);
    const committed: CommittedEvent[] = [];
    batch.forEach((entry, index) => {
      const msgId = msgIds[index];
      if (msgId != null) committed.push({ event: entry.event, msg_id: msgId, queue });
    });
    await onCommitted(committed, tx);
    return msgIds;
  });
}
