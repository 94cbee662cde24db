/**
 * Durable events a committed step owes, until the writer has put them in their PGMQ queue.
 *
 * The step transaction stores every fired event in `tasker.step_events`; durable and broadcast
 * ones start owed (`sent_at IS NULL`). That table is the DurableWriter's `ledger`
 * ({@link OwedEvents.ledger}): the writer's one batch statement marks an event's row sent and
 * inserts it into PGMQ only if it marked it, so two writers holding the same owed event (the
 * original one, stalled, and a recovery pass elsewhere) write it once between them.
 *
 * A recovery pass — at start-up and periodically — re-sends owed events whose last routing is
 * older than a threshold, with their original `event_id`s, so a crash between a step's commit and
 * its durable write loses nothing. `last_routed_at` is the lease of whoever holds an event: each
 * pass first renews it for every event this process's writer still holds, so another process's
 * pass does not take events a live writer is about to write (e.g. while its queue writes stall).
 * Delivery is at least once (events without a ledger row can still be written twice when a
 * COMMIT reply is lost): consumers deduplicate on `event_id`.
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import type { Queryable } from "../durable/db/database.ts";
import type { OwedLedger } from "../durable/writer/types.ts";
import type { DomainEvent } from "../events/types.ts";

/** Where recovered events are re-sent: a DurableWriter or anything with its `enqueue`. */
export interface OwedEventSink {
  /** Buffers the event for `queue`; false when it was dropped. */
  enqueue(event: DomainEvent, options: { queue: string }): boolean;
}

/** Options of a recovery pass. */
export interface RecoveryOptions {
  /**
   * Only events last routed (or renewed) longer ago than this are re-sent. Default 30,000 ms.
   * Passes must run more often than this, or a live writer's held events lose their lease.
   */
  olderThanMs?: number;
  /** Most events re-sent per pass. Default 1,000. */
  limit?: number;
}

/** The worker's ledger table (see `OwedLedger`). */
const LEDGER_TABLE = "tasker.step_events";

/** Ids per lease-renewal statement, so one statement's parameter stays a modest size. */
const RENEW_CHUNK = 10_000;

/**
 * Tracks this process's owed events and recovers everyone's.
 *
 * @example
 * ```ts ignore
 * const owed = new OwedEvents();
 * const writer = new DurableWriter({ db, ledger: owed.ledger });
 * const resent = await owed.recover(db, writer, { olderThanMs: 30_000 });
 * ```
 */
export class OwedEvents {
  // Ids this process handed to its writer that the writer still holds: a recovery pass must not
  // re-send them, and their lease is renewed so other processes' passes leave them alone too.
  readonly #outstanding = new Set<string>();
  #recovered = 0;

  /**
   * The writer's `ledger` option: `tasker.step_events`, and a hook that forgets events once the
   * writer no longer holds them.
   */
  readonly ledger: OwedLedger = {
    table: LEDGER_TABLE,
    released: (eventIds) => {
      for (const id of eventIds) this.#outstanding.delete(id);
    },
  };

  /** Events recovered (re-sent) by this process so far. */
  get recovered(): number {
    return this.#recovered;
  }

  /** Events handed to the writer that it still holds. */
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
   * Renews the lease (`last_routed_at`) of every owed event this process's writer still holds.
   * Rows a writer has locked are skipped: that writer is marking them sent right now.
   *
   * @returns how many leases were renewed
   */
  async renew(db: Queryable): Promise<number> {
    const ids = [...this.#outstanding];
    let renewed = 0;
    for (let start = 0; start < ids.length; start += RENEW_CHUNK) {
      const rows = await db.query<{ n: number }>(
        `WITH renewed AS (
           UPDATE ${LEDGER_TABLE} e SET last_routed_at = now()
            WHERE e.event_id IN (
              SELECT event_id FROM ${LEDGER_TABLE}
               WHERE event_id = ANY($1::uuid[]) AND sent_at IS NULL
                 FOR UPDATE SKIP LOCKED)
           RETURNING 1)
         SELECT count(*)::int AS n FROM renewed`,
        [ids.slice(start, start + RENEW_CHUNK)],
      );
      renewed += rows[0]?.n ?? 0;
    }
    return renewed;
  }

  /**
   * Renews this process's leases, then re-sends owed events last routed more than
   * `olderThanMs` ago. Rows are claimed with `FOR UPDATE SKIP LOCKED` and their `last_routed_at`
   * bumped (the claim is this process's lease), so concurrent passes in several processes do not
   * re-send the same event together, and none re-sends an event a live writer holds.
   *
   * @returns how many events were handed to the writer
   */
  async recover(
    db: Queryable,
    sink: OwedEventSink,
    options: RecoveryOptions = {},
  ): Promise<number> {
    await this.renew(db);
    const rows = await db.query<{ envelope: DomainEvent; queue: string }>(
      `UPDATE ${LEDGER_TABLE} e SET last_routed_at = now()
        WHERE e.event_id IN (
          SELECT event_id FROM ${LEDGER_TABLE}
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
      const id = envelope.event_id;
      if (this.#outstanding.has(id)) continue;
      this.#outstanding.add(id);
      let accepted = false;
      try {
        accepted = sink.enqueue(envelope, { queue });
      } catch (error) {
        // One stored envelope the writer refuses must not stop the pass; it stays owed.
        const reason = errorMessage(error);
        console.error(`deno-tasker: owed event ${id} could not be re-sent: ${reason}`);
      } finally {
        if (!accepted) this.#outstanding.delete(id);
      }
      if (accepted) resent++;
    }
    this.#recovered += resent;
    return resent;
  }
}
