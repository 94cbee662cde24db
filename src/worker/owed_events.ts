/**
 * Durable events a committed step owes, until the writer has put them in their PGMQ queue.
 *
 * The step transaction stores every fired event in `tasker.step_events`; durable and broadcast
 * ones start owed (`sent_at IS NULL`). The DurableWriter marks them sent in the same transaction
 * that inserts them into PGMQ (its `onCommitted` hook is {@link OwedEvents.markSent}). A
 * recovery pass — at start-up and periodically — re-sends owed events whose last routing is older
 * than a threshold, with their original `event_id`s, so a crash between a step's commit and its
 * durable write loses nothing. Delivery is at least once: consumers deduplicate on `event_id`.
 *
 * @module
 */

import type { Queryable } from "../durable/database.ts";
import type { CommittedEvent } from "../durable/writer_types.ts";
import type { DomainEvent } from "../events/types.ts";

/** Where recovered events are re-sent: a DurableWriter or anything with its `enqueue`. */
export interface OwedEventSink {
  /** Buffers the event for `queue`; false when it was dropped. */
  enqueue(event: DomainEvent, options: { queue: string }): boolean;
}

/** Options of a recovery pass. */
export interface RecoveryOptions {
  /** Only events last routed longer ago than this are re-sent. Default 30,000 ms. */
  olderThanMs?: number;
  /** Most events re-sent per pass. Default 1,000. */
  limit?: number;
}

/**
 * Tracks this process's owed events and recovers everyone's.
 *
 * @example
 * ```ts ignore
 * const owed = new OwedEvents();
 * const writer = new DurableWriter({ db, onCommitted: owed.markSent });
 * const resent = await owed.recover(db, writer, { olderThanMs: 30_000 });
 * ```
 */
export class OwedEvents {
  // Ids this process handed to its writer and has not seen committed: a recovery pass must not
  // re-send them while the writer still holds them (e.g. during a database outage).
  readonly #outstanding = new Set<string>();
  #recovered = 0;

  /** Events recovered (re-sent) by this process so far. */
  get recovered(): number {
    return this.#recovered;
  }

  /** Events handed to the writer and not yet seen committed. */
  get outstanding(): number {
    return this.#outstanding.size;
  }

  /** Notes that `eventId` was handed to the writer. */
  track(eventId: string): void {
    this.#outstanding.add(eventId);
  }

  /** Forgets `eventId` (the writer refused it; recovery will re-send it later). */
  untrack(eventId: string): void {
    this.#outstanding.delete(eventId);
  }

  /**
   * The writer's `onCommitted` hook: marks the batch's events sent, in the writer's transaction.
   */
  readonly markSent = async (
    committed: readonly CommittedEvent[],
    tx: Queryable,
  ): Promise<void> => {
    const ids = committed.map((c) => c.event.event_id);
    await tx.query(
      `UPDATE tasker.step_events SET sent_at = now()
        WHERE event_id = ANY($1::uuid[]) AND sent_at IS NULL`,
      [ids],
    );
    for (const id of ids) this.#outstanding.delete(id);
  };

  /**
   * Re-sends owed events last routed more than `olderThanMs` ago. Rows are leased with
   * `FOR UPDATE SKIP LOCKED` and their `last_routed_at` bumped, so concurrent passes in several
   * processes do not re-send the same event together.
   *
   * @returns how many events were handed to the writer
   */
  async recover(
    db: Queryable,
    sink: OwedEventSink,
    options: RecoveryOptions = {},
  ): Promise<number> {
    const rows = await db.query<{ envelope: DomainEvent; queue: string }>(
      `UPDATE tasker.step_events e SET last_routed_at = now()
        WHERE e.event_id IN (
          SELECT event_id FROM tasker.step_events
           WHERE sent_at IS NULL AND delivery_mode <> 'fast'
             AND last_routed_at < now() - make_interval(secs => $1::double precision)
           ORDER BY last_routed_at
           LIMIT $2
           FOR UPDATE SKIP LOCKED)
        RETURNING e.envelope, e.queue`,
      [(options.olderThanMs ?? 30_000) / 1000, options.limit ?? 1000],
    );
    let resent = 0;
    for (const { envelope, queue } of rows) {
      if (this.#outstanding.has(envelope.event_id)) continue;
      this.#outstanding.add(envelope.event_id);
      if (sink.enqueue(envelope, { queue })) resent++;
      else this.#outstanding.delete(envelope.event_id);
    }
    this.#recovered += resent;
    return resent;
  }
}
