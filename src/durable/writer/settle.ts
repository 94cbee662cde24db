/**
 * What becomes of a batch's entries once the writer is done with them: each `publish` caller
 * settled (with its message id, or rejected when close abandoned the event), the
 * enqueue-to-commit latency recorded, and the owed-event ledger told the events are no longer
 * held here.
 *
 * @module
 */

import type { PendingEntry } from "./buffer.ts";
import { describeError, WriterClosedError } from "./errors.ts";
import type { LatencyHistogram } from "./latency.ts";
import type { OwedLedger } from "./types.ts";

/**
 * Settles the entries of a committed batch: each `publish` resolves with its message id (0 for
 * an event a ledger showed already written by another writer) and each latency is recorded.
 *
 * @param batch the entries, in batch order
 * @param msgIds per entry, its message id, or null when it was already sent
 * @param latency where enqueue-to-commit latencies are recorded
 * @returns how many of the entries were written
 *
 * @example
 * ```ts ignore
 * const written = settleCommitted(batch, msgIds, counts.latency);
 * ```
 */
export function settleCommitted(
  batch: readonly PendingEntry[],
  msgIds: readonly (number | null)[],
  latency: LatencyHistogram,
): number {
  const now = performance.now();
  let written = 0;
  for (let index = 0; index < batch.length; index++) {
    const entry = batch[index]!;
    const msgId = msgIds[index];
    latency.record(now - entry.enqueuedAt);
    // A ledger event another writer already wrote: its publish resolves with 0 (no msg_id).
    entry.settle?.resolve(msgId === null ? 0 : msgId ?? -1);
    if (msgId !== null) written++;
  }
  return written;
}

/**
 * Rejects the `publish` of every abandoned entry with `WriterClosedError`.
 *
 * @param entries the entries close gave up on
 * @returns the lowest sequence number among them (Infinity for none)
 *
 * @example
 * ```ts ignore
 * firstLostSeq = Math.min(firstLostSeq, rejectAbandoned(buffer.drain()));
 * ```
 */
export function rejectAbandoned(entries: readonly PendingEntry[]): number {
  let lowest = Infinity;
  for (const entry of entries) {
    if (entry.seq < lowest) lowest = entry.seq;
    entry.settle?.reject(new WriterClosedError(`event ${entry.event.event_id} was not written`));
  }
  return lowest;
}

/**
 * Tells the ledger these events are no longer held by the writer. A throwing hook is logged,
 * never thrown: the writer's own bookkeeping must go on.
 *
 * @param released the ledger's hook, if any
 * @param entries the entries let go
 *
 * @example
 * ```ts ignore
 * releaseToLedger(config.ledger?.released, batch);
 * ```
 */
export function releaseToLedger(
  released: OwedLedger["released"],
  entries: readonly PendingEntry[],
): void {
  if (released === undefined || entries.length === 0) return;
  try {
    released(entries.map((entry) => entry.event.event_id));
  } catch (error) {
    console.error(`deno-tasker: the writer's ledger release hook threw: ${describeError(error)}`);
  }
}
