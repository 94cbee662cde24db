/**
 * The DurableWriter's settings with defaults applied, and its counters.
 *
 * @module
 */

import type { Database } from "../db/database.ts";
import { DurableOptionError, intOption } from "./errors.ts";
import { LatencyHistogram } from "./latency.ts";
import type {
  DurableWriterOptions,
  DurableWriterStats,
  OwedLedger,
  WriteStrategy,
} from "./types.ts";

/** Every writer setting, defaults applied and checked. */
export interface WriterConfig {
  /** The database. */
  db: Database;
  /** Whether close() closes it. */
  ownsDatabase: boolean;
  /** Largest batch. */
  batchSize: number;
  /** Linger of a partial batch, ms. */
  lingerMs: number;
  /** Batches in flight at most. */
  maxInFlight: number;
  /** Events held at most. */
  bufferLimit: number;
  /** Smallest retry delay, ms. */
  retryMinMs: number;
  /** Largest retry delay, ms. */
  retryMaxMs: number;
  /** The batch statement. */
  strategy: WriteStrategy;
  /** One batch per queue in flight. */
  preserveOrder: boolean;
  /** The same-transaction hook. */
  onCommitted: DurableWriterOptions["onCommitted"];
  /** The owed-event ledger, its table name checked. */
  ledger: OwedLedger | undefined;
}

/** `schema.table`, lower-case identifiers: the only ledger names the writer puts into SQL. */
const LEDGER_TABLE = /^[a-z_][a-z0-9_]{0,62}\.[a-z_][a-z0-9_]{0,62}$/;

/**
 * Applies defaults; throws `DurableOptionError` naming a bad option.
 *
 * @param options what the caller gave
 */
export function resolveWriterOptions(options: DurableWriterOptions): WriterConfig {
  const int = (name: string, value: number | undefined, fallback: number) =>
    intOption("DurableWriter", name, value, fallback, 1);
  const retryMinMs = Math.max(0, options.retryMinMs ?? 50);
  const strategy = options.strategy ?? "insert";
  if (strategy !== "insert" && strategy !== "send_batch") {
    throw new DurableOptionError("DurableWriter", "strategy", strategy, '"insert" or "send_batch"');
  }
  const ledger = options.ledger;
  if (ledger !== undefined && !LEDGER_TABLE.test(String(ledger.table))) {
    throw new DurableOptionError(
      "DurableWriter",
      "ledger.table",
      ledger.table,
      "schema.table in lower-case identifiers",
    );
  }
  return {
    db: options.db,
    ownsDatabase: options.ownsDatabase ?? false,
    batchSize: int("batchSize", options.batchSize, 500),
    lingerMs: Math.max(0, options.lingerMs ?? 2),
    maxInFlight: int("maxInFlight", options.maxInFlight, options.db.kind === "pglite" ? 1 : 4),
    bufferLimit: int("bufferLimit", options.bufferLimit, 100_000),
    retryMinMs,
    retryMaxMs: Math.max(retryMinMs, options.retryMaxMs ?? 5_000),
    strategy,
    preserveOrder: options.preserveOrder ?? false,
    onCommitted: options.onCommitted,
    ledger: options.ledger,
  };
}

/**
 * The writer's counters; {@link WriterCounters.snapshot} turns them into the public stats.
 *
 * @example
 * ```ts
 * import { WriterCounters } from "./config.ts";
 * const counters = new WriterCounters();
 * counters.enqueued++;
 * counters.snapshot(1, 0).enqueued; // 1
 * ```
 */
export class WriterCounters {
  /** Events accepted. */
  enqueued = 0;
  /** Events committed. */
  written = 0;
  /** Batches committed. */
  batches = 0;
  /** Largest committed batch. */
  maxBatch = 0;
  /** Failed write attempts. */
  failedWrites = 0;
  /** Batches scheduled again. */
  retries = 0;
  /** Events not accepted. */
  dropped = 0;
  /** Ledger events found already sent. */
  alreadySent = 0;
  /** Events refused by the database. */
  rejected = 0;
  /** Events abandoned at close. */
  unwritten = 0;
  /** The last write error. */
  lastError: string | null = null;
  /** Enqueue-to-commit latency. */
  readonly latency: LatencyHistogram = new LatencyHistogram();

  /**
   * Counts one committed batch (for the mean and the largest batch size).
   *
   * @param size the events it held
   */
  countBatch(size: number): void {
    this.batches++;
    if (size > this.maxBatch) this.maxBatch = size;
  }

  /**
   * The public statistics.
   *
   * @param bufferDepth events held now
   * @param inFlight batches in flight now
   */
  snapshot(bufferDepth: number, inFlight: number): DurableWriterStats {
    return {
      enqueued: this.enqueued,
      written: this.written,
      batches: this.batches,
      mean_batch_size: this.batches === 0 ? 0 : this.written / this.batches,
      max_batch_size: this.maxBatch,
      failed_writes: this.failedWrites,
      retries: this.retries,
      dropped: this.dropped,
      already_sent: this.alreadySent,
      rejected: this.rejected,
      unwritten: this.unwritten,
      buffer_depth: bufferDepth,
      in_flight: inFlight,
      latency_p50_ms: this.latency.percentile(50),
      latency_p99_ms: this.latency.percentile(99),
      last_error: this.lastError,
    };
  }
}
