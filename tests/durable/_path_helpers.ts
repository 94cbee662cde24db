// Shared fixtures of the durable-path tests (writer, consumer, capture): events, a Database
// wrapper that records statements and can fail on demand, and small polling helpers.
import type { Database, DatabaseKind, Queryable } from "../../src/durable/db/database.ts";
import type { DomainEvent } from "../../src/events/types.ts";

let counter = 0;

/** A namespace no other test uses: the tests share one database per run. */
export function freshNamespace(prefix = "dw"): string {
  counter++;
  const random = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
  return `${prefix}_${random}${counter}`.slice(0, 29);
}

/** A complete envelope, about 600 bytes when `padding` is left at its default. */
export function makeEvent(
  namespace: string,
  eventName = "payment.processed",
  extra: { traceparent?: string; index?: number; padding?: number } = {},
): DomainEvent {
  const metadata: DomainEvent["metadata"] = {
    task_uuid: crypto.randomUUID(),
    step_uuid: crypto.randomUUID(),
    step_name: "process_payment",
    namespace,
    correlation_id: crypto.randomUUID(),
    fired_at: new Date().toISOString(),
    fired_by: "PaymentPublisher",
  };
  if (extra.traceparent !== undefined) metadata.traceparent = extra.traceparent;
  return {
    event_id: crypto.randomUUID(),
    event_name: eventName,
    event_version: "1.0",
    payload: {
      task_sequence_step: { name: "process_payment", position: extra.index ?? 0 },
      execution_result: { success: true, result: { amount: 1250, currency: "EUR" } },
      payload: { index: extra.index ?? 0, note: "x".repeat(extra.padding ?? 120) },
    },
    metadata,
  };
}

/** An error shaped like a lost connection (SQLSTATE 08006). */
export class InjectedOutage extends Error {
  readonly code = "08006";
  constructor() {
    super("injected outage: connection lost");
  }
}

/**
 * Wraps a Database: records every statement (also inside transactions) and throws
 * {@link InjectedOutage} from every statement while `failing` is true. Closing it does not
 * close the inner database.
 */
export class RecordingDatabase implements Database {
  readonly statements: string[] = [];
  failing = false;
  readonly #inner: Database;

  constructor(inner: Database) {
    this.#inner = inner;
  }

  get kind(): DatabaseKind {
    return this.#inner.kind;
  }

  /** How many recorded statements contain `fragment`. */
  count(fragment: string): number {
    return this.statements.filter((sql) => sql.includes(fragment)).length;
  }

  async query<T = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<T[]> {
    this.statements.push(sql);
    if (this.failing) throw new InjectedOutage();
    return await this.#inner.query<T>(sql, params);
  }

  async transaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    if (this.failing) throw new InjectedOutage();
    return await this.#inner.transaction((tx) =>
      fn({
        query: <R>(sql: string, params?: readonly unknown[]) => {
          this.statements.push(sql);
          if (this.failing) return Promise.reject(new InjectedOutage());
          return tx.query<R>(sql, params);
        },
      })
    );
  }

  listen(channel: string, onNotify: (payload: string) => void): Promise<() => Promise<void>> {
    return this.#inner.listen(channel, onNotify);
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Polls `check` every 10 ms until it returns true; throws after `timeoutMs`. */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await check())) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Every message of a queue table, oldest first, read directly (visibility ignored). */
export async function queueRows(
  db: Queryable,
  queue: string,
  prefix: "q" | "a" = "q",
): Promise<
  { msg_id: number; read_ct: number; message: DomainEvent; headers: Record<string, unknown> }[]
> {
  const rows = await db.query<
    { msg_id: number; read_ct: number; message: DomainEvent; headers: Record<string, unknown> }
  >(`SELECT msg_id, read_ct, message, headers FROM pgmq."${prefix}_${queue}" ORDER BY msg_id`);
  return rows.map((row) => ({ ...row, msg_id: Number(row.msg_id) }));
}

/** Drops a queue and its DLQ if they exist (tests clean up after themselves). */
export async function dropQueues(db: Queryable, queue: string): Promise<void> {
  for (const name of [queue, `${queue}_dlq`]) {
    const rows = await db.query<{ present: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pgmq.meta WHERE queue_name = $1::text) AS present",
      [name],
    );
    if (rows[0]?.present === true) await db.query("SELECT pgmq.drop_queue($1::text)", [name]);
  }
}
