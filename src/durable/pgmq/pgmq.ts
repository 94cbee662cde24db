/**
 * A typed client for PGMQ 1.11 (the `pgmq` schema's SQL functions) over any {@link Queryable}:
 * the database, or an open transaction so that queue writes commit with the caller's rows.
 *
 * Every method checks the queue name (`assertQueueName`) and its other arguments BEFORE any SQL
 * runs, and every statement is parameterised. `read_with_poll` is deliberately absent: it holds a
 * pooled connection while it waits. Poll with `read` and a sleep, or wake on `NOTIFY` instead.
 *
 * @module
 */

import type { Queryable } from "../db/database.ts";
import { assertQueueName } from "../../names.ts";
import { PgmqArgumentError } from "./errors.ts";
import { afterMessageId, jsonArgument, messageId, quantity, seconds } from "./arguments.ts";
import { queueTable } from "./queues.ts";
import type {
  PgmqBrowseOptions,
  PgmqDepth,
  PgmqMessage,
  PgmqMetrics,
  PgmqQueueInfo,
  PgmqReadOptions,
  PgmqSendBatchOptions,
  PgmqSendOptions,
} from "./types.ts";

const MESSAGE_COLUMNS = "msg_id, read_ct, enqueued_at, last_read_at, vt, message, headers";
const METRICS_COLUMNS =
  "queue_name, queue_length, queue_visible_length, newest_msg_age_sec, oldest_msg_age_sec, " +
  "total_messages, scrape_time";

/**
 * The PGMQ client.
 *
 * @example
 * ```ts
 * import { openPglite } from "@deno-tasker/tasker/durable";
 * import { migrate } from "@deno-tasker/tasker/durable";
 * import { Pgmq } from "@deno-tasker/tasker/durable";
 * await using db = await openPglite();
 * await migrate(db);
 * const pgmq = new Pgmq(db);
 * await pgmq.createQueue("payments_domain_events");
 * const id = await pgmq.send("payments_domain_events", { hello: "world" });
 * const [message] = await pgmq.read("payments_domain_events", { vtSeconds: 30, qty: 1 });
 * if (message) await pgmq.archive("payments_domain_events", message.msg_id);
 * ```
 */
export class Pgmq {
  #db: Queryable;

  /**
   * Creates a client; it holds no connection of its own.
   *
   * @param db the database, or a transaction's `tx` to make queue operations part of it
   */
  constructor(db: Queryable) {
    this.#db = db;
  }

  /** Creates a queue (and its archive); does nothing when it exists. */
  async createQueue(queue: string): Promise<void> {
    assertQueueName(queue);
    await this.#db.query("SELECT pgmq.create($1::text)", [queue]);
  }

  /**
   * Sends one message.
   *
   * @returns the new message's id
   */
  async send<T>(queue: string, message: T, options: PgmqSendOptions = {}): Promise<number> {
    assertQueueName(queue);
    const body = jsonArgument("message", message);
    const headers = options.headers === undefined ? null : jsonArgument("headers", options.headers);
    const delay = seconds("delaySeconds", options.delaySeconds ?? 0);
    const rows = await this.#db.query<{ msg_id: number }>(
      "SELECT msg_id FROM pgmq.send($1::text, $2::jsonb, $3::jsonb, $4::integer) AS t(msg_id)",
      [queue, body, headers, delay],
    );
    return rows[0]!.msg_id;
  }

  /**
   * Sends several messages in one statement. An empty list sends nothing and returns `[]`.
   *
   * @returns the new ids, in the order of `messages`
   */
  async sendBatch<T>(
    queue: string,
    messages: readonly T[],
    options: PgmqSendBatchOptions = {},
  ): Promise<number[]> {
    assertQueueName(queue);
    const bodies = messages.map((message, i) => jsonArgument(`message[${i}]`, message));
    let headers: (string | null)[] | null = null;
    if (options.headers !== undefined) {
      if (options.headers.length !== messages.length) {
        throw new PgmqArgumentError(
          "headers",
          `${options.headers.length} entries`,
          `expected one entry per message (${messages.length})`,
        );
      }
      headers = options.headers.map((h, i) => h === null ? null : jsonArgument(`headers[${i}]`, h));
    }
    const delay = seconds("delaySeconds", options.delaySeconds ?? 0);
    if (bodies.length === 0) return [];
    const rows = await this.#db.query<{ msg_id: number }>(
      "SELECT msg_id FROM pgmq.send_batch($1::text, $2::jsonb[], $3::jsonb[], $4::integer) " +
        "AS t(msg_id)",
      [queue, bodies, headers, delay],
    );
    return rows.map((row) => row.msg_id);
  }

  /**
   * Reads up to `qty` visible messages and hides them for `vtSeconds` (their `read_ct` grows).
   */
  async read<T = unknown>(queue: string, options: PgmqReadOptions): Promise<PgmqMessage<T>[]> {
    assertQueueName(queue);
    const vt = seconds("vtSeconds", options.vtSeconds);
    const qty = quantity(options.qty);
    return await this.#db.query<PgmqMessage<T>>(
      `SELECT ${MESSAGE_COLUMNS} FROM pgmq.read($1::text, $2::integer, $3::integer)`,
      [queue, vt, qty],
    );
  }

  /** Reads and deletes up to `qty` visible messages at once (default 1). */
  async pop<T = unknown>(queue: string, qty = 1): Promise<PgmqMessage<T>[]> {
    assertQueueName(queue);
    const count = quantity(qty);
    return await this.#db.query<PgmqMessage<T>>(
      `SELECT ${MESSAGE_COLUMNS} FROM pgmq.pop($1::text, $2::integer)`,
      [queue, count],
    );
  }

  /**
   * Deletes one message.
   *
   * @returns whether it existed
   */
  delete(queue: string, id: number): Promise<boolean>;
  /**
   * Deletes several messages.
   *
   * @returns the ids that existed and were deleted
   */
  delete(queue: string, ids: readonly number[]): Promise<number[]>;
  /** Deletes one message (→ existed?) or several (→ the ids deleted). */
  delete(queue: string, idOrIds: number | readonly number[]): Promise<boolean | number[]>;
  async delete(queue: string, idOrIds: number | readonly number[]): Promise<boolean | number[]> {
    return await this.#removeMessages("delete", queue, idOrIds);
  }

  /**
   * Moves one message to the queue's archive table.
   *
   * @returns whether it existed
   */
  archive(queue: string, id: number): Promise<boolean>;
  /**
   * Moves several messages to the archive.
   *
   * @returns the ids that existed and were archived
   */
  archive(queue: string, ids: readonly number[]): Promise<number[]>;
  /** Archives one message (→ existed?) or several (→ the ids archived). */
  archive(queue: string, idOrIds: number | readonly number[]): Promise<boolean | number[]>;
  async archive(queue: string, idOrIds: number | readonly number[]): Promise<boolean | number[]> {
    return await this.#removeMessages("archive", queue, idOrIds);
  }

  /**
   * Makes a message visible again `vtSeconds` from now (0: immediately).
   *
   * @returns the updated message, or `null` when there is no such message
   */
  async setVt<T = unknown>(
    queue: string,
    id: number,
    vtSeconds: number,
  ): Promise<PgmqMessage<T> | null> {
    assertQueueName(queue);
    const msgId = messageId("id", id);
    const vt = seconds("vtSeconds", vtSeconds);
    const rows = await this.#db.query<PgmqMessage<T>>(
      `SELECT ${MESSAGE_COLUMNS} FROM pgmq.set_vt($1::text, $2::bigint, $3::integer)`,
      [queue, msgId, vt],
    );
    return rows[0] ?? null;
  }

  /** The queue's counters. Fails when the queue does not exist. */
  async metrics(queue: string): Promise<PgmqMetrics> {
    assertQueueName(queue);
    const rows = await this.#db.query<PgmqMetrics>(
      `SELECT ${METRICS_COLUMNS} FROM pgmq.metrics($1::text)`,
      [queue],
    );
    return rows[0]!;
  }

  /** The counters of every queue. */
  async metricsAll(): Promise<PgmqMetrics[]> {
    return await this.#db.query<PgmqMetrics>(
      `SELECT ${METRICS_COLUMNS} FROM pgmq.metrics_all() ORDER BY queue_name`,
    );
  }

  /** Every queue, by name. */
  async listQueues(): Promise<PgmqQueueInfo[]> {
    return await this.#db.query<PgmqQueueInfo>(
      "SELECT queue_name::text AS queue_name, is_partitioned, is_unlogged, created_at " +
        "FROM pgmq.list_queues() ORDER BY queue_name",
    );
  }

  /**
   * Which of `queues` exist, in one round trip.
   *
   * @param queues queue names (each validated)
   * @returns the names among them that are queues
   */
  async existingQueues(queues: readonly string[]): Promise<Set<string>> {
    for (const queue of queues) assertQueueName(queue);
    const rows = await this.#db.query<{ queue_name: string }>(
      "SELECT queue_name FROM pgmq.list_queues() WHERE queue_name = ANY($1::text[])",
      [queues],
    );
    return new Set(rows.map((row) => row.queue_name));
  }

  /**
   * Up to `qty` messages, visible or not, with ids above `afterMsgId`, oldest first. It reads the
   * queue's table without consuming anything: visibility times and read counts are untouched.
   * Fails when the queue does not exist.
   */
  async browse<T = unknown>(queue: string, options: PgmqBrowseOptions): Promise<PgmqMessage<T>[]> {
    const table = queueTable(queue); // validates the name, so the identifier is safe
    const after = afterMessageId("afterMsgId", options.afterMsgId ?? 0);
    const qty = quantity(options.qty);
    return await this.#db.query<PgmqMessage<T>>(
      `SELECT ${MESSAGE_COLUMNS} FROM ${table}
        WHERE msg_id > $1::bigint ORDER BY msg_id LIMIT $2::integer`,
      [after, qty],
    );
  }

  /** The queue's depth, counted from its table. Fails when the queue does not exist. */
  async depth(queue: string): Promise<PgmqDepth> {
    const table = queueTable(queue); // validates the name, so the identifier is safe
    const rows = await this.#db.query<PgmqDepth>(
      `SELECT count(*)::int AS length,
              (count(*) FILTER (WHERE vt <= now()))::int AS visible,
              EXTRACT(epoch FROM now() - min(vt) FILTER (WHERE vt <= now()))::float8
                AS oldest_visible_age_sec,
              EXTRACT(epoch FROM now() - min(enqueued_at))::float8 AS oldest_msg_age_sec
         FROM ${table}`,
    );
    return rows[0]!;
  }

  /**
   * Deletes every message in the queue (the archive is kept).
   *
   * @returns how many messages were deleted
   */
  async purgeQueue(queue: string): Promise<number> {
    assertQueueName(queue);
    const rows = await this.#db.query<{ purged: number }>(
      "SELECT pgmq.purge_queue($1::text) AS purged",
      [queue],
    );
    return rows[0]!.purged;
  }

  /**
   * Drops the queue and its archive.
   *
   * @returns whether the queue existed
   */
  async dropQueue(queue: string): Promise<boolean> {
    assertQueueName(queue);
    const rows = await this.#db.query<{ dropped: boolean }>(
      "SELECT pgmq.drop_queue($1::text) AS dropped",
      [queue],
    );
    return rows[0]!.dropped;
  }

  async #removeMessages(
    fn: "delete" | "archive",
    queue: string,
    idOrIds: number | readonly number[],
  ): Promise<boolean | number[]> {
    assertQueueName(queue);
    if (typeof idOrIds === "number") {
      const id = messageId("id", idOrIds);
      const rows = await this.#db.query<{ done: boolean }>(
        `SELECT pgmq.${fn}($1::text, $2::bigint) AS done`,
        [queue, id],
      );
      return rows[0]!.done;
    }
    if (!Array.isArray(idOrIds)) {
      throw new PgmqArgumentError("ids", idOrIds, "expected a message id or an array of ids");
    }
    const ids = idOrIds.map((id, i) => messageId(`ids[${i}]`, id));
    if (ids.length === 0) return [];
    const rows = await this.#db.query<{ msg_id: number }>(
      `SELECT msg_id FROM pgmq.${fn}($1::text, $2::bigint[]) AS t(msg_id)`,
      [queue, ids],
    );
    return rows.map((row) => row.msg_id).sort((a, b) => a - b);
  }
}
