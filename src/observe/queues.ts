/**
 * Queue depths for health and metrics: how many messages a PGMQ queue holds, how many are ready
 * (visible) now, and how long the oldest ready one has waited since it became visible. The wait
 * is measured from the visibility time rather than the enqueue time, so a step whose retry was
 * scheduled ten minutes out does not look ten minutes late the moment it becomes due.
 *
 * @module
 */

import type { Queryable } from "../durable/db/database.ts";
import { Pgmq } from "../durable/pgmq/pgmq.ts";
import { withinDeadline } from "../deadline.ts";
import { TaskerError } from "../errors.ts";

/** One queue's depth. */
export interface QueueDepth {
  /** The PGMQ queue. */
  queue: string;
  /** `step` for a worker's step queue, `events` for a namespace's domain events queue. */
  kind: "step" | "events";
  /** Messages held, visible or not (in-flight steps count until they finish). */
  length: number;
  /** Messages visible now: ready for a reader. */
  visible: number;
  /** Seconds the oldest visible message has been waiting since it became visible (0 when none). */
  oldest_visible_age_seconds: number;
  /**
   * Seconds since the oldest message, visible or not, was sent (0 when empty). Unlike the visible
   * age it keeps growing while a message is read again and again without being consumed.
   */
  oldest_message_age_seconds: number;
}

/** A queue to measure and what it holds. */
export interface QueueRef {
  /** The PGMQ queue name. */
  queue: string;
  /** What it holds. */
  kind: "step" | "events";
}

/** Thrown (and caught by the callers here) when a probe does not answer within its deadline. */
export class ProbeTimeoutError extends TaskerError {
  /**
   * Creates the error.
   *
   * @param what the probe
   * @param timeoutMs the deadline it missed
   */
  constructor(what: string, timeoutMs: number) {
    super("E_PROBE_TIMEOUT", `${what}: no answer within ${timeoutMs} ms`);
  }
}

/**
 * Resolves like `promise`, or rejects with {@link ProbeTimeoutError} after `timeoutMs`. The
 * timer is always cleared, and a late rejection of `promise` is swallowed.
 *
 * @param promise the work
 * @param timeoutMs the deadline
 * @param what named in the timeout error
 *
 * @example
 * ```ts
 * import { withDeadline } from "./queues.ts";
 * const answer = await withDeadline(Promise.resolve(42), 100, "the answer");
 * ```
 */
export async function withDeadline<T>(
  promise: Promise<T>,
  timeoutMs: number,
  what: string,
): Promise<T> {
  const outcome = await withinDeadline(promise, timeoutMs);
  if (!outcome.finished) throw new ProbeTimeoutError(what, timeoutMs);
  return outcome.value;
}

/**
 * Measures the queues that exist among `refs` (missing ones, e.g. an events queue nothing was
 * written to yet, are left out). One query lists them and one query per queue counts it.
 *
 * @param db the database
 * @param refs the queues to measure
 * @returns their depths, in the order of `refs`
 *
 * @example
 * ```ts ignore
 * const depths = await queueDepths(db, [{ queue: "worker_payments_queue", kind: "step" }]);
 * console.log(depths[0]?.visible);
 * ```
 */
export async function queueDepths(
  db: Queryable,
  refs: readonly QueueRef[],
): Promise<QueueDepth[]> {
  if (refs.length === 0) return [];
  const pgmq = new Pgmq(db);
  const existing = await pgmq.existingQueues(refs.map((r) => r.queue));
  const depths: QueueDepth[] = [];
  for (const ref of refs) {
    if (!existing.has(ref.queue)) continue;
    const depth = await pgmq.depth(ref.queue);
    depths.push({
      queue: ref.queue,
      kind: ref.kind,
      length: depth.length,
      visible: depth.visible,
      oldest_visible_age_seconds: seconds(depth.oldest_visible_age_sec),
      oldest_message_age_seconds: seconds(depth.oldest_msg_age_sec),
    });
  }
  return depths;
}

/** Non-negative seconds with millisecond precision. */
function seconds(value: number | null | undefined): number {
  return Math.max(0, Math.round((value ?? 0) * 1000) / 1000);
}
