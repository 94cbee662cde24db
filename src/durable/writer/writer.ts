/**
 * The DurableWriter: one per process, it batches domain events per PGMQ queue and writes each
 * batch with one statement, off the caller's path.
 *
 * Delivery is AT LEAST ONCE. A batch is one autocommitted statement (or one transaction with the
 * `onCommitted` hook); if the connection drops after the server committed but before the reply
 * arrived, the writer cannot tell and writes the batch again. That window is one network round
 * trip, but consumers must deduplicate on `event_id`. With an owed-event `ledger` the window
 * closes for the events it records: writing and marking sent are one statement, so a retried
 * batch (or another writer holding the same event) finds the row sent and skips the event.
 *
 * @module
 */

import type { Database } from "../db/database.ts";
import type { DomainEvent } from "../../events/types.ts";
import { backoffDelay } from "../../backoff.ts";
import { resolveWriterOptions, type WriterConfig, WriterCounters } from "./config.ts";
import { type PendingEntry, type Settle, WriteBuffer } from "./buffer.ts";
import { DrainWaiters, FlushWaiters, RoomWaiters } from "./waiters.ts";
import { Alarm } from "./alarm.ts";
import { rejectAbandoned, releaseToLedger, settleCommitted } from "./settle.ts";
import {
  describeError,
  EventRejectedError,
  isPermanentDataError,
  isUndefinedTable,
  WriterBufferFullError,
  WriterClosedError,
} from "./errors.ts";
import { writeBatch } from "./sql.ts";
import { forgetEventQueue } from "../pgmq/event_queues.ts";
import { prepare, type Prepared } from "./prepare.ts";
import { signalQueueWritten } from "./signal.ts";
import { type TransactionalEvents, transactionalEvents } from "./within.ts";
import { openDatabase } from "../db/open.ts";
import type {
  DurableWriterOpenOptions,
  DurableWriterOptions,
  DurableWriterStats,
  EnqueueOptions,
  PublishOptions,
  WriterCloseOptions,
  WriterCloseReport,
} from "./types.ts";

/**
 * Batches domain events into PGMQ queues. `enqueue` returns at once; `publish` resolves with the
 * message id after COMMIT. Failed writes are retried with backoff, keeping order per queue.
 *
 * @example
 * ```ts
 * import { DurableWriter } from "@deno-tasker/tasker/durable";
 * import type { Database } from "@deno-tasker/tasker/durable";
 * import type { DomainEvent } from "@deno-tasker/tasker";
 *
 * async function emit(db: Database, event: DomainEvent): Promise<void> {
 *   await using writer = new DurableWriter({ db });
 *   writer.enqueue(event); // fire and forget
 *   const msgId = await writer.publish(event); // or wait for the commit
 *   console.log(msgId, writer.stats().written);
 * }
 * ```
 */
export class DurableWriter implements AsyncDisposable {
  readonly #config: WriterConfig;
  readonly #db: Database;
  readonly #counts: WriterCounters = new WriterCounters();
  readonly #buffer = new WriteBuffer();
  readonly #inFlightBatches = new Set<PendingEntry[]>();
  readonly #busyQueues = new Set<string>();
  readonly #roomWaiters = new RoomWaiters();
  readonly #flushWaiters = new FlushWaiters();
  readonly #drainWaiters = new DrainWaiters();

  #seq = 0;
  #held = 0;
  #inFlightEvents = 0;
  readonly #alarm = new Alarm(() => this.#pump());
  #retryAt = 0;
  #consecutiveFailures = 0;
  #accepting = true;
  #stopped = false;
  #firstLostSeq = Infinity;
  #closing: Promise<WriterCloseReport> | undefined;
  #transactional: TransactionalEvents | undefined;

  /**
   * Creates a writer on `options.db`; nothing runs until the first event.
   *
   * @param options the database and tuning; see {@link DurableWriterOptions}
   */
  constructor(options: DurableWriterOptions) {
    this.#config = resolveWriterOptions(options);
    this.#db = options.db;
  }

  /**
   * Opens its own database (a postgres.js pool on a server, or embedded PGlite; migrated unless
   * `migrate: false`) and returns a writer that owns it: `close()` closes the database too. This
   * keeps the writer's pool off every other hot path.
   *
   * @param options where the database is, pool size, and the writer's tuning
   * @returns the writer
   *
   * @example
   * ```ts
   * import { DurableWriter } from "@deno-tasker/tasker/durable";
   * await using writer = await DurableWriter.open({ poolSize: 4, batchSize: 500 });
   * console.log(writer.stats().buffer_depth); // 0
   * ```
   */
  static async open(options: DurableWriterOpenOptions = {}): Promise<DurableWriter> {
    const { url, dataDir, poolSize, migrate, ...tuning } = options;
    const db = await openDatabase({ url, dataDir, poolSize, migrate });
    return new DurableWriter({ ...tuning, db, ownsDatabase: true });
  }

  /**
   * Queues `event` for writing and returns at once; never throws for I/O. Returns false (and
   * counts it in `dropped`) when the buffer is full or the writer is closed.
   *
   * Throws `InvalidNameError` for an invalid namespace, queue or event name, and
   * `UnserializableEventError` for an event `jsonb` cannot hold, before anything is buffered.
   *
   * @param event the domain event
   * @param options target queue and extra headers
   * @returns whether the event was accepted
   */
  enqueue(event: DomainEvent, options: EnqueueOptions = {}): boolean {
    const prepared = prepare(event, options);
    if (!this.#accepting || this.#held >= this.#config.bufferLimit || this.#roomWaiters.size > 0) {
      this.#counts.dropped++;
      return false;
    }
    this.#accept(prepared, undefined);
    return true;
  }

  /**
   * Queues `event` and resolves with its PGMQ `msg_id` once the batch holding it is committed
   * (with 0 when a `ledger` showed the event already written by another writer).
   * When the buffer is full it waits for room up to `deadlineMs`, then rejects with
   * `WriterBufferFullError`. Rejects with `WriterClosedError` once the writer is closed, and
   * with the validation errors of {@link DurableWriter.enqueue} before anything is buffered.
   *
   * @param event the domain event
   * @param options target queue, extra headers, and how long to wait for room
   * @returns the message id
   */
  publish(event: DomainEvent, options: PublishOptions = {}): Promise<number> {
    let prepared: Prepared;
    try {
      prepared = prepare(event, options);
    } catch (error) {
      return Promise.reject(error);
    }
    if (!this.#accepting) {
      this.#counts.dropped++;
      return Promise.reject(new WriterClosedError("publish after close"));
    }
    return new Promise<number>((resolve, reject) => {
      const settle: Settle = { resolve, reject };
      if (this.#held < this.#config.bufferLimit && this.#roomWaiters.size === 0) {
        this.#accept(prepared, settle);
        return;
      }
      const deadlineMs = Math.max(0, options.deadlineMs ?? 30_000);
      if (deadlineMs === 0) {
        this.#counts.dropped++;
        reject(new WriterBufferFullError(this.#config.bufferLimit, 0));
        return;
      }
      this.#roomWaiters.wait(prepared, settle, deadlineMs, () => {
        this.#counts.dropped++;
        reject(new WriterBufferFullError(this.#config.bufferLimit, deadlineMs));
      });
    });
  }

  /**
   * Resolves when every event accepted before this call is committed (or refused by the
   * database for good); rejects with `WriterClosedError` if close abandoned any of them.
   * Partial batches are written at once instead of lingering.
   */
  flush(): Promise<void> {
    const target = this.#seq;
    return new Promise<void>((resolve, reject) => {
      this.#flushWaiters.add(target, resolve, reject);
      this.#settleFlushWaiters();
      if (this.#flushWaiters.size > 0) this.#pump();
    });
  }

  /**
   * Stops accepting events, writes what is buffered for up to `deadlineMs`, then gives up on
   * the rest: each abandoned event is counted in `unwritten` and its `publish` rejects. Closes
   * the database when the writer owns it. Idempotent: later calls return the same report.
   *
   * @param options the drain deadline
   */
  close(options: WriterCloseOptions = {}): Promise<WriterCloseReport> {
    this.#closing ??= this.#shutdown(Math.max(0, options.deadlineMs ?? 10_000));
    return this.#closing;
  }

  /** Same as `close()` with the default deadline. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A snapshot of the counters; see {@link DurableWriterStats}. */
  stats(): DurableWriterStats {
    return this.#counts.snapshot(this.#held, this.#inFlightBatches.size);
  }

  /**
   * This writer's second way in: events written into PGMQ inside a caller's transaction (the
   * step committer's, so a step's durable events commit with its outcome), with this writer's
   * validation, statement, queue creation and counters. Use it only when `tx` is a transaction
   * on this writer's database.
   *
   * @returns the transactional entry point (see `within.ts`)
   */
  transactional(): TransactionalEvents {
    this.#transactional ??= transactionalEvents({
      db: this.#db,
      strategy: this.#config.strategy,
      committed: (events) => {
        if (events.length === 0) return;
        this.#counts.enqueued += events.length;
        this.#counts.written += events.length;
        this.#counts.countBatch(events.length);
        for (const queue of new Set(events.map((e) => e.queue))) signalQueueWritten(queue);
      },
    });
    return this.#transactional;
  }

  #accept(prepared: Prepared, settle: Settle | undefined): void {
    const entry: PendingEntry = {
      ...prepared,
      seq: ++this.#seq,
      enqueuedAt: performance.now(),
      settle,
    };
    this.#held++;
    this.#counts.enqueued++;
    const length = this.#buffer.push(entry);
    if (length >= this.#config.batchSize) this.#pump();
    else if (!this.#alarm.armed) this.#schedule(entry.enqueuedAt + this.#config.lingerMs);
  }

  /** Cuts and starts batches while slots are free; arms the timer for what must wait. */
  #pump(): void {
    if (this.#stopped) return;
    const now = performance.now();
    if (now < this.#retryAt) {
      this.#schedule(this.#retryAt);
      return;
    }
    const { batchSize, lingerMs, maxInFlight, preserveOrder } = this.#config;
    const force = !this.#accepting || this.#flushWaiters.size > 0;
    const busy = preserveOrder ? this.#busyQueues : undefined;
    while (this.#inFlightBatches.size < maxInFlight) {
      const batch = this.#buffer.take(batchSize, now, lingerMs, force, busy);
      if (batch === undefined) break;
      void this.#write(batch);
    }
    if (this.#buffer.pendingCount > 0 && this.#inFlightBatches.size < maxInFlight) {
      const deadline = this.#buffer.nextDeadline(lingerMs, busy);
      if (deadline !== undefined) this.#schedule(deadline);
    }
  }

  #schedule(at: number): void {
    if (!this.#stopped) this.#alarm.set(at);
  }

  async #write(batch: PendingEntry[]): Promise<void> {
    const queue = batch[0]!.queue;
    this.#busyQueues.add(queue);
    this.#inFlightBatches.add(batch);
    this.#inFlightEvents += batch.length;
    let msgIds: (number | null)[] | undefined;
    let failure: unknown;
    try {
      msgIds = await this.#insert(batch);
    } catch (error) {
      failure = error;
    }
    this.#inFlightBatches.delete(batch);
    this.#busyQueues.delete(queue);
    this.#inFlightEvents -= batch.length;
    if (msgIds !== undefined) this.#committed(batch, msgIds);
    else this.#failed(batch, failure);
    this.#admitWaiters();
    this.#settleFlushWaiters();
    if (this.#held === 0) this.#drainWaiters.drained();
    this.#pump();
  }

  #insert(batch: PendingEntry[]): Promise<(number | null)[]> {
    const { strategy, onCommitted, ledger } = this.#config;
    return writeBatch(this.#db, strategy, batch, onCommitted, ledger?.table);
  }

  #committed(batch: PendingEntry[], msgIds: (number | null)[]): void {
    const written = settleCommitted(batch, msgIds, this.#counts.latency);
    if (written > 0) signalQueueWritten(batch[0]!.queue);
    this.#held -= batch.length;
    this.#counts.written += written;
    this.#counts.alreadySent += batch.length - written;
    this.#counts.countBatch(batch.length);
    this.#consecutiveFailures = 0;
    releaseToLedger(this.#config.ledger?.released, batch);
  }

  #failed(batch: PendingEntry[], error: unknown): void {
    this.#counts.failedWrites++;
    this.#counts.lastError = describeError(error);
    const queue = batch[0]!.queue;
    if (this.#stopped) {
      this.#abandon(batch);
      return;
    }
    if (isUndefinedTable(error)) forgetEventQueue(this.#db, queue);
    if (isPermanentDataError(error)) {
      if (batch.length === 1) {
        const entry = batch[0]!;
        this.#counts.rejected++;
        this.#held--;
        entry.settle?.reject(new EventRejectedError(entry.event.event_id, queue, error));
        releaseToLedger(this.#config.ledger?.released, batch);
        return;
      }
      // Isolate the offending event: retry both halves at once, without backoff.
      const half = Math.ceil(batch.length / 2);
      for (const part of [batch.slice(0, half), batch.slice(half)]) {
        part[0]!.cap = part.length;
        this.#buffer.requeue(part);
      }
      return;
    }
    this.#consecutiveFailures++;
    this.#counts.retries++;
    const delay = backoffDelay(
      this.#consecutiveFailures,
      this.#config.retryMinMs,
      this.#config.retryMaxMs,
    );
    this.#retryAt = Math.max(this.#retryAt, performance.now() + delay);
    this.#buffer.requeue(batch);
  }

  #abandon(entries: readonly PendingEntry[]): void {
    this.#firstLostSeq = Math.min(this.#firstLostSeq, rejectAbandoned(entries));
    this.#held -= entries.length;
    this.#counts.unwritten += entries.length;
    releaseToLedger(this.#config.ledger?.released, entries);
  }

  /** Admits `publish` callers waiting for room, oldest first, while there is room. */
  #admitWaiters(): void {
    this.#roomWaiters.admit(
      () => this.#held < this.#config.bufferLimit && this.#accepting,
      (prepared, settle) => this.#accept(prepared, settle),
    );
  }

  #settleFlushWaiters(): void {
    if (this.#flushWaiters.size === 0) return;
    let outstanding = this.#buffer.minSeq();
    for (const batch of this.#inFlightBatches) outstanding = Math.min(outstanding, batch[0]!.seq);
    this.#flushWaiters.settle(
      outstanding,
      this.#firstLostSeq,
      () => new WriterClosedError("close abandoned events this flush waited for"),
    );
  }

  async #shutdown(deadlineMs: number): Promise<WriterCloseReport> {
    this.#accepting = false;
    this.#roomWaiters.refuseAll((settle) => {
      this.#counts.dropped++;
      settle.reject(new WriterClosedError("closed while waiting for buffer room"));
    });
    this.#pump();
    const drained = await this.#drainWaiters.wait(deadlineMs, () => this.#held === 0);
    this.#stopped = true;
    this.#alarm.cancel();
    this.#abandon(this.#buffer.drain());
    const inDoubt = this.#inFlightEvents;
    this.#settleFlushWaiters();
    if (this.#config.ownsDatabase) await this.#db.close();
    return {
      drained,
      written: this.#counts.written,
      unwritten: this.#counts.unwritten,
      in_doubt: inDoubt,
    };
  }
}
