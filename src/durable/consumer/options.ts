/**
 * The DurableConsumer's options, resolved and checked once at construction (a bad value fails
 * with the option's name before anything runs).
 *
 * @module
 */

import type { Database } from "../db/database.ts";
import { assertQueueName, deadLetterQueue, domainEventsQueue } from "../../names.ts";
import { DurableOptionError, intOption } from "../writer/errors.ts";
import type { DurableConsumerOptions } from "./types.ts";

/** The component named in option errors. */
export const COMPONENT = "DurableConsumer";

/** Every consumer setting, defaults applied. */
export interface ConsumerConfig {
  /** The database. */
  db: Database;
  /** The queue read. */
  queue: string;
  /** Its dead-letter queue. */
  deadLetterQueue: string;
  /** Messages per read. */
  batchSize: number;
  /** Visibility timeout, seconds. */
  vtSeconds: number;
  /** Reads before dead-lettering. */
  maxAttempts: number;
  /** Messages handled at once. */
  concurrency: number;
  /** Acknowledgement mode. */
  onSuccess: "delete" | "archive";
  /** Smallest retry delay, seconds. */
  retryMinSeconds: number;
  /** Largest retry delay, seconds. */
  retryMaxSeconds: number;
  /** Poll interval, ms. */
  pollIntervalMs: number;
  /** Whether to LISTEN for inserts. */
  listen: boolean;
  /** PGMQ notification throttle, ms. */
  throttleMs: number;
  /** Error observer. */
  onError: DurableConsumerOptions["onError"];
}

/**
 * Applies defaults and validates; throws `DurableOptionError` or `InvalidNameError`.
 *
 * @param options what the caller gave
 */
export function resolveConsumerOptions(options: DurableConsumerOptions): ConsumerConfig {
  let queue: string;
  if (options.queue !== undefined) {
    assertQueueName(options.queue);
    queue = options.queue;
  } else if (options.namespace !== undefined) {
    queue = domainEventsQueue(options.namespace);
  } else {
    throw new DurableOptionError(COMPONENT, "queue", undefined, "given (or namespace)");
  }
  const onSuccess = options.onSuccess ?? "delete";
  if (onSuccess !== "delete" && onSuccess !== "archive") {
    throw new DurableOptionError(COMPONENT, "onSuccess", onSuccess, '"delete" or "archive"');
  }
  const retryMinSeconds = seconds("retryBackoff.minSeconds", options.retryBackoff?.minSeconds, 1);
  const retryMaxSeconds = Math.max(
    retryMinSeconds,
    seconds("retryBackoff.maxSeconds", options.retryBackoff?.maxSeconds, 60),
  );
  return {
    db: options.db,
    queue,
    deadLetterQueue: deadLetterQueue(queue),
    batchSize: intOption(COMPONENT, "batchSize", options.batchSize, 100, 1),
    vtSeconds: intOption(
      COMPONENT,
      "visibilityTimeoutSeconds",
      options.visibilityTimeoutSeconds,
      30,
      1,
    ),
    maxAttempts: intOption(COMPONENT, "maxAttempts", options.maxAttempts, 5, 1),
    concurrency: intOption(COMPONENT, "concurrency", options.concurrency, 1, 1),
    onSuccess,
    retryMinSeconds,
    retryMaxSeconds,
    pollIntervalMs: intOption(COMPONENT, "pollIntervalMs", options.pollIntervalMs, 1000, 1),
    listen: options.listen ?? true,
    throttleMs: intOption(COMPONENT, "notifyThrottleMs", options.notifyThrottleMs, 250, 0),
    onError: options.onError,
  };
}

function seconds(option: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new DurableOptionError(COMPONENT, option, value, "a number >= 0");
  }
  return value;
}
