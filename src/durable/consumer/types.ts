/**
 * Option, handler and statistic types of the DurableConsumer.
 *
 * @module
 */

import type { Database } from "../db/database.ts";
import type { DomainEvent } from "../../events/types.ts";

/** What a handler learns about the PGMQ message carrying its event. */
export interface ConsumerMessageContext {
  /** The message id in `queue`. */
  msg_id: number;
  /** How many times the message was read, this read included (1 on the first delivery). */
  read_ct: number;
  /** The message's PGMQ headers (`x-event-name`, `traceparent`, ...), `{}` when none. */
  headers: Record<string, unknown>;
  /** The queue the message was read from. */
  queue: string;
  /** Aborted when `close()`'s deadline expires while the handler still runs. */
  signal: AbortSignal;
}

/**
 * Handles one event. Resolving acknowledges it (for this handler); throwing makes the message
 * visible again after a backoff, until `maxAttempts` sends it to the dead-letter queue.
 *
 * Handlers MUST be idempotent: delivery is at least once, and a message matched by several
 * handlers is retried as a whole, so a handler that succeeded runs again when another failed.
 * Deduplicate on `event.event_id`.
 */
export type DurableEventHandler = (
  event: DomainEvent,
  context: ConsumerMessageContext,
) => void | Promise<void>;

/** Options of `new DurableConsumer(...)`. Give `queue` or `namespace`. */
export interface DurableConsumerOptions {
  /** The database to read from (not closed by the consumer). */
  db: Database;
  /** The queue to read; its dead-letter queue is `{queue}_dlq`. */
  queue?: string;
  /** Read `{namespace}_domain_events` (when `queue` is not given). */
  namespace?: string;
  /** Messages per read. Default 100. */
  batchSize?: number;
  /** How long a read message stays invisible to other readers, in seconds. Default 30. */
  visibilityTimeoutSeconds?: number;
  /** Reads (`read_ct`) after which a failing message goes to the dead-letter queue. Default 5. */
  maxAttempts?: number;
  /** Messages of a batch handled at the same time. Default 1. */
  concurrency?: number;
  /** What acknowledging a handled message does: `"delete"` (default) or `"archive"`. */
  onSuccess?: "delete" | "archive";
  /**
   * The delay before a failed message is visible again: `minSeconds × 2^(read_ct-1)`, capped at
   * `maxSeconds`. Default 1 s to 60 s.
   */
  retryBackoff?: { minSeconds?: number; maxSeconds?: number };
  /**
   * How often to look for messages without a notification (delayed or re-visible messages, a
   * lost notification), in ms. Default 1,000.
   */
  pollIntervalMs?: number;
  /**
   * Wake on PGMQ's insert notifications (`pgmq.enable_notify_insert`) instead of only polling.
   * Default true.
   */
  listen?: boolean;
  /** PGMQ's per-queue notification throttle used when enabling notifications, ms. Default 250. */
  notifyThrottleMs?: number;
  /** Observer of errors the consumer handles itself (handler failures, database errors). */
  onError?: (error: unknown, context: { queue: string; msg_id?: number }) => void;
}

/** Options of `close`. */
export interface ConsumerCloseOptions {
  /** How long in-flight handlers may take to finish, in ms. Default 10,000. */
  deadlineMs?: number;
}

/** A snapshot of the consumer's counters. */
export interface DurableConsumerStats {
  /** Messages read. */
  read: number;
  /** Messages every matching handler handled, then acknowledged. */
  processed: number;
  /** Handler failures (each failed delivery of a message). */
  failed: number;
  /** Messages moved to the dead-letter queue (failures and invalid envelopes). */
  dead_lettered: number;
  /** Messages no handler matched, acknowledged without handling. */
  unmatched: number;
  /** Messages being handled now. */
  in_flight: number;
  /** Database errors while reading or acknowledging (retried). */
  errors: number;
  /** The last error, or null. */
  last_error: string | null;
}

/** Options of `redrive`. */
export interface RedriveOptions {
  /** Most messages to move. Default 1,000. */
  limit?: number;
}
