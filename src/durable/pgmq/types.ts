/**
 * The PGMQ client's message, option and counter types.
 *
 * @module
 */

/** A message as PGMQ stores it. */
export interface PgmqMessage<T = unknown> {
  /** The message's id, unique within its queue. */
  msg_id: number;
  /** How many times it was read (a retry counter for consumers). */
  read_ct: number;
  /** When it was sent. */
  enqueued_at: Date;
  /** When it was last read, or `null` if never. */
  last_read_at: Date | null;
  /** When it becomes (or became) visible to readers again. */
  vt: Date;
  /** The message body (JSON). */
  message: T;
  /** The headers sent with it, or `null`. */
  headers: Record<string, unknown> | null;
}

/** Options of `Pgmq.send`. */
export interface PgmqSendOptions {
  /** JSON headers stored beside the message. */
  headers?: Record<string, unknown>;
  /** Seconds before the message becomes visible (default 0). */
  delaySeconds?: number;
}

/** Options of `Pgmq.sendBatch`. */
export interface PgmqSendBatchOptions {
  /** Headers per message, same length and order as the messages (`null` for none). */
  headers?: readonly (Record<string, unknown> | null)[];
  /** Seconds before the messages become visible (default 0). */
  delaySeconds?: number;
}

/** Options of `Pgmq.read`. */
export interface PgmqReadOptions {
  /** Seconds the read messages stay invisible to other readers. */
  vtSeconds: number;
  /** Most messages to read (at least 1). */
  qty: number;
}

/** A queue's counters, from `pgmq.metrics`. */
export interface PgmqMetrics {
  /** The queue. */
  queue_name: string;
  /** Messages in the queue, visible or not. */
  queue_length: number;
  /** Messages visible right now. */
  queue_visible_length: number;
  /** Age in seconds of the newest message, `null` when empty. */
  newest_msg_age_sec: number | null;
  /** Age in seconds of the oldest message, `null` when empty. */
  oldest_msg_age_sec: number | null;
  /** Messages ever sent to the queue. */
  total_messages: number;
  /** When these numbers were taken. */
  scrape_time: Date;
}

/** A queue as `pgmq.list_queues` reports it. */
export interface PgmqQueueInfo {
  /** The queue. */
  queue_name: string;
  /** Whether it is partitioned (pg_partman). */
  is_partitioned: boolean;
  /** Whether its table is unlogged. */
  is_unlogged: boolean;
  /** When it was created. */
  created_at: Date;
}

/** Options of `Pgmq.browse`. */
export interface PgmqBrowseOptions {
  /** Only messages with a larger id (0, the default, for all). */
  afterMsgId?: number;
  /** Most messages to return (at least 1). */
  qty: number;
}

/**
 * How full a queue is, counted from its table (unlike {@link PgmqMetrics}, the ages are measured
 * from the visibility time and ignore messages not yet visible).
 */
export interface PgmqDepth {
  /** Messages held, visible or not. */
  length: number;
  /** Messages visible now. */
  visible: number;
  /** Seconds since the oldest visible message became visible, `null` when none is. */
  oldest_visible_age_sec: number | null;
  /** Seconds since the oldest message, visible or not, was sent, `null` when empty. */
  oldest_msg_age_sec: number | null;
}
