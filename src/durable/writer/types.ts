/**
 * Option, statistic and report types of the DurableWriter.
 *
 * @module
 */

import type { Database, Queryable } from "../db/database.ts";
import type { DomainEvent } from "../../events/types.ts";
import type { OpenDatabaseOptions } from "../db/open.ts";

/**
 * How the writer turns a batch into rows: `"insert"`, a direct INSERT into PGMQ's queue table,
 * or `"send_batch"`, PGMQ's `pgmq.send_batch` (see `sql.ts`).
 */
export type WriteStrategy = "send_batch" | "insert";

/** One event as committed, handed to {@link DurableWriterOptions.onCommitted}. */
export interface CommittedEvent {
  /** The event as it was enqueued. */
  event: DomainEvent;
  /** Its PGMQ message id in `queue`. */
  msg_id: number;
  /** The queue it was written to. */
  queue: string;
}

/** How the DurableWriter batches, retries and bounds its buffer. */
export interface DurableWriterTuning {
  /** Largest batch per statement. Default 500. */
  batchSize?: number;
  /** How long a partial batch may wait for more events, in ms. Default 2. */
  lingerMs?: number;
  /** Batches written concurrently. Default 4 on a server, 1 embedded (one connection). */
  maxInFlight?: number;
  /**
   * Keep msg_id order equal to enqueue order within each queue: at most one batch per queue is
   * in flight (batches of different queues still overlap). Default false: batches of one queue
   * overlap (measured about 1.5× the throughput on a server) and their rows may interleave, so
   * msg_id order follows enqueue order only within a batch. PGMQ consumers cannot rely on order
   * anyway (retries, visibility timeouts and concurrent readers reorder messages).
   */
  preserveOrder?: boolean;
  /** Most events held (waiting plus in flight). Default 100,000. */
  bufferLimit?: number;
  /** Smallest retry delay after a failed write, in ms. Default 50. */
  retryMinMs?: number;
  /** Largest retry delay after a failed write, in ms. Default 5,000. */
  retryMaxMs?: number;
  /**
   * The batch statement: `"insert"` (a direct INSERT into PGMQ's queue table, the faster one
   * measured by `scripts/bench/durable.ts`, default) or `"send_batch"` (`pgmq.send_batch`).
   */
  strategy?: WriteStrategy;
  /**
   * Runs IN THE SAME TRANSACTION as a batch's insert, after it, with the new message ids. If it
   * throws, the transaction rolls back and the batch is retried like any failed write. The
   * worker uses it to mark a step's owed events as sent atomically with writing them. When
   * unset, a batch is one autocommitted statement (one round trip).
   */
  onCommitted?: (committed: readonly CommittedEvent[], tx: Queryable) => Promise<void>;
  /**
   * A table of owed events (see {@link OwedLedger}). When set, the batch statement writes an
   * event only if it has no row in the ledger, or if the same statement marked its row sent,
   * so two writers holding the same owed event write it once between them.
   */
  ledger?: OwedLedger;
}

/**
 * A table that records which events are still owed to PGMQ: columns `event_id uuid` (its
 * primary key) and `sent_at timestamptz` (NULL while owed). The worker's is `tasker.step_events`.
 *
 * With a ledger, writing an event and marking it sent are ONE statement: it locks the event's
 * unsent ledger row (in `event_id` order, so concurrent writers cannot deadlock), sets `sent_at`,
 * and inserts into PGMQ only the events whose row it marked, plus those with no row at all
 * (ad-hoc events, or events of plain `DurableWriter` users). An event whose row another writer
 * already marked is skipped and counted in `already_sent`. For ledger events this also closes
 * the at-least-once window: a batch retried after a lost COMMIT reply finds its rows sent.
 */
export interface OwedLedger {
  /** The table, `schema.table` in lower case, e.g. `tasker.step_events`. */
  readonly table: string;
  /**
   * Called (not in any transaction) with the ids of events the writer no longer holds: written,
   * found already sent, refused by the database, or abandoned at close.
   */
  released?(eventIds: readonly string[]): void;
}

/** Options of `new DurableWriter(...)`. */
export interface DurableWriterOptions extends DurableWriterTuning {
  /** The database to write to; the writer should be the only hot-path user of its pool. */
  db: Database;
  /** Whether `close()` also closes `db`. Default false (the caller opened it). */
  ownsDatabase?: boolean;
}

/**
 * Options of `DurableWriter.open`: where the database is (see `openDatabase`: a server URL, else
 * `DATABASE_URL`, else embedded PGlite) and the writer's tuning. The writer owns the database it
 * opens and closes it on `close()`.
 */
export interface DurableWriterOpenOptions extends DurableWriterTuning, OpenDatabaseOptions {}

/** Options of `enqueue`. */
export interface EnqueueOptions {
  /** Target queue; default `{event.metadata.namespace}_domain_events`. */
  queue?: string;
  /**
   * Extra PGMQ message headers (JSON values). `x-event-name` is always the event's name;
   * `traceparent` defaults to `event.metadata.traceparent`.
   */
  headers?: Record<string, unknown>;
}

/** Options of `publish`. */
export interface PublishOptions extends EnqueueOptions {
  /**
   * How long to wait for room when the buffer is full, in ms, before rejecting with
   * `WriterBufferFullError`. Default 30,000; 0 fails at once.
   */
  deadlineMs?: number;
}

/** Options of `close`. */
export interface WriterCloseOptions {
  /** How long to keep writing what is buffered, in ms. Default 10,000. */
  deadlineMs?: number;
}

/** What `close()` achieved. */
export interface WriterCloseReport {
  /** True when every accepted event was written (or refused by the database) in time. */
  drained: boolean;
  /** Events written over the writer's life. */
  written: number;
  /** Events accepted but never written: still buffered at the deadline (their publish rejected). */
  unwritten: number;
  /** Events whose batch was still in flight at the deadline: written or not, unknown. */
  in_doubt: number;
}

/** A snapshot of the writer's counters. */
export interface DurableWriterStats {
  /** Events accepted into the buffer. */
  enqueued: number;
  /** Events committed to PGMQ. */
  written: number;
  /** Batches committed. */
  batches: number;
  /** `written / batches`. */
  mean_batch_size: number;
  /** The largest committed batch. */
  max_batch_size: number;
  /** Failed write attempts (each batch attempt that threw). */
  failed_writes: number;
  /** Failed batches scheduled again after a backoff. */
  retries: number;
  /** Events not accepted: buffer full, writer closed, or publish gave up waiting for room. */
  dropped: number;
  /** Ledger events skipped because their ledger row was already marked sent (see `ledger`). */
  already_sent: number;
  /** Events the database refused for good (bad data), after isolating them one by one. */
  rejected: number;
  /** Accepted events abandoned at close (see {@link WriterCloseReport}). */
  unwritten: number;
  /** Events held now: waiting plus in flight. */
  buffer_depth: number;
  /** Batches being written now. */
  in_flight: number;
  /** Median enqueue-to-commit latency, ms (fixed-bucket histogram, ≤5% high). */
  latency_p50_ms: number;
  /** 99th percentile enqueue-to-commit latency, ms. */
  latency_p99_ms: number;
  /** The last write error, or null. */
  last_error: string | null;
}
