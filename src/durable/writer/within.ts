/**
 * The DurableWriter's transactional entry point: events written into PGMQ inside a caller's
 * transaction. The task engine's committer uses it when the durable queues live in its own
 * database (always, under `Tasker.open`): a step's durable events then commit atomically with
 * its outcome, with no outbox copy and no second transaction, and the committer's group commit
 * is the batch. It is still the writer: the same validation and serialisation as `enqueue`
 * (`prepare.ts`), the same statement (`sql.ts`), the same queue creation, the same
 * counters and wake-up signal — one path into PGMQ, with two ways in (buffered, or within a
 * transaction).
 *
 * @module
 */

import type { Queryable } from "../db/database.ts";
import type { DomainEvent } from "../../events/types.ts";
import { prepare, type Prepared } from "./prepare.ts";
import { batchStatement } from "./sql.ts";
import type { WriteStrategy } from "./types.ts";
import { ensureEventQueue, forgetEventQueue } from "../pgmq/event_queues.ts";

/** An event validated and serialised for writing within a transaction. */
export type WithinEvent = Prepared;

/**
 * Writing events inside a caller's transaction; get one from `DurableWriter.transactional()`.
 *
 * @example
 * ```ts ignore
 * const events = writer.transactional();
 * const prepared = events.prepare(event, "payments_domain_events"); // throws when unstorable
 * await events.ensureQueues([prepared.queue]);                       // outside the transaction
 * const msgIds = await db.transaction((tx) => events.write(tx, [prepared]));
 * events.committed([prepared]);                                       // after the commit
 * ```
 */
export interface TransactionalEvents {
  /**
   * Validates and serialises `event` for `queue`, exactly as `enqueue` does. Throws
   * `InvalidNameError` or `UnserializableEventError` when it cannot be written.
   */
  prepare(event: DomainEvent, queue: string): WithinEvent;
  /** Creates the queues that are not known to exist yet; call it before the transaction. */
  ensureQueues(queues: Iterable<string>): Promise<void>;
  /** Forgets that `queues` exist (one was dropped), so the next `ensureQueues` creates them. */
  forgetQueues(queues: Iterable<string>): void;
  /** Writes `events` inside `tx`, one statement per queue; the message ids in input order. */
  write(tx: Queryable, events: readonly WithinEvent[]): Promise<number[]>;
  /** Counts events whose transaction committed and wakes the queues' in-process consumers. */
  committed(events: readonly WithinEvent[]): void;
}

/**
 * Writes `events` inside `tx` with `strategy`, one statement per queue (in first-seen order),
 * and returns their message ids in input order.
 *
 * @example
 * ```ts ignore
 * const msgIds = await writeWithin(tx, "insert", prepared);
 * ```
 */
export async function writeWithin(
  tx: Queryable,
  strategy: WriteStrategy,
  events: readonly WithinEvent[],
): Promise<number[]> {
  const byQueue = new Map<string, number[]>();
  events.forEach((event, index) => {
    const positions = byQueue.get(event.queue);
    if (positions) positions.push(index);
    else byQueue.set(event.queue, [index]);
  });
  const msgIds = new Array<number>(events.length);
  for (const [queue, positions] of byQueue) {
    const bodies = positions.map((i) => events[i]!.body).join("\n");
    const headers = positions.map((i) => events[i]!.headers).join("\n");
    const { sql, params } = batchStatement(strategy, queue, bodies, headers);
    const rows = await tx.query<{ msg_id: number | string }>(sql, params);
    if (rows.length !== positions.length) {
      throw new Error(`${queue}: wrote ${rows.length} rows for ${positions.length} events`);
    }
    positions.forEach((position, i) => msgIds[position] = Number(rows[i]!.msg_id));
  }
  return msgIds;
}

/** The pieces of a writer that {@link transactionalEvents} works with. */
export interface WithinWriter {
  /** The writer's own database handle (its queue-creation cache is kept per handle). */
  db: Queryable;
  /** The writer's statement strategy. */
  strategy: WriteStrategy;
  /** Counts committed events in the writer's stats and signals their queues. */
  committed(events: readonly WithinEvent[]): void;
}

/**
 * The {@link TransactionalEvents} of a writer.
 *
 * @example
 * ```ts ignore
 * const events = transactionalEvents({ db, strategy: "insert", committed: () => {} });
 * ```
 */
export function transactionalEvents(writer: WithinWriter): TransactionalEvents {
  return {
    prepare: (event, queue) => prepare(event, { queue }),
    async ensureQueues(queues) {
      for (const queue of new Set(queues)) await ensureEventQueue(writer.db, queue);
    },
    forgetQueues(queues) {
      for (const queue of queues) forgetEventQueue(writer.db, queue);
    },
    write: (tx, events) => writeWithin(tx, writer.strategy, events),
    committed: (events) => writer.committed(events),
  };
}
