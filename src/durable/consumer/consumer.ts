/**
 * The DurableConsumer: reads domain events from a PGMQ queue and hands each to the handlers
 * whose patterns match its name.
 *
 * Delivery is AT LEAST ONCE: handlers must be idempotent and deduplicate on `event_id`. A read
 * hides a batch for the visibility timeout; a handled message is deleted (or archived); a failed
 * one becomes visible again after a backoff; after `maxAttempts` reads it moves to `{queue}_dlq`
 * with `x-last-error`, `x-failed-at`, `x-attempts` and `x-original-queue` headers. A message that
 * is not an envelope goes to the dead-letter queue at once; one no handler matches is
 * acknowledged and counted as `unmatched`.
 *
 * It wakes when a DurableWriter of the same process commits to its queue (a process-local
 * signal), on PGMQ's insert notifications for writers elsewhere (which the Database delivers
 * from a dedicated connection outside the pool on a server and in process when embedded), and
 * polls every `pollIntervalMs` for delayed and re-visible messages. PGMQ throttles
 * notifications, so after one it also looks again once the throttle interval has passed
 * (`wakeups.ts`).
 *
 * @module
 */

import { withinDeadline } from "../../deadline.ts";
import type { Database } from "../db/database.ts";
import { describeError } from "../writer/errors.ts";
import { type ConsumerConfig, resolveConsumerOptions } from "./options.ts";
import { HandlersByPattern } from "./handlers_by_pattern.ts";
import { ensureEventQueue } from "../pgmq/event_queues.ts";
import { parseEnvelope } from "./envelope.ts";
import { acknowledge, deadLetter, readBatch, type ReadRow, redrive } from "./sql.ts";
import { QueueWakeups } from "./wakeups.ts";
import { setVisibleAfter } from "../pgmq/statements.ts";
import type {
  ConsumerCloseOptions,
  DurableConsumerOptions,
  DurableConsumerStats,
  DurableEventHandler,
  RedriveOptions,
} from "./types.ts";

const COMPONENT = "DurableConsumer";

/**
 * Reads a PGMQ queue of domain events and dispatches them to pattern-matched handlers.
 *
 * @example
 * ```ts
 * import { DurableConsumer } from "@deno-tasker/tasker";
 * import type { Database } from "@deno-tasker/tasker/durable";
 *
 * async function consume(db: Database): Promise<void> {
 *   await using consumer = new DurableConsumer({ db, namespace: "payments" });
 *   consumer.on("payment.#", async (event) => {
 *     // idempotent: skip if event.event_id was already applied
 *     console.log(event.event_name, event.event_id);
 *   });
 *   await consumer.start();
 * }
 * ```
 */
export class DurableConsumer implements AsyncDisposable {
  /** The queue this consumer reads. */
  readonly queue: string;
  /** Where messages go after `maxAttempts` failed reads, or when they are not envelopes. */
  readonly deadLetterQueue: string;

  readonly #config: ConsumerConfig;
  readonly #db: Database;
  readonly #handlers = new HandlersByPattern();
  readonly #abort = new AbortController();

  #running = false;
  #started: Promise<void> | undefined;
  #loop: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  #stopped = false;
  readonly #wakeups: QueueWakeups;
  #acks: number[] = [];
  #batch: { rows: ReadRow[]; next: number } | undefined;

  readonly #stats: DurableConsumerStats = {
    read: 0,
    processed: 0,
    failed: 0,
    dead_lettered: 0,
    unmatched: 0,
    in_flight: 0,
    errors: 0,
    last_error: null,
  };

  /**
   * Creates a consumer; it reads nothing until `start()`. Throws `DurableOptionError` or
   * `InvalidNameError` for a bad option.
   *
   * @param options the database, the queue (or namespace) and tuning; see
   * {@link DurableConsumerOptions}
   */
  constructor(options: DurableConsumerOptions) {
    this.#config = resolveConsumerOptions(options);
    this.#db = options.db;
    this.queue = this.#config.queue;
    this.deadLetterQueue = this.#config.deadLetterQueue;
    this.#wakeups = new QueueWakeups(this.#db, this.queue, this.#config);
  }

  /**
   * Registers `handler` for events whose name matches `patterns` (the bus's semantics: `*` one
   * segment, `#` one or more, bare `*` or `#` every event). Throws `InvalidPatternError` for a
   * malformed pattern. May be called before or after `start()`.
   *
   * @param patterns one pattern or several
   * @param handler an idempotent handler
   * @returns this consumer, for chaining
   */
  on(patterns: string | readonly string[], handler: DurableEventHandler): this {
    this.#handlers.add(patterns, handler);
    return this;
  }

  /**
   * Creates the queue and its dead-letter queue if missing, subscribes to insert notifications
   * (unless `listen: false`), and starts reading. Resolves once reading has begun. Calling it
   * again returns the same promise.
   */
  start(): Promise<void> {
    this.#started ??= this.#begin();
    return this.#started;
  }

  /**
   * Stops reading; handlers already running get until `deadlineMs` to finish and are
   * acknowledged as usual. Messages read but not yet started are made visible again at once.
   * Past the deadline, running handlers see their `signal` aborted and their messages simply
   * become visible again when their visibility timeout ends: nothing is lost. Idempotent.
   *
   * @param options the deadline for running handlers
   */
  close(options: ConsumerCloseOptions = {}): Promise<void> {
    this.#closing ??= this.#shutdown(Math.max(0, options.deadlineMs ?? 10_000));
    return this.#closing;
  }

  /** Same as `close()` with the default deadline. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** A snapshot of the counters; see {@link DurableConsumerStats}. */
  stats(): DurableConsumerStats {
    return { ...this.#stats };
  }

  /**
   * Moves up to `limit` messages from `fromQueue` (a dead-letter queue) back to `toQueue` in one
   * transaction; returns how many moved. See {@link redrive}.
   *
   * @param db the database
   * @param fromQueue usually `{queue}_dlq`
   * @param toQueue usually the original queue
   * @param options how many at most (default 1,000)
   *
   * @example
   * ```ts
   * import { DurableConsumer } from "@deno-tasker/tasker";
   * import type { Database } from "@deno-tasker/tasker/durable";
   * async function retryAll(db: Database): Promise<number> {
   *   return await DurableConsumer.redrive(
   *     db,
   *     "payments_domain_events_dlq",
   *     "payments_domain_events",
   *     { limit: 500 },
   *   );
   * }
   * ```
   */
  static redrive(
    db: Database,
    fromQueue: string,
    toQueue: string,
    options: RedriveOptions = {},
  ): Promise<number> {
    return redrive(db, fromQueue, toQueue, options);
  }

  async #begin(): Promise<void> {
    if (this.#closing !== undefined) return;
    await ensureEventQueue(this.#db, this.queue);
    await this.#wakeups.subscribe((error) => this.#noteError(error, undefined));
    if (this.#closing !== undefined) {
      await this.#wakeups.stopListening();
      return;
    }
    this.#running = true;
    this.#loop = this.#run();
  }

  async #run(): Promise<void> {
    let failures = 0;
    while (this.#running) {
      this.#wakeups.clear();
      let rows: ReadRow[];
      try {
        rows = await readBatch(
          this.#db,
          this.queue,
          this.#config.vtSeconds,
          this.#config.batchSize,
        );
        failures = 0;
      } catch (error) {
        this.#noteError(error, undefined);
        failures++;
        await this.#idle(Math.min(this.#config.pollIntervalMs, 50 * 2 ** Math.min(failures, 10)));
        continue;
      }
      if (rows.length === 0) {
        await this.#idle(this.#wakeups.idleDelay());
        continue;
      }
      this.#stats.read += rows.length;
      await this.#handleBatch(rows);
    }
  }

  async #handleBatch(rows: ReadRow[]): Promise<void> {
    const batch = { rows, next: 0 };
    this.#batch = batch;
    const worker = async () => {
      while (batch.next < rows.length && this.#running) {
        await this.#handle(rows[batch.next++]!);
      }
    };
    const workers = [];
    for (let index = 0; index < Math.min(this.#config.concurrency, rows.length); index++) {
      workers.push(worker());
    }
    await Promise.all(workers);
    this.#batch = undefined;
    await this.#flushAcks();
  }

  /** On close: hands the messages of the current batch that no handler started back at once. */
  async #releaseUnstarted(): Promise<void> {
    const batch = this.#batch;
    if (batch === undefined || batch.next >= batch.rows.length) return;
    const unstarted = batch.rows.slice(batch.next).map((row) => row.msg_id);
    batch.next = batch.rows.length;
    await this.#guard(() => setVisibleAfter(this.#db, this.queue, unstarted, 0));
  }

  async #handle(row: ReadRow): Promise<void> {
    this.#stats.in_flight++;
    try {
      const parsed = parseEnvelope(row.message);
      if (!parsed.ok) {
        await this.#deadLetter(row, `invalid envelope: ${parsed.error}`);
        return;
      }
      if (row.read_ct > this.#config.maxAttempts) {
        // Read that often without an acknowledgement: its handler keeps crashing the process
        // or outliving the visibility timeout.
        await this.#deadLetter(row, `read ${row.read_ct} times without being acknowledged`);
        return;
      }
      const handlers = this.#handlers.matching(parsed.event.event_name);
      if (handlers.length === 0) {
        this.#stats.unmatched++;
        this.#acks.push(row.msg_id);
        return;
      }
      try {
        const context = {
          msg_id: row.msg_id,
          read_ct: row.read_ct,
          headers: isRecord(row.headers) ? row.headers : {},
          queue: this.queue,
          signal: this.#abort.signal,
        };
        for (const handler of handlers) await handler(parsed.event, context);
      } catch (error) {
        this.#stats.failed++;
        this.#report(error, row.msg_id);
        if (this.#stopped) return;
        if (row.read_ct >= this.#config.maxAttempts) {
          await this.#deadLetter(row, describeError(error));
        } else {
          const delay = Math.min(
            this.#config.retryMaxSeconds,
            this.#config.retryMinSeconds * 2 ** (row.read_ct - 1),
          );
          await this.#guard(() => setVisibleAfter(this.#db, this.queue, [row.msg_id], delay));
        }
        return;
      }
      this.#stats.processed++;
      this.#acks.push(row.msg_id);
    } finally {
      this.#stats.in_flight--;
    }
  }

  async #deadLetter(row: ReadRow, lastError: string): Promise<void> {
    if (this.#stopped) return;
    const moved = await this.#guard(() =>
      deadLetter(this.#db, this.queue, this.deadLetterQueue, row.msg_id, lastError, row.read_ct)
    );
    if (moved === true) this.#stats.dead_lettered++;
  }

  async #flushAcks(): Promise<void> {
    if (this.#acks.length === 0 || this.#stopped) return;
    const ids = this.#takeAcks();
    await this.#guard(() => acknowledge(this.#db, this.queue, ids, this.#config.onSuccess));
  }

  #takeAcks(): number[] {
    const ids = this.#acks;
    this.#acks = [];
    return ids;
  }

  /** Runs a database call; a failure is counted and reported, never thrown (the vt recovers). */
  async #guard<T>(call: () => Promise<T>): Promise<T | undefined> {
    try {
      return await call();
    } catch (error) {
      this.#noteError(error, undefined);
      return undefined;
    }
  }

  #noteError(error: unknown, msgId: number | undefined): void {
    this.#stats.errors++;
    this.#stats.last_error = describeError(error);
    this.#report(error, msgId);
  }

  #report(error: unknown, msgId: number | undefined): void {
    if (this.#config.onError === undefined) return;
    try {
      const context = msgId === undefined
        ? { queue: this.queue }
        : { queue: this.queue, msg_id: msgId };
      this.#config.onError(error, context);
    } catch {
      // An observer's own failure must not stop the consumer.
    }
  }

  #idle(ms: number): Promise<void> {
    return this.#running ? this.#wakeups.idle(ms) : Promise.resolve();
  }

  async #shutdown(deadlineMs: number): Promise<void> {
    this.#running = false;
    this.#wakeups.wake();
    await this.#started?.catch(() => {});
    this.#wakeups.unsignal();
    await this.#releaseUnstarted();
    await this.#wakeups.endListening((error) => this.#noteError(error, undefined));
    if (this.#loop === undefined) {
      this.#stopped = true;
      return;
    }
    const outcome = await withinDeadline(this.#loop, deadlineMs);
    if (!outcome.finished) {
      // Acknowledge what finished; what still runs keeps its message hidden until its vt.
      const acks = this.#takeAcks();
      this.#stopped = true;
      this.#abort.abort(new Error(`${COMPONENT} for ${this.queue} closed`));
      await this.#guard(() => acknowledge(this.#db, this.queue, acks, this.#config.onSuccess));
    }
    this.#stopped = true;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
