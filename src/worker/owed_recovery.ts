/**
 * The worker's side of owed events (`owed_events.ts`): the durable route that tracks each event
 * until its writer takes it, and the timer of recovery passes that re-send events owed longer
 * than they should be (a writer that died, a buffer that was full).
 *
 * @module
 */

import { errorMessage } from "../error_message.ts";
import type { Database } from "../durable/db/database.ts";
import { domainEventsQueue } from "../names.ts";
import type { DurableSink } from "./event_router.ts";
import type { OwedEvents, OwedEventSink } from "./owed_events.ts";

/**
 * The router's durable route to `writer`, into each event's namespace queue. The event is
 * tracked as this process's before the writer sees it, so a recovery pass never re-sends an
 * event the writer is about to write; a refused one is untracked again.
 *
 * @param writer the process's durable writer
 * @param owed the owed-event bookkeeping shared with the writer
 * @returns the sink to give the router as `durable`
 *
 * @example
 * ```ts ignore
 * const router = new EventRouter({ fast: bus, durable: trackedDurableSink(writer, owed) });
 * ```
 */
export function trackedDurableSink(writer: OwedEventSink, owed: OwedEvents): DurableSink {
  return {
    enqueue(event) {
      owed.track(event.event_id);
      let accepted = false;
      try {
        accepted = writer.enqueue(event, { queue: domainEventsQueue(event.metadata.namespace) });
      } finally {
        if (!accepted) owed.untrack(event.event_id);
      }
      return accepted;
    },
  };
}

/** What an {@link OwedRecoveryTimer} runs. */
export interface OwedRecoveryOptions {
  /** The task engine's database (the ledger). */
  db: Database;
  /** Where recovered events are re-sent. */
  writer: OwedEventSink;
  /** The bookkeeping that recovers them. */
  owed: OwedEvents;
  /** Only events owed longer than this are re-sent, ms. */
  olderThanMs: number;
  /** How often a pass runs, ms. */
  intervalMs: number;
}

/**
 * Recovery passes: one at start, then one every `intervalMs` until stopped. A failed pass is
 * logged; the next one tries again.
 *
 * @example
 * ```ts ignore
 * const recovery = new OwedRecoveryTimer({ db, writer, owed, olderThanMs: 30_000, intervalMs: 10_000 });
 * await recovery.start();
 * recovery.stop();
 * ```
 */
export class OwedRecoveryTimer {
  readonly #options: OwedRecoveryOptions;
  #timer: ReturnType<typeof setInterval> | undefined;

  /**
   * Creates the timer; nothing runs until {@link OwedRecoveryTimer.start}.
   *
   * @param options the database, writer, bookkeeping and timing
   */
  constructor(options: OwedRecoveryOptions) {
    this.#options = options;
  }

  /** Runs a first pass, then starts the timer. */
  async start(): Promise<void> {
    await this.#pass();
    this.#timer = setInterval(() => void this.#pass(), this.#options.intervalMs);
  }

  /** Stops the timer (a pass in progress finishes on its own). */
  stop(): void {
    clearInterval(this.#timer);
  }

  async #pass(): Promise<void> {
    const { db, writer, owed, olderThanMs } = this.#options;
    try {
      await owed.recover(db, writer, { olderThanMs });
    } catch (error) {
      console.error(`deno-tasker: owed-event recovery failed: ${errorMessage(error)}`);
    }
  }
}
